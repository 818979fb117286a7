// The runner: lays out nodes, picks the executor, repeats passes of a
// workload by the repeat policy and verifies every pass.
//
// This is the one place that turns (workload, engine, nodes) into timed,
// verified samples; the launcher's `run`, `scale` and `bench` all use it.
// Not thread-safe: one Measure() at a time per Platform.
#ifndef KRG_RUNNER_H_
#define KRG_RUNNER_H_

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "krg/executor.h"
#include "krg/platform.h"
#include "krg/stats.h"
#include "krg/workload.h"

namespace krg {

// What the runner reports while it works (for a progress line).
struct Progress {
  int pass = 0;          // 1-based; warm-up passes are 0
  std::size_t done = 0;  // units finished in this pass
  std::size_t total = 0;
  double elapsed_s = 0;  // since Measure() began
  // SPMD: what the workload says instead of units (ProgressNote), e.g.
  // "iteration 120 · residual 3.1e-04"; done and total are then 0.
  std::string note;
  // For the time left: the timed passes at most (0: unknown), whether that
  // count is fixed (--repeat) or a cap the run may stop short of, the time
  // budget after which no pass starts (0: none), how long this pass has
  // run and the last finished pass took (0: none yet).
  int passes = 0;
  bool passes_fixed = false;
  double budget_s = 0;
  double pass_elapsed_s = 0;
  double last_pass_s = 0;
};

// How far a run is and how long it has left, from one Progress: the passes
// still to come at the pace of the last one (or of this one's units so
// far), cut by the time budget. Negative when not known yet. An adaptive
// run may stop sooner, when its spread is small: the time left is a ceiling.
struct ProgressEstimate {
  double fraction = -1;  // of the whole run, in [0, 1]
  double left_s = -1;
};
ProgressEstimate EstimateProgress(const Progress& p);

// Who a workload is: what an engine that runs it in processes of its own
// (the mpi ranks, started by mpirun) rebuilds its copy from.
struct WorkloadId {
  std::string name;  // the demo
  std::string size;
  std::map<std::string, std::string> params;
};

// What the caller watches a run through (progress line, event log).
struct RunHooks {
  // When set and raised, the run stops as soon as it can (kCancelled).
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(const Progress&)> progress;
  std::function<void(pid_t)> on_worker_start;
  // After each unit is merged: the pass (as in Progress), the unit, the node
  // that computed it and its bytes (ExecOptions::on_unit_done).
  std::function<void(int pass, std::size_t unit, int node,
                     std::string_view bytes)>
      on_unit_done;
  // A sentence the user should see, as soon as it is known (krg::Session:
  // nodes that share CPUs, before the run; workers that did not reach their
  // node). Measure() itself does not call it.
  std::function<void(const std::string&)> warn;
};

// One measured point, as Measure() takes it; its hooks are the base.
struct RunSpec : RunHooks {
  WorkloadId id;  // mpi: required
  Engine engine = Engine::kThreads;
  int nodes = 1;
  int threads = 0;  // threads engine: 0 = every CPU of the nodes
  RepeatPolicy repeat;
  // Journal-mode checkpoints (checkpoint.h) into this folder, which exists;
  // empty: none. With `resume`, the pass starts from what the folder holds.
  std::filesystem::path checkpoint_dir;
  double checkpoint_every_s = 1;
  bool resume = false;
  std::string checkpoint_identity;  // CheckpointPlan::identity
  int ipc_key = 0;                  // CheckpointPlan::ipc_key
  // mpi: the Open MPI hostfile of the ranks (empty: this machine) and
  // where rank 0 writes the workload's artifacts (empty: nowhere).
  std::string hostfile;
  std::filesystem::path artifacts_dir;
  // When set, runs the passes in this process through it instead of the
  // engine's own way (the engine table's `measure`): the mpi engine's rank 0
  // passes its master here, and threads and procs their executors.
  Executor* executor = nullptr;
};

// Where ranks of an mpi job ran, as the ranks themselves reported it (their
// host name): how many worker ranks, and whether the master (rank 0) ran
// there.
struct MachineRanks {
  std::string host;
  int ranks = 0;
  bool master = false;
};

struct Measurement {
  std::vector<double> samples_s;
  Summary summary;
  Verification verification;  // of the last pass; !ok if any pass failed
  int threads = 1;            // threads used (threads engine) or 1 (procs)
  int workers = 0;            // worker processes per pass (procs)
  int worker_restarts = 0;
  std::vector<std::string> events;  // deaths, notes
  std::string layout_note;          // e.g. "nodes share CPUs"
  // The distinct nodes worker processes ran on once placed, read from the
  // platform where nodes are machines (Kerrighed): fewer than the nodes
  // asked for when Kerrighed did not move them. Empty on linux and mpi.
  std::vector<int> worker_nodes;
  bool artifacts_written = false;  // mpi: rank 0 already wrote them
  // The workload's work() and Metrics() after the last pass (with mpi,
  // rank 0's: the launcher's own copy of the workload never ran).
  WorkAmount work;
  std::vector<Workload::Metric> metrics;
  // mpi: every machine of the job (empty for the other engines).
  std::vector<MachineRanks> machines;
};

// Measures `workload` on spec.engine, through the engine table (engine.h):
// threads and procs run the passes here, mpi starts an mpirun job whose rank
// 0 runs them (krg/mpi_engine.h). kInvalidArgument when the engine does not
// run this workload ("DEMO does not run on the mpi engine").
// REQUIRES: spec.nodes >= 1
Result<Measurement> Measure(platform::Platform& platform, Workload& workload,
                            const RunSpec& spec);

}  // namespace krg

#endif  // KRG_RUNNER_H_
