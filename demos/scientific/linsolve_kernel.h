// The dense solve of the linsolve demo: one system A x = b of order n, made
// from a seed, factored by Eigen's PartialPivLU and checked.
//
// A's entries are uniform in [-0.5, 0.5) (as in HPL), each a 32-bit hash of
// (seed, position), so any process rebuilds the same matrix from the seed
// alone (n <= 65535: positions fit in 32 bits).
// The exact solution x* has small integer entries and b = A x*; a correct
// solve of a well-conditioned A lands within far less than 0.5 of x*, so
// rounding x gives x* exactly whatever the rounding errors of the LU (which
// depend on the CPU's BLAS kernel). That makes the unit's bytes identical on
// every engine, node and CPU, while the HPL scaled residual checks the solve
// itself. Thread-safe: each thread keeps one n x n block for its solves.
#ifndef KRG_DEMOS_SCIENTIFIC_LINSOLVE_KERNEL_H_
#define KRG_DEMOS_SCIENTIFIC_LINSOLVE_KERNEL_H_

#include <cstdint>
#include <string>

namespace krg::demos::linsolve {

// The HPL bound on the scaled residual.
inline constexpr double kResidualBound = 16.0;

struct Solved {
  double scaled_residual = 0;      // ||Ax-b||inf / (||A||inf ||x||inf n eps)
  bool exact = false;              // round(x) == x* everywhere
  std::uint64_t solution_sum = 0;  // FNV-1a of round(x) as int64 values
  bool singular = false;           // the LU hit an exact zero pivot
};

// Seed of system `index` of a run whose base seed is `base`.
std::uint64_t SystemSeed(std::uint64_t base, std::uint64_t index);
// Entry (i, j) of A and entry i of x* for `seed`.
double MatrixEntry(std::uint64_t seed, int n, int i, int j);
int ExactSolution(std::uint64_t seed, int i);
// FNV-1a of x* as int64 values: what Solved::solution_sum is when exact.
std::uint64_t ExactSolutionSum(std::uint64_t seed, int n);

// Builds system `seed` of order n, solves it and checks the answer.
// REQUIRES: n >= 1
Solved SolveSystem(std::uint64_t seed, int n);

// Floating-point operations of one solve: 2/3 n^3 + 2 n^2 (the HPL count).
double SolveFlops(int n);
// What computes the LU: Eigen's own kernels, or LAPACKE dgetrf (OpenBLAS).
std::string Backend();
// Makes the BLAS single-threaded in this process and in the workers it forks
// from now on (OpenBLAS would otherwise start a thread per CPU in each).
void UseOneBlasThread();

}  // namespace krg::demos::linsolve

#endif  // KRG_DEMOS_SCIENTIFIC_LINSOLVE_KERNEL_H_
