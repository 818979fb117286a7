#include "scientific/memtiers_kernel.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace krg::demos::memtiers {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// b[i] and c[i]: small integers, so a = b + 3 c is exact in any ISA (fused
// multiply-add or not) and its checksum has a closed form.
inline double B(std::uint64_t i) { return double(i % 5); }
inline double C(std::uint64_t i) { return double(i % 3); }
constexpr double kScalar = 3.0;

// The one loop whose speed is the point: one clone per ISA, chosen when the
// program starts (ifunc), so a portable build streams at the CPU's width.
__attribute__((target_clones("avx512f", "avx2", "default"), noinline)) void
Triad(double* __restrict a, const double* __restrict b,
      const double* __restrict c, double s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

inline std::uint64_t Mix(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct alignas(kLine) Line {
  Line* next;
  std::uint64_t id;
  char pad[kLine - sizeof(Line*) - sizeof(std::uint64_t)];
};
static_assert(sizeof(Line) == kLine);

std::uint64_t ChaseNodes(std::size_t bytes) {
  return std::min<std::uint64_t>(bytes / kLine, kMaxChaseNodes);
}

std::uint64_t ChaseCycles(std::uint64_t nodes, std::uint64_t min_steps) {
  return std::max<std::uint64_t>(1, (min_steps + nodes - 1) / nodes);
}

// Follows `steps` links from `p`; returns where it ended, adds the ids seen.
__attribute__((noinline)) Line* Follow(Line* p, std::uint64_t steps,
                                       std::uint64_t* id_sum) {
  std::uint64_t sum = 0;
  for (std::uint64_t s = 0; s < steps; ++s) {
    sum += p->id;
    p = p->next;
  }
  *id_sum += sum;
  return p;
}

}  // namespace

void TriadLoop(double* a, const double* b, const double* c, double s,
               std::size_t n) {
  Triad(a, b, c, s, n);
}

TriadResult MeasureTriad(void* mem, std::size_t bytes, std::size_t block_bytes,
                         int blocks) {
  const std::size_t n = bytes / (3 * sizeof(double));
  double* a = static_cast<double*>(mem);
  double* b = a + n;
  double* c = b + n;
  for (std::size_t i = 0; i < n; ++i) {  // first touch, in the worker
    a[i] = 0;
    b[i] = B(i);
    c[i] = C(i);
  }
  const std::size_t reps = std::max<std::size_t>(1, block_bytes / bytes);
  TriadResult r;
  for (int k = 0; k < blocks; ++k) {
    const Clock::time_point t0 = Clock::now();
    for (std::size_t rep = 0; rep < reps; ++rep) Triad(a, b, c, kScalar, n);
    const double s = Seconds(t0);
    if (s > 0)
      r.best_gbs = std::max(r.best_gbs, double(bytes) * reps / s / 1e9);
  }
  for (std::size_t i = 0; i < n; ++i) {
    r.check += (i + 1) * static_cast<std::uint64_t>(a[i]);
  }
  return r;
}

std::uint64_t ExpectedTriadCheck(std::size_t bytes) {
  // a[i] depends on i mod 15: sum over each residue class of (i + 1).
  const std::uint64_t n = bytes / (3 * sizeof(double));
  std::uint64_t check = 0;
  for (std::uint64_t r = 0; r < 15 && r < n; ++r) {
    const std::uint64_t count = (n - r + 14) / 15;  // i = r + 15 k < n
    const std::uint64_t sum_i1 =
        count * (r + 1) + 15 * (count * (count - 1) / 2);
    const std::uint64_t a = std::uint64_t(B(r) + kScalar * C(r));
    check += a * sum_i1;
  }
  return check;
}

ChaseResult MeasureChase(void* mem, std::size_t bytes, std::uint64_t seed,
                         std::uint64_t min_steps) {
  Line* lines = static_cast<Line*>(mem);
  const std::uint64_t total = bytes / kLine;
  const std::uint64_t nodes = ChaseNodes(bytes);
  const std::uint64_t stride = total / nodes;
  // Node k sits at a random line of the k-th stretch of `stride` lines.
  auto at = [&](std::uint64_t k) {
    return lines + k * stride + (stride > 1 ? Mix(seed ^ k) % stride : 0);
  };
  // Sattolo's shuffle: a uniformly random permutation with one cycle.
  std::vector<std::uint32_t> next(nodes);
  for (std::uint64_t k = 0; k < nodes; ++k) next[k] = std::uint32_t(k);
  std::uint64_t state = seed;
  for (std::uint64_t k = nodes - 1; k > 0; --k) {
    state += 0x9e3779b97f4a7c15ULL;
    std::swap(next[k], next[Mix(state) % k]);
  }
  for (std::uint64_t k = 0; k < nodes; ++k) {
    Line* l = at(k);
    l->next = at(next[k]);
    l->id = k;
  }
  ChaseResult r;
  r.nodes = nodes;
  r.steps = nodes * ChaseCycles(nodes, min_steps);
  std::uint64_t warm = 0;
  Line* p = Follow(at(0), std::min<std::uint64_t>(nodes, 1 << 16), &warm);
  // Timed in blocks, the fastest counts: a block that was preempted (a busy
  // machine) says nothing about the memory.
  p = at(0);
  constexpr std::uint64_t kBlocks = 4;
  r.ns_per_load = 0;
  for (std::uint64_t k = 0; k < kBlocks; ++k) {
    const std::uint64_t steps =
        r.steps / kBlocks + (k + 1 == kBlocks ? r.steps % kBlocks : 0);
    const Clock::time_point t0 = Clock::now();
    p = Follow(p, steps, &r.id_sum);
    const double ns =
        Seconds(t0) * 1e9 / double(std::max<std::uint64_t>(1, steps));
    if (steps > 0 && (r.ns_per_load == 0 || ns < r.ns_per_load)) {
      r.ns_per_load = ns;
    }
  }
  r.end = p->id;
  return r;
}

ChaseResult ExpectedChase(std::size_t bytes, std::uint64_t min_steps) {
  ChaseResult r;
  r.nodes = ChaseNodes(bytes);
  const std::uint64_t cycles = ChaseCycles(r.nodes, min_steps);
  r.steps = r.nodes * cycles;
  // Each cycle visits every node once: 0 + 1 + ... + (nodes - 1).
  const std::uint64_t per_cycle = r.nodes % 2 == 0
                                      ? (r.nodes / 2) * (r.nodes - 1)
                                      : r.nodes * ((r.nodes - 1) / 2);
  r.id_sum = per_cycle * cycles;
  r.end = 0;
  return r;
}

}  // namespace krg::demos::memtiers
