// memtiers' two kernels by working-set size (4 KiB in L1 .. 1 GiB in RAM):
// BM_Memtiers_Triad is STREAM's triad over three arrays filling the set
// (bytes/s counts 24 bytes per element), BM_Memtiers_Chase the pointer chase
// over a random cyclic permutation of its lines (ns/load).
//
//   build/bench/memtiers_bench --benchmark_filter=Triad
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "scientific/memtiers_kernel.h"

namespace {

namespace mt = krg::demos::memtiers;

struct Free {
  void operator()(void* p) const { std::free(p); }
};

std::unique_ptr<void, Free> Alloc(benchmark::State& state, std::size_t bytes) {
  std::unique_ptr<void, Free> mem(
      std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  if (!mem) state.SkipWithError("cannot allocate the working set");
  return mem;
}

void BM_Memtiers_Triad(benchmark::State& state) {
  const std::size_t bytes =
      std::size_t(state.range(0)) / mt::kGrain * mt::kGrain;
  auto mem = Alloc(state, bytes);
  if (!mem) return;
  const std::size_t n = bytes / 24;
  double* a = static_cast<double*>(mem.get());
  double *b = a + n, *c = b + n;
  for (std::size_t i = 0; i < n; ++i) a[i] = 0, b[i] = i % 5, c[i] = i % 3;
  for (auto _ : state) {
    mt::TriadLoop(a, b, c, 3.0, n);
    benchmark::ClobberMemory();
  }
  if (a[n - 1] != double((n - 1) % 5 + 3 * ((n - 1) % 3))) {
    state.SkipWithError("the triad computed a wrong value");
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) *
                          std::int64_t(bytes));
}

void BM_Memtiers_Chase(benchmark::State& state) {
  const std::size_t bytes = std::size_t(state.range(0));
  auto mem = Alloc(state, bytes);
  if (!mem) return;
  double ns = 0;
  for (auto _ : state) {
    const mt::ChaseResult r = mt::MeasureChase(mem.get(), bytes, 1, 1 << 20);
    if (r.id_sum != mt::ExpectedChase(bytes, 1 << 20).id_sum) {
      state.SkipWithError("the chase missed lines");
      return;
    }
    ns += r.ns_per_load;
  }
  state.counters["ns/load"] = ns / double(state.iterations());
}

BENCHMARK(BM_Memtiers_Triad)
    ->RangeMultiplier(8)
    ->Range(4 << 10, 1 << 30)
    ->UseRealTime();
BENCHMARK(BM_Memtiers_Chase)
    ->RangeMultiplier(8)
    ->Range(4 << 10, 1 << 30)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
