// Workloads: what a demo describes and an executor runs.
//
// A demo never forks, never starts threads and never includes <omp.h>: it
// describes work in one of the shapes of ARCHITECTURE.md and an executor
// (executor.h) runs it on threads or on worker processes. Two shapes exist:
// the farm (independent units) and SPMD (ranks sharing one arena, meeting at
// barriers); the service shape (long-running servers under load) is added as
// a further subclass with its own executor entry point.
//
// Thread-safety: RunUnit() is called concurrently for distinct units (from
// threads or from forked processes) and must not touch merged state;
// BeginPass(), Merge(), Verify() and WriteArtifacts() are called by one thread.
// SpmdWorkload::RunRank() runs once per rank, concurrently, in threads or in
// forked processes; ranks share only the arena (on the mpi engine, MPI ranks
// with a copy of the arena each: SpmdRank::AllGather, ExchangeHalo).
#ifndef KRG_WORKLOAD_H_
#define KRG_WORKLOAD_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "krg/status.h"

namespace krg {

enum class Shape { kFarm, kSpmd, kService };

// How much work one pass does, so that time becomes throughput:
// throughput = amount / seconds, reported in `unit` (e.g. "Mpixel/s").
struct WorkAmount {
  double amount = 0;
  std::string unit;
};

// The outcome of a workload's self-check. `checksum` identifies the exact
// answer (equal across engines and node counts for exact results).
struct Verification {
  bool ok = false;
  std::string checksum;
  std::string detail;  // one line: what was checked, or what differed
};

class Workload {
 public:
  virtual ~Workload() = default;
  virtual Shape shape() const = 0;
  virtual WorkAmount work() const = 0;
  // Checks the merged answer of the last pass.
  virtual Verification Verify() = 0;
  // Writes the demo's artifacts (images, bitmaps ...) into `dir`, which exists.
  virtual Status WriteArtifacts(const std::filesystem::path& dir) = 0;
  // Figures of the last pass beyond time and throughput (iterations,
  // bandwidth ...), written to run.json under "metrics".
  struct Metric {
    std::string name;
    double value = 0;
    std::string unit;
  };
  virtual std::vector<Metric> Metrics() const { return {}; }
};

// One unit's part of a farm's picture, for live views (the dashboard): a
// rectangle of the whole preview (FarmWorkload::preview_size()) and its
// pixels, RGB, row by row (width * height * 3 bytes). May be 0 rows high
// when the preview is smaller than the result.
struct PreviewTile {
  int x = 0, y = 0, width = 0, height = 0;
  std::string rgb;
};

// Independent, deterministic work units (mandelbrot tiles, dense solves,
// images). Units are the grain of distribution and of fault recovery.
class FarmWorkload : public Workload {
 public:
  Shape shape() const final { return Shape::kFarm; }
  virtual std::size_t unit_count() const = 0;
  // Computes unit `i` and appends its result bytes to `*out`. Deterministic:
  // the same bytes on every call, in any process.
  // REQUIRES: i < unit_count()
  virtual Status RunUnit(std::size_t i, std::string* out) const = 0;
  // Clears the merged state before a pass over all units.
  virtual void BeginPass() = 0;
  // Folds unit `i`'s bytes into the answer; once per unit per pass, any order.
  virtual Status Merge(std::size_t i, std::string_view bytes) = 0;
  // True: the procs engine runs every unit in a freshly forked, short-lived
  // process (the `make -j` pattern that Kerrighed's DISTANT_FORK places at
  // fork time) instead of reusing long-lived workers.
  virtual bool fresh_process_per_unit() const { return false; }
  // The size {width, height} of a small picture of the answer that fills in
  // unit by unit, or {0, 0} when the demo has none (live views then show
  // progress only).
  virtual std::pair<int, int> preview_size() const { return {0, 0}; }
  // Unit `i`'s tile of that picture, from the bytes RunUnit gave.
  // REQUIRES: preview_size() is not {0, 0}; i < unit_count()
  virtual Result<PreviewTile> PreviewUnit(std::size_t i,
                                          std::string_view bytes) const {
    (void)i;
    (void)bytes;
    return Status::Unavailable("this demo has no preview");
  }
};

// What one SPMD rank sees, provided by the executor. Ranks share the arena
// (threads: one allocation; procs: a System V shared-memory segment mapped at
// the same address in every worker) and meet at Barrier().
//
// Checkpoints (when the run has them): rank 0 asks SnapshotWanted() at a
// point where the solver state is consistent and tells the other ranks
// through the arena; then every rank copies its state into SnapshotSlab()
// (preferably by SnapshotCopy()),
// rank 0 sets SnapshotScalars(), all meet at a barrier, and rank 0 calls
// PublishSnapshot(): the executor writes that set to disk while the ranks
// compute on. A resumed run starts with Restored() true and the last set in
// SnapshotSlab() / RestoredScalars().
class SpmdRank {
 public:
  virtual ~SpmdRank() = default;
  virtual int rank() const = 0;
  virtual int ranks() const = 0;
  virtual void* arena() const = 0;
  // Waits until every rank has arrived. An error means the run is being torn
  // down (a rank died, or Ctrl-C): return it at once.
  [[nodiscard]] virtual Status Barrier() = 0;

  // Checkpointing. REQUIRES (SnapshotWanted, SnapshotScalars,
  // PublishSnapshot): rank() == 0.
  virtual bool SnapshotWanted() = 0;
  // This rank's snapshot area: SpmdWorkload::SnapshotBytes(rank, ranks).
  virtual void* SnapshotSlab() = 0;
  // Copies `len` bytes from `src` into SnapshotSlab() at byte `at`. A rank
  // that fills its slab by these calls in order, from byte 0 to the end,
  // lets the executor checksum the slab on the way (every rank its own, at
  // once, instead of the master alone afterwards). Default: memcpy.
  virtual void SnapshotCopy(std::size_t at, const void* src, std::size_t len) {
    std::memcpy(static_cast<char*>(SnapshotSlab()) + at, src, len);
  }
  // REQUIRES: bytes.size() <= SpmdWorkload::kMaxScalarBytes
  virtual void SnapshotScalars(std::string_view bytes) = 0;
  virtual void PublishSnapshot() = 0;
  virtual bool Restored() const = 0;
  virtual std::string RestoredScalars() const = 0;

  // Distributed memory (the mpi engine). With threads and procs the ranks
  // share the arena, so each of these is one Barrier(). On the mpi engine
  // every rank has its own copy of the arena, current only where the rank
  // itself wrote; these bring in what the others wrote. `bounds` has
  // ranks() + 1 entries, the same on every rank: rank r owns elements
  // [bounds[r], bounds[r + 1]) of each array.
  //
  // Returns with every element of every array in `arrays` current (e.g. the
  // per-line partial sums of a dot product, which every rank then adds up
  // in one fixed order: the same bits on every engine).
  [[nodiscard]] virtual Status AllGather(std::span<double* const> arrays,
                                         std::span<const long> bounds) {
    (void)arrays;
    (void)bounds;
    return Barrier();
  }
  // Returns with the elements of `v` within `width` of this rank's own
  // range current (the halo a stencil reads).
  [[nodiscard]] virtual Status ExchangeHalo(double* v,
                                            std::span<const long> bounds,
                                            long width) {
    (void)v;
    (void)bounds;
    (void)width;
    return Barrier();
  }
};

// P ranks that own slabs of shared arrays and meet at barriers (the Poisson
// CG solver). The executor allocates ArenaBytes(), calls Setup() once, runs
// RunRank() on every rank, then Finish() once, all in one pass.
class SpmdWorkload : public Workload {
 public:
  static constexpr std::size_t kMaxScalarBytes = 4096;
  Shape shape() const final { return Shape::kSpmd; }
  // How many ranks to run when the executor offers `slots` of them.
  virtual int RanksFor(int slots) const { return slots; }
  // Bytes of shared memory for `ranks` ranks (page-rounded by the executor).
  virtual std::size_t ArenaBytes(int ranks) const = 0;
  // Bytes of rank `rank`'s checkpoint slab (0: the workload never
  // checkpoints).
  virtual std::size_t SnapshotBytes(int rank, int ranks) const = 0;
  // Before the ranks start, on the calling thread: prepare the arena.
  virtual Status Setup(void* arena, int ranks) = 0;
  // One rank's share of the pass. Must not touch state outside the arena
  // that Finish() reads (in procs it runs in another process).
  virtual Status RunRank(SpmdRank& rank) const = 0;
  // After every rank returned ok, on the calling thread: read the answer
  // out of the arena (it is unmapped afterwards).
  virtual Status Finish(const void* arena, int ranks) = 0;
  // How the pass is going, for a progress line, read by the master from the
  // arena while the ranks run (e.g. "iteration 120 · residual 3.1e-04");
  // empty: nothing to say yet. Must tolerate a racing rank (atomics).
  virtual std::string ProgressNote(const void* arena) const {
    (void)arena;
    return {};
  }

  // Distributed memory (the mpi engine): the bytes of the arena that rank
  // `rank` writes and Finish() reads, as {offset, bytes} ranges of the
  // workload's area. That engine copies them from every rank into the
  // master's copy of the arena, in rank order, before Finish(). nullopt
  // (the default): the workload needs shared memory (no mpi engine).
  struct ArenaRange {
    std::size_t offset = 0;
    std::size_t bytes = 0;
  };
  virtual std::optional<std::vector<ArenaRange>> ResultRanges(int rank,
                                                              int ranks) const {
    (void)rank;
    (void)ranks;
    return std::nullopt;
  }
};

}  // namespace krg

#endif  // KRG_WORKLOAD_H_
