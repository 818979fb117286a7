// The scenarios of `krgdemo show`: narrated, timed live demos of what a
// single-system-image cluster does (migration, distant fork, remote memory,
// checkpoint/restart), each ending with a verdict that says whether it
// showed what it claims. One function per scenario, listed in one table.
//
// Single-threaded: everything runs on the launcher's main thread; the run's
// progress hook (RunHooks::progress) drives the live view and the
// scenario's steps while workers compute.
#ifndef KRG_LAUNCHER_SHOW_SCENARIOS_H_
#define KRG_LAUNCHER_SHOW_SCENARIOS_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "krg/load_sampler.h"
#include "krg/platform.h"
#include "krg/private_dir.h"
#include "krg/session.h"
#include "krg/status.h"
#include "registry.h"
#include "show/view.h"

namespace krg::cli::show {

// How long the audience gets at each step (--pace).
struct Pace {
  double pause_s = 2.5;  // after a piece of narration
  double hold_s = 4.0;   // "look: one busy node" before anything moves
  double gap_s = 2.0;    // between two migrations
  static Pace Normal() { return {}; }
  static Pace Fast() { return {0.0, 0.5, 0.25}; }
};

struct ShowOptions {
  int nodes = 2;
  std::string size = "small";  // test|small|medium|large: how long work lasts
  Pace pace;
  // show balance: add a present node live (Kerrighed's `krgadm nodes add`)
  // once the balancer has spread the workers (--add-node).
  bool add_node = false;
};

// Everything a scenario works with.
struct ShowContext {
  platform::Platform& platform;
  ShowView& view;
  ShowOptions opts;
  const std::atomic<bool>* interrupted;
};

enum class Outcome { kShown, kNotShown, kSkipped, kInterrupted };

struct ScenarioResult {
  Outcome outcome = Outcome::kNotShown;
  std::string verdict;  // one line, after "verdict: "
};

struct Scenario {
  const char* name;
  const char* help;  // one sentence for --help
  Result<ScenarioResult> (*run)(ShowContext& ctx);
};
const std::vector<Scenario>& Scenarios();
// The closest scenario name to `name`, or "" when nothing is close.
std::string SuggestScenario(const std::string& name);

Result<ScenarioResult> ShowMigration(ShowContext& ctx);
Result<ScenarioResult> ShowDistantFork(ShowContext& ctx);
Result<ScenarioResult> ShowRemoteMemory(ShowContext& ctx);
Result<ScenarioResult> ShowCheckpoint(ShowContext& ctx);
Result<ScenarioResult> ShowBalance(ShowContext& ctx);

// Runs `s`: a scenario stopped by Ctrl-C (kCancelled, from a wait or a run)
// ends as Outcome::kInterrupted.
Result<ScenarioResult> RunScenario(const Scenario& s, ShowContext& ctx);

// --- shared by the scenarios ---

// Samples the load about twice a second and hands it to the view, with a
// note per node from `notes` (e.g. "2 workers").
class LoadTicker {
 public:
  LoadTicker(ShowContext& ctx, const std::vector<platform::Node>& nodes,
             std::function<std::vector<std::string>()> notes);
  // Call often; samples when half a second has passed.
  void Tick();
  // From now on, samples `nodes` (e.g. one more, that joined the cluster);
  // the peaks start again.
  void SetNodes(const std::vector<platform::Node>& nodes);
  // The highest load seen on each node since the last Reset.
  const std::vector<double>& peak() const { return peak_; }
  void ResetPeak();

 private:
  ShowContext& ctx_;
  platform::LoadSampler sampler_;
  std::function<std::vector<std::string>()> notes_;
  double last_;
  std::vector<double> peak_;
};

// Calls `done` about every `every_s` seconds, ticking `ticker` (may be null),
// until it returns true (true) or `timeout_s` have passed (false).
// kCancelled when interrupted.
Result<bool> PollUntil(ShowContext& ctx, double timeout_s, double every_s,
                       LoadTicker* ticker, const std::function<bool()>& done);
// Waits `seconds`, ticking `ticker` (may be null); kCancelled when
// interrupted.
Status Wait(ShowContext& ctx, double seconds, LoadTicker* ticker);
// The node ids of `nodes`.
std::vector<int> Ids(const std::vector<platform::Node>& nodes);
// "2 workers", "1 worker", "" for none.
std::string Count(int n, const std::string& what);
// Seconds of spread-out computing the audience gets, by --size.
double SpreadSeconds(const std::string& size);
// A scenario's opening: what it shows, the layout's note, and how this
// platform does it (Kerrighed's way or the linux stand-in).
void SayOpening(ShowContext& ctx, const std::string& what,
                const platform::Layout& layout, const std::string& on_kerrighed,
                const std::string& on_linux);
// "node 0: 3, node 1: 2" of a count per node.
std::string PerNode(const std::map<int, int>& counts);

// A demo's workload and the plan of one verified pass of it by the procs
// engine, with the demo's capabilities: the in-process scenarios measure
// through Session like `run`, so caps, plan checks and verification are the
// same as a presenter's `krgdemo run`.
struct DemoPass {
  std::unique_ptr<Workload> workload;
  RunPlan plan;

  // Session::Run on `platform` (ctx.platform, or a wrapper of it that
  // places or counts the workers); an error names the demo and keeps its
  // code (kCancelled when interrupted).
  Result<krg::Outcome> Run(platform::Platform& platform, const RunHooks& hooks);
};
// REQUIRES: `demo` is in the demo table; nodes >= 1
Result<DemoPass> PlanPass(const std::string& demo,
                          const demos::DemoConfig& config, int nodes);

// The platform, with every worker of a run laid out on `home`: for
// scenarios that start their workers on one node and move or watch them.
class OneNodePlatform final : public platform::PlatformWrapper {
 public:
  OneNodePlatform(platform::Platform& inner, platform::Node home)
      : PlatformWrapper(inner), home_(std::move(home)) {}
  Result<platform::Layout> Partition(int count) override;

 private:
  const platform::Node home_;
};

}  // namespace krg::cli::show

#endif  // KRG_LAUNCHER_SHOW_SCENARIOS_H_
