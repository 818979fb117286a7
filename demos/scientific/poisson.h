// The poisson demo: the SPMD shape. Solves -Δu = f on the unit square (or
// cube, dim=3) with Dirichlet boundaries, a 5-point (7-point) stencil and a
// manufactured solution u = g(x)g(y)[g(z)], g(t) = t(1-t)e^t, by conjugate
// gradients (optionally Jacobi-preconditioned). Ranks own slabs of grid
// lines, each holding its rows of the matrix as an Eigen sparse matrix; the
// vectors live in the shared arena (on the mpi engine, a private copy per
// rank: SpmdRank::AllGather and ExchangeHalo bring in the others' parts).
//
// Verification: the true relative residual is within the tolerance, and the
// error against the manufactured solution is within its O(h²) bound (the
// truncation error through the discrete maximum principle, plus what the
// residual allows). Dot products are summed per grid line in a fixed order,
// so the answer (checksum) and iteration count are the same for every
// engine and rank count, and after a resume from a checkpoint.
//
// Artifacts: poisson.png, u colour-mapped (3-D: the middle z-slice). While
// it runs, rank 0 publishes the iteration and residual for the progress
// line (ProgressNote).
#ifndef KRG_DEMOS_SCIENTIFIC_POISSON_H_
#define KRG_DEMOS_SCIENTIFIC_POISSON_H_

#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakePoisson(const DemoConfig& config);
std::string PoissonParamsHelp();

}  // namespace krg::demos

#endif  // KRG_DEMOS_SCIENTIFIC_POISSON_H_
