// Workloads: what a demo describes and an executor runs.
//
// A demo never forks, never starts threads and never includes <omp.h>: it
// describes work in one of the shapes of ARCHITECTURE.md and an executor
// (executor.h) runs it on threads or on worker processes. Today the farm shape
// exists; the SPMD (ranks sharing arrays, meeting at barriers) and service
// (long-running servers under load) shapes are added as further subclasses of
// Workload with their own executor entry points, leaving this one untouched.
//
// Thread-safety: RunUnit() is called concurrently for distinct units (from
// threads or from forked processes) and must not touch merged state;
// BeginPass(), Merge(), Verify() and WriteArtifacts() are called by one thread.
#ifndef KRG_WORKLOAD_H_
#define KRG_WORKLOAD_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

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

}  // namespace krg

#endif  // KRG_WORKLOAD_H_
