// The poisson demo's CG kernels on one thread over the 2-D 1000 x 1000 grid
// (a million unknowns, the SciPy comparison's matrix): SpMV (with its fused
// dot product; _RowValues reading the values in Eigen's row-by-row layout
// instead of the demo's by-entry copy), one whole CG iteration, and the
// STREAM triad on 3 x 128 MiB that the SpMV bandwidth is held against
// (bytes/s in each line).
//
//   build/bench/poisson_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <vector>

#include "scientific/poisson_kernel.h"

namespace {

namespace pk = krg::demos::poisson;
constexpr long kN = 1000;

struct Grid {
  pk::RowMatrix a = pk::BuildStencilRows(2, kN, 0, kN* kN);
  pk::Csr csr = pk::CsrOf(a, 0);
  std::vector<pk::LinePattern> patterns;
  std::vector<double> by_entry;
  std::vector<double> x, r, p, q, part_a, part_b, part_c;
  Grid()
      : x(kN * kN, 0.0),
        r(kN * kN, 1.0),
        p(kN * kN, 1.0),
        q(kN * kN, 0.0),
        part_a(kN),
        part_b(kN),
        part_c(kN) {
    for (long l = 0; l < kN; ++l)
      patterns.push_back(pk::FindPattern(csr, l, kN));
    csr.pattern = patterns.data();
    by_entry = pk::RegularValues(csr, kN, kN, &csr.by_entry_stride);
    csr.by_entry = by_entry.data();
  }
  // What one SpMV moves (as the demo counts it).
  double SpmvBytes() const {
    return 8.0 * a.nonZeros() + 16.0 * kN * kN + 2.0 * kN * (4 * 5 + 8);
  }
};

void BM_Poisson_SpMV(benchmark::State& state) {
  Grid g;
  for (auto _ : state) {
    pk::SpmvDot(g.csr, kN, kN, g.p.data(), g.q.data(), g.part_a.data());
    benchmark::DoNotOptimize(g.part_a.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(g.SpmvBytes()) *
                          state.iterations());
  state.SetItemsProcessed(kN * kN * state.iterations());
}

// The same SpMV reading the values from Eigen's rows (interleaved by row).
void BM_Poisson_SpMV_RowValues(benchmark::State& state) {
  Grid g;
  g.csr.by_entry = nullptr;
  for (auto _ : state) {
    pk::SpmvDot(g.csr, kN, kN, g.p.data(), g.q.data(), g.part_a.data());
    benchmark::DoNotOptimize(g.part_a.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(g.SpmvBytes()) *
                          state.iterations());
}

void BM_Poisson_CGIteration(benchmark::State& state) {
  Grid g;
  double rz = pk::SumParts(g.part_b.data(), kN) + 1;
  for (auto _ : state) {
    pk::SpmvDot(g.csr, kN, kN, g.p.data(), g.q.data(), g.part_a.data());
    const double alpha = rz / (pk::SumParts(g.part_a.data(), kN) + 1);
    pk::UpdateXr(0, kN, kN, alpha * 1e-9, g.p.data(), g.q.data(), g.x.data(),
                 g.r.data(), nullptr, g.part_b.data(), g.part_c.data());
    const double rz_new = pk::SumParts(g.part_b.data(), kN);
    pk::UpdateP(0, kN * kN, rz_new / rz * 1e-3, g.r.data(), nullptr,
                g.p.data());
    rz = rz_new;
    benchmark::DoNotOptimize(g.p.data());
  }
  state.SetItemsProcessed(kN * kN * state.iterations());
}

void BM_Poisson_Triad(benchmark::State& state) {
  const long m = 16L << 20;  // 128 MiB per array
  std::vector<double> a(m, 0.0), b(m, 1.0), c(m, 2.0);
  for (auto _ : state) {
    pk::Triad(0, m, 3.0, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(a.data());
  }
  state.SetBytesProcessed(24 * m * state.iterations());
}

BENCHMARK(BM_Poisson_SpMV)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Poisson_SpMV_RowValues)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Poisson_CGIteration)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Poisson_Triad)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
