// The linsolve demo: a farm of M independent dense linear systems of order n,
// one per unit, each made from its own seed and solved with Eigen's
// PartialPivLU (LU with partial pivoting). Throughput is GFLOP/s at the HPL
// count of 2/3 n^3 + 2 n^2 per solve.
//
// Every unit checks its own system: the HPL scaled residual
// ||Ax-b||inf / (||A||inf ||x||inf n eps) < 16, and x rounded equals the known
// exact solution. Its bytes hold the seed, those verdicts and a checksum of
// round(x), which are exact, so the farm checksum is the same on every
// engine, node count and CPU (see linsolve_kernel.h).
#ifndef KRG_DEMOS_SCIENTIFIC_LINSOLVE_H_
#define KRG_DEMOS_SCIENTIFIC_LINSOLVE_H_

#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeLinsolve(const DemoConfig& config);
std::string LinsolveParamsHelp();

}  // namespace krg::demos

#endif  // KRG_DEMOS_SCIENTIFIC_LINSOLVE_H_
