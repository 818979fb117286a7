#include "scientific/poisson_kernel.h"

#include <algorithm>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KRG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KRG_CLONES
#endif

namespace krg::demos::poisson {
namespace {

constexpr int kLanes = 8;

// Row i of the inner rows of a line with K entries per row: the same
// operations in the same order as the generic CSR loop, so the same bits.
template <int K>
inline void RegularRows(const double* val, const double* p, const long* off,
                        long g0, long count, double* q) {
  const double* pk[K];
  for (int k = 0; k < K; ++k) pk[k] = p + g0 + off[k];
  for (long j = 0; j < count; ++j) {
    double s = 0;
    for (int k = 0; k < K; ++k) s += val[K * j + k] * pk[k][j];
    q[j] = s;
  }
}

// The same with the values by entry (val[k * count + j]): contiguous loads,
// so the loop over j vectorises; the same operations in the same order.
template <int K>
inline void RegularRowsByEntry(const double* val, const double* p,
                               const long* off, long g0, long count,
                               double* q) {
  const double* pk[K];
  const double* vk[K];
  for (int k = 0; k < K; ++k) {
    pk[k] = p + g0 + off[k];
    vk[k] = val + k * count;
  }
  for (long j = 0; j < count; ++j) {
    double s = 0;
    for (int k = 0; k < K; ++k) s += vk[k][j] * pk[k][j];
    q[j] = s;
  }
}

template <int K>
inline void Regular(bool by_entry, const double* val, const double* p,
                    const long* off, long g0, long count, double* q) {
  if (by_entry) {
    RegularRowsByEntry<K>(val, p, off, g0, count, q);
  } else {
    RegularRows<K>(val, p, off, g0, count, q);
  }
}

inline void GenericRows(const Csr& a, long lo, long hi, const double* p,
                        double* ql) {
  for (long i = lo; i < hi; ++i) {
    double s = 0;
    for (int k = a.outer[i]; k < a.outer[i + 1]; ++k) {
      s += a.val[k] * p[a.inner[k]];
    }
    ql[i] = s;
  }
}

inline double Combine(const double* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
         ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// One grid line's a·b in the fixed lane order every engine uses.
inline double LineDot(const double* a, const double* b, long len) {
  double acc[kLanes] = {};
  long i = 0;
  for (; i + kLanes <= len; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += a[i + k] * b[i + k];
  }
  for (int k = 0; i < len; ++i, ++k) acc[k] += a[i] * b[i];
  return Combine(acc);
}

}  // namespace

RowMatrix BuildStencilRows(int dim, long n, long first, long count) {
  const long plane = n * n, unknowns = dim == 2 ? plane : plane * n;
  RowMatrix a(count, unknowns);
  a.resizeNonZeros(count * (2 * dim + 1));
  int* outer = a.outerIndexPtr();
  int* inner = a.innerIndexPtr();
  double* val = a.valuePtr();
  long k = 0;
  auto put = [&](long col, double v) {
    inner[k] = static_cast<int>(col);
    val[k] = v;
    ++k;
  };
  for (long i = 0; i < count; ++i) {
    const long g = first + i;
    const long ix = g % n, iy = (g / n) % n, iz = g / plane;
    outer[i] = static_cast<int>(k);
    if (dim == 3 && iz > 0) put(g - plane, -1);
    if (iy > 0) put(g - n, -1);
    if (ix > 0) put(g - 1, -1);
    put(g, 2.0 * dim);
    if (ix < n - 1) put(g + 1, -1);
    if (iy < n - 1) put(g + n, -1);
    if (dim == 3 && iz < n - 1) put(g + plane, -1);
  }
  outer[count] = static_cast<int>(k);
  a.resizeNonZeros(k);
  return a;
}

LinePattern FindPattern(const Csr& a, long l, long len) {
  LinePattern pat;
  const long lo = l * len + 1, hi = (l + 1) * len - 1;
  if (hi <= lo) return pat;
  const int k = a.outer[lo + 1] - a.outer[lo];
  if (k < 1 || k > 7) return pat;
  for (int e = 0; e < k; ++e)
    pat.off[e] = a.inner[a.outer[lo] + e] - (a.row0 + lo);
  for (long i = lo; i < hi; ++i) {
    if (a.outer[i + 1] - a.outer[i] != k) return LinePattern();
    for (int e = 0; e < k; ++e) {
      if (a.inner[a.outer[i] + e] - (a.row0 + i) != pat.off[e]) {
        return LinePattern();
      }
    }
  }
  pat.k = k;
  return pat;
}

std::vector<double> RegularValues(const Csr& a, long lines, long len,
                                  long* stride) {
  const long inner = len > 2 ? len - 2 : 0;
  int kmax = 0;
  for (long l = 0; l < lines; ++l) kmax = std::max(kmax, a.pattern[l].k);
  *stride = inner * kmax;
  std::vector<double> v(static_cast<std::size_t>(lines * *stride));
  for (long l = 0; l < lines; ++l) {
    const LinePattern& pat = a.pattern[l];
    double* out = v.data() + l * *stride;
    for (long j = 0; j < inner && pat.k > 0; ++j) {
      const double* row = a.val + a.outer[l * len + 1 + j];
      for (int e = 0; e < pat.k; ++e) out[e * inner + j] = row[e];
    }
  }
  return v;
}

KRG_CLONES void SpmvDot(const Csr& a, long lines, long len, const double* p,
                        double* q, double* part) {
  for (long l = 0; l < lines; ++l) {
    const long lo = l * len, hi = lo + len;
    double* ql = q + a.row0;
    const LinePattern* pat = a.pattern != nullptr ? &a.pattern[l] : nullptr;
    if (pat == nullptr || pat->k == 0 || len < 3) {
      GenericRows(a, lo, hi, p, ql);
    } else {
      GenericRows(a, lo, lo + 1, p, ql);
      const long g0 = a.row0 + lo + 1, count = len - 2;
      const bool by = a.by_entry != nullptr;
      const double* v =
          by ? a.by_entry + l * a.by_entry_stride : a.val + a.outer[lo + 1];
      double* qo = ql + lo + 1;
      switch (pat->k) {
        case 3:
          Regular<3>(by, v, p, pat->off, g0, count, qo);
          break;
        case 4:
          Regular<4>(by, v, p, pat->off, g0, count, qo);
          break;
        case 5:
          Regular<5>(by, v, p, pat->off, g0, count, qo);
          break;
        case 6:
          Regular<6>(by, v, p, pat->off, g0, count, qo);
          break;
        case 7:
          Regular<7>(by, v, p, pat->off, g0, count, qo);
          break;
        default:
          GenericRows(a, lo + 1, hi - 1, p, ql);
      }
      GenericRows(a, hi - 1, hi, p, ql);
    }
    part[l] = LineDot(p + a.row0 + lo, ql + lo, len);
  }
}

KRG_CLONES void UpdateXr(long first, long lines, long len, double alpha,
                         const double* p, const double* q, double* x, double* r,
                         const double* dinv, double* part_rz, double* part_rr) {
  for (long l = 0; l < lines; ++l) {
    const long lo = first + l * len;
    const double* pl = p + lo;
    const double* ql = q + lo;
    double* xl = x + lo;
    double* rl = r + lo;
    double rr[kLanes] = {}, rz[kLanes] = {};
    long i = 0;
    if (dinv == nullptr) {
      for (; i + kLanes <= len; i += kLanes) {
        for (int k = 0; k < kLanes; ++k) {
          xl[i + k] += alpha * pl[i + k];
          const double v = rl[i + k] - alpha * ql[i + k];
          rl[i + k] = v;
          rr[k] += v * v;
        }
      }
      for (int k = 0; i < len; ++i, ++k) {
        xl[i] += alpha * pl[i];
        const double v = rl[i] - alpha * ql[i];
        rl[i] = v;
        rr[k] += v * v;
      }
      part_rr[l] = part_rz[l] = Combine(rr);
      continue;
    }
    const double* dl = dinv + (lo - first);
    for (; i + kLanes <= len; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) {
        xl[i + k] += alpha * pl[i + k];
        const double v = rl[i + k] - alpha * ql[i + k];
        rl[i + k] = v;
        rr[k] += v * v;
        rz[k] += v * (dl[i + k] * v);
      }
    }
    for (int k = 0; i < len; ++i, ++k) {
      xl[i] += alpha * pl[i];
      const double v = rl[i] - alpha * ql[i];
      rl[i] = v;
      rr[k] += v * v;
      rz[k] += v * (dl[i] * v);
    }
    part_rr[l] = Combine(rr);
    part_rz[l] = Combine(rz);
  }
}

KRG_CLONES void UpdateP(long first, long count, double beta, const double* r,
                        const double* dinv, double* p) {
  double* pp = p + first;
  const double* rr = r + first;
  if (dinv == nullptr) {
    for (long i = 0; i < count; ++i) pp[i] = rr[i] + beta * pp[i];
  } else {
    for (long i = 0; i < count; ++i) pp[i] = dinv[i] * rr[i] + beta * pp[i];
  }
}

KRG_CLONES void DotLines(long first, long lines, long len, const double* a,
                         const double* b, double* part) {
  for (long l = 0; l < lines; ++l) {
    part[l] = LineDot(a + first + l * len, b + first + l * len, len);
  }
}

KRG_CLONES void Triad(long first, long count, double s, double* a,
                      const double* b, const double* c) {
  double* aa = a + first;
  const double* bb = b + first;
  const double* cc = c + first;
  for (long i = 0; i < count; ++i) aa[i] = bb[i] + s * cc[i];
}

double SumParts(const double* part, long n) {
  double acc[kLanes] = {};
  long i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int k = 0; k < kLanes; ++k) acc[k] += part[i + k];
  }
  for (int k = 0; i < n; ++i, ++k) acc[k] += part[i];
  return Combine(acc);
}

}  // namespace krg::demos::poisson
