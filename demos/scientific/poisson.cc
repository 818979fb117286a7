#include "poisson.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "krg/checksum.h"
#include "krg/params.h"
#include "krg/png.h"
#include "scientific/poisson_kernel.h"
#include "scientific/viridis.h"

namespace krg::demos {
namespace {

namespace pk = krg::demos::poisson;
using Clock = std::chrono::steady_clock;
using pk::RowMatrix;

constexpr int kMaxRanks = 256;
constexpr std::uint64_t kScalarsMagic = 0x31534E4F53494F50ULL;  // "POISONS1"

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// g(t) = t(1-t)e^t vanishes at 0 and 1; -g''(t) = t(t+3)e^t.
double G(double t) { return t * (1 - t) * std::exp(t); }
double MinusG2(double t) { return t * (t + 3) * std::exp(t); }

// What ranks share beyond the vectors: decisions rank 0 makes before a
// barrier and the others read after it, and rank 0's results.
struct Shared {
  std::atomic<int> snap{0};
  // Rank 0's progress, for the master's progress line: iterations done and
  // the relative residual after them.
  std::atomic<long> at_k{0};
  std::atomic<double> at_rel{0};
  long iterations = 0;  // in total, counting a resumed run's earlier ones
  long iterations_here = 0;
  int converged = 0;
  double loop_s = 0, rr = 0, bb = 0, true_rr = 0, triad_s = 0;
  double triad_bytes = 0;
  double spmv_best_s = 0;  // rank 0's fastest SpMV phase, start to barrier
  double spmv_s[kMaxRanks] = {};
};

// The solver state beyond the vectors, as a checkpoint holds it.
struct Scalars {
  std::uint64_t magic = kScalarsMagic;
  long n = 0;
  long dim = 0;
  long k = 0;  // iterations done
  double rz = 0, rr = 0, bb = 0;
};

struct Problem {
  int dim = 2;
  long n = 64;  // interior points per side
  double tol = 1e-8;
  bool jacobi = false;
  long maxiter = 0;
  bool stream = true;
  long Unknowns() const { return dim == 2 ? n * n : n * n * n; }
  long Lines() const { return dim == 2 ? n : n * n; }
  double H() const { return 1.0 / double(n + 1); }
};

std::size_t Pad(std::size_t bytes) { return (bytes + 63) / 64 * 64; }

// Where everything is in the arena.
struct View {
  Shared* sh;
  double *x, *r, *p, *q, *b, *pa, *pb, *pc;
};

class Poisson final : public SpmdWorkload {
 public:
  explicit Poisson(const Problem& pr) : pr_(pr) {
    const double h = pr.H();
    for (long k = 0; k < pr.n; ++k) {
      g_.push_back(G((k + 1) * h));
      f_.push_back(MinusG2((k + 1) * h));
    }
  }

  int RanksFor(int slots) const override {
    return static_cast<int>(std::min<long>({slots, pr_.Lines(), kMaxRanks}));
  }
  std::size_t ArenaBytes(int) const override {
    return Pad(sizeof(Shared)) + 5 * Pad(8 * pr_.Unknowns()) +
           3 * Pad(8 * pr_.Lines());
  }
  std::size_t SnapshotBytes(int rank, int ranks) const override {
    long first, count;
    Slab(rank, ranks, &first, &count);
    return 3 * 8 * static_cast<std::size_t>(count);
  }
  Status Setup(void* arena, int) override {
    new (arena) Shared;
    return Status::Ok();
  }
  Status RunRank(SpmdRank& rank) const override;
  Status Finish(const void* arena, int ranks) override;
  std::optional<std::vector<ArenaRange>> ResultRanges(int rank,
                                                      int ranks) const override;

  WorkAmount work() const override {
    return {double(pr_.Unknowns()) * double(iterations_) / 1e6, "MDOF-iter/s"};
  }
  Verification Verify() override;
  Status WriteArtifacts(const std::filesystem::path& dir) override;
  std::string ProgressNote(const void* arena) const override;
  std::vector<Metric> Metrics() const override { return metrics_; }

 private:
  View Map(void* arena) const {
    char* at = static_cast<char*>(arena);
    View v;
    v.sh = reinterpret_cast<Shared*>(at);
    at += Pad(sizeof(Shared));
    double** vecs[5] = {&v.x, &v.r, &v.p, &v.q, &v.b};
    for (double** d : vecs) {
      *d = reinterpret_cast<double*>(at);
      at += Pad(8 * pr_.Unknowns());
    }
    double** parts[3] = {&v.pa, &v.pb, &v.pc};
    for (double** d : parts) {
      *d = reinterpret_cast<double*>(at);
      at += Pad(8 * pr_.Lines());
    }
    return v;
  }
  // Rank `rank`'s lines [l0, l1) as rows [first, first+count).
  void Slab(int rank, int ranks, long* first, long* count, long* l0 = nullptr,
            long* l1 = nullptr) const {
    const long lines = pr_.Lines();
    const long a = lines * rank / ranks, b = lines * (rank + 1) / ranks;
    *first = a * pr_.n;
    *count = (b - a) * pr_.n;
    if (l0 != nullptr) *l0 = a;
    if (l1 != nullptr) *l1 = b;
  }
  RowMatrix BuildRows(long first, long count) const;
  void FillRhs(long first, long count, double* b) const;
  double Exact(long i) const {
    const long n = pr_.n;
    const double u = g_[i % n] * g_[(i / n) % n];
    return pr_.dim == 2 ? u : u * g_[i / (n * n)];
  }
  Status Solve(SpmdRank& rank, const View& v, const RowMatrix& a,
               const std::vector<double>& dinv) const;

  const Problem pr_;
  std::vector<double> g_, f_;  // g and -g'' at the grid points
  // The answer of the last pass.
  std::vector<double> x_;
  long iterations_ = 0;
  Shared results_;
  int ranks_ = 0;
  std::vector<Metric> metrics_;
};

// The mpi engine: rank r's slab of x and its spmv_s entry; rank 0 also the
// rest of Shared (at the arena's start, x after it: see Map()).
std::optional<std::vector<SpmdWorkload::ArenaRange>> Poisson::ResultRanges(
    int rank, int ranks) const {
  long first, count;
  Slab(rank, ranks, &first, &count);
  const std::size_t x = Pad(sizeof(Shared)), spmv = offsetof(Shared, spmv_s);
  std::vector<ArenaRange> r = {{x + 8 * static_cast<std::size_t>(first),
                                8 * static_cast<std::size_t>(count)},
                               {spmv + 8 * static_cast<std::size_t>(rank), 8}};
  if (rank == 0) r.push_back({0, spmv});
  return r;
}

RowMatrix Poisson::BuildRows(long first, long count) const {
  return pk::BuildStencilRows(pr_.dim, pr_.n, first, count);
}

void Poisson::FillRhs(long first, long count, double* b) const {
  const long n = pr_.n;
  const double h2 = pr_.H() * pr_.H();
  for (long g = first; g < first + count; ++g) {
    const long ix = g % n, iy = (g / n) % n, iz = g / (n * n);
    double f = f_[ix] * g_[iy] + g_[ix] * f_[iy];
    if (pr_.dim == 3) f = f * g_[iz] + g_[ix] * g_[iy] * f_[iz];
    b[g] = h2 * f;
  }
}

Status Poisson::RunRank(SpmdRank& rank) const {
  const View v = Map(rank.arena());
  long first, count, l0, l1;
  Slab(rank.rank(), rank.ranks(), &first, &count, &l0, &l1);
  const RowMatrix a = BuildRows(first, count);
  std::vector<double> dinv;
  if (pr_.jacobi) {
    dinv.resize(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) dinv[i] = 1.0 / a.coeff(i, first + i);
  }
  FillRhs(first, count, v.b);
  if (pr_.stream) {
    // STREAM triad, best of 5, every rank on its own three arrays (first
    // touched by it), together at least 3 x 128 MiB: 4 x the L3 of a big
    // server, so that the figure is memory's, not a cache's.
    const long m = std::max<long>(count, (16L << 20) / rank.ranks());
    std::vector<double> ta(m, 0.0), tb(m, 1.0), tc(m, 2.0);
    double best = 1e30;
    for (int rep = 0; rep < 5; ++rep) {
      KRG_RETURN_IF_ERROR(rank.Barrier());
      const auto t0 = Clock::now();
      pk::Triad(0, m, 3.0, ta.data(), tb.data(), tc.data());
      KRG_RETURN_IF_ERROR(rank.Barrier());
      best = std::min(best, Seconds(t0, Clock::now()));
    }
    if (rank.rank() == 0) {
      v.sh->triad_s = best;
      v.sh->triad_bytes = 24.0 * double(m) * rank.ranks();
    }
  }
  return Solve(rank, v, a, dinv);
}

Status Poisson::Solve(SpmdRank& rank, const View& v, const RowMatrix& a,
                      const std::vector<double>& dinv) const {
  const int me = rank.rank();
  long first, count, l0, l1;
  Slab(me, rank.ranks(), &first, &count, &l0, &l1);
  const long lines = l1 - l0, len = pr_.n, all = pr_.Lines();
  const double* di = dinv.empty() ? nullptr : dinv.data();
  // Who owns which lines and rows, and the stencil's reach in rows: what
  // AllGather and ExchangeHalo need (on threads and procs, barriers).
  std::vector<long> line_bounds, row_bounds;
  for (int r = 0; r <= rank.ranks(); ++r) {
    line_bounds.push_back(all * r / rank.ranks());
    row_bounds.push_back(line_bounds.back() * len);
  }
  const long halo = pr_.dim == 2 ? len : len * len;
  double* const part_a[] = {v.pa};
  double* const part_bc[] = {v.pb, v.pc};
  pk::Csr csr{a.outerIndexPtr(), a.innerIndexPtr(), a.valuePtr(), first};
  std::vector<pk::LinePattern> patterns;
  for (long l = 0; l < lines; ++l)
    patterns.push_back(pk::FindPattern(csr, l, len));
  csr.pattern = patterns.data();
  const std::vector<double> by_entry =
      pk::RegularValues(csr, lines, len, &csr.by_entry_stride);
  csr.by_entry = by_entry.data();
  const std::size_t bytes = 8 * static_cast<std::size_t>(count);
  double* vecs[3] = {v.x, v.r, v.p};
  Scalars s;
  if (rank.Restored()) {
    const std::string raw = rank.RestoredScalars();
    if (raw.size() != sizeof s)
      return Status::Internal("bad checkpoint scalars");
    std::memcpy(&s, raw.data(), sizeof s);
    if (s.magic != kScalarsMagic || s.n != pr_.n || s.dim != pr_.dim) {
      return Status::FailedPrecondition(
          "the checkpoint is of another poisson problem");
    }
    const char* slab = static_cast<const char*>(rank.SnapshotSlab());
    for (int k = 0; k < 3; ++k)
      std::memcpy(vecs[k] + first, slab + k * bytes, bytes);
    KRG_RETURN_IF_ERROR(rank.ExchangeHalo(v.p, row_bounds, halo));
  } else {
    std::fill(v.x + first, v.x + first + count, 0.0);
    std::copy(v.b + first, v.b + first + count, v.r + first);
    pk::UpdateP(first, count, 0.0, v.r, di, v.p);  // p = z (p is zero)
    pk::DotLines(first, lines, len, v.r, v.p, v.pb + l0);
    pk::DotLines(first, lines, len, v.r, v.r, v.pc + l0);
    KRG_RETURN_IF_ERROR(rank.AllGather(part_bc, line_bounds));
    KRG_RETURN_IF_ERROR(rank.ExchangeHalo(v.p, row_bounds, halo));
    s.n = pr_.n;
    s.dim = pr_.dim;
    s.rz = pk::SumParts(v.pb, all);
    s.rr = s.bb = pk::SumParts(v.pc, all);
  }
  const double stop = pr_.tol * pr_.tol * s.bb;
  const auto t_loop = Clock::now();
  double spmv_s = 0, spmv_best = 1e30;
  long here = 0;
  bool converged = false;
  for (;;) {
    if (s.rr <= stop) {
      converged = true;
      break;
    }
    if (s.k >= pr_.maxiter) break;
    const auto t0 = Clock::now();
    pk::SpmvDot(csr, lines, len, v.p, v.q, v.pa + l0);
    spmv_s += Seconds(t0, Clock::now());
    KRG_RETURN_IF_ERROR(rank.AllGather(part_a, line_bounds));
    // Timed like the triad: from this rank's start to the barrier after.
    spmv_best = std::min(spmv_best, Seconds(t0, Clock::now()));
    const double alpha = s.rz / pk::SumParts(v.pa, all);
    if (me == 0) v.sh->snap.store(rank.SnapshotWanted() ? 1 : 0);
    pk::UpdateXr(first, lines, len, alpha, v.p, v.q, v.x, v.r, di, v.pb + l0,
                 v.pc + l0);
    KRG_RETURN_IF_ERROR(rank.AllGather(part_bc, line_bounds));
    const double rz = pk::SumParts(v.pb, all);
    s.rr = pk::SumParts(v.pc, all);
    const double beta = rz / s.rz;
    s.rz = rz;
    const bool snap = v.sh->snap.load() != 0;
    pk::UpdateP(first, count, beta, v.r, di, v.p);
    ++s.k;
    ++here;
    if (me == 0) {
      v.sh->at_rel.store(std::sqrt(s.rr / s.bb), std::memory_order_relaxed);
      v.sh->at_k.store(s.k, std::memory_order_relaxed);
    }
    KRG_RETURN_IF_ERROR(rank.ExchangeHalo(v.p, row_bounds, halo));
    if (snap) {
      for (int k = 0; k < 3; ++k)
        rank.SnapshotCopy(k * bytes, vecs[k] + first, bytes);
      if (me == 0) {
        rank.SnapshotScalars(
            std::string_view(reinterpret_cast<const char*>(&s), sizeof s));
      }
      KRG_RETURN_IF_ERROR(rank.Barrier());
      if (me == 0) rank.PublishSnapshot();
    }
  }
  const double loop_s = Seconds(t_loop, Clock::now());
  // The true residual b - A x (the recursive one drifts from it).
  KRG_RETURN_IF_ERROR(rank.ExchangeHalo(v.x, row_bounds, halo));
  pk::SpmvDot(csr, lines, len, v.x, v.q, v.pa + l0);
  for (long i = first; i < first + count; ++i) v.q[i] = v.b[i] - v.q[i];
  pk::DotLines(first, lines, len, v.q, v.q, v.pa + l0);
  KRG_RETURN_IF_ERROR(rank.AllGather(part_a, line_bounds));
  v.sh->spmv_s[me] = spmv_s;
  if (me == 0) {
    v.sh->true_rr = pk::SumParts(v.pa, all);
    v.sh->iterations = s.k;
    v.sh->iterations_here = here;
    v.sh->converged = converged ? 1 : 0;
    v.sh->loop_s = loop_s;
    v.sh->spmv_best_s = here > 0 ? spmv_best : 0;
    v.sh->rr = s.rr;
    v.sh->bb = s.bb;
  }
  return Status::Ok();
}

std::string Poisson::ProgressNote(const void* arena) const {
  const View v = Map(const_cast<void*>(arena));
  const long k = v.sh->at_k.load(std::memory_order_relaxed);
  if (k == 0) return {};
  char line[96];
  std::snprintf(line, sizeof line, "iteration %ld · residual %.1e (to %.0e)", k,
                v.sh->at_rel.load(std::memory_order_relaxed), pr_.tol);
  return line;
}

// poisson.png: u on the grid (3-D: its middle z-slice), y upwards, one pixel
// per grid point up to kPictureSide per side (larger grids are averaged over
// f x f blocks, f = ceil(n / kPictureSide): n / f pixels per side), colour
// mapped (viridis) from the smallest value shown (dark blue) to the largest
// (yellow).
constexpr long kPictureSide = 2048;

Status Poisson::WriteArtifacts(const std::filesystem::path& dir) {
  const long n = pr_.n;
  if (x_.size() != static_cast<std::size_t>(pr_.Unknowns())) {
    return Status::Ok();  // no pass has finished
  }
  const long f = (n + kPictureSide - 1) / kPictureSide, side = n / f;
  const double* u = x_.data() + (pr_.dim == 3 ? (n / 2) * n * n : 0);
  std::vector<double> avg(static_cast<std::size_t>(side * side));
  double lo = 1e300, hi = -1e300;
  for (long by = 0; by < side; ++by) {
    for (long bx = 0; bx < side; ++bx) {
      double sum = 0;
      for (long y = by * f; y < (by + 1) * f; ++y) {
        for (long x = bx * f; x < (bx + 1) * f; ++x) sum += u[y * n + x];
      }
      const double a = sum / double(f * f);
      avg[by * side + bx] = a;
      if (std::isfinite(a)) {
        lo = std::min(lo, a);
        hi = std::max(hi, a);
      }
    }
  }
  const double scale =
      hi > lo && std::isfinite(hi - lo) ? 255.0 / (hi - lo) : 0;
  // Row 0 of the picture is the top of the square (y = 1).
  std::vector<std::uint8_t> rgb(std::size_t(side) * side * 3);
  for (long by = 0; by < side; ++by) {
    std::uint8_t* row = rgb.data() + std::size_t(side - 1 - by) * side * 3;
    for (long bx = 0; bx < side; ++bx) {
      const double a = avg[by * side + bx];
      const long level = std::lround(std::isfinite(a) ? (a - lo) * scale : 0);
      const std::uint8_t* colour = kViridis[std::clamp(level, 0L, 255L)];
      std::copy(colour, colour + 3, row + 3 * bx);
    }
  }
  KRG_RETURN_IF_ERROR(WritePngRgb(dir / "poisson.png", static_cast<int>(side),
                                  static_cast<int>(side), rgb));
  return Status::Ok();
}

Status Poisson::Finish(const void* arena, int ranks) {
  const View v = Map(const_cast<void*>(arena));
  x_.assign(v.x, v.x + pr_.Unknowns());
  const Shared& sh = *v.sh;
  results_.iterations = sh.iterations;
  results_.iterations_here = sh.iterations_here;
  results_.converged = sh.converged;
  results_.loop_s = sh.loop_s;
  results_.rr = sh.rr;
  results_.bb = sh.bb;
  results_.true_rr = sh.true_rr;
  results_.triad_s = sh.triad_s;
  results_.triad_bytes = sh.triad_bytes;
  results_.spmv_best_s = sh.spmv_best_s;
  double spmv = 0;
  for (int r = 0; r < ranks; ++r) spmv = std::max(spmv, sh.spmv_s[r]);
  results_.spmv_s[0] = spmv;
  iterations_ = sh.iterations;
  ranks_ = ranks;
  return Status::Ok();
}

Verification Poisson::Verify() {
  Verification v;
  v.checksum = ChecksumString(Fnv1a64(x_.data(), 8 * x_.size()));
  const Shared& s = results_;
  const double rel = std::sqrt(s.rr / s.bb);
  const double true_rel = std::sqrt(s.true_rr / s.bb);
  double err = 0;
  for (std::size_t i = 0; i < x_.size(); ++i) {
    err = std::max(err, std::abs(x_[i] - Exact(static_cast<long>(i))));
  }
  // Truncation error h²/12 (sum of |u''''| per axis) through the discrete
  // maximum principle (|A_h^-1| <= 1/8), plus the algebraic error the true
  // residual allows (|e| <= |r| / lambda_min of the scaled matrix).
  const double h = pr_.H(), pi = std::acos(-1.0);
  const double gmax = G((std::sqrt(5.0) - 1) / 2), g4max = 16 * std::exp(1.0);
  const double disc =
      h * h / 96 * pr_.dim * g4max * std::pow(gmax, pr_.dim - 1);
  const double lmin = 4 * pr_.dim * std::pow(std::sin(pi * h / 2), 2);
  const double bound = disc + std::sqrt(s.true_rr) / lmin;
  char line[400];
  std::snprintf(line, sizeof line,
                "CG %s in %ld iterations: relative residual %.2e (true %.2e, "
                "tolerance %.0e); max error vs the manufactured solution "
                "%.2e <= O(h^2) bound %.2e",
                s.converged ? "converged" : "did NOT converge", s.iterations,
                rel, true_rel, pr_.tol, err, bound);
  v.detail = line;
  v.ok = s.converged && rel <= pr_.tol && true_rel <= 2 * pr_.tol &&
         err <= bound && std::isfinite(err);
  const double per_it =
      s.iterations_here > 0 ? s.loop_s / s.iterations_here : 0;
  const double nnz = double(pr_.Unknowns()) * (2 * pr_.dim + 1) -
                     2.0 * pr_.dim * double(pr_.Lines());
  // Bytes one SpMV moves: the values, p read once, q written once, and the
  // column indices and row starts of the rows off the regular stencil (the
  // first and last row of each grid line).
  const double spmv_bytes =
      nnz * 8 + double(pr_.Unknowns()) * 16 +
      2.0 * double(pr_.Lines()) * (4 * (2 * pr_.dim + 1) + 8);
  const double spmv_bw =
      s.spmv_s[0] > 0 && s.iterations_here > 0
          ? spmv_bytes * s.iterations_here / s.spmv_s[0] / 1e9
          : 0;
  const double spmv_best_bw =
      s.spmv_best_s > 0 ? spmv_bytes / s.spmv_best_s / 1e9 : 0;
  const double triad_bw = s.triad_s > 0 ? s.triad_bytes / s.triad_s / 1e9 : 0;
  metrics_ = {{"iterations", double(s.iterations), "iterations"},
              {"iterations_this_run", double(s.iterations_here), "iterations"},
              {"time_per_iteration", per_it * 1e3, "ms"},
              {"spmv_bandwidth", spmv_bw, "GB/s"},
              {"spmv_best_bandwidth", spmv_best_bw, "GB/s"},
              {"unknowns", double(pr_.Unknowns()), "unknowns"},
              {"ranks", double(ranks_), "ranks"},
              {"relative_residual", true_rel, ""},
              {"max_error", err, ""}};
  // The STREAM triad runs only on problems of a million unknowns or more
  // (param stream): no figure rather than "0 GB/s" when it did not run.
  if (triad_bw > 0) {
    metrics_.insert(
        metrics_.begin() + 4,
        {{"stream_triad_bandwidth", triad_bw, "GB/s"},
         {"spmv_fraction_of_triad", spmv_best_bw / triad_bw, "ratio"}});
  }
  return v;
}

long DefaultN(const std::string& size, int dim) {
  if (dim == 3) {
    if (size == "test") return 16;
    if (size == "medium") return 100;
    if (size == "large") return 160;
    return 40;
  }
  if (size == "test") return 64;
  if (size == "medium") return 1000;
  if (size == "large") return 2048;
  return 256;
}

}  // namespace

std::string PoissonParamsHelp() {
  return "dim=2|3                 the unit square (5-point stencil, default) "
         "or cube (7-point)\n"
         "n=N                     interior grid points per side (default by "
         "--size: 64/256/1000/2048, 3-D 16/40/100/160)\n"
         "tol=T                   CG stops at relative residual T (default "
         "1e-8)\n"
         "precond=none|jacobi     preconditioner (default none)\n"
         "maxiter=N               iteration limit (default 20 n + 100)\n"
         "stream=1|0              measure the STREAM triad bandwidth first, "
         "on 384 MiB (default 1 from 1 million unknowns up)";
}

Result<std::unique_ptr<Workload>> MakePoisson(const DemoConfig& config) {
  if (!IsSize(config.size)) {
    return Status::InvalidArgument("unknown size '" + config.size + "'");
  }
  Params p(config.params);
  Problem pr;
  KRG_ASSIGN_OR_RETURN(long long dim, p.Int("dim", 2, 2, 3));
  pr.dim = static_cast<int>(dim);
  const long max_n = pr.dim == 2 ? 16384 : 640;  // int column indices
  KRG_ASSIGN_OR_RETURN(long long n,
                       p.Int("n", DefaultN(config.size, pr.dim), 2, max_n));
  pr.n = n;
  KRG_ASSIGN_OR_RETURN(pr.tol, p.Double("tol", 1e-8, 1e-14, 0.1));
  KRG_ASSIGN_OR_RETURN(std::string pre,
                       p.Choice("precond", "none", {"none", "jacobi"}));
  pr.jacobi = pre == "jacobi";
  KRG_ASSIGN_OR_RETURN(long long maxiter,
                       p.Int("maxiter", 20 * n + 100, 1, 1000000000));
  pr.maxiter = maxiter;
  const long unknowns = pr.dim == 2 ? n * n : n * n * n;
  KRG_ASSIGN_OR_RETURN(long long stream,
                       p.Int("stream", unknowns >= 1000000 ? 1 : 0, 0, 1));
  pr.stream = stream != 0;
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("poisson"));
  return std::unique_ptr<Workload>(new Poisson(pr));
}

}  // namespace krg::demos
