// The memtiers demo: the memory hierarchy, seen by one process. It sweeps the
// working set from inside L1 to a maximum (by default a quarter of the free
// memory; on Kerrighed with USE_REMOTE_MEMORY, --param max= may exceed this
// node's RAM and reach the RAM of other nodes), measuring streaming
// bandwidth (triad) and dependent-load latency (a pointer chase) at each
// size, and charts both over a log axis (memtiers.png/.svg, gnuplot), with
// the cache sizes marked, so the tiers show as steps.
//
// Shape: a farm of ONE unit, the whole sweep. Sizes measured at the same time
// would share the L3 and the memory bus and spoil each other's figures, and a
// farm runs its units on every worker at once; one unit runs on one worker
// whatever the engine and --nodes. --nodes N still means N workers on N
// nodes; one measures, the others are idle: on Kerrighed the point of more
// nodes is their memory, which the measuring process borrows.
//
// A unit's bytes are a record per size: sizes and checksums (exact: the
// farm checksum covers only these) and the two figures (measurements, which
// vary from run to run like any timing). Verify() recomputes every checksum
// from its closed form.
#ifndef KRG_DEMOS_SCIENTIFIC_MEMTIERS_H_
#define KRG_DEMOS_SCIENTIFIC_MEMTIERS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeMemtiers(const DemoConfig& config);
std::string MemtiersParamsHelp();

// "512M", "4G", "64K", "1048576" (binary units) into bytes;
// kInvalidArgument naming `key` otherwise.
Result<std::uint64_t> ParseByteSize(const std::string& key,
                                    const std::string& text);
// 4096 -> "4 KiB", 3 << 30 -> "3 GiB", 1536 -> "1.5 KiB".
std::string ByteSizeString(std::uint64_t bytes);

}  // namespace krg::demos

#endif  // KRG_DEMOS_SCIENTIFIC_MEMTIERS_H_
