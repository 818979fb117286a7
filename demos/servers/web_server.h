// One webfarm server process: libmicrohttpd serving /, /tile/{z}/{x}/{y}.png,
// /thumb, /static/..., /healthz and /metrics on a listening socket it is
// given. Single-threaded by default: MHD keeps its own epoll set and this
// process's one thread drives it (MHD_run), so Kerrighed can migrate it;
// with `threads` > 0, MHD runs a pool of that many epoll threads instead (the
// SMP mode; such a process cannot migrate).
//
// RunServer() is what a server process runs: it returns when its channel to
// the supervisor closes (the supervisor died or stopped it) or on SIGTERM.
#ifndef KRG_DEMOS_SERVERS_WEB_SERVER_H_
#define KRG_DEMOS_SERVERS_WEB_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "servers/metrics.h"

namespace krg::demos::servers {

// Limits of one server process; every one has a safe default.
struct ServerLimits {
  int connections = 1024;               // open connections
  int timeout_s = 10;                   // idle connection (slowloris) timeout
  std::size_t body_bytes = 8 << 20;     // request body (/thumb uploads)
  std::size_t header_bytes = 32 << 10;  // request line + headers
  int renders = 0;                      // concurrent tiles; 0: max(1, threads)
  std::uint64_t image_pixels = 40'000'000;  // declared size of a /thumb image
  // "Connection: close" on every response: clients come back through the
  // accept queue, which the supervisor holds and which outlives a server
  // (webfarm's queue=kernel).
  bool close_each = false;
};

struct ServerOptions {
  ServerLimits limits;
  int threads = 0;  // 0: single-threaded; T: a pool of T threads
  int tile_max_iter = 500;
  int thumb_side = 160;    // longest side of a thumbnail
  std::string static_dir;  // "" : /static/ answers 404
  int slot = 0;            // this server's node slot
  int nodes = 1;           // servers in the farm, for the / page
};

// Exit codes of a server process.
inline constexpr int kServerStopped = 0;
inline constexpr int kServerBadConfig = 2;  // the supervisor does not retry

// Serves on `listen_fd` until `control_fd` reaches EOF or SIGTERM arrives.
// Writes 'R' to `control_fd` once it serves. `metrics` is the farm's shared
// mapping.
int RunServer(int listen_fd, int control_fd, const ServerOptions& options,
              FarmMetrics* metrics);

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_WEB_SERVER_H_
