// The scenarios of `krgdemo show`: narrated, timed live demos of what a
// single-system-image cluster does (migration, distant fork, remote memory,
// checkpoint/restart), each ending with a verdict that says whether it
// showed what it claims. One function per scenario, listed in one table.
//
// Single-threaded: everything runs on the launcher's main thread; the procs
// executor's progress callback drives the live view and the scenario's
// steps while workers compute.
#ifndef KRG_LAUNCHER_SHOW_SCENARIOS_H_
#define KRG_LAUNCHER_SHOW_SCENARIOS_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "krg/load_sampler.h"
#include "krg/platform.h"
#include "krg/status.h"
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

// --- shared by the scenarios ---

// Samples the load about twice a second and hands it to the view, with a
// note per node from `notes` (e.g. "2 workers").
class LoadTicker {
 public:
  LoadTicker(ShowContext& ctx, const std::vector<platform::Node>& nodes,
             std::function<std::vector<std::string>()> notes);
  // Call often; samples when half a second has passed.
  void Tick();
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

// Waits `seconds`, ticking `ticker` (may be null); false when interrupted.
bool Wait(ShowContext& ctx, double seconds, LoadTicker* ticker);
// The node ids of `nodes`.
std::vector<int> Ids(const std::vector<platform::Node>& nodes);
// "2 workers", "1 worker", "" for none.
std::string Count(int n, const std::string& what);
// Seconds of spread-out computing the audience gets, by --size.
double SpreadSeconds(const std::string& size);

}  // namespace krg::cli::show

#endif  // KRG_LAUNCHER_SHOW_SCENARIOS_H_
