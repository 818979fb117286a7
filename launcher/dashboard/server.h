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
//                       without --allow-control or without the token (header
//                       X-Krgdemo-Token), 400 with a message for bad input
//
// With --allow-control, Start makes a random token (the page gets it from the
// printed URL, ?token=..., as Jupyter does): any local user can connect to
// 127.0.0.1, only the one who started the dashboard has its URL.
//
// Bounds: 256 connections, 32 event streams (503 beyond), 5 s to send a
// request's headers, 15 s idle, 64 KiB bodies; /api/results reads at most
// a bounded number of result files, each bounded in size and nesting.
//
// Listening on loopback, it answers 403 to a request whose Host is not
// localhost or 127.x.x.x, so that a web page elsewhere cannot reach it
// through a DNS name rebound to 127.0.0.1.
//
// Thread-safety: Start and the destructor from one thread; the handlers run
// on libmicrohttpd's threads and only call the Dashboard's thread-safe API.
#ifndef KRG_LAUNCHER_DASHBOARD_SERVER_H_
#define KRG_LAUNCHER_DASHBOARD_SERVER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

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
  // The control secret (empty without --allow-control).
  const std::string& token() const;

  struct Context;  // what the request handler sees (dashboard_server.cc)

 private:
  explicit DashboardServer(Dashboard& dashboard);
  void WatchHeaders();  // the watchdog thread's loop

  Dashboard& dashboard_;
  std::unique_ptr<Context> context_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::thread watchdog_;  // cuts off clients slow to send their headers
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stopping_ = false;
};

// True for 127.0.0.0/8 (the dashboard warns when it listens elsewhere).
bool IsLoopback(const std::string& ipv4);
// True for a dotted IPv4 address (what --bind takes).
bool IsIpv4Address(const std::string& text);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_DASHBOARD_SERVER_H_
