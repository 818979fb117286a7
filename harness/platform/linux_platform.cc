#include "linux_platform.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fork_worker.h"

namespace krg::platform {
namespace {

std::string ReadFile(const std::string& path) { return ReadSmallFile(path); }

std::string CpuModel() {
  std::istringstream in(ReadFile("/proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        auto start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? "" : line.substr(start);
      }
    }
  }
  return "unknown";
}

std::int64_t MemTotalMb() {
  std::istringstream in(ReadFile("/proc/meminfo"));
  std::string key;
  std::int64_t kb = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") return kb / 1024;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

// cpu number -> {busy, total} jiffies, from a /proc/stat text.
std::map<int, std::pair<std::uint64_t, std::uint64_t>> ParseStat(
    const std::string& text) {
  std::map<int, std::pair<std::uint64_t, std::uint64_t>> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 || line[3] == ' ')
      continue;
    std::istringstream fields(line.substr(3));
    int cpu = 0;
    fields >> cpu;
    std::uint64_t v[8] = {0}, total = 0;
    for (auto& x : v) {
      fields >> x;
      total += x;
    }
    const std::uint64_t idle = v[3] + v[4];  // idle + iowait
    out[cpu] = {total - idle, total};
  }
  return out;
}

class LinuxPlatform final : public Platform {
 public:
  std::string name() const override { return "linux"; }
  PlatformTraits traits() const override {
    PlatformTraits t;
    t.virtual_nodes = true;
    t.memory_shared_between_nodes = true;
    return t;
  }

  Result<SystemInfo> Describe(bool sample_load) override {
    SystemInfo info;
    info.platform = name();
    struct utsname u;
    if (::uname(&u) == 0) {
      info.kernel = std::string(u.sysname) + " " + u.release;
    }
    info.cpu_model = CpuModel();
    std::vector<int> cpus = UsableCpus();
    info.usable_cpus = static_cast<int>(cpus.size());
    info.mem_mb = MemTotalMb();
    Node node{0, cpus, info.mem_mb, 0};
    if (sample_load) {
      // The kernel's own average, read at once: `info` answers in
      // milliseconds (a CPU sample needs a wait between two reads of
      // /proc/stat; the dashboard samples, every tick).
      std::istringstream in(ReadFile("/proc/loadavg"));
      double avg = -1;
      if (in >> avg && avg >= 0) {
        info.loadavg_1m = avg;
        node.load = std::min(1.0, avg / std::max<std::size_t>(1, cpus.size()));
      }
    }
    info.nodes.push_back(node);
    return info;
  }

  Result<Layout> Partition(int count) override {
    KRG_CHECK(count >= 1) << "Partition(" << count << ")";
    std::vector<int> cpus = UsableCpus();
    if (cpus.empty()) return Status::FailedPrecondition("no usable CPU");
    Layout layout;
    std::int64_t mem = MemTotalMb();
    auto groups = SplitCpus(cpus, count);
    for (int i = 0; i < count; ++i) {
      layout.nodes.push_back({i, groups[i], mem / count, 0});
    }
    layout_ = layout;
    if (count > static_cast<int>(cpus.size())) {
      layout.cpus_shared = true;
      layout.note = std::to_string(count) + " nodes on " +
                    std::to_string(cpus.size()) +
                    " CPUs: virtual nodes share CPUs, so speedup stops at " +
                    std::to_string(cpus.size()) + ".";
    }
    return layout;
  }

  Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                            const WorkerBody& body) override {
    return ForkWorker(node.cpus, kind, body);
  }

  Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>&) override {
    CapsReport report;  // linux has no cluster capabilities
    report.requested = raise;
    return report;
  }

  Status MoveProcess(pid_t pid, const Node& node) override;
  Result<int> NodeOf(pid_t pid) override;

 private:
  Layout layout_;  // of the last Partition(): maps CPUs back to nodes
};

}  // namespace

std::vector<int> UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < (n > 0 ? n : 1); ++c) cpus.push_back(int(c));
  }
  return cpus;
}

std::vector<std::vector<int>> SplitCpus(const std::vector<int>& cpus,
                                        int count) {
  KRG_CHECK(!cpus.empty() && count >= 1) << "SplitCpus";
  std::vector<std::vector<int>> groups(count);
  const int n = static_cast<int>(cpus.size());
  if (count >= n) {
    for (int i = 0; i < count; ++i) groups[i].push_back(cpus[i % n]);
    return groups;
  }
  // The first n % count groups get one extra CPU.
  int next = 0;
  for (int i = 0; i < count; ++i) {
    int size = n / count + (i < n % count ? 1 : 0);
    for (int k = 0; k < size; ++k) groups[i].push_back(cpus[next++]);
  }
  return groups;
}

std::vector<double> CpuLoadBetween(const std::string& before,
                                   const std::string& after,
                                   const std::vector<int>& cpus) {
  auto a = ParseStat(before);
  auto b = ParseStat(after);
  std::vector<double> load;
  for (int cpu : cpus) {
    auto ia = a.find(cpu), ib = b.find(cpu);
    double l = 0;
    if (ia != a.end() && ib != b.end() &&
        ib->second.second > ia->second.second) {
      l = double(ib->second.first - ia->second.first) /
          double(ib->second.second - ia->second.second);
    }
    load.push_back(l);
  }
  return load;
}

std::unique_ptr<Platform> MakeLinuxPlatform() {
  return std::make_unique<LinuxPlatform>();
}

Status LinuxPlatform::MoveProcess(pid_t pid, const Node& node) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : node.cpus) CPU_SET(cpu, &set);
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) {
    return Status::NotFound("no process " + std::to_string(pid));
  }
  int moved = 0;
  Status status;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const pid_t tid = std::atoi(e->d_name);
    // Every thread: a process is on a node when all its threads are.
    if (::sched_setaffinity(tid, sizeof set, &set) == 0) {
      ++moved;
    } else if (errno != ESRCH) {
      status = Status::FromErrno("cannot move thread " + std::to_string(tid) +
                                     " of process " + std::to_string(pid),
                                 errno);
    }
  }
  ::closedir(dir);
  if (!status.ok()) return status;
  if (moved == 0) return Status::NotFound("no process " + std::to_string(pid));
  return Status::Ok();
}

Result<int> LinuxPlatform::NodeOf(pid_t pid) {
  // A process is on a virtual node when its CPU set is that node's (a
  // sleeping process keeps its last CPU in /proc/<pid>/stat until it wakes).
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(pid, sizeof set, &set) == 0) {
    for (const Node& n : layout_.nodes) {
      bool same = CPU_COUNT(&set) == static_cast<int>(n.cpus.size());
      for (int cpu : n.cpus) same = same && CPU_ISSET(cpu, &set);
      if (same) return n.id;
    }
  }
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return Status::NotFound("no process " + std::to_string(pid));
  }
  // Fields after the comm: field 3 is state, so field 39 is index 36.
  std::istringstream in(stat.substr(paren + 1));
  std::string field;
  int psr = -1;
  for (int i = 3; i <= 39 && in >> field; ++i) {
    if (i == 39) psr = std::atoi(field.c_str());
  }
  if (psr < 0)
    return Status::NotFound("no CPU for process " + std::to_string(pid));
  for (const Node& n : layout_.nodes) {
    for (int cpu : n.cpus) {
      if (cpu == psr) return n.id;
    }
  }
  return psr;  // no layout: one node per CPU
}

std::unique_ptr<Platform> DetectPlatform() {
  const std::string cluster = ClusterFileInUse();
  if (!cluster.empty()) return MakeClusterPlatform(cluster);
  return DetectLocalPlatform();
}

std::unique_ptr<Platform> DetectLocalPlatform() {
  if (std::filesystem::exists(SysPath("/proc/nodes/self")) ||
      std::filesystem::exists(SysPath("/sys/kerrighed"))) {
    return MakeKerrighedPlatform();
  }
  return MakeLinuxPlatform();
}

}  // namespace krg::platform
