// The hot loops of the poisson demo's CG solver, over one rank's rows stored
// as Eigen compressed rows (values, column indices, row starts).
//
// Every loop works on whole grid lines and writes one partial sum per line,
// with eight accumulators combined in a fixed order, so that every dot
// product comes out bit for bit the same whatever the rank count, engine or
// vector width (poisson_kernel.cc is built with -ffp-contract=off). Each
// function is compiled for AVX-512, AVX2 and baseline x86-64 and picked at
// run time (GCC target_clones), so a portable build is still fast.
// Pure functions on caller-owned memory: thread-safe for disjoint outputs.
#ifndef KRG_DEMOS_SCIENTIFIC_POISSON_KERNEL_H_
#define KRG_DEMOS_SCIENTIFIC_POISSON_KERNEL_H_

#include <Eigen/SparseCore>
#include <cstddef>
#include <vector>

namespace krg::demos::poisson {

// The stencil shape of the inner rows of one grid line (all but its first
// and last row), read off the matrix: `k` entries per row at column offsets
// `off` from the diagonal, in column order. k == 0: irregular (generic CSR).
struct LinePattern {
  int k = 0;
  long off[7] = {};
};

// A rank's rows in compressed row storage. Row i (local) is global row
// row0 + i; columns are global. With `pattern` (one per line), the inner
// rows of a regular line are computed without reading column indices.
struct Csr {
  const int* outer;  // row starts, rows + 1 of them
  const int* inner;  // column of each entry
  const double* val;
  long row0;
  const LinePattern* pattern = nullptr;
  // With `pattern`: the values of the inner rows of the regular lines by
  // stencil entry (RegularValues), so that the SpMV reads each entry's
  // values contiguously and vectorises (Eigen's rows interleave them, a
  // stride the compiler leaves scalar). nullptr: read them from `val`.
  const double* by_entry = nullptr;
  long by_entry_stride = 0;  // values per line in by_entry
};

using RowMatrix = Eigen::SparseMatrix<double, Eigen::RowMajor, int>;

// Rows [first, first+count) of the 5-point (dim 2) or 7-point (dim 3)
// Laplacian on an n^dim grid scaled by h^2 (diagonal 2*dim, neighbours -1),
// Dirichlet boundaries; columns are global.
RowMatrix BuildStencilRows(int dim, long n, long first, long count);

// The view of `a`'s rows for the kernels below.
inline Csr CsrOf(const RowMatrix& a, long row0) {
  return Csr{a.outerIndexPtr(), a.innerIndexPtr(), a.valuePtr(), row0};
}

// The pattern of line `l` of `a` (rows [l*len, (l+1)*len)).
LinePattern FindPattern(const Csr& a, long l, long len);

// The values of `a`'s regular lines (a.pattern, lines [0, lines) of `len`
// rows), for Csr::by_entry: line l's inner rows at l * *stride, entry e's
// values for rows 1..len-2 at e*(len-2) in that.
// REQUIRES: a.pattern
std::vector<double> RegularValues(const Csr& a, long lines, long len,
                                  long* stride);

// Lines [0, lines) of `len` rows each, starting at local row 0:
// q = A p on those rows, part[l] = sum over line l of p*q.
void SpmvDot(const Csr& a, long lines, long len, const double* p, double* q,
             double* part);
// x += alpha p; r -= alpha q; part_rz[l] = sum r*z with z = dinv*r (or r
// when dinv is null); part_rr[l] = sum r*r. Rows [first, first+lines*len)
// of the global vectors; dinv is local.
void UpdateXr(long first, long lines, long len, double alpha, const double* p,
              const double* q, double* x, double* r, const double* dinv,
              double* part_rz, double* part_rr);
// p = z + beta p over rows [first, first+count), z = dinv*r or r.
void UpdateP(long first, long count, double beta, const double* r,
             const double* dinv, double* p);
// Per line: sum a*b (a == b for norms).
void DotLines(long first, long lines, long len, const double* a,
              const double* b, double* part);
// STREAM triad a = b + s c over [first, first+count).
void Triad(long first, long count, double s, double* a, const double* b,
           const double* c);
// Sum of part[0..n) in order, in eight lanes: every rank gets the same bits.
double SumParts(const double* part, long n);

}  // namespace krg::demos::poisson

#endif  // KRG_DEMOS_SCIENTIFIC_POISSON_KERNEL_H_
