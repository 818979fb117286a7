#include "memtiers.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "krg/checksum.h"
#include "krg/gnuplot.h"
#include "krg/metadata.h"
#include "krg/number_format.h"
#include "krg/params.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "scientific/memtiers_kernel.h"

namespace krg::demos {
namespace {

namespace mt = krg::demos::memtiers;

constexpr std::uint64_t kKiB = 1024, kMiB = kKiB * 1024, kGiB = kMiB * 1024;

// How a sweep is run: its sizes and how long each measurement lasts.
struct Plan {
  std::uint64_t min = 4 * kKiB, max = 0;
  int points = 2;                     // sizes per doubling
  std::uint64_t block_bytes = 0;      // triad: bytes moved per timed block
  int blocks = 3;                     // triad: timed blocks, the best counts
  std::uint64_t min_steps = 1 << 20;  // chase: loads timed at least

  std::vector<std::uint64_t> Sizes() const {
    std::vector<std::uint64_t> out;
    for (int k = 0;; ++k) {
      const double s = double(min) * std::pow(2.0, double(k) / points);
      if (s > double(max)) break;
      out.push_back(std::uint64_t(s) / mt::kGrain * mt::kGrain);
    }
    out.push_back(max / mt::kGrain * mt::kGrain);
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
};

// One size's record in the unit's bytes: the exact part, then the figures.
struct Exact {
  std::uint64_t bytes, triad_check, nodes, steps, id_sum, end;
};
struct Record {
  Exact exact;
  double triad_gbs, chase_ns;
};
static_assert(sizeof(Record) == 64, "no padding in the unit bytes");

struct Free {
  void operator()(void* p) const { std::free(p); }
};

class Memtiers final : public FarmWorkload {
 public:
  explicit Memtiers(const Plan& plan) : plan_(plan), sizes_(plan.Sizes()) {}

  WorkAmount work() const override {
    return {double(sizes_.size()), "sizes/s"};
  }
  std::size_t unit_count() const override { return 1; }
  Status RunUnit(std::size_t i, std::string* out) const override;
  void BeginPass() override { records_.clear(); }
  Status Merge(std::size_t i, std::string_view bytes) override;
  Verification Verify() override;
  Status WriteArtifacts(const std::filesystem::path& dir) override;

 private:
  Exact Expected(std::uint64_t bytes) const {
    const mt::ChaseResult c = mt::ExpectedChase(bytes, plan_.min_steps);
    return {bytes, mt::ExpectedTriadCheck(bytes), c.nodes, c.steps, c.id_sum,
            c.end};
  }
  std::string Summary() const;

  const Plan plan_;
  const std::vector<std::uint64_t> sizes_;
  std::vector<Record> records_;  // of the last pass
  // Over every pass of the run: the best triad rate and the lowest latency
  // per size (STREAM's rule: the best of several trials).
  std::map<std::uint64_t, std::pair<double, double>> best_;
  int passes_ = 0;
};

Status Memtiers::RunUnit(std::size_t, std::string* out) const {
  const std::uint64_t top = sizes_.back();
  const std::size_t alloc = (top + 4095) / 4096 * 4096;
  // One block for the whole sweep: each size reuses the pages the smaller
  // ones touched, so only the new part is faulted in.
  std::unique_ptr<void, Free> mem(std::aligned_alloc(4096, alloc));
  if (!mem) {
    return Status::Internal("cannot allocate " + ByteSizeString(alloc) +
                            " for the largest working set");
  }
  for (std::uint64_t bytes : sizes_) {
    Record r;
    const mt::TriadResult t =
        mt::MeasureTriad(mem.get(), bytes, plan_.block_bytes, plan_.blocks);
    const mt::ChaseResult c =
        mt::MeasureChase(mem.get(), bytes, bytes, plan_.min_steps);
    r.exact = {bytes, t.check, c.nodes, c.steps, c.id_sum, c.end};
    r.triad_gbs = t.best_gbs;
    r.chase_ns = c.ns_per_load;
    out->append(reinterpret_cast<const char*>(&r), sizeof r);
  }
  return Status::Ok();
}

Status Memtiers::Merge(std::size_t, std::string_view bytes) {
  if (bytes.size() != sizes_.size() * sizeof(Record)) {
    return Status::Internal("the sweep has " + std::to_string(bytes.size()) +
                            " bytes, expected " +
                            std::to_string(sizes_.size() * sizeof(Record)));
  }
  records_.resize(sizes_.size());
  std::memcpy(records_.data(), bytes.data(), bytes.size());
  ++passes_;
  for (const Record& r : records_) {
    auto [it, fresh] =
        best_.try_emplace(r.exact.bytes, r.triad_gbs, r.chase_ns);
    if (!fresh) {
      it->second.first = std::max(it->second.first, r.triad_gbs);
      it->second.second = std::min(it->second.second, r.chase_ns);
    }
  }
  return Status::Ok();
}

Verification Memtiers::Verify() {
  Verification v;
  std::uint64_t h = kFnvOffset;
  for (const Record& r : records_) h = Fnv1a64(&r.exact, sizeof r.exact, h);
  v.checksum = ChecksumString(h);
  if (records_.size() != sizes_.size()) {
    v.detail = "the sweep was never merged";
    return v;
  }
  for (std::size_t i = 0; i < sizes_.size(); ++i) {
    const Exact want = Expected(sizes_[i]);
    const Exact& got = records_[i].exact;
    const std::string at = " at " + ByteSizeString(sizes_[i]);
    if (got.bytes != want.bytes) {
      v.detail = "size " + std::to_string(i) + " is " +
                 std::to_string(got.bytes) + " bytes, expected " +
                 std::to_string(want.bytes);
      return v;
    }
    if (got.triad_check != want.triad_check) {
      v.detail = "the triad array's checksum is wrong" + at;
      return v;
    }
    if (got.nodes != want.nodes || got.steps != want.steps ||
        got.id_sum != want.id_sum || got.end != want.end) {
      v.detail = "the pointer chase did not visit every line" + at;
      return v;
    }
    if (!(records_[i].triad_gbs > 0) || !(records_[i].chase_ns > 0)) {
      v.detail = "no measurement" + at;
      return v;
    }
  }
  v.ok = true;
  v.detail = std::to_string(sizes_.size()) + " sizes, " +
             ByteSizeString(sizes_.front()) + " to " +
             ByteSizeString(sizes_.back()) +
             ": triad and chase checksums as expected; " + Summary();
  return v;
}

// "triad 180 GB/s at 4 KiB .. 11.2 GB/s at 1 GiB, latency 1.1 .. 95 ns".
std::string Memtiers::Summary() const {
  const Record& a = records_.front();
  const Record& b = records_.back();
  return "triad " + FormatNumber(a.triad_gbs) + " GB/s at " +
         ByteSizeString(a.exact.bytes) + " .. " + FormatNumber(b.triad_gbs) +
         " GB/s at " + ByteSizeString(b.exact.bytes) + ", latency " +
         FormatNumber(a.chase_ns) + " .. " + FormatNumber(b.chase_ns) + " ns";
}

// The cache sizes one core can use and the RAM, for the chart.
std::vector<std::pair<std::string, std::int64_t>> TierSizes() {
  std::vector<std::pair<std::string, std::int64_t>> out = platform::CpuCaches();
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0)
    out.emplace_back("RAM", std::int64_t(pages) * page);
  return out;
}

// gnuplot runs in the chart's folder: the script names its files relative.
std::string ChartScript(const std::vector<std::uint64_t>& sizes) {
  const std::string dat = "'memtiers.dat'";
  std::ostringstream gp;
  gp << "# Draws memtiers.png and memtiers.svg: gnuplot memtiers.gp\n"
     << "set logscale x 2\nset format x '%.0b%BB'\nset grid\n"
     << "set xrange [" << sizes.front() * 0.9 << ":" << sizes.back() * 1.1
     << "]\nset key off\n";
  int k = 1;
  for (const auto& [name, bytes] : TierSizes()) {
    if (double(bytes) > sizes.back() * 1.1 || double(bytes) < sizes.front()) {
      continue;
    }
    gp << "set arrow " << k << " from " << bytes << ", graph 0 to " << bytes
       << ", graph 1 nohead dt 2 lc rgb 'gray40'\n"
       << "set label " << k << " " << GnuplotLabel(name) << " at " << bytes
       << ", graph 0.95 offset 0.5,0 tc rgb 'gray30'\n";
    ++k;
  }
  std::ostringstream body;
  body << "set multiplot layout 2,1 title "
       << "'memtiers: the memory hierarchy of one process'\n"
       << "set ylabel 'triad bandwidth (GB/s)'\nset logscale y 10\n"
       << "plot " << dat << " using 1:2 with linespoints lw 2 pt 7 lc 1\n"
       << "set xlabel 'working set'\nset ylabel 'load latency (ns)'\n"
       << "plot " << dat << " using 1:3 with linespoints lw 2 pt 5 lc 2\n"
       << "unset multiplot\n";
  gp << "set terminal pngcairo size 960,800 font 'DejaVu Sans,12'\n"
     << "set output 'memtiers.png'\n"
     << body.str()
     << "set terminal svg size 960,800 dynamic font 'DejaVu Sans,12'\n"
     << "set output 'memtiers.svg'\n"
     << body.str() << "set output\n";
  return gp.str();
}

Status Memtiers::WriteArtifacts(const std::filesystem::path& dir) {
  if (best_.empty()) return Status::Ok();
  const auto abs = std::filesystem::absolute(dir);
  std::ostringstream dat, csv;
  dat << "# bytes triad_GB/s latency_ns (best of " << passes_ << " passes)\n";
  csv << "bytes,triad_gbs,latency_ns\n";
  for (const auto& [bytes, figures] : best_) {
    dat << bytes << " " << figures.first << " " << figures.second << "\n";
    csv << bytes << "," << figures.first << "," << figures.second << "\n";
  }
  KRG_RETURN_IF_ERROR(WriteFileAtomic(abs / "memtiers.dat", dat.str()));
  KRG_RETURN_IF_ERROR(WriteFileAtomic(abs / "memtiers.csv", csv.str()));
  KRG_RETURN_IF_ERROR(
      WriteFileAtomic(abs / "memtiers.gp", ChartScript(sizes_)));
  auto drawn = RunGnuplotIn(abs, {"memtiers.gp"});
  if (!drawn.ok()) {
    return Status::Unavailable(
        "gnuplot not found: wrote memtiers.dat and memtiers.gp but no chart "
        "(install gnuplot-nox, then run 'gnuplot memtiers.gp' there)");
  }
  if (!drawn->exit.exited || drawn->exit.code != 0) {
    return Status::Internal("gnuplot failed (" + drawn->exit.ToString() +
                            "): " + drawn->err.substr(0, 200));
  }
  return Status::Ok();
}

std::uint64_t MemoryBytes(int key) {
  const long pages = ::sysconf(key), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? std::uint64_t(pages) * std::uint64_t(page) : 0;
}

// The preset's plan; its default maximum is a quarter of the free memory,
// capped by the size.
Plan Preset(const std::string& size) {
  const std::uint64_t quarter =
      std::max<std::uint64_t>(16 * kMiB, MemoryBytes(_SC_AVPHYS_PAGES) / 4);
  Plan p;
  if (size == "test") {
    p.max = 8 * kMiB;
    p.points = 1;
    p.block_bytes = 4 * kMiB;
    p.blocks = 2;
    p.min_steps = 1 << 14;
  } else if (size == "medium") {
    p.max = std::min(8 * kGiB, quarter);
    p.block_bytes = 64 * kMiB;
    p.min_steps = 1 << 21;
  } else if (size == "large") {
    p.max = quarter;
    p.block_bytes = 128 * kMiB;
    p.blocks = 5;
    p.min_steps = 1 << 22;
  } else {  // small: the default, seconds; past the L3 of most CPUs
    p.max = std::min(128 * kMiB, quarter);
    p.block_bytes = 32 * kMiB;
    // A quarter of the default chase: 4 blocks of 2^18 dependent loads
    // still time each size for tens of ms, and 31 sizes stay quick.
    p.min_steps = 1 << 18;
  }
  return p;
}

// The largest --param max= this system can hold: 90% of its memory, which
// on Kerrighed is the RAM of every node (remote memory).
std::uint64_t Ceiling() {
  auto platform = platform::DetectPlatform();
  auto info = platform->Describe(/*sample_load=*/false);
  std::uint64_t total = info.ok() && info->mem_mb > 0
                            ? std::uint64_t(info->mem_mb) * kMiB
                            : MemoryBytes(_SC_PHYS_PAGES);
  return total / 10 * 9;
}

}  // namespace

Result<std::uint64_t> ParseByteSize(const std::string& key,
                                    const std::string& text) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  std::uint64_t unit = 1;
  std::string suffix(p, end);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) {
    suffix.pop_back();
  }
  if (suffix.size() == 2 && (suffix[1] == 'i' || suffix[1] == 'I')) {
    suffix.pop_back();  // "KiB" as "K"
  }
  if (suffix == "K" || suffix == "k") unit = kKiB;
  if (suffix == "M" || suffix == "m") unit = kMiB;
  if (suffix == "G" || suffix == "g") unit = kGiB;
  if (suffix == "T" || suffix == "t") unit = kGiB * 1024;
  const bool known = suffix.empty() || unit > 1;
  if (ec != std::errc() || p == text.data() || !known ||
      v > (std::uint64_t(1) << 50) / unit) {
    return Status::InvalidArgument("--param " + key + "=" + text +
                                   ": expected a size such as 64K, 512M or "
                                   "4G");
  }
  return v * unit;
}

std::string ByteSizeString(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return FormatNumber(v) + " " + units[u];
}

std::string MemtiersParamsHelp() {
  return "max=SIZE                largest working set, e.g. 512M, 4G (default: "
         "a quarter of the free memory; small at most 128M, medium 8G, "
         "test "
         "8M); on Kerrighed, above this node's RAM with --nodes 2 or more "
         "reaches remote memory\n"
         "min=SIZE                smallest working set (default 4K, inside "
         "L1)\n"
         "points=N                sizes per doubling, 1 to 8 (default 2; "
         "test 1)";
}

Result<std::unique_ptr<Workload>> MakeMemtiers(const DemoConfig& config) {
  Plan plan = Preset(config.size);
  Params p(config.params);
  KRG_ASSIGN_OR_RETURN(std::string max_text, p.String("max", ""));
  KRG_ASSIGN_OR_RETURN(std::string min_text, p.String("min", "4K"));
  KRG_ASSIGN_OR_RETURN(long long points, p.Int("points", plan.points, 1, 8));
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("memtiers"));
  plan.points = int(points);
  KRG_ASSIGN_OR_RETURN(plan.min, ParseByteSize("min", min_text));
  if (!max_text.empty()) {
    KRG_ASSIGN_OR_RETURN(plan.max, ParseByteSize("max", max_text));
    const std::uint64_t ceiling = Ceiling();
    if (plan.max > ceiling) {
      return Status::InvalidArgument(
          "--param max=" + max_text + " is more than this system can hold (" +
          ByteSizeString(ceiling) + ", 90% of its memory)");
    }
  }
  if (plan.min < 4 * kKiB) {
    return Status::InvalidArgument("--param min=" + min_text +
                                   ": at least 4K (a chase needs lines)");
  }
  if (plan.max < plan.min) {
    return Status::InvalidArgument("--param max=" + ByteSizeString(plan.max) +
                                   " is below min=" + ByteSizeString(plan.min));
  }
  return std::unique_ptr<Workload>(new Memtiers(plan));
}

}  // namespace krg::demos
