// Executors run a workload: `threads` (OpenMP, one process) and `procs`
// (a master forking single-threaded workers, one per slot, which Kerrighed
// can spread over nodes; see ARCHITECTURE.md).
//
// Thread-safety: an Executor runs one workload at a time, from one thread.
// The master never computes; the progress callback runs on the calling thread.
#ifndef KRG_EXECUTOR_H_
#define KRG_EXECUTOR_H_

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krg/engine.h"
#include "krg/platform.h"
#include "krg/status.h"
#include "krg/workload.h"

namespace krg {

// A consistent SPMD snapshot: every rank's slab and the solver scalars.
struct SpmdSnapshot {
  std::uint64_t seq = 0;
  std::vector<std::string> slabs;  // one per rank
  std::string scalars;
};

// Where an SPMD run's checkpoints go and come back from (checkpoint.h).
// Called from one thread at a time: Load on the executor's calling thread,
// Save on the master's writer thread, while the ranks compute.
class SpmdCheckpointSink {
 public:
  virtual ~SpmdCheckpointSink() = default;
  // Seconds between snapshots.
  virtual double every_s() const = 0;
  // Saves a snapshot durably (the previous one stays valid until it is).
  // crcs[r], when given, is the CRC-32C of slabs[r] (the ranks computed it
  // while copying their slabs); the sink computes missing ones itself.
  virtual Status Save(
      std::uint64_t seq, const std::vector<std::string_view>& slabs,
      std::string_view scalars,
      const std::vector<std::optional<std::uint32_t>>& crcs = {}) = 0;
  // The snapshot to resume from; nullopt when there is none. An error names
  // a corrupt or truncated file.
  virtual Result<std::optional<SpmdSnapshot>> Load() = 0;
};

struct ExecOptions {
  // threads: the OpenMP thread count. procs: ignored (one worker per slot).
  int threads = 1;
  // procs: one worker per entry, placed on that node (a node may repeat).
  std::vector<platform::Node> slots;
  // procs: how many times one unit may lose its worker before the run fails.
  int max_unit_attempts = 3;
  // Called on the calling thread, often (the callee rate-limits).
  std::function<void(std::size_t done, std::size_t total)> progress;
  // SPMD: the workload's ProgressNote(), on the calling thread, about ten
  // times a second while the ranks run.
  std::function<void(const std::string& note)> progress_note;
  // Called on the calling thread right after unit `unit` was merged, with the
  // id of the node that computed it (threads: the first slot's node, or 0)
  // and the unit's bytes (checkpoint journal, dashboard).
  std::function<void(std::size_t unit, int node, std::string_view bytes)>
      on_unit_done;
  // procs: called with each worker's pid when it starts (tests, dashboard).
  std::function<void(pid_t pid)> on_worker_start;
  // When set and true, the run stops as soon as it can with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Farm: units already computed (a resumed run's journal), merged right
  // after BeginPass and not run again; on_unit_done is not called for them.
  const std::map<std::size_t, std::string>* completed = nullptr;
  // SPMD: checkpoints of the rank state (nullptr: none).
  SpmdCheckpointSink* spmd_checkpoint = nullptr;
  // procs SPMD: called with the System V ids of the arena and the barrier
  // once both exist (tests check that they are gone afterwards).
  std::function<void(int shm_id, int sem_id)> on_ipc_created;
  // procs SPMD under Kerrighed's kernel checkpoint: the arena is created
  // under this System V key and the barrier under ipc_key + 1, and the
  // arena is kept until the pass ends (krg/shared_arena.h), so that the
  // launcher can find and save both. 0: private objects.
  int ipc_key = 0;
};

// What happened during one pass, beyond the answer.
struct ExecReport {
  std::size_t units = 0;
  int worker_restarts = 0;          // workers that died and were replaced
  std::vector<std::string> events;  // one line per notable event (deaths)
  // The nodes the worker processes ran on once placed (procs; empty when
  // every worker is a thread of this process).
  std::vector<int> worker_nodes;
};

// The distinct nodes `pids` run on (Platform::NodeOf), sorted; a process
// the platform cannot place is left out. Empty on virtual nodes (linux),
// which are the CPUs the workers were pinned to.
std::vector<int> NodesOf(platform::Platform& platform,
                         const std::vector<pid_t>& pids);

class Executor {
 public:
  virtual ~Executor() = default;
  virtual Engine engine() const = 0;
  // One pass over every unit: BeginPass, RunUnit everywhere, Merge each.
  virtual Result<ExecReport> RunFarm(FarmWorkload& w,
                                     const ExecOptions& opts) = 0;
  // One SPMD pass: Setup, RunRank on every rank, Finish. threads: one rank
  // per OpenMP thread (opts.threads); procs: one single-threaded worker
  // process per slot, sharing a System V shared-memory arena and meeting at
  // a System V semaphore barrier, both removed on every exit path.
  // An engine without SPMD support says so (kUnavailable).
  virtual Result<ExecReport> RunSpmd(SpmdWorkload& w, const ExecOptions& opts) {
    (void)w;
    (void)opts;
    return Status::Unavailable("this engine does not run SPMD workloads");
  }
};

std::unique_ptr<Executor> MakeThreadExecutor();
// REQUIRES: `platform` outlives the executor.
std::unique_ptr<Executor> MakeProcessExecutor(platform::Platform& platform);

}  // namespace krg

#endif  // KRG_EXECUTOR_H_
