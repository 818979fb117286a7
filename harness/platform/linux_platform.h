// The `linux` platform: an ordinary SMP split into virtual nodes.
//
// `--nodes N` makes N virtual nodes by splitting the usable CPUs
// (sched_getaffinity) into N contiguous groups; a worker is pinned to its
// node's CPUs. With more nodes than CPUs, nodes share CPUs round-robin.
// Per-CPU load comes from two samples of /proc/stat.
// Private to harness/: other code reaches it through krg/platform.h.
#ifndef KRG_PLATFORM_LINUX_PLATFORM_H_
#define KRG_PLATFORM_LINUX_PLATFORM_H_

#include <string>
#include <vector>

#include "krg/platform.h"

namespace krg::platform {

// Splits `cpus` into `count` groups as evenly as possible, contiguous; with
// more groups than CPUs each group gets one CPU, reused round-robin.
// REQUIRES: !cpus.empty(), count >= 1
std::vector<std::vector<int>> SplitCpus(const std::vector<int>& cpus,
                                        int count);

// Per-CPU busy fraction between two /proc/stat texts, for the CPUs listed.
std::vector<double> CpuLoadBetween(const std::string& before,
                                   const std::string& after,
                                   const std::vector<int>& cpus);

// Used fraction 0..1 of a /proc/meminfo text (MemTotal less MemAvailable,
// or less MemFree + Buffers + Cached where MemAvailable is missing); 0 when
// it cannot be read.
double MemUsedFraction(const std::string& meminfo);

// The CPUs this process may run on.
std::vector<int> UsableCpus();

// The cluster file DetectPlatform() picks (cluster_file.h's search order),
// or empty: this machine alone.
std::string ClusterFileInUse();

}  // namespace krg::platform

#endif  // KRG_PLATFORM_LINUX_PLATFORM_H_
