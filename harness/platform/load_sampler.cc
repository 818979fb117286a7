#include "krg/load_sampler.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <utility>

#include "fork_worker.h"
#include "linux_platform.h"

namespace krg::platform {
namespace {

// {busy, total} jiffies of the aggregate "cpu " line of a stat text.
std::optional<std::pair<std::uint64_t, std::uint64_t>> CpuTotals(
    const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("cpu ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::uint64_t v[8] = {0}, total = 0;
    int read = 0;
    for (auto& x : v) {
      if (!(fields >> x)) break;
      total += x;
      ++read;
    }
    if (read < 4) return std::nullopt;
    return std::make_pair(total - v[3] - v[4], total);  // idle + iowait
  }
  return std::nullopt;
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

std::string NodeDir(const Node& n) {
  return "/proc/nodes/node" + std::to_string(n.id) + "/";
}

}  // namespace

double MemUsedFraction(const std::string& meminfo) {
  std::istringstream in(meminfo);
  std::string key;
  double kb = 0, total = 0, available = -1, free_etc = 0;
  while (in >> key >> kb) {
    if (key == "MemTotal:") total = kb;
    if (key == "MemAvailable:") available = kb;
    if (key == "MemFree:" || key == "Buffers:" || key == "Cached:") {
      free_etc += kb;
    }
    in.ignore(1 << 10, '\n');
  }
  if (total <= 0) return 0;
  return Clamp01(1.0 - (available >= 0 ? available : free_etc) / total);
}

LoadSampler::LoadSampler(const Platform& platform, std::vector<Node> nodes)
    : LoadSampler(platform.traits().virtual_nodes ? Source::kProcStat
                                                  : Source::kKerrighedNodes,
                  std::move(nodes), ReadSmallFile) {}

LoadSampler::LoadSampler(Source source, std::vector<Node> nodes,
                         FileReader read)
    : source_(source),
      nodes_(std::move(nodes)),
      read_(std::move(read)),
      load_(nodes_.size(), 0.0) {
  if (source_ == Source::kProcStat) {
    last_.push_back(read_("/proc/stat"));
  } else {
    for (const Node& n : nodes_) {
      last_.push_back(read_(SysPath(NodeDir(n) + "stat")));
    }
  }
}

std::vector<double> LoadSampler::Sample() {
  load_ = source_ == Source::kProcStat ? SampleProcStat() : SampleKerrighed();
  return load_;
}

std::vector<double> LoadSampler::MemoryUsed() const {
  if (source_ == Source::kProcStat) {
    return std::vector<double>(nodes_.size(),
                               MemUsedFraction(read_("/proc/meminfo")));
  }
  std::vector<double> out;
  for (const Node& n : nodes_) {
    out.push_back(MemUsedFraction(read_(SysPath(NodeDir(n) + "meminfo"))));
  }
  return out;
}

std::vector<double> LoadSampler::SampleProcStat() {
  std::string now = read_("/proc/stat");
  std::vector<double> out(nodes_.size(), 0.0);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const std::vector<double> per_cpu =
        CpuLoadBetween(last_[0], now, nodes_[i].cpus);
    double sum = 0;
    for (double l : per_cpu) sum += l;
    out[i] = per_cpu.empty() ? 0 : Clamp01(sum / double(per_cpu.size()));
  }
  // Two reads within one tick of the counters: keep the previous answer.
  if (now == last_[0]) return load_;
  last_[0] = std::move(now);
  return out;
}

std::vector<double> LoadSampler::SampleKerrighed() {
  std::vector<double> out(nodes_.size(), 0.0);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const Node& n = nodes_[i];
    std::string now = read_(SysPath(NodeDir(n) + "stat"));
    auto before = CpuTotals(last_[i]);
    auto after = CpuTotals(now);
    if (before && after && after->second > before->second &&
        after->first >= before->first) {
      out[i] = Clamp01(double(after->first - before->first) /
                       double(after->second - before->second));
    } else {
      // No moving counters (a node that has not ticked, or a stat file
      // without them): the run-queue average per CPU says roughly as much.
      const std::string avg = read_(SysPath(NodeDir(n) + "loadavg"));
      const double cpus = n.cpus.empty() ? 1.0 : double(n.cpus.size());
      out[i] = avg.empty() ? 0.0 : Clamp01(std::atof(avg.c_str()) / cpus);
    }
    last_[i] = std::move(now);
  }
  return out;
}

}  // namespace krg::platform
