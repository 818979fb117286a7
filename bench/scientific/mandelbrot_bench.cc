// Mandelbrot on each engine over the same input (the `small` smooth view,
// 1280x720, 1000 iterations): Seq runs every unit on this thread, Omp is the
// threads engine on every CPU, Fork the procs engine with one worker per CPU.
//
//   build/bench/mandelbrot_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "krg/executor.h"
#include "krg/platform.h"
#include "scientific/mandelbrot.h"

namespace {

std::unique_ptr<krg::FarmWorkload> MakeInput(benchmark::State& state) {
  auto w = krg::demos::MakeMandelbrot({"small", {}});
  if (!w.ok()) {
    state.SkipWithError(w.status().ToString().c_str());
    return nullptr;
  }
  return std::unique_ptr<krg::FarmWorkload>(
      static_cast<krg::FarmWorkload*>(w->release()));
}

void Finish(benchmark::State& state, krg::FarmWorkload& w) {
  krg::Verification v = w.Verify();
  if (!v.ok) state.SkipWithError(v.detail.c_str());
  state.counters["pixels/s"] = benchmark::Counter(
      w.work().amount * 1e6, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Mandelbrot_Seq(benchmark::State& state) {
  auto w = MakeInput(state);
  if (!w) return;
  std::string bytes;
  for (auto _ : state) {
    w->BeginPass();
    for (std::size_t i = 0; i < w->unit_count(); ++i) {
      bytes.clear();
      (void)w->RunUnit(i, &bytes);
      (void)w->Merge(i, bytes);
    }
  }
  Finish(state, *w);
}

// Omp (threads) and Fork (procs) share this driver.
void RunEngine(benchmark::State& state, krg::Engine engine) {
  auto w = MakeInput(state);
  if (!w) return;
  auto platform = krg::platform::MakeLinuxPlatform();
  auto info = platform->Describe(/*sample_load=*/false);
  const int cpus = info.ok() ? info->usable_cpus : 1;
  auto layout = platform->Partition(cpus);
  if (!layout.ok()) {
    state.SkipWithError(layout.status().ToString().c_str());
    return;
  }
  krg::ExecOptions opts;
  opts.threads = cpus;
  opts.slots = layout->nodes;
  auto executor = engine == krg::Engine::kThreads
                      ? krg::MakeThreadExecutor()
                      : krg::MakeProcessExecutor(*platform);
  for (auto _ : state) {
    auto r = executor->RunFarm(*w, opts);
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
  }
  state.counters["cpus"] = cpus;
  Finish(state, *w);
}

void BM_Mandelbrot_Omp(benchmark::State& state) {
  RunEngine(state, krg::Engine::kThreads);
}
void BM_Mandelbrot_Fork(benchmark::State& state) {
  RunEngine(state, krg::Engine::kProcs);
}

BENCHMARK(BM_Mandelbrot_Seq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mandelbrot_Omp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mandelbrot_Fork)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
