// Session: the one run pipeline. A planned point (the workload, engine,
// nodes, repeats, checkpoints, capabilities) goes in; one outcome record
// comes out. `run`, `scale`, `bench`, `resume`, `selftest`, `show` and the
// dashboard all plan their points as a RunPlan and check or run them here,
// so the rules (the default engine, which engine runs which shape, threads
// only on the threads engine, checkpoints not under mpi, the capabilities in
// the result file) are written once. Reporters (the console summary, the
// result file, charts) consume the outcomes.
//
//   krg::Session session(*platform);
//   krg::RunPlan plan{.id = {"mandelbrot", "small", {}}, .nodes = 2};
//   KRG_ASSIGN_OR_RETURN(krg::Outcome o, session.Run(plan, *workload, {}));
//   file.runs.push_back(o.record);
//
// Not thread-safe: one Run() at a time per Session (Measure's rule).
#ifndef KRG_SESSION_H_
#define KRG_SESSION_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krg/engine.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krg/runner.h"
#include "krg/service.h"
#include "krg/stats.h"
#include "krg/status.h"
#include "krg/workload.h"

namespace krg {

// The Kerrighed capabilities a run's workers get beyond or instead of the
// demo's own (--caps), and how procs workers reach their nodes
// (--placement). Accepted and recorded on every platform.
struct ClusterRequest {
  std::vector<std::string> raise;  // added to the demo's capabilities
  std::vector<std::string> drop;   // withheld from them
  platform::Placement placement = platform::Placement::kExplicit;
};

// Journal-mode checkpoints (krg/checkpoint.h) of a run: into `dir` (empty:
// none) every `every_s` seconds; with `resume`, from what `dir` holds, which
// must have been written by the run `identity` names (its random run id,
// demo, size and params: see RunTag).
struct CheckpointPlan {
  std::filesystem::path dir;
  double every_s = 1;
  bool resume = false;
  std::string identity;
  // Kernel mode (Kerrighed's checkpoint of the whole application): the
  // System V key of a procs SPMD arena (its barrier: + 1), which the
  // launcher saves with each checkpoint (ExecOptions::ipc_key). 0: none.
  int ipc_key = 0;
};

// One planned point.
struct RunPlan {
  WorkloadId id;                  // the demo, its size and params
  std::vector<std::string> caps;  // the capabilities the demo shows off
  std::optional<Engine> engine;   // unset: DefaultEngine(nodes)
  int nodes = 1;
  int threads = 0;  // threads engine; 0: every CPU of the nodes
  RepeatPolicy repeat;
  std::string hostfile;       // mpi: an Open MPI hostfile (absolute)
  std::filesystem::path out;  // where artifacts go; empty: nowhere
  ClusterRequest cluster;
  CheckpointPlan checkpoint;
};

// What one point produced.
struct Outcome {
  Engine engine = Engine::kThreads;
  RunRecord record;         // as result files keep it
  Measurement measurement;  // every sample, events, metrics
  platform::CapsReport caps;
};

// What a service run (the webfarm's sweep under load) produced.
struct ServiceOutcome {
  ServiceReport report;
  std::vector<RunRecord> records;  // one per load point
  platform::CapsReport caps;
};

// The engine `plan` runs on, once the rules hold: the engine runs `shape`,
// a service on server processes (not the threads engine), --threads only
// on an engine with threaded workers, checkpoints only on an
// engine that has them, a hostfile only with mpi; on separate machines
// (the cluster platform, `traits`) only mpi, which is then the default.
// kInvalidArgument naming the rule otherwise (the CLI's usage error, the
// dashboard's 400).
Result<Engine> CheckPlan(const RunPlan& plan, Shape shape,
                         const platform::PlatformTraits& traits = {});

// What the plan's workers need on Kerrighed, derived from what they will
// do: the demo's own capabilities (what it shows off), CAN_MIGRATE when
// worker processes are migrated to their nodes (explicit placement over
// more than one node), DISTANT_FORK when the scheduler places them at
// fork; then --caps adds (plan.cluster.raise) or withholds (.drop).
// Kernel checkpoints add CHECKPOINTABLE through .raise.
std::vector<std::string> CapsToRaise(const RunPlan& plan);

// The one line saying that a run's work did not spread over the nodes asked
// for: "the work ran on 1 of the 3 nodes asked for (node 2): ...";
// `balanced`: Kerrighed's load balancer moved workers on after placement.
std::string SpreadNote(int asked, const std::vector<int>& used, Engine engine,
                       bool balanced = false);

// system.kerrighed of a result file: null off Kerrighed.
nlohmann::json KerrighedRecord(const platform::SystemInfo& info,
                               const platform::CapsReport& caps);

class Session {
 public:
  // REQUIRES: `platform` outlives the session.
  explicit Session(platform::Platform& platform) : platform_(platform) {}

  platform::Platform& platform() { return platform_; }

  // A result file for this machine: tool, label, created, system (with the
  // capabilities of the last run, when there was one).
  ResultFile NewResultFile(const std::string& label);

  // Applies the plan's capabilities and placement to the platform, so that
  // the workers forked from now on get them; Run() does it when the plan's
  // capabilities differ from the last ones applied. Call it first to tell
  // a cluster that refuses the capabilities from a run that fails.
  Result<platform::CapsReport> Prepare(const RunPlan& plan);

  // Checks the plan, prepares it (capabilities, placement), measures
  // `workload` by the plan, writes its artifacts into plan.out (when set)
  // and returns the outcome. kCancelled when hooks.cancel was raised.
  // REQUIRES: `workload` was built from plan.id.
  Result<Outcome> Run(const RunPlan& plan, Workload& workload,
                      const RunHooks& hooks = {});

  // The same for a service: its servers on plan.nodes nodes, the sweep
  // under load (or serving until hooks.cancel), a record per point. `say`
  // gets progress lines for people.
  Result<ServiceOutcome> Serve(const RunPlan& plan, ServiceWorkload& service,
                               const RunHooks& hooks,
                               std::function<void(const std::string&)> say);

 private:
  // Warns (hooks.warn) of the layout of plan.nodes; returns what it said.
  std::string WarnLayout(const RunPlan& plan, const RunHooks& hooks);

  platform::Platform& platform_;
  std::optional<platform::CapsReport> last_caps_;
  // What Prepare() applied last: the capabilities raised and dropped, and
  // the placement.
  std::vector<std::string> applied_raise_, applied_drop_;
  platform::Placement applied_placement_ = platform::Placement::kExplicit;
};

}  // namespace krg

#endif  // KRG_SESSION_H_
