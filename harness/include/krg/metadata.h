// System metadata for benchmark result files, as Phoronix records hardware
// and software next to its numbers: CPU model and count, memory, kernel,
// distribution, and on Kerrighed the cluster (nodes, schedulers, ...).
// `krgdemo bench` stores it under the result file's "metadata" key so that
// `compare` readers know what ran where (docs/results.md).
//
// Reads files under a root folder ("/" normally; tests pass a fake tree) and
// uname(2). Pure reads, no state: safe from any thread.
#ifndef KRG_METADATA_H_
#define KRG_METADATA_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace krg::platform {

struct SystemMetadata {
  std::string cpu_model;
  int logical_cpus = 0;  // "processor" entries of cpuinfo
  int usable_cpus = 0;   // this process's affinity mask
  std::int64_t mem_mb = 0;
  std::string kernel_name, kernel_release, kernel_version, machine;  // uname
  std::string distro_id, distro_version, distro_name;  // /etc/os-release
  // null on linux; on Kerrighed: {"nodes", "node_id", "max_nodes", "abi",
  // "schedulers", "version": null} (docs/results.md); the version and the
  // capability sets come from the kerrighed platform (platform.h).
  nlohmann::json kerrighed;
};

// Collects the metadata of the machine rooted at `root`.
SystemMetadata CollectSystemMetadata(const std::filesystem::path& root = "/");
nlohmann::json ToJson(const SystemMetadata& m);

// The Kerrighed part: null unless `root` shows a Kerrighed kernel
// (proc/nodes/self or sys/kerrighed).
nlohmann::json CollectKerrighedMetadata(const std::filesystem::path& root);

// The running executable (/proc/self/exe), or empty when unknown; used to
// find files installed next to it (microbenchmarks, suites).
std::filesystem::path ExecutablePath();

// The data and unified caches of CPU 0 as sysfs describes them
// (sys/devices/system/cpu/cpu0/cache/index*/): {"L1d", bytes}, {"L2", ...},
// {"L3", ...} by level; empty when unreadable. Unlike CPUID (and so
// sysconf), this is what one core can use: on a many-chiplet CPU the L3 of
// its chiplet, not of the whole package.
std::vector<std::pair<std::string, std::int64_t>> CpuCaches(
    const std::filesystem::path& root = "/");

// What else the machine is doing, for `bench --rounds`: the 1-minute load
// average (/proc/loadavg) and the all-CPU counters of /proc/stat's "cpu"
// line, in ticks: steal is time a hypervisor gave to other guests. ok is
// false when the files cannot be read (the round is then recorded without
// load, never guessed).
struct HostLoad {
  bool ok = false;
  double load1 = 0;
  std::uint64_t steal_ticks = 0, total_ticks = 0;
  int cpus = 0;  // online CPUs (sysconf), what load1 is compared with
};
HostLoad ReadHostLoad(const std::filesystem::path& root = "/");

// Parsers of the files above, for tests.
// The first field of a loadavg text (-1 when malformed).
double ParseLoad1(const std::string& text);
// Steal and total ticks of a /proc/stat text's "cpu" line (0, 0 when absent).
std::pair<std::uint64_t, std::uint64_t> ParseStealAndTotal(
    const std::string& text);
// KEY=VALUE lines of os-release(5), quotes removed.
std::map<std::string, std::string> ParseOsRelease(const std::string& text);
// MemTotal of a meminfo text, in MiB (0 when absent).
std::int64_t ParseMemTotalMb(const std::string& text);
// The first "model name" of a cpuinfo text ("unknown" when absent) and the
// number of "processor" entries.
std::string ParseCpuModel(const std::string& text);
int CountProcessors(const std::string& text);

}  // namespace krg::platform

#endif  // KRG_METADATA_H_
