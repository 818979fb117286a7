// Dashboard: what `krgdemo dashboard` shows and does, apart from HTTP
// (dashboard_server.h serves it). A sampler thread takes a snapshot of the
// cluster several times a second: per-node CPU load and memory (LoadSampler),
// the balance efficiency, the krgdemo processes and the node each runs on,
// migrations (a process seen on another node than before), and the run being
// followed: the newest events.ndjson (run_events.h) under the results folder.
// Control (start a run, migrate, stop) is here too; the server only lets it
// through with --allow-control.
//
// Thread-safety: every public method may be called from any thread (the
// HTTP server calls them from one thread per connection); the platform is
// used under a mutex.
#ifndef KRG_LAUNCHER_DASHBOARD_H_
#define KRG_LAUNCHER_DASHBOARD_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "krg/load_sampler.h"
#include "krg/platform.h"

namespace krg::cli {

struct DashboardOptions {
  std::filesystem::path results_dir = "krgdemo-results";
  bool allow_control = false;
  int nodes = 0;  // linux: virtual nodes shown (0: one per usable CPU)
  std::chrono::milliseconds tick{250};
  // --cluster FILE, passed on to the runs the page starts (empty: they find
  // the cluster as this dashboard did, through $KRGDEMO_CLUSTER or /etc).
  std::string cluster_file;
};

// An answer to a control request: an HTTP status and a JSON body
// ({"ok": true, ...} or {"error": "what went wrong"}).
struct Reply {
  int status = 200;
  nlohmann::json body;
};

class Dashboard {
 public:
  // Lays out the nodes and takes the first load baseline.
  static Result<std::unique_ptr<Dashboard>> Create(
      const DashboardOptions& options);
  // Stops the sampler and a run this dashboard started (SIGINT, then waits).
  ~Dashboard();

  const DashboardOptions& options() const { return options_; }
  // Starts the sampler thread.
  void Start();
  // Makes WaitState return at once from now on (the server is stopping).
  void Shutdown();
  bool shutting_down() const { return shutdown_.load(); }

  // The latest snapshot (JSON text) and its number; waits up to `timeout`
  // for one newer than `after`.
  std::pair<std::uint64_t, std::string> WaitState(
      std::uint64_t after, std::chrono::milliseconds timeout);
  // The events file of the run followed now ("" when none).
  std::filesystem::path EventsFile();

  // The demos, sizes and engines a run can be started with, and limits.
  nlohmann::json Catalog() const;
  // Past results under the results folder, as speedup series.
  nlohmann::json Results() const;

  // Control. `request` is the parsed JSON body.
  Reply StartRun(const nlohmann::json& request);
  Reply StopRun();
  Reply Migrate(const nlohmann::json& request);

 private:
  struct RunView;  // what the followed events file says
  explicit Dashboard(const DashboardOptions& options);
  void Loop();
  void Tick(int tick);
  void FollowNewestEvents();
  void ReadEvents();
  nlohmann::json Processes(double now);
  void ReapChild();

  const DashboardOptions options_;
  std::unique_ptr<platform::Platform> platform_;
  std::mutex platform_mu_;  // platform_ and layout_ for NodeOf/MoveProcess
  platform::Layout layout_;
  int home_node_ = -1;  // kerrighed: this node, where processes are forked
  std::unique_ptr<platform::LoadSampler> sampler_;
  std::chrono::steady_clock::time_point start_;

  std::mutex mu_;  // everything below
  std::condition_variable changed_;
  std::uint64_t seq_ = 0;
  std::string state_;
  std::filesystem::path events_file_;
  std::unique_ptr<RunView> run_;
  std::map<pid_t, int> where_;  // the node each process was last seen on
  nlohmann::json migrations_ = nlohmann::json::array();
  std::vector<pid_t> shown_pids_;  // what may be migrated
  std::set<pid_t> moved_;          // migrated from the page
  pid_t child_ = -1;               // a run this dashboard started
  nlohmann::json child_exit_;      // how it ended (null while running)

  std::atomic<bool> shutdown_{false};
  std::thread thread_;
};

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_DASHBOARD_H_
