// The Mandelbrot kernels for baseline x86-64, and the run-time choice between
// them and their AVX2 / AVX-512 copies (mandelbrot_kernel_avx2.cc,
// mandelbrot_kernel_avx512.cc): a LiveCD must run on whatever PC is at hand,
// and still be fast where the CPU allows.
#define KRG_MANDELBROT_ISA baseline
#include "scientific/mandelbrot_kernel_impl.h"
#undef KRG_MANDELBROT_ISA

#include <cstdio>
#include <cstdlib>
#include <string>

namespace krg::demos::mandelbrot {

// The other copies of the renderers (same source, other -march).
namespace avx2 {
void RenderSmoothRow(const View& v, int row, int col0, int col1, float* out);
void RenderClassicRow(int n, int y, unsigned char* out);
}  // namespace avx2
namespace avx512 {
void RenderSmoothRow(const View& v, int row, int col0, int col1, float* out);
void RenderClassicRow(int n, int y, unsigned char* out);
}  // namespace avx512

namespace {

struct Renderers {
  void (*smooth)(const View&, int, int, int, float*);
  void (*classic)(int, int, unsigned char*);
};

Renderers RenderersFor(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return {avx512::RenderSmoothRow, avx512::RenderClassicRow};
    case Isa::kAvx2:
      return {avx2::RenderSmoothRow, avx2::RenderClassicRow};
    case Isa::kBaseline:
      break;
  }
  return {baseline::RenderSmoothRow, baseline::RenderClassicRow};
}

// What the copies were compiled for: -march=x86-64-v3 (AVX2, FMA, BMI2) and
// -march=x86-64-v4 (AVX-512 F/BW/CD/DQ/VL). The FMA unit is unused
// (-ffp-contract=off) but comes with the level.
bool CpuRuns(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kAvx512:
      return __builtin_cpu_supports("x86-64-v4");
    case Isa::kAvx2:
      return __builtin_cpu_supports("x86-64-v3");
    case Isa::kBaseline:
      return true;
  }
  return false;
}

Isa ChooseIsa() {
  const std::vector<Isa> supported = SupportedIsas();
  const Isa best = supported.back();
  const char* wanted = std::getenv("KRGDEMO_ISA");
  if (wanted == nullptr || *wanted == '\0') return best;
  for (Isa isa : {Isa::kBaseline, Isa::kAvx2, Isa::kAvx512}) {
    if (std::string(wanted) != IsaName(isa)) continue;
    if (CpuRuns(isa)) return isa;
    std::fprintf(stderr,
                 "krgdemo: warning: KRGDEMO_ISA=%s: this CPU cannot run it; "
                 "using %s\n",
                 wanted, IsaName(best));
    return best;
  }
  std::fprintf(stderr,
               "krgdemo: warning: KRGDEMO_ISA=%s: expected baseline, avx2 or "
               "avx512; using %s\n",
               wanted, IsaName(best));
  return best;
}

const Renderers& Active() {
  static const Renderers r = RenderersFor(ActiveIsa());
  return r;
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return "avx512";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kBaseline:
      break;
  }
  return "baseline";
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kBaseline, Isa::kAvx2, Isa::kAvx512}) {
    if (CpuRuns(isa)) out.push_back(isa);
  }
  return out;
}

Isa ActiveIsa() {
  static const Isa isa = ChooseIsa();
  return isa;
}

void RenderSmoothRow(const View& v, int row, int col0, int col1, float* out) {
  Active().smooth(v, row, col0, col1, out);
}

void RenderClassicRow(int n, int y, unsigned char* out) {
  Active().classic(n, y, out);
}

void RenderSmoothRowOn(Isa isa, const View& v, int row, int col0, int col1,
                       float* out) {
  RenderersFor(isa).smooth(v, row, col0, col1, out);
}

void RenderClassicRowOn(Isa isa, int n, int y, unsigned char* out) {
  RenderersFor(isa).classic(n, y, out);
}

float ReferenceSmooth(const View& v, int row, int col) {
  return baseline::ReferenceSmooth(v, row, col);
}

unsigned char ReferenceClassicByte(int n, int y, int xbyte) {
  return baseline::ReferenceClassicByte(n, y, xbyte);
}

}  // namespace krg::demos::mandelbrot
