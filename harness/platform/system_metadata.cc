// System metadata from /proc, /sys, /etc/os-release and uname(2).
#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <tuple>

#include "krg/metadata.h"

namespace krg::platform {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// True when a cpuinfo line is "key<spaces>: value"; sets *value.
bool CpuinfoField(const std::string& line, const std::string& key,
                  std::string* value) {
  if (line.rfind(key, 0) != 0) return false;
  const auto colon = line.find(':');
  if (colon == std::string::npos) return false;
  if (Trim(line.substr(0, colon)) != key) return false;
  *value = Trim(line.substr(colon + 1));
  return true;
}

int UsableCpuCount() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return 0;
  return CPU_COUNT(&set);
}

// The integer in a one-line file, or null when absent or unreadable.
json IntFile(const fs::path& path) {
  std::istringstream in(ReadText(path));
  long long v = 0;
  if (in >> v) return v;
  return nullptr;
}

// One entry per proc/nodes/node<N>/ folder: id, CPUs, memory.
json KerrighedNodes(const fs::path& nodes_dir) {
  json nodes = json::array();
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(nodes_dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("node", 0) == 0 && name.size() > 4 && name.size() < 12 &&
        std::all_of(name.begin() + 4, name.end(),
                    [](unsigned char c) { return std::isdigit(c) != 0; })) {
      dirs.push_back(e.path());
    }
  }
  std::sort(dirs.begin(), dirs.end());
  for (const fs::path& d : dirs) {
    json id = IntFile(d / "nodeid");
    if (id.is_null()) id = std::atoll(d.filename().string().c_str() + 4);
    nodes.push_back({{"id", id},
                     {"cpus", CountProcessors(ReadText(d / "cpuinfo"))},
                     {"mem_mb", ParseMemTotalMb(ReadText(d / "meminfo"))}});
  }
  std::sort(nodes.begin(), nodes.end(), [](const json& a, const json& b) {
    return a["id"].get<long long>() < b["id"].get<long long>();
  });
  return nodes;
}

json SchedulerNames(const fs::path& dir) {
  json names = json::array();
  std::error_code ec;
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    found.push_back(e.path().filename().string());
  }
  std::sort(found.begin(), found.end());
  for (const std::string& n : found) names.push_back(n);
  return names;
}

}  // namespace

std::map<std::string, std::string> ParseOsRelease(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    line = Trim(line);
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    std::string value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value[0] == '"' || value[0] == '\'') &&
        value.back() == value[0]) {
      value = value.substr(1, value.size() - 2);
    }
    std::string unescaped;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '\\' && i + 1 < value.size()) ++i;
      unescaped += value[i];
    }
    out[Trim(line.substr(0, eq))] = unescaped;
  }
  return out;
}

std::int64_t ParseMemTotalMb(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string key;
    long long kb = 0;
    if (fields >> key >> kb && key == "MemTotal:") return kb / 1024;
  }
  return 0;
}

std::string ParseCpuModel(const std::string& text) {
  std::istringstream in(text);
  std::string value;
  for (std::string line; std::getline(in, line);) {
    if (CpuinfoField(line, "model name", &value)) return value;
  }
  return "unknown";
}

int CountProcessors(const std::string& text) {
  std::istringstream in(text);
  std::string value;
  int count = 0;
  for (std::string line; std::getline(in, line);) {
    if (CpuinfoField(line, "processor", &value)) ++count;
  }
  return count;
}

json CollectKerrighedMetadata(const fs::path& root) {
  std::error_code ec;
  const bool proc_nodes = fs::exists(root / "proc/nodes/self", ec);
  const bool sys = fs::is_directory(root / "sys/kerrighed", ec);
  if (!proc_nodes && !sys) return nullptr;
  const fs::path nodes_dir = fs::is_directory(root / "proc/nodes", ec)
                                 ? root / "proc/nodes"
                                 : root / "proc/kerrighed/nodes";
  json k = {
      {"nodes", KerrighedNodes(nodes_dir)},
      {"node_id", IntFile(root / "sys/kerrighed/node_id")},
      {"max_nodes", IntFile(root / "sys/kerrighed/max_nodes")},
      {"abi", IntFile(root / "sys/kerrighed/abi")},
      {"schedulers", SchedulerNames(root / "config/krg_scheduler/schedulers")}};
  // The Kerrighed version and capability sets need the Kerrighed tools
  // (`krgcapset -s` reports on its parent): the kerrighed platform reads
  // them (SystemInfo::kerrighed) and `bench` merges its record over this.
  k["version"] = nullptr;
  return k;
}

fs::path ExecutablePath() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe;
}

double ParseLoad1(const std::string& text) {
  std::istringstream in(text);
  double load = -1;
  if (!(in >> load) || !(load >= 0)) return -1;
  return load;
}

std::pair<std::uint64_t, std::uint64_t> ParseStealAndTotal(
    const std::string& text) {
  std::istringstream in(text);
  std::string name;
  if (!(in >> name) || name != "cpu") return {0, 0};
  // user nice system idle iowait irq softirq steal (guest time is already
  // inside user and nice, so it is not added again).
  std::uint64_t v = 0, total = 0, steal = 0;
  for (int i = 0; i < 8 && (in >> v); ++i) {
    total += v;
    if (i == 7) steal = v;
  }
  return {steal, total};
}

HostLoad ReadHostLoad(const fs::path& root) {
  HostLoad h;
  h.load1 = ParseLoad1(ReadText(root / "proc/loadavg"));
  std::tie(h.steal_ticks, h.total_ticks) =
      ParseStealAndTotal(ReadText(root / "proc/stat"));
  const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
  h.cpus = online > 0 ? int(online) : 1;
  h.ok = h.load1 >= 0 && h.total_ticks > 0;
  return h;
}

SystemMetadata CollectSystemMetadata(const fs::path& root) {
  SystemMetadata m;
  const std::string cpuinfo = ReadText(root / "proc/cpuinfo");
  m.cpu_model = ParseCpuModel(cpuinfo);
  m.logical_cpus = CountProcessors(cpuinfo);
  m.usable_cpus = UsableCpuCount();
  m.mem_mb = ParseMemTotalMb(ReadText(root / "proc/meminfo"));
  struct utsname u;
  if (::uname(&u) == 0) {
    m.kernel_name = u.sysname;
    m.kernel_release = u.release;
    m.kernel_version = u.version;
    m.machine = u.machine;
  }
  std::string os = ReadText(root / "etc/os-release");
  if (os.empty()) os = ReadText(root / "usr/lib/os-release");
  auto release = ParseOsRelease(os);
  m.distro_id = release["ID"];
  m.distro_version = release["VERSION_ID"];
  m.distro_name = release["PRETTY_NAME"];
  m.kerrighed = CollectKerrighedMetadata(root);
  return m;
}

nlohmann::json ToJson(const SystemMetadata& m) {
  return {{"cpu",
           {{"model", m.cpu_model},
            {"logical_cpus", m.logical_cpus},
            {"usable_cpus", m.usable_cpus}}},
          {"memory_mb", m.mem_mb},
          {"kernel",
           {{"name", m.kernel_name},
            {"release", m.kernel_release},
            {"version", m.kernel_version},
            {"machine", m.machine}}},
          {"distribution",
           {{"id", m.distro_id},
            {"version_id", m.distro_version},
            {"name", m.distro_name}}},
          {"kerrighed", m.kerrighed}};
}

std::vector<std::pair<std::string, std::int64_t>> CpuCaches(
    const fs::path& root) {
  std::vector<std::pair<int, std::pair<std::string, std::int64_t>>> found;
  std::error_code ec;
  for (const auto& e :
       fs::directory_iterator(root / "sys/devices/system/cpu/cpu0/cache", ec)) {
    if (e.path().filename().string().rfind("index", 0) != 0) continue;
    const std::string type = ReadText(e.path() / "type");
    const int level = std::atoi(ReadText(e.path() / "level").c_str());
    const std::string size = ReadText(e.path() / "size");  // "32768K"
    std::int64_t bytes = std::atoll(size.c_str());
    if (size.find('K') != std::string::npos) bytes <<= 10;
    if (size.find('M') != std::string::npos) bytes <<= 20;
    if (level <= 0 || bytes <= 0 || type.rfind("Instruction", 0) == 0) {
      continue;
    }
    const bool data = type.rfind("Data", 0) == 0;
    found.push_back(
        {level, {"L" + std::to_string(level) + (data ? "d" : ""), bytes}});
  }
  std::sort(found.begin(), found.end());
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

}  // namespace krg::platform
