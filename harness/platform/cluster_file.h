// The cluster file: the machines of a `cluster` platform, one per line
// (docs/cluster.md), and the ssh command that reaches them.
//
//   # address     cpus  memory
//   10.0.0.11     4     8G
//   node2.lan     2     2048M
//
// The file is untrusted input: every address goes into ssh's and mpirun's
// argument lists and into a generated Open MPI hostfile, so it must be a
// plain host name or IPv4 address (letters, digits, '.', '-', '_', never
// starting with '-'), and counts are bounded.
// Private to harness/; plain functions, safe from any thread.
#ifndef KRG_PLATFORM_CLUSTER_FILE_H_
#define KRG_PLATFORM_CLUSTER_FILE_H_

#include <set>
#include <string>
#include <vector>

#include "krg/platform.h"
#include "krg/status.h"

namespace krg::platform {

inline constexpr int kMaxMachines = 256;
inline constexpr int kMaxMachineCpus = 4096;

// kInvalidArgument unless `address` is a host name or an IPv4 address that
// is safe on a command line and in a hostfile.
Status CheckMachineAddress(const std::string& address);

// The machines of a cluster file's text; `name` prefixes errors
// ("FILE line 3: ...").
Result<std::vector<Machine>> ParseClusterFile(const std::string& text,
                                              const std::string& name);
// The same, read from `path` (at most 1 MiB).
Result<std::vector<Machine>> ReadClusterFile(const std::string& path);

// Where the cluster file is: `option` (--cluster), else $KRGDEMO_CLUSTER,
// else /etc/krgdemo/cluster (under $KRGDEMO_SYSROOT) when it exists; empty
// when there is none (this machine alone: linux or kerrighed).
std::string FindClusterFile(const std::string& option);

// The ssh command (argv prefix, the host comes next) that reaches the
// machines: no password prompt, a bounded connect, and $KRGDEMO_SSH_CONFIG
// (an ssh_config file) when set, else /etc/krgdemo/ssh_config (under
// $KRGDEMO_SYSROOT) when it exists. kInvalidArgument when that path is not a
// readable absolute path without spaces (Open MPI splits its agent on
// spaces).
Result<std::vector<std::string>> SshCommand();

// One line saying what is wrong with the ssh set-up to `address`, from
// ssh's exit and stderr, and what to do about it.
std::string DescribeSshFailure(const std::string& address, const ExitInfo& exit,
                               const std::string& err);

// The fixed command a load probe runs on a machine (nothing from the
// cluster file reaches it): /proc/stat, /proc/loadavg and /proc/meminfo,
// then /proc/stat again `interval` later, separated by marker lines.
std::string MachineSampleCommand(const std::string& interval = "0.25");

// What one machine's probe printed, read.
struct MachineSample {
  double load = 0;         // busy fraction of all its CPUs between the stats
  double loadavg_1m = -1;  // its 1-minute load average; -1 when unread
  int cpus = 0;            // the CPUs its kernel counts (cpuN lines)
  double mem_used = -1;    // 1 - MemAvailable / MemTotal; -1 when unread
};
MachineSample ParseMachineSample(const std::string& out);

// An Open MPI hostfile: the master's slot on this machine (localhost), then
// each machine with its CPUs as slots. A machine of the list that is this
// machine (its address is in `local`: the LiveCD's head lists itself) takes
// the master's slot instead, first: Open MPI refuses a hostfile that names
// one machine twice.
std::string MpiHostfile(const std::vector<Machine>& machines,
                        const std::set<std::string>& local = {});

// This machine's names for itself: its IPv4 addresses (getifaddrs), its
// host name, localhost.
std::set<std::string> LocalAddresses();

}  // namespace krg::platform

#endif  // KRG_PLATFORM_CLUSTER_FILE_H_
