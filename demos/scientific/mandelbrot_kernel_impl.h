// The Mandelbrot kernels' implementation, compiled once per instruction set
// (ISA): mandelbrot_kernel.cc includes it for the baseline x86-64 build and
// dispatches at run time; mandelbrot_kernel_avx2.cc / _avx512.cc include it
// with -march=x86-64-v3 / -v4. Each includer defines KRG_MANDELBROT_ISA, the
// namespace the copy lives in (baseline, avx2, avx512), so the copies never
// meet at link time. Same source, same IEEE operations in the same order:
// every copy gives the same bits (mandelbrot_kernel_test.cc checks that).
// Private to demos/scientific: include nothing else from here.
#ifndef KRG_MANDELBROT_ISA
#error "define KRG_MANDELBROT_ISA (the namespace of this copy) first"
#endif

#include <bit>
#include <cstdint>
#include <cstring>

#include "scientific/mandelbrot_kernel.h"

#ifdef __AVX512F__
#include <immintrin.h>
#endif

// Vectorisation uses GCC vector extensions: with -march=native on an AVX-512
// machine a V8d is one zmm register; without it GCC splits it into SSE2 halves,
// which is slower but computes exactly the same IEEE operations. Bit-exactness
// between the vector paths and the scalar references rests on three rules:
//   1. identical operations in identical order (2*zr is computed as zr + zr,
//      which is exact, like the references' 2.0 * zr);
//   2. no contraction to FMA (-ffp-contract=off, see the header);
//   3. a lane's result is decided only from its own orbit.

// The V8d helpers below are internal to this file, so the note that passing
// 64-byte vectors by value has a different ABI without AVX-512 is moot.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace krg::demos::mandelbrot::KRG_MANDELBROT_ISA {
namespace {

using V8d = double __attribute__((vector_size(64)));
using V8l = std::int64_t __attribute__((vector_size(64)));

constexpr int kLanes = 8;

V8d Splat(double x) { return V8d{} + x; }

// Bit k of the result is set iff a[k] <= b[k] (false for NaN).
inline unsigned LessEqualMask(const V8d& a, const V8d& b) {
#ifdef __AVX512F__
  return _mm512_cmp_pd_mask(static_cast<__m512d>(a), static_cast<__m512d>(b),
                            _CMP_LE_OQ);
#else
  V8l m = a <= b;
  unsigned r = 0;
  for (int k = 0; k < kLanes; ++k) r |= static_cast<unsigned>(m[k] & 1) << k;
  return r;
#endif
}

// One step of z = z^2 + c in the Benchmarks Game order:
// Zi = 2*Zr*Zi + Ci; Zr = Tr - Ti + Cr; Tr = Zr*Zr; Ti = Zi*Zi.
template <typename T>
inline void Step(T& zr, T& zi, T& tr, T& ti, const T& cr, const T& ci) {
  zi = (zr + zr) * zi + ci;
  zr = (tr - ti) + cr;
  tr = zr * zr;
  ti = zi * zi;
}

// ---------------------------------------------------------------------------
// Classic (Benchmarks Game) bitmap.
//
// The vector path runs all 50 iterations and sets a bit iff Tr + Ti <= 4 at
// the end, instead of stopping each pixel at its escape. That is identical:
// every c of this image has |c| < 1.81, so once |z|^2 > 4 the next
// |z|^2 >= (4 - 1.81)^2 > 4.7, and |z| keeps growing (rounding is ~1e-16
// against that margin) until it overflows to inf and then NaN, for which
// "<= 4" is false too. For the same reason a block whose lanes have all
// escaped at some iteration can stop there with result 0.

constexpr int kClassicIterations = 50;
constexpr int kClassicCheckEvery = 5;

// Lane k holds pixel 8 * xbyte + 7 - k, so that lane mask bit k is PBM bit k.
inline V8d ClassicCr(int n, int xbyte) {
  const V8d rev = {7, 6, 5, 4, 3, 2, 1, 0};
  const V8d x = Splat(8.0 * xbyte) + rev;
  return (Splat(2.0) * x) / Splat(n) - Splat(1.5);
}

// Computes U consecutive bytes starting at byte xbyte. U independent vectors
// in flight hide the latency of the z -> z^2 + c dependency chain.
template <int U>
inline void ClassicBlock(int n, double ci_scalar, int xbyte,
                         unsigned char* out) {
  V8d cr[U], zr[U], zi[U], tr[U], ti[U];
  const V8d ci = Splat(ci_scalar);
  for (int u = 0; u < U; ++u) {
    cr[u] = ClassicCr(n, xbyte + u);
    // First step from z = 0: Zi = 0 + Ci, Zr = 0 + Cr, exactly.
    zr[u] = cr[u];
    zi[u] = ci;
    tr[u] = zr[u] * zr[u];
    ti[u] = zi[u] * zi[u];
  }
  const V8d four = Splat(4.0);
  for (int i = 1; i < kClassicIterations; ++i) {
    for (int u = 0; u < U; ++u) Step(zr[u], zi[u], tr[u], ti[u], cr[u], ci);
    if ((i + 1) % kClassicCheckEvery == 0 && i + 1 < kClassicIterations) {
      unsigned alive = 0;
      for (int u = 0; u < U; ++u) alive |= LessEqualMask(tr[u] + ti[u], four);
      if (alive == 0) {
        for (int u = 0; u < U; ++u) out[u] = 0;
        return;
      }
    }
  }
  for (int u = 0; u < U; ++u) {
    out[u] = static_cast<unsigned char>(LessEqualMask(tr[u] + ti[u], four));
  }
}

// Bytes per block. One step is 4 additions + 3 multiplications with a ~9
// cycle loop-carried chain; Zen 5 retires 2 + 2 per cycle, so >= 5 vectors
// must be in flight. 8 measured best (n = 16000: 6 is ~5% and 4 ~20% slower),
// and 16000 / 8 / 8 leaves no tail. SSE2 has 16 registers: keep it small.
#if defined(__AVX512F__)
constexpr int kClassicUnroll = 8;
#elif defined(__AVX2__)
constexpr int kClassicUnroll = 2;
#else
constexpr int kClassicUnroll = 2;
#endif

// ---------------------------------------------------------------------------
// Smooth escape time.

constexpr double kBailout = 65536.0;  // |z|^2 > 256^2

// log2 from IEEE basic operations only, so that the scalar and vector
// instances give the same bits and no libm version can change the image.
// x = 2^e * m with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s),
// s = (m - 1) / (m + 1), |s| < 0.172, series to s^15 (error ~1e-13).
// REQUIRES: x >= 1 (inf gives 1024, deterministically).
template <typename T>
inline T Log2Poly(const T& m) {
  const T s = (m - 1.0) / (m + 1.0);
  const T s2 = s * s;
  T p = s2 * (1.0 / 15) + 1.0 / 13;
  p = p * s2 + 1.0 / 11;
  p = p * s2 + 1.0 / 9;
  p = p * s2 + 1.0 / 7;
  p = p * s2 + 1.0 / 5;
  p = p * s2 + 1.0 / 3;
  p = p * s2 + 1.0;
  return (s + s) * p * 1.4426950408889634;  // 2 s p / ln 2
}

constexpr std::uint64_t kMantissaBits = (std::uint64_t{1} << 52) - 1;
constexpr std::uint64_t kExponentOfOne = std::uint64_t{1023} << 52;
constexpr double kSqrt2 = 1.4142135623730951;

inline double Log2(double x) {
  const auto bits = std::bit_cast<std::uint64_t>(x);
  double e = static_cast<double>(static_cast<std::int64_t>(bits >> 52) - 1023);
  double m = std::bit_cast<double>((bits & kMantissaBits) | kExponentOfOne);
  if (m > kSqrt2) {
    m = m * 0.5;
    e = e + 1.0;
  }
  return e + Log2Poly(m);
}

inline V8d Log2(const V8d& x) {
  const auto bits = std::bit_cast<V8l>(x);
  V8d e = __builtin_convertvector((bits >> 52) - 1023, V8d);
  const V8l mbits = (bits & static_cast<std::int64_t>(kMantissaBits)) |
                    static_cast<std::int64_t>(kExponentOfOne);
  V8d m = std::bit_cast<V8d>(mbits);
  const V8l big = m > kSqrt2;
  m = big ? m * 0.5 : m;
  e = big ? e + 1.0 : e;
  return e + Log2Poly(m);
}

// n: escape iteration (1-based); t: |z_n|^2 > kBailout.
template <typename T>
inline T SmoothFromEscape(const T& n, const T& t) {
  return (n + 1.0) - Log2(Log2(t) * 0.5);
}

// The smooth renderer keeps kSmoothVectors x 8 lanes busy: every lane works
// on its own pixel and takes the next column of the row when its pixel is
// done, so long and short orbits do not hold each other up. Lanes advance in
// unchecked blocks of kSmoothBlock steps; after a block, a vector with a lane
// that escaped (or ran out of iterations) is replayed from the block's start
// with a check after every step, which yields exactly the escape iteration and
// |z|^2 of the reference. Escape is sticky (|z| > 256 keeps growing, then
// inf/NaN, all of which fail "<= bailout"), so a lane that escaped inside the
// block is always seen at the block's end.
#if defined(__AVX512F__)
constexpr int kSmoothVectors = 6;
#elif defined(__AVX2__)
constexpr int kSmoothVectors = 2;
#else
constexpr int kSmoothVectors = 2;
#endif
constexpr int kSmoothBlock = 16;
constexpr double kIdle = -1e300;  // iteration count of a lane with no pixel

struct SmoothLanes {
  V8d zr[kSmoothVectors], zi[kSmoothVectors], cr[kSmoothVectors];
  V8d iter[kSmoothVectors];  // steps done; exact in double
  int col[kSmoothVectors][kLanes];
};

// Escaped pixels whose smooth value is still to be computed: batching them
// by 8 keeps the two log2 evaluations per pixel vectorised.
struct PendingEscapes {
  double n[kLanes], t[kLanes];
  int col[kLanes];
  int count = 0;
};

struct RowJob {
  double x0, dx, ci, max_iter;
  int col0, col1, next_col;
  float* out;
  PendingEscapes pending;
};

void FlushEscapes(RowJob& job) {
  PendingEscapes& p = job.pending;
  for (int k = p.count; k < kLanes; ++k) {  // harmless filler lanes
    p.n[k] = 1.0;
    p.t[k] = 2.0 * kBailout;
  }
  V8d n, t;
  std::memcpy(&n, p.n, sizeof n);
  std::memcpy(&t, p.t, sizeof t);
  const V8d value = SmoothFromEscape(n, t);
  for (int k = 0; k < p.count; ++k) {
    job.out[p.col[k] - job.col0] = static_cast<float>(value[k]);
  }
  p.count = 0;
}

void AddEscape(RowJob& job, int col, double n, double t) {
  PendingEscapes& p = job.pending;
  p.n[p.count] = n;
  p.t[p.count] = t;
  p.col[p.count] = col;
  if (++p.count == kLanes) FlushEscapes(job);
}

// Puts the next pixel of the row into lane k of vector u, or idles the lane
// (z = c = 0 never escapes, and a huge negative count never hits the limit).
// Returns whether the lane got a pixel.
inline bool Refill(SmoothLanes& s, int u, int k, RowJob& job) {
  s.zr[u][k] = 0.0;
  s.zi[u][k] = 0.0;
  if (job.next_col >= job.col1) {
    s.cr[u][k] = 0.0;
    s.iter[u][k] = kIdle;
    s.col[u][k] = -1;
    return false;
  }
  const int col = job.next_col++;
  s.cr[u][k] = job.x0 + static_cast<double>(col) * job.dx;
  s.iter[u][k] = 0.0;
  s.col[u][k] = col;
  return true;
}

// Replays one block of vector u from (zr0, zi0, it0) with a check after each
// step, writes the pixels that finished and refills their lanes. Returns the
// change in the number of busy lanes (<= 0).
int FinishBlock(SmoothLanes& s, int u, const V8d& zr0, const V8d& zi0,
                const V8d& it0, RowJob& job) {
  const V8d ci = Splat(job.ci), cr = s.cr[u];
  V8d zr = zr0, zi = zi0;
  const V8d bail = Splat(kBailout), max_iter = Splat(job.max_iter);
  V8d tr = zr * zr, ti = zi * zi;
  V8d esc_n = Splat(0.0), esc_t = Splat(0.0);
  V8l found = V8l{} + 0;
  for (int j = 1; j <= kSmoothBlock; ++j) {
    Step(zr, zi, tr, ti, cr, ci);
    const V8d t = tr + ti, n = it0 + static_cast<double>(j);
    const V8l now = (t > bail) & (n <= max_iter) & ~found;
    esc_n = now ? n : esc_n;
    esc_t = now ? t : esc_t;
    found |= now;
  }
  const V8l at_limit = it0 + static_cast<double>(kSmoothBlock) >= max_iter;
  int busy_change = 0;
  for (int k = 0; k < kLanes; ++k) {
    if (s.col[u][k] < 0 || (!found[k] && !at_limit[k])) continue;
    if (found[k]) {
      AddEscape(job, s.col[u][k], esc_n[k], esc_t[k]);
    } else {
      job.out[s.col[u][k] - job.col0] = kInside;
    }
    if (!Refill(s, u, k, job)) --busy_change;
  }
  return busy_change;
}

// Runs kSmoothBlock unchecked steps on every vector, then finishes the
// vectors that need it. Returns the change in the number of busy lanes.
int SmoothBlock(SmoothLanes& s, RowJob& job) {
  V8d zr[kSmoothVectors], zi[kSmoothVectors], tr[kSmoothVectors],
      ti[kSmoothVectors];
  const V8d ci = Splat(job.ci);
  for (int u = 0; u < kSmoothVectors; ++u) {
    zr[u] = s.zr[u];
    zi[u] = s.zi[u];
    tr[u] = zr[u] * zr[u];
    ti[u] = zi[u] * zi[u];
  }
  for (int j = 0; j < kSmoothBlock; ++j) {
    for (int u = 0; u < kSmoothVectors; ++u) {
      Step(zr[u], zi[u], tr[u], ti[u], s.cr[u], ci);
    }
  }
  const V8d bail = Splat(kBailout), max_iter = Splat(job.max_iter);
  int busy_change = 0;
  for (int u = 0; u < kSmoothVectors; ++u) {
    const V8d it_end = s.iter[u] + static_cast<double>(kSmoothBlock);
    const unsigned stay = LessEqualMask(tr[u] + ti[u], bail) &
                          ~LessEqualMask(max_iter, it_end) & 0xFFu;
    if (stay == 0xFFu) {
      s.zr[u] = zr[u];
      s.zi[u] = zi[u];
      s.iter[u] = it_end;
      continue;
    }
    const V8d zr0 = s.zr[u], zi0 = s.zi[u], it0 = s.iter[u];
    s.zr[u] = zr[u];
    s.zi[u] = zi[u];
    s.iter[u] = it_end;
    busy_change += FinishBlock(s, u, zr0, zi0, it0, job);
  }
  return busy_change;
}

}  // namespace

void RenderClassicRow(int n, int y, unsigned char* out) {
  const double ci = 2.0 * y / n - 1.0;
  const int bytes = (n + 7) / 8;
  int b = 0;
  for (; b + kClassicUnroll <= bytes; b += kClassicUnroll) {
    ClassicBlock<kClassicUnroll>(n, ci, b, out + b);
  }
  for (; b < bytes; ++b) ClassicBlock<1>(n, ci, b, out + b);
  if (n % 8 != 0)
    out[bytes - 1] &= static_cast<unsigned char>(0xFF << (8 - n % 8));
}

unsigned char ReferenceClassicByte(int n, int y, int xbyte) {
  const double ci = 2.0 * y / n - 1.0;
  unsigned byte = 0;
  for (int bit = 0; bit < 8; ++bit) {
    const int x = 8 * xbyte + bit;
    if (x >= n) break;
    const double cr = 2.0 * x / n - 1.5;
    double zr = 0, zi = 0, tr = 0, ti = 0;
    for (int i = 0; i < kClassicIterations && tr + ti <= 4.0; ++i) {
      zi = 2.0 * zr * zi + ci;
      zr = tr - ti + cr;
      tr = zr * zr;
      ti = zi * zi;
    }
    if (tr + ti <= 4.0) byte |= 0x80u >> bit;
  }
  return static_cast<unsigned char>(byte);
}

void RenderSmoothRow(const View& v, int row, int col0, int col1, float* out) {
  RowJob job{v.x0,
             v.dx,
             v.y0 + static_cast<double>(row) * v.dy,
             static_cast<double>(v.max_iter),
             col0,
             col1,
             col0,
             out,
             {}};
  SmoothLanes s;
  int busy = 0;
  for (int u = 0; u < kSmoothVectors; ++u) {
    for (int k = 0; k < kLanes; ++k) busy += Refill(s, u, k, job) ? 1 : 0;
  }
  while (busy > 0) busy += SmoothBlock(s, job);
  FlushEscapes(job);
}

float ReferenceSmooth(const View& v, int row, int col) {
  const double cr = v.x0 + static_cast<double>(col) * v.dx;
  const double ci = v.y0 + static_cast<double>(row) * v.dy;
  double zr = 0, zi = 0, tr = 0, ti = 0;
  for (int n = 1; n <= v.max_iter; ++n) {
    zi = 2.0 * zr * zi + ci;
    zr = tr - ti + cr;
    tr = zr * zr;
    ti = zi * zi;
    if (tr + ti > kBailout) {
      return static_cast<float>(SmoothFromEscape<double>(n, tr + ti));
    }
  }
  return kInside;
}

}  // namespace krg::demos::mandelbrot::KRG_MANDELBROT_ISA
