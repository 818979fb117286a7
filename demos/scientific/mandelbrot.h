// The mandelbrot demo: a farm of row bands over the Mandelbrot set.
//
// Two variants: `smooth` (the default; escape time with smooth colouring,
// written as mandelbrot.png) and `classic` (the Computer Language Benchmarks
// Game definition, bit-exact, written as mandelbrot.pbm). Verification is a
// checksum of the whole result plus a scalar reference recomputed on a sample
// of rows, which must match exactly. See mandelbrot_kernel.h for the maths.
#ifndef KRG_DEMOS_SCIENTIFIC_MANDELBROT_H_
#define KRG_DEMOS_SCIENTIFIC_MANDELBROT_H_

#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeMandelbrot(const DemoConfig& config);
std::string MandelbrotParamsHelp();

}  // namespace krg::demos

#endif  // KRG_DEMOS_SCIENTIFIC_MANDELBROT_H_
