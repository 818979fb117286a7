// The colours of the smooth mandelbrot: a cyclic gradient (deep blue, white,
// orange, dark) over smooth escape time, shared by the demo's PNG and the
// webfarm's tiles, so that both draw the same picture.
#ifndef KRG_DEMOS_SCIENTIFIC_MANDELBROT_PALETTE_H_
#define KRG_DEMOS_SCIENTIFIC_MANDELBROT_PALETTE_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "scientific/mandelbrot_kernel.h"

namespace krg::demos::mandelbrot {

// Blue, green, red (OpenCV's order, which the webfarm's tiles use); black
// for kInside. Rounds to nearest even and saturates, as OpenCV's
// saturate_cast<uchar> does, so that the demo's PNG and the tiles agree.
inline std::array<std::uint8_t, 3> SmoothColour(float v) {
  if (v == kInside) return {0, 0, 0};
  static const float kStops[5][3] = {{100, 7, 0},
                                     {203, 107, 32},
                                     {255, 255, 237},
                                     {0, 170, 255},
                                     {0, 2, 0}};  // BGR
  const float t = std::fmod(std::sqrt(std::max(v, 0.0f)) * 0.35f, 5.0f);
  const int a = static_cast<int>(t) % 5, b = (a + 1) % 5;
  const float f = t - std::floor(t);
  std::array<std::uint8_t, 3> c;
  for (int k = 0; k < 3; ++k) {
    const long x = std::lrint(kStops[a][k] * (1 - f) + kStops[b][k] * f);
    c[k] = static_cast<std::uint8_t>(std::clamp(x, 0L, 255L));
  }
  return c;
}

}  // namespace krg::demos::mandelbrot

#endif  // KRG_DEMOS_SCIENTIFIC_MANDELBROT_PALETTE_H_
