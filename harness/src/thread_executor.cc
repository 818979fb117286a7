// The `threads` engine: OpenMP threads in one process, dynamic schedule over
// units. This is the SMP baseline: on Kerrighed a multi-threaded process
// never leaves its node (INTERFACE.md section 6).
#include <omp.h>

#include <atomic>
#include <mutex>
#include <string>

#include "krg/executor.h"
#include "spmd_executor.h"

namespace krg {
namespace {

class ThreadExecutor final : public Executor {
 public:
  Engine engine() const override { return Engine::kThreads; }

  Result<ExecReport> RunFarm(FarmWorkload& w,
                             const ExecOptions& opts) override {
    const std::size_t n = w.unit_count();
    w.BeginPass();
    std::size_t preloaded = 0;
    if (opts.completed != nullptr) {
      for (const auto& [unit, bytes] : *opts.completed) {
        if (unit >= n) continue;
        KRG_RETURN_IF_ERROR(
            w.Merge(unit, bytes).WithContext("unit " + std::to_string(unit)));
        ++preloaded;
      }
    }
    std::atomic<std::size_t> done{preloaded};
    std::atomic<bool> failed{false};
    std::mutex mu;  // guards Merge() and first_error
    Status first_error;
    const long long count = static_cast<long long>(n);
    const int node = opts.slots.empty() ? 0 : opts.slots.front().id;

#pragma omp parallel for schedule(dynamic, 1) num_threads(opts.threads)
    for (long long i = 0; i < count; ++i) {
      if (failed.load(std::memory_order_relaxed) ||
          (opts.cancel != nullptr && opts.cancel->load()) ||
          (opts.completed != nullptr &&
           opts.completed->count(static_cast<std::size_t>(i)) > 0)) {
        continue;
      }
      std::string bytes;
      Status s = w.RunUnit(static_cast<std::size_t>(i), &bytes);
      {
        std::lock_guard<std::mutex> lock(mu);
        if (s.ok()) s = w.Merge(static_cast<std::size_t>(i), bytes);
        if (s.ok() && opts.on_unit_done) {
          opts.on_unit_done(static_cast<std::size_t>(i), node, bytes);
        }
        if (!s.ok() && first_error.ok()) {
          first_error = s.WithContext("unit " + std::to_string(i));
          failed = true;
        }
      }
      done.fetch_add(1, std::memory_order_relaxed);
      if (omp_get_thread_num() == 0 && opts.progress) {
        opts.progress(done.load(std::memory_order_relaxed), n);
      }
    }

    if (opts.cancel != nullptr && opts.cancel->load()) {
      return Status::Cancelled("interrupted");
    }
    if (!first_error.ok()) return first_error;
    if (opts.progress) opts.progress(n, n);
    ExecReport report;
    report.units = n;
    return report;
  }

  Result<ExecReport> RunSpmd(SpmdWorkload& w,
                             const ExecOptions& opts) override {
    return internal::RunSpmdThreads(w, opts);
  }
};

}  // namespace

std::unique_ptr<Executor> MakeThreadExecutor() {
  return std::make_unique<ThreadExecutor>();
}

}  // namespace krg
