// Mandelbrot on each engine over the same input (the `small` smooth view,
// 1280x720, 1000 iterations): Seq runs every unit on this thread, Omp is the
// threads engine on every CPU, Fork the procs engine with one worker per CPU.
//
//   build/bench/mandelbrot_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "../farm_bench.h"
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

void BM_Mandelbrot_Seq(benchmark::State& state) {
  auto w = MakeInput(state);
  if (!w) return;
  krg::bench::RunSequential(state, *w);
  krg::bench::Finish(state, *w, "pixels/s", 1e6);
}

// Omp (threads) and Fork (procs) share this driver.
void RunEngine(benchmark::State& state, krg::Engine engine) {
  auto w = MakeInput(state);
  if (!w) return;
  krg::bench::RunOnEngine(state, *w, engine);
  krg::bench::Finish(state, *w, "pixels/s", 1e6);
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
