// The two measurements of the memtiers demo over one working set:
//
//  - triad (STREAM's a[i] = b[i] + s*c[i]) over three arrays that fill the
//    working set: streaming bandwidth, 24 bytes counted per element (STREAM's
//    convention: no write-allocate traffic);
//  - a pointer chase over a random cyclic permutation of 64-byte lines spread
//    over the working set: each load depends on the one before, so the time
//    per load is the latency of the tier that holds the set (TLB misses
//    included, as for any program).
//
// Both leave checksums with closed forms (Expected*), so a run proves that it
// touched every element it claims. The triad loop is compiled for several
// ISAs and picked at run time (target_clones), never by -march.
// Functions are thread-safe on distinct memory.
#ifndef KRG_DEMOS_SCIENTIFIC_MEMTIERS_KERNEL_H_
#define KRG_DEMOS_SCIENTIFIC_MEMTIERS_KERNEL_H_

#include <cstddef>
#include <cstdint>

namespace krg::demos::memtiers {

inline constexpr std::size_t kLine = 64;
// A working set is a multiple of this: three triad arrays of whole lines.
inline constexpr std::size_t kGrain = 3 * kLine;
// The chase visits at most this many lines, spread evenly over the set (the
// whole set below 128 MiB): building a permutation of every line of a
// multi-GiB set would take longer than measuring it.
inline constexpr std::uint64_t kMaxChaseNodes = std::uint64_t(1) << 21;

// The triad loop itself, a[i] = b[i] + s * c[i] for i < n; its ISA (AVX-512,
// AVX2 or baseline x86-64) is chosen when the program is loaded.
void TriadLoop(double* a, const double* b, const double* c, double s,
               std::size_t n);

struct TriadResult {
  double best_gbs = 0;      // the best block's rate, 1e9 bytes/s
  std::uint64_t check = 0;  // sum of (i+1) * a[i] mod 2^64
};

// Triad over `bytes` at `mem` (64-byte aligned), `blocks` timed blocks of
// enough repetitions to move at least `block_bytes` each.
// REQUIRES: bytes % kGrain == 0, bytes > 0, blocks >= 1
TriadResult MeasureTriad(void* mem, std::size_t bytes, std::size_t block_bytes,
                         int blocks);
// The check of a triad over `bytes`.
std::uint64_t ExpectedTriadCheck(std::size_t bytes);

struct ChaseResult {
  double ns_per_load = 0;    // the fastest of 4 timed blocks
  std::uint64_t nodes = 0;   // lines in the cycle
  std::uint64_t steps = 0;   // loads timed: whole cycles
  std::uint64_t id_sum = 0;  // sum of the node ids visited, mod 2^64
  std::uint64_t end = 0;     // the node the chase ended on (the start, 0)
};

// Chase over `bytes` at `mem` (64-byte aligned), at least `min_steps` loads,
// the permutation drawn from `seed`.
// REQUIRES: bytes % kLine == 0, bytes >= 2 * kLine
ChaseResult MeasureChase(void* mem, std::size_t bytes, std::uint64_t seed,
                         std::uint64_t min_steps);
// What MeasureChase must report for these arguments (but the time).
ChaseResult ExpectedChase(std::size_t bytes, std::uint64_t min_steps);

}  // namespace krg::demos::memtiers

#endif  // KRG_DEMOS_SCIENTIFIC_MEMTIERS_KERNEL_H_
