// linsolve: BM_Linsolve_LU is one unit of the demo (build the system from its
// seed, Eigen PartialPivLU, solve, HPL residual) by order n, on 1 or 2
// threads each solving its own systems (the farm's shape);
// Seq/Omp/Fork run the `small` farm (8 systems of order 1000) as the demo's
// engines do. Compare with the peer, LAPACKE dgesv on OpenBLAS
// (linsolve_peer_bench), over the same matrices:
//
//   build/bench/linsolve_bench --benchmark_filter=LU/4000
//   build/bench/linsolve_peer_bench --benchmark_filter=Farm/4000
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "../farm_bench.h"
#include "scientific/linsolve.h"
#include "scientific/linsolve_kernel.h"

namespace {

namespace ls = krg::demos::linsolve;

void BM_Linsolve_LU(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  ls::UseOneBlasThread();
  // Untimed: the first solve of a thread faults in its matrix storage, which
  // every later unit of the farm reuses (the steady state is measured).
  (void)ls::SolveSystem(ls::SystemSeed(2, state.thread_index()), n);
  std::uint64_t index = 0;
  for (auto _ : state) {
    const ls::Solved s = ls::SolveSystem(ls::SystemSeed(1, index++), n);
    if (!s.exact || !(s.scaled_residual < ls::kResidualBound)) {
      state.SkipWithError("the solve did not verify");
      return;
    }
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      ls::SolveFlops(n) / 1e9, benchmark::Counter::kIsIterationInvariantRate |
                                   benchmark::Counter::kAvgThreads);
  state.SetLabel(ls::Backend());
}

std::unique_ptr<krg::FarmWorkload> MakeInput(benchmark::State& state) {
  auto w = krg::demos::MakeLinsolve({"small", {}});
  if (!w.ok()) {
    state.SkipWithError(w.status().ToString().c_str());
    return nullptr;
  }
  return std::unique_ptr<krg::FarmWorkload>(
      static_cast<krg::FarmWorkload*>(w->release()));
}

void BM_Linsolve_Seq(benchmark::State& state) {
  auto w = MakeInput(state);
  if (!w) return;
  krg::bench::RunSequential(state, *w);
  krg::bench::Finish(state, *w, "GFLOP/s");
}

void RunEngine(benchmark::State& state, krg::Engine engine) {
  auto w = MakeInput(state);
  if (!w) return;
  krg::bench::RunOnEngine(state, *w, engine);
  krg::bench::Finish(state, *w, "GFLOP/s");
}

void BM_Linsolve_Omp(benchmark::State& state) {
  RunEngine(state, krg::Engine::kThreads);
}
void BM_Linsolve_Fork(benchmark::State& state) {
  RunEngine(state, krg::Engine::kProcs);
}

BENCHMARK(BM_Linsolve_LU)
    ->Arg(500)
    ->Arg(1000)
    ->Arg(2000)
    ->Arg(4000)
    ->Threads(1)
    ->Threads(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Linsolve_Seq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Linsolve_Omp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Linsolve_Fork)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
