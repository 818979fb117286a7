// Drivers shared by the farm benchmarks (bench/<domain>/<workload>_bench.cc):
// every unit on the benchmark's thread (Seq), or passes on an engine with one
// worker (thread or process) per CPU (Omp, Fork), the same input for all.
#ifndef KRG_BENCH_FARM_BENCH_H_
#define KRG_BENCH_FARM_BENCH_H_

#include <benchmark/benchmark.h>

#include <string>

#include "krg/executor.h"
#include "krg/platform.h"
#include "krg/workload.h"

namespace krg::bench {

// Verifies the last pass and reports `counter` = work amount * `scale` per
// second (e.g. "pixels/s" with scale 1e6 for an amount in Mpixel).
inline void Finish(benchmark::State& state, FarmWorkload& w,
                   const char* counter, double scale = 1) {
  Verification v = w.Verify();
  if (!v.ok) state.SkipWithError(v.detail.c_str());
  state.counters[counter] = benchmark::Counter(
      w.work().amount * scale, benchmark::Counter::kIsIterationInvariantRate);
}

// Every unit on this thread, merged as an executor would.
inline void RunSequential(benchmark::State& state, FarmWorkload& w) {
  std::string bytes;
  for (auto _ : state) {
    w.BeginPass();
    for (std::size_t i = 0; i < w.unit_count(); ++i) {
      bytes.clear();
      (void)w.RunUnit(i, &bytes);
      (void)w.Merge(i, bytes);
    }
  }
}

// Passes on `engine` over every CPU: one thread or one worker process each.
inline void RunOnEngine(benchmark::State& state, FarmWorkload& w,
                        Engine engine) {
  auto platform = platform::MakeLinuxPlatform();
  auto info = platform->Describe(/*sample_load=*/false);
  const int cpus = info.ok() ? info->usable_cpus : 1;
  auto layout = platform->Partition(cpus);
  if (!layout.ok()) {
    state.SkipWithError(layout.status().ToString().c_str());
    return;
  }
  ExecOptions opts;
  opts.threads = cpus;
  opts.slots = layout->nodes;
  auto executor = engine == Engine::kThreads ? MakeThreadExecutor()
                                             : MakeProcessExecutor(*platform);
  for (auto _ : state) {
    auto r = executor->RunFarm(w, opts);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
  }
  state.counters["cpus"] = cpus;
}

}  // namespace krg::bench

#endif  // KRG_BENCH_FARM_BENCH_H_
