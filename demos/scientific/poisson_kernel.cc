#include "scientific/poisson_kernel.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KRG_CLONES \
  __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KRG_CLONES
#endif

namespace krg::demos::poisson {
namespace {

constexpr int kLanes = 8;

inline double Combine(const double* acc) {
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +
         ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

KRG_CLONES void SpmvDot(const Csr& a, long lines, long len, const double* p,
                        double* q, double* part) {
  const int* outer = a.outer;
  const int* inner = a.inner;
  const double* val = a.val;
  for (long l = 0; l < lines; ++l) {
    const long lo = l * len, hi = lo + len;
    double* ql = q + a.row0;
    for (long i = lo; i < hi; ++i) {
      double s = 0;
      for (int k = outer[i]; k < outer[i + 1]; ++k) s += val[k] * p[inner[k]];
      ql[i] = s;
    }
    double acc[kLanes] = {};
    const double* pl = p + a.row0 + lo;
    const double* qq = ql + lo;
    long i = 0;
    for (; i + kLanes <= len; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) acc[k] += pl[i + k] * qq[i + k];
    }
    for (int k = 0; i < len; ++i, ++k) acc[k] += pl[i] * qq[i];
    part[l] = Combine(acc);
  }
}

KRG_CLONES void UpdateXr(long first, long lines, long len, double alpha,
                         const double* p, const double* q, double* x,
                         double* r, const double* dinv, double* part_rz,
                         double* part_rr) {
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
    const double* al = a + first + l * len;
    const double* bl = b + first + l * len;
    double acc[kLanes] = {};
    long i = 0;
    for (; i + kLanes <= len; i += kLanes) {
      for (int k = 0; k < kLanes; ++k) acc[k] += al[i + k] * bl[i + k];
    }
    for (int k = 0; i < len; ++i, ++k) acc[k] += al[i] * bl[i];
    part[l] = Combine(acc);
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
