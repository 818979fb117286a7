// Built with EIGEN_DONT_PARALLELIZE (a unit is single-threaded: Kerrighed
// never migrates a multi-threaded process) and, when KRG_LINSOLVE_LAPACKE is
// ON, EIGEN_USE_LAPACKE: PartialPivLU then factors with LAPACKE_dgetrf from
// OpenBLAS, whose kernels are chosen at run time for the CPU (see
// demos/CMakeLists.txt and docs/demos.md for why and for the figures).
#include "scientific/linsolve_kernel.h"

#include <Eigen/Core>
#include <Eigen/LU>
#include <cmath>
#include <limits>
#include <vector>

#include "krg/checksum.h"

#ifdef EIGEN_USE_LAPACKE
extern "C" void openblas_set_num_threads(int num_threads);
#endif

namespace krg::demos::linsolve {
namespace {

// SplitMix64's finaliser: a good 64-bit mix of a counter.
inline std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Chris Wellons' lowbias32: a 32-bit integer hash of good quality that
// vectorises (32-bit multiplies exist in every SIMD level).
inline std::uint32_t Hash32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}

// Entry k (column-major position) of the matrix keyed by `seed`: two hash
// rounds keyed by the seed's halves, 32 random bits scaled to [-0.5, 0.5).
// Integer arithmetic and exact conversions: the same double on every ISA.
inline double Entry(std::uint64_t seed, std::uint32_t k) {
  std::uint32_t h = Hash32(k * 0x9e3779b9U + std::uint32_t(seed));
  h = Hash32(h ^ std::uint32_t(seed >> 32));
  // (h - 2^31) / 2^32 = h / 2^32 - 0.5, through a signed conversion (SSE2).
  return double(std::int32_t(h ^ 0x80000000U)) * 0x1.0p-32;
}

// Building and re-building A is O(n^2) beside the O(n^3) LU, but with a
// scalar hash it costs several percent at n = 4000: these two loops are
// compiled for each ISA and picked at load time, like OpenBLAS's kernels.
#define KRG_LINSOLVE_CLONES \
  __attribute__((target_clones("avx512f", "avx2", "default")))

// Column j of A into `col`, and b += A(:,j) * xj.
KRG_LINSOLVE_CLONES void BuildColumn(std::uint64_t seed, std::uint32_t k0,
                                     int n, double xj, double* __restrict col,
                                     double* __restrict b) {
  for (int i = 0; i < n; ++i) {
    col[i] = Entry(seed, k0 + std::uint32_t(i));
    b[i] += col[i] * xj;
  }
}

// Regenerates column j of A into the running row sums `ax` += A(:,j) * xj
// and `row_abs` += |A(:,j)|.
KRG_LINSOLVE_CLONES void AccumulateColumn(std::uint64_t seed, std::uint32_t k0,
                                          int n, double xj,
                                          double* __restrict ax,
                                          double* __restrict row_abs) {
  for (int i = 0; i < n; ++i) {
    const double v = Entry(seed, k0 + std::uint32_t(i));
    ax[i] += v * xj;
    row_abs[i] += std::abs(v);
  }
}

// This thread's matrix storage, reused from unit to unit: a fresh n x n
// allocation per unit pays its page faults every time (some 4% of an
// n = 4000 solve). Grows, never shrinks; a thread solves one system at a time.
double* ThreadMatrix(std::size_t count) {
  thread_local std::vector<double> storage;
  if (storage.size() < count) {
    storage = std::vector<double>();  // free the old block first
    storage.resize(count);
  }
  return storage.data();
}

}  // namespace

std::uint64_t SystemSeed(std::uint64_t base, std::uint64_t index) {
  return Mix(Mix(base) + index);
}

double MatrixEntry(std::uint64_t seed, int n, int i, int j) {
  return Entry(seed, std::uint32_t(j) * std::uint32_t(n) + std::uint32_t(i));
}

int ExactSolution(std::uint64_t seed, int i) {
  return int(Mix(~seed + std::uint64_t(i)) % 17) - 8;  // -8 .. 8
}

std::uint64_t ExactSolutionSum(std::uint64_t seed, int n) {
  std::uint64_t h = kFnvOffset;
  for (int i = 0; i < n; ++i) {
    const std::int64_t v = ExactSolution(seed, i);
    h = Fnv1a64(&v, sizeof v, h);
  }
  return h;
}

Solved SolveSystem(std::uint64_t seed, int n) {
  Eigen::Map<Eigen::MatrixXd> a(ThreadMatrix(std::size_t(n) * n), n, n);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  for (int j = 0; j < n; ++j) {  // column-major: A(:, j), and b += A(:,j) x*_j
    BuildColumn(seed, std::uint32_t(j) * std::uint32_t(n), n,
                ExactSolution(seed, j), a.col(j).data(), b.data());
  }
  // In place: A's storage becomes L and U, so a solve needs n^2 doubles, not
  // twice that; the residual regenerates A from the seed instead.
  Eigen::PartialPivLU<Eigen::Ref<Eigen::MatrixXd>> lu(a);
  Solved s;
  s.singular = (lu.matrixLU().diagonal().array() == 0.0).any();
  const Eigen::VectorXd x = lu.solve(b);

  Eigen::VectorXd ax = -b;  // becomes A x - b
  Eigen::VectorXd row_abs = Eigen::VectorXd::Zero(n);
  for (int j = 0; j < n; ++j) {
    AccumulateColumn(seed, std::uint32_t(j) * std::uint32_t(n), n, x[j],
                     ax.data(), row_abs.data());
  }
  // HPL's eps is the unit roundoff, 2^-53.
  const double eps = std::numeric_limits<double>::epsilon() / 2;
  const double denom =
      row_abs.maxCoeff() * x.lpNorm<Eigen::Infinity>() * double(n) * eps;
  s.scaled_residual = ax.lpNorm<Eigen::Infinity>() / denom;
  if (!std::isfinite(s.scaled_residual)) {
    s.scaled_residual = std::numeric_limits<double>::infinity();
  }
  s.exact = !s.singular;
  s.solution_sum = kFnvOffset;
  for (int i = 0; i < n; ++i) {
    const double r = std::isfinite(x[i]) ? std::nearbyint(x[i]) : 1e300;
    const std::int64_t v =
        std::abs(r) < 1e18 ? std::int64_t(r) : std::int64_t(1) << 62;
    if (v != ExactSolution(seed, i)) s.exact = false;
    s.solution_sum = Fnv1a64(&v, sizeof v, s.solution_sum);
  }
  return s;
}

double SolveFlops(int n) {
  const double dn = n;
  return 2.0 / 3.0 * dn * dn * dn + 2.0 * dn * dn;
}

std::string Backend() {
#ifdef EIGEN_USE_LAPACKE
  return "Eigen PartialPivLU on LAPACKE dgetrf (OpenBLAS)";
#else
  return "Eigen PartialPivLU (Eigen's own kernels)";
#endif
}

void UseOneBlasThread() {
#ifdef EIGEN_USE_LAPACKE
  openblas_set_num_threads(1);
#endif
}

}  // namespace krg::demos::linsolve
