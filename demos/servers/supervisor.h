// Supervisor: the farm's parent. It opens the listening socket(s), starts one
// server process per node through the Platform (pinned to the node on linux,
// placed on it on Kerrighed), hands each its socket over the worker channel,
// and restarts a server that dies, counting and logging restarts.
//
// The supervisor keeps the listening sockets open itself, so a connection
// that arrives while a server is down waits in the kernel's accept queue
// until the restarted server (within a second) takes it, instead of being
// refused. Two ways to share the port:
//   - reuseport (the default on linux): one SO_REUSEPORT socket per server,
//     the kernel spreads new connections evenly over them;
//   - shared: one socket inherited by every server (kernels without
//     SO_REUSEPORT, e.g. Kerrighed's 2.6.20); servers race to accept.
// Servers exit when their channel closes, so none outlives the supervisor.
//
// Not thread-safe: one thread drives a Supervisor (Poll() in a loop).
#ifndef KRG_DEMOS_SERVERS_SUPERVISOR_H_
#define KRG_DEMOS_SERVERS_SUPERVISOR_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "krg/channel.h"
#include "krg/platform.h"
#include "servers/metrics.h"
#include "servers/web_server.h"

namespace krg::demos::servers {

struct FarmOptions {
  std::string bind = "127.0.0.1";
  int port = 8000;        // 0: the kernel picks one (tests)
  bool reuseport = true;  // false: one shared socket
  int start_timeout_ms = 10000;
  ServerOptions server;  // slot and nodes are set per server
};

class Supervisor {
 public:
  // Lays out `nodes` nodes, opens the socket(s) and starts every server;
  // returns once all serve.
  static Result<std::unique_ptr<Supervisor>> Start(platform::Platform& p,
                                                   int nodes,
                                                   const FarmOptions& o);
  ~Supervisor();  // Stop()s
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  int port() const { return port_; }
  int nodes() const { return static_cast<int>(slots_.size()); }
  FarmMetrics& metrics() { return *metrics_; }
  // Waits up to `timeout_ms` for a server to die and restarts any that did.
  // kFailedPrecondition when a server cannot start (bad configuration).
  Status Poll(int timeout_ms);
  // Sends `sig` to the server of `slot` (for fault injection and tests).
  Status Signal(int slot, int sig);
  pid_t pid(int slot) const { return slots_[slot].pid; }
  std::vector<pid_t> pids() const;
  int restarts() const { return restarts_; }
  // CPU seconds the farm's servers have used, dead ones included.
  double ServerCpuSeconds() const;
  // Seconds the servers were runnable but waiting for a CPU, dead included.
  double ServerWaitSeconds() const;
  // What happened (restarts, exits), oldest first; clears the list.
  std::vector<std::string> TakeEvents();
  // SIGTERM to every server, SIGKILL after `grace_ms`, all reaped.
  Status Stop(int grace_ms = 3000);

 private:
  struct Slot {
    platform::Node node;
    int listen_fd = -1;
    pid_t pid = -1;
    platform::Channel channel;  // its socket goes down it, then 'R' comes up
    bool ready = false;
    std::chrono::steady_clock::time_point started;
  };
  Supervisor(platform::Platform& p, FarmOptions o) : platform_(p), opt_(o) {}
  Status Spawn(int i);
  Status WaitReady(int i, int timeout_ms);
  Status Restart(int i);

  platform::Platform& platform_;
  FarmOptions opt_;
  std::unique_ptr<FarmMetrics> metrics_;
  std::vector<Slot> slots_;
  int port_ = 0;
  int restarts_ = 0;
  double dead_cpu_s_ = 0;  // of servers that died and were reaped
  double dead_wait_s_ = 0;
  bool stopped_ = false;
  std::vector<std::string> events_;
  platform::ChannelPoller poller_{64};  // servers send single bytes
};

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_SUPERVISOR_H_
