// The service shape of ARCHITECTURE.md: long-running server processes under
// load (the HTTP farm). A ServiceWorkload starts its servers on the nodes of
// a Platform, keeps them alive (a supervisor restarts a dead one), drives
// them with a load generator for a sweep of points and verifies a sample of
// responses; the launcher turns the report into run.json and charts.
//
// Thread-safety: Serve() is called from one thread at a time; it may start
// helper threads of its own and stops them before it returns.
#ifndef KRG_SERVICE_H_
#define KRG_SERVICE_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "krg/platform.h"
#include "krg/workload.h"

namespace krg {

struct ServiceSpec {
  int nodes = 1;    // the largest node count of the sweep
  int threads = 0;  // 0: single-threaded servers; T: a pool of T per server
  std::filesystem::path out_dir;  // run folder: scripts, logs, artifacts
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const std::string&)> say;  // progress lines for people
};

// One measured point of the sweep.
struct ServicePoint {
  int nodes = 1;
  int connections = 1;
  double duration_s = 0;
  long long requests = 0;  // completed
  long long errors = 0;    // socket errors, timeouts and non-2xx responses
  double requests_per_s = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  int restarts = 0;      // servers the supervisor restarted during the point
  int kills = 0;         // servers killed on purpose (--param kill_every)
  long long checks = 0;  // verified sample responses
  // CPU seconds the servers used during the point: on a shared machine,
  // requests per CPU second show scaling that the scheduler's share hides.
  double server_cpu_s = 0;
  double server_wait_s = 0;  // runnable but waiting for a CPU
  double error_rate() const {
    return requests + errors > 0 ? double(errors) / double(requests + errors)
                                 : 0;
  }
};

struct ServiceReport {
  std::vector<ServicePoint> points;  // empty when serve_only
  Verification verification;
  std::vector<std::string> events;  // restarts, kills, notes (for the log)
  bool served_only = false;         // ran until interrupted, no load
};

class ServiceWorkload : public Workload {
 public:
  Shape shape() const final { return Shape::kService; }
  // Runs the service: the sweep under load, or (serve_only) until
  // spec.cancel. kCancelled when interrupted during a sweep.
  virtual Result<ServiceReport> Serve(platform::Platform& platform,
                                      const ServiceSpec& spec) = 0;
  // The params as run.json records them.
  virtual std::map<std::string, std::string> RecordedParams() const = 0;
};

}  // namespace krg

#endif  // KRG_SERVICE_H_
