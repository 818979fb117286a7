// DashboardServer: the HTTP face of the Dashboard (libmicrohttpd, one thread
// per connection, so that a Server-Sent Events stream may wait for the next
// snapshot). Endpoints (docs/dashboard.md):
//
//   GET  /  /app.js  /app.css  /favicon.svg   the page, built into the binary
//   GET  /api/state     the latest snapshot (JSON)
//   GET  /api/events    Server-Sent Events: "state" (every tick) and "run"
//                       (each line of the followed events.ndjson)
//   GET  /api/catalog   demos, sizes, engines, node ids, whether control is on
//   GET  /api/results   past results as speedup series
//   POST /api/run  /api/stop  /api/migrate    control (JSON bodies): 403
//                       without --allow-control, 400 with a message for bad
//                       input
//
// Listening on loopback, it answers 403 to a request whose Host is not
// localhost or 127.x.x.x, so that a web page elsewhere cannot reach it
// through a DNS name rebound to 127.0.0.1.
//
// Thread-safety: Start and the destructor from one thread; the handlers run
// on libmicrohttpd's threads and only call the Dashboard's thread-safe API.
#ifndef KRG_LAUNCHER_DASHBOARD_SERVER_H_
#define KRG_LAUNCHER_DASHBOARD_SERVER_H_

#include <memory>
#include <string>

#include "dashboard/dashboard.h"
#include "krg/status.h"

struct MHD_Daemon;

namespace krg::cli {

class DashboardServer {
 public:
  // Listens on `bind` (an IPv4 address) and `port` (0: any free port).
  // REQUIRES: `dashboard` outlives the server.
  static Result<std::unique_ptr<DashboardServer>> Start(Dashboard& dashboard,
                                                        const std::string& bind,
                                                        int port);
  // Ends the event streams and stops listening.
  ~DashboardServer();

  int port() const { return port_; }

  struct Context;  // what the request handler sees (dashboard_server.cc)

 private:
  explicit DashboardServer(Dashboard& dashboard);

  Dashboard& dashboard_;
  std::unique_ptr<Context> context_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

// True for 127.0.0.0/8 (the dashboard warns when it listens elsewhere).
bool IsLoopback(const std::string& ipv4);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_DASHBOARD_SERVER_H_
