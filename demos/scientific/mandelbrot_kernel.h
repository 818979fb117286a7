// Mandelbrot kernels: the compute core of the "mandelbrot" demo.
//
// Two row renderers, each with a straightforward scalar reference that it must
// match bit for bit (the demo verifies a sample of rows that way):
//   - RenderSmoothRow: smooth (continuous) escape time of a View, in double
//     precision, 8 lanes at a time.
//   - RenderClassicRow: the Computer Language Benchmarks Game "mandelbrot"
//     bitmap (P4 PBM body), bit-exact with that benchmark's programs.
//
// Thread-safety: every function here is pure (reads its arguments, writes only
// `out`), allocates nothing and may be called concurrently from any number of
// threads. Results depend only on the arguments, never on the tiling of a row
// or on which CPU runs it.
//
// Instruction sets: the renderers are compiled for baseline x86-64, AVX2
// (x86-64-v3) and AVX-512 (x86-64-v4), and the first call picks the best one
// this CPU supports (the environment variable KRGDEMO_ISA=baseline|avx2|avx512
// overrides the choice). Every path gives the same bits.
//
// REQUIRES: the .cc files are compiled with -ffp-contract=off (the project
// default); fused multiply-adds would change the rounding and break
// bit-exactness with the reference programs.
//
// Example:
//   View v{.width = 640, .height = 480, .x0 = -2.5, .y0 = -1.3125,
//          .dx = 3.5 / 640, .dy = 3.5 / 640, .max_iter = 1000};
//   std::vector<float> row(v.width);
//   RenderSmoothRow(v, /*row=*/240, 0, v.width, row.data());

#ifndef KRG_DEMOS_SCIENTIFIC_MANDELBROT_KERNEL_H_
#define KRG_DEMOS_SCIENTIFIC_MANDELBROT_KERNEL_H_

#include <vector>

namespace krg::demos::mandelbrot {

// The image and the rectangle of the complex plane it shows.
struct View {
  int width, height;  // pixels
  // Complex coordinate of pixel (0,0)'s centre:
  // re = x0 + col * dx, im = y0 + row * dy.
  double x0, y0;
  double dx, dy;
  int max_iter;
};

// Value of a pixel that never escaped.
inline constexpr float kInside = -1.0f;

// Smooth escape time of pixels [col0, col1) of row `row`, written to
// out[0 .. col1 - col0).
// Value: kInside if the orbit of 0 stays bounded (|z|^2 <= 65536) for
// max_iter iterations; otherwise, with n the first iteration where
// |z_n|^2 > 65536 (bailout radius 256), n + 1 - log2(log2(|z_n|^2) / 2),
// where log2 is this module's own deterministic log2 (about 1e-12 accurate),
// so the value is identical on every machine.
// Thread-safe, no allocation, deterministic: every pixel's value depends only
// on (View, row, col), never on col0/col1 or lane position.
// REQUIRES: 0 <= col0 <= col1, out has room for col1 - col0 floats.
void RenderSmoothRow(const View& v, int row, int col0, int col1, float* out);

// Straightforward scalar reference of one pixel; equals RenderSmoothRow's
// value bit for bit.
float ReferenceSmooth(const View& v, int row, int col);

// The Computer Language Benchmarks Game mandelbrot, bit-exact: for an n x n
// image, Cr = 2.0*x/n - 1.5, Ci = 2.0*y/n - 1.0, z starts at 0, 50
// iterations, a pixel is set unless Zr^2 + Zi^2 > 4.0 at some iteration; one
// bit per pixel, MSB first, rows padded with zero bits to whole bytes (the P4
// PBM body). Writes (n + 7) / 8 bytes for row y.
// REQUIRES: n >= 1, 0 <= y < n, out has room for (n + 7) / 8 bytes.
void RenderClassicRow(int n, int y, unsigned char* out);

// Scalar, straightforward: byte `xbyte` of row y of the classic image.
unsigned char ReferenceClassicByte(int n, int y, int xbyte);

// The instruction sets the renderers are compiled for.
enum class Isa { kBaseline, kAvx2, kAvx512 };

// "baseline", "avx2", "avx512".
const char* IsaName(Isa isa);

// The instruction sets this CPU (and its OS) can run, baseline first.
std::vector<Isa> SupportedIsas();

// The instruction set RenderSmoothRow and RenderClassicRow use: the best
// supported one, or KRGDEMO_ISA's when that names a supported one (otherwise
// a warning on stderr and the best). Chosen once; thread-safe.
Isa ActiveIsa();

// RenderSmoothRow / RenderClassicRow on a given instruction set (tests,
// benchmarks). REQUIRES: isa is in SupportedIsas().
void RenderSmoothRowOn(Isa isa, const View& v, int row, int col0, int col1,
                       float* out);
void RenderClassicRowOn(Isa isa, int n, int y, unsigned char* out);

}  // namespace krg::demos::mandelbrot

#endif  // KRG_DEMOS_SCIENTIFIC_MANDELBROT_KERNEL_H_
