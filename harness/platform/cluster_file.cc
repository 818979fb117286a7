#include "cluster_file.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "linux_platform.h"

namespace krg::platform {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;
constexpr std::int64_t kMaxMemMb = std::int64_t(1) << 30;  // 1 PiB
constexpr const char* kSampleSeparator = "@@krgdemo@@";

bool IsIpv4(const std::string& s) {
  int parts = 0;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t dot = std::min(s.find('.', start), s.size());
    const std::string part = s.substr(start, dot - start);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    if (std::atoi(part.c_str()) > 255) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

bool AllDigitsAndDots(const std::string& s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') return false;
  }
  return true;
}

// "8G", "2048M", "2048" (MiB) -> MiB; -1 when malformed or out of range.
std::int64_t ParseMemMb(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 12) return -1;
  std::int64_t value = std::stoll(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (unit == "G" || unit == "g") {
    value *= 1024;
  } else if (!unit.empty() && unit != "M" && unit != "m") {
    return -1;
  }
  return value >= 1 && value <= kMaxMemMb ? value : -1;
}

Result<Machine> ParseLine(const std::string& line) {
  std::istringstream fields(line);
  std::string address, cpus, mem, extra;
  fields >> address >> cpus >> mem;
  if (mem.empty()) {
    return Status::InvalidArgument(
        "expected ADDRESS CPUS MEMORY (e.g. '10.0.0.11 4 8G')");
  }
  if (fields >> extra) {
    return Status::InvalidArgument("unexpected '" + extra.substr(0, 40) +
                                   "' after the memory");
  }
  KRG_RETURN_IF_ERROR(CheckMachineAddress(address));
  Machine m;
  m.address = address;
  char* end = nullptr;
  const long n = std::strtol(cpus.c_str(), &end, 10);
  if (end == cpus.c_str() || *end != '\0' || n < 1 || n > kMaxMachineCpus) {
    return Status::InvalidArgument("CPUs '" + cpus.substr(0, 20) +
                                   "': expected an integer from 1 to " +
                                   std::to_string(kMaxMachineCpus));
  }
  m.cpus = static_cast<int>(n);
  m.mem_mb = ParseMemMb(mem);
  if (m.mem_mb < 0) {
    return Status::InvalidArgument("memory '" + mem.substr(0, 20) +
                                   "': expected MiB, or a size like 512M "
                                   "or 8G");
  }
  return m;
}

}  // namespace

Status CheckMachineAddress(const std::string& address) {
  const std::string shown = address.substr(0, 64);
  if (address.empty() || address.size() > 253) {
    return Status::InvalidArgument("address '" + shown +
                                   "': expected a host name or IPv4 address");
  }
  if (!std::isalnum(static_cast<unsigned char>(address[0]))) {
    // A leading '-' would be read as an option by ssh or mpirun.
    return Status::InvalidArgument("address '" + shown +
                                   "': must start with a letter or digit");
  }
  for (char c : address) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
        c != '_') {
      return Status::InvalidArgument(
          "address '" + shown +
          "': only letters, digits, '.', '-' and '_' (a host name or IPv4 "
          "address; IPv6 is not supported)");
    }
  }
  if (AllDigitsAndDots(address) && !IsIpv4(address)) {
    return Status::InvalidArgument("address '" + shown +
                                   "': not a valid IPv4 address");
  }
  return Status::Ok();
}

Result<std::vector<Machine>> ParseClusterFile(const std::string& text,
                                              const std::string& name) {
  std::vector<Machine> machines;
  std::set<std::string> seen;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    const std::string where = name + " line " + std::to_string(number);
    line = line.substr(0, line.find('#'));
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<Machine> m = ParseLine(line);
    if (!m.ok()) return m.status().WithContext(where);
    if (!seen.insert(m->address).second) {
      return Status::InvalidArgument(where + ": " + m->address +
                                     " is listed twice");
    }
    if (machines.size() == kMaxMachines) {
      return Status::InvalidArgument(
          where + ": more than " + std::to_string(kMaxMachines) + " machines");
    }
    machines.push_back(std::move(*m));
  }
  if (machines.empty()) {
    return Status::InvalidArgument(
        name + ": no machine listed (one per line: ADDRESS CPUS MEMORY)");
  }
  return machines;
}

Result<std::vector<Machine>> ReadClusterFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument("cluster file " + path +
                                   ": not found (or not a regular file)");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
    return Status::InvalidArgument("cluster file " + path +
                                   ": larger than 1 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in.good() && !in.eof()) {
    return Status::InvalidArgument("cluster file " + path + ": cannot read it");
  }
  return ParseClusterFile(text.str(), "cluster file " + path);
}

std::string FindClusterFile(const std::string& option) {
  if (!option.empty()) return option;
  const char* env = std::getenv("KRGDEMO_CLUSTER");
  if (env != nullptr && *env != '\0') return env;
  const std::string etc = SysPath("/etc/krgdemo/cluster");
  return ::access(etc.c_str(), F_OK) == 0 ? etc : "";
}

Result<std::vector<std::string>> SshCommand() {
  std::vector<std::string> argv = {"ssh"};
  const char* config = std::getenv("KRGDEMO_SSH_CONFIG");
  // The LiveCD's netboot head writes /etc/krgdemo/ssh_config (its cluster
  // key and known hosts) beside /etc/krgdemo/cluster: both are found with
  // no step from the user. Only root can write under /etc.
  std::string etc_config;
  if (config == nullptr || *config == '\0') {
    etc_config = SysPath("/etc/krgdemo/ssh_config");
    if (::access(etc_config.c_str(), F_OK) == 0) config = etc_config.c_str();
  }
  if (config != nullptr && *config != '\0') {
    const std::string path = config;
    if (path[0] != '/' || path.find_first_of(" \t\n") != std::string::npos ||
        ::access(path.c_str(), R_OK) != 0) {
      return Status::InvalidArgument(
          std::string(etc_config.empty() ? "KRGDEMO_SSH_CONFIG '" : "'") +
          path.substr(0, 80) +
          "': expected a readable ssh_config file, an absolute path without "
          "spaces");
    }
    argv.insert(argv.end(), {"-F", path});
  }
  // Never a password prompt (mpirun would hang on it), and an unreachable
  // machine costs seconds, not minutes. A machine that vanishes mid-run
  // (its network gone: no RST, TCP would wait for minutes) misses three
  // keepalives 2 s apart: its ssh ends, mpirun's launcher sees its daemon
  // lost and ends the job. LogLevel INFO, whatever the user's ssh_config
  // says: that is the level of ssh's "Timeout, server H not responding",
  // which names the machine in mpirun's output.
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                           "-o", "ServerAliveInterval=2", "-o",
                           "ServerAliveCountMax=3", "-o", "LogLevel=INFO"});
  return argv;
}

std::string DescribeSshFailure(const std::string& address, const ExitInfo& exit,
                               const std::string& err) {
  auto has = [&err](const char* text) {
    return err.find(text) != std::string::npos;
  };
  if (has("Permission denied")) {
    return address +
           " refuses this machine's ssh key: add your public key to its "
           "~/.ssh/authorized_keys (ssh-copy-id " +
           address + "), or name the key in KRGDEMO_SSH_CONFIG";
  }
  if (has("Host key verification failed") || has("No ED25519 host key") ||
      has("host key for")) {
    return address +
           "'s host key is not known (or changed): add it to known_hosts "
           "(ssh-keyscan " +
           address + " >> ~/.ssh/known_hosts, after checking it)";
  }
  if (has("Connection refused")) {
    return address + " refuses ssh connections: is sshd running on it?";
  }
  if (has("timed out") || has("No route to host") ||
      has("Network is unreachable") || has("Could not resolve")) {
    return address + " is unreachable (" +
           err.substr(0, err.find_first_of("\r\n")) + ")";
  }
  std::string first = err.substr(0, err.find_first_of("\r\n"));
  return address + ": ssh " + exit.ToString() +
         (first.empty() ? "" : ": " + first);
}

std::string MpiHostfile(const std::vector<Machine>& machines,
                        const std::set<std::string>& local) {
  // Rank 0, the master, stays here: it writes the run's artifacts and
  // never computes. Open MPI maps ranks to the hostfile's slots in order.
  auto here = std::find_if(
      machines.begin(), machines.end(),
      [&](const Machine& m) { return local.count(m.address) != 0; });
  std::string text =
      here == machines.end()
          ? "localhost slots=1\n"
          : here->address + " slots=" + std::to_string(here->cpus + 1) + "\n";
  for (auto m = machines.begin(); m != machines.end(); ++m) {
    if (m == here) continue;
    text += m->address + " slots=" + std::to_string(m->cpus) + "\n";
  }
  return text;
}

std::set<std::string> LocalAddresses() {
  std::set<std::string> out = {"localhost", "127.0.0.1"};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] != '\0') {
    out.insert(host);
  }
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (struct ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
    if (::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr) {
      out.insert(text);
    }
  }
  ::freeifaddrs(list);
  return out;
}

std::string MachineSampleCommand(const std::string& interval) {
  const std::string sep = std::string("; echo ") + kSampleSeparator + "; ";
  return "cat /proc/stat" + sep + "cat /proc/loadavg" + sep +
         "cat /proc/meminfo" + sep + "sleep " + interval + "; cat /proc/stat";
}

MachineSample ParseMachineSample(const std::string& out) {
  std::vector<std::string> parts;
  for (std::size_t at = 0;;) {
    const std::size_t sep = out.find(kSampleSeparator, at);
    parts.push_back(out.substr(at, sep == std::string::npos ? sep : sep - at));
    if (sep == std::string::npos) break;
    at = sep + std::string(kSampleSeparator).size();
  }
  MachineSample s;
  if (parts.size() != 4) return s;
  std::vector<int> ids;
  std::istringstream stat(parts[0]);
  for (std::string line; std::getline(stat, line);) {
    if (line.size() > 3 && line.rfind("cpu", 0) == 0 &&
        std::isdigit(static_cast<unsigned char>(line[3]))) {
      ids.push_back(std::atoi(line.c_str() + 3));
    }
  }
  s.cpus = static_cast<int>(ids.size());
  const std::vector<double> load = CpuLoadBetween(parts[0], parts[3], ids);
  double sum = 0;
  for (double l : load) sum += l;
  s.load = load.empty() ? 0 : sum / static_cast<double>(load.size());
  std::istringstream loadavg(parts[1]);
  if (double v = 0; loadavg >> v && v >= 0) s.loadavg_1m = v;
  if (parts[2].find("MemTotal:") != std::string::npos) {
    s.mem_used = MemUsedFraction(parts[2]);
  }
  return s;
}

std::vector<MachineLoad> JudgeMachineLoads(const std::vector<Node>& nodes,
                                           double busy_over) {
  std::vector<MachineLoad> out;
  for (const Node& n : nodes) {
    if (n.loadavg_1m < 0) continue;  // unreachable, or not sampled
    MachineLoad m;
    m.address = n.address;
    m.loadavg_1m = n.loadavg_1m;
    // Its own kernel's CPUs; the cluster file's slots when unread.
    m.cpus =
        n.machine_cpus > 0 ? n.machine_cpus : static_cast<int>(n.cpus.size());
    m.per_cpu = m.loadavg_1m / std::max(1, m.cpus);
    m.busy = m.per_cpu > busy_over;
    out.push_back(m);
  }
  return out;
}

std::string BusyMachinesText(const std::vector<MachineLoad>& loads) {
  std::string text;
  for (const MachineLoad& m : loads) {
    if (!m.busy) continue;
    char line[160];
    std::snprintf(line, sizeof line, "%s (load %.1f on %d CPU%s, %.2f per CPU)",
                  m.address.c_str(), m.loadavg_1m, m.cpus,
                  m.cpus == 1 ? "" : "s", m.per_cpu);
    text += (text.empty() ? "" : ", ") + std::string(line);
  }
  return text;
}

}  // namespace krg::platform
