// The peer of the linsolve demo: LAPACKE dgesv on OpenBLAS (Debian's
// liblapacke and libopenblas), over the same matrices (linsolve_kernel.h).
// Only dgesv is timed (the copy of A and b before each solve is not); each
// solve is checked (info == 0 and round(x) == x*).
//
//   BM_Dgesv_Farm/N/threads:T  T threads, each solving its own systems with a
//                              single-threaded OpenBLAS: the demo's farm shape
//   BM_Dgesv/N/B               one system at a time on B OpenBLAS threads
//
//   build/bench/linsolve_peer_bench --benchmark_filter='Farm/4000'
//
// OpenBLAS picks its kernels for this CPU at run time (OPENBLAS_CORETYPE
// overrides the choice); the label says which it used.
#include <benchmark/benchmark.h>
#include <lapacke.h>

#include <cmath>
#include <string>
#include <vector>

#include "scientific/linsolve_kernel.h"

extern "C" void openblas_set_num_threads(int num_threads);
extern "C" char* openblas_get_corename(void);

namespace {

namespace ls = krg::demos::linsolve;

// One system of order n made from `seed`, as the demo makes it.
struct System {
  System(std::uint64_t s, int order) : seed(s), n(order), a(n * n), b(n, 0.0) {
    for (int j = 0; j < n; ++j) {
      const double xj = ls::ExactSolution(seed, j);
      for (int i = 0; i < n; ++i) {
        a[j * n + i] = ls::MatrixEntry(seed, n, i, j);
        b[i] += a[j * n + i] * xj;
      }
    }
  }
  bool IsSolution(const std::vector<double>& x) const {
    for (int i = 0; i < n; ++i) {
      if (std::nearbyint(x[i]) != ls::ExactSolution(seed, i)) return false;
    }
    return true;
  }
  std::uint64_t seed;
  int n;
  std::vector<double> a, b;
};

// Solves `sys` once per iteration; false when a solve is wrong.
bool SolveLoop(benchmark::State& state, const System& sys) {
  const int n = sys.n;
  std::vector<double> a(sys.a.size()), x(n);
  std::vector<lapack_int> ipiv(n);
  bool ok = true;
  for (auto _ : state) {
    state.PauseTiming();
    a = sys.a;
    x = sys.b;
    state.ResumeTiming();
    const lapack_int info = LAPACKE_dgesv(LAPACK_COL_MAJOR, n, 1, a.data(), n,
                                          ipiv.data(), x.data(), n);
    ok = ok && info == 0 && sys.IsSolution(x);
  }
  return ok;
}

void Report(benchmark::State& state, int n, bool ok) {
  if (!ok) state.SkipWithError("dgesv did not find the exact solution");
  state.counters["GFLOP/s"] = benchmark::Counter(
      ls::SolveFlops(n) / 1e9, benchmark::Counter::kIsIterationInvariantRate |
                                   benchmark::Counter::kAvgThreads);
  state.SetLabel(std::string("OpenBLAS ") + openblas_get_corename());
}

void BM_Dgesv_Farm(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  openblas_set_num_threads(1);  // every thread: no thread starts first
  const System sys(ls::SystemSeed(1, state.thread_index()), n);
  Report(state, n, SolveLoop(state, sys));
}

void BM_Dgesv(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  openblas_set_num_threads(static_cast<int>(state.range(1)));
  const System sys(ls::SystemSeed(1, 0), n);
  Report(state, n, SolveLoop(state, sys));
}

BENCHMARK(BM_Dgesv_Farm)
    ->Arg(500)
    ->Arg(1000)
    ->Arg(2000)
    ->Arg(4000)
    ->Threads(1)
    ->Threads(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Dgesv)
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({4000, 1})
    ->Args({4000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
