#include "linsolve.h"

#include <cstring>
#include <fstream>
#include <vector>

#include "krg/checksum.h"
#include "krg/params.h"
#include "scientific/linsolve_kernel.h"

namespace krg::demos {
namespace {

namespace ls = krg::demos::linsolve;

// A unit's bytes: fixed-size, little-endian (x86-64 and every Kerrighed node
// alike), nothing that depends on rounding.
struct Record {
  std::uint64_t index = 0;
  std::uint64_t seed = 0;
  std::uint64_t solution_sum = 0;
  std::uint32_t n = 0;
  std::uint8_t residual_ok = 0;
  std::uint8_t exact = 0;
  std::uint8_t singular = 0;
  std::uint8_t pad = 0;
};
static_assert(sizeof(Record) == 32, "no padding in the unit bytes");

class Linsolve final : public FarmWorkload {
 public:
  Linsolve(int n, int systems, std::uint64_t base_seed)
      : n_(n), systems_(systems), base_seed_(base_seed) {}

  WorkAmount work() const override {
    return {double(systems_) * ls::SolveFlops(n_) / 1e9, "GFLOP/s"};
  }
  std::size_t unit_count() const override { return std::size_t(systems_); }

  Status RunUnit(std::size_t i, std::string* out) const override {
    Record r;
    r.index = i;
    r.seed = ls::SystemSeed(base_seed_, i);
    r.n = std::uint32_t(n_);
    const ls::Solved s = ls::SolveSystem(r.seed, n_);
    r.solution_sum = s.solution_sum;
    r.residual_ok = s.scaled_residual < ls::kResidualBound;
    r.exact = s.exact;
    r.singular = s.singular;
    out->append(reinterpret_cast<const char*>(&r), sizeof r);
    return Status::Ok();
  }
  void BeginPass() override {
    records_.assign(unit_count(), Record{});
    merged_.assign(unit_count(), false);
  }
  Status Merge(std::size_t i, std::string_view bytes) override {
    if (bytes.size() != sizeof(Record)) {
      return Status::Internal("system " + std::to_string(i) + " has " +
                              std::to_string(bytes.size()) +
                              " bytes, expected " +
                              std::to_string(sizeof(Record)));
    }
    std::memcpy(&records_[i], bytes.data(), sizeof(Record));
    merged_[i] = true;
    return Status::Ok();
  }
  Verification Verify() override;
  Status WriteArtifacts(const std::filesystem::path& dir) override;

 private:
  // Empty when system i is right, else what is wrong with it.
  std::string Check(std::size_t i) const;

  const int n_;
  const int systems_;
  const std::uint64_t base_seed_;
  std::vector<Record> records_;
  std::vector<bool> merged_;
};

std::string Linsolve::Check(std::size_t i) const {
  const Record& r = records_[i];
  const std::string what = "system " + std::to_string(i);
  if (!merged_[i]) return what + " was never merged";
  if (r.index != i || r.n != std::uint32_t(n_) ||
      r.seed != ls::SystemSeed(base_seed_, i)) {
    return what + " answered for another system";
  }
  if (r.singular) return what + ": the LU hit a zero pivot";
  if (!r.residual_ok) return what + ": HPL scaled residual >= 16";
  if (!r.exact || r.solution_sum != ls::ExactSolutionSum(r.seed, n_)) {
    return what + ": x is not the exact solution";
  }
  return "";
}

Verification Linsolve::Verify() {
  Verification v;
  v.checksum = ChecksumString(
      Fnv1a64(records_.data(), records_.size() * sizeof(Record)));
  for (std::size_t i = 0; i < records_.size(); ++i) {
    v.detail = Check(i);
    if (!v.detail.empty()) return v;
  }
  v.ok = true;
  v.detail = std::to_string(systems_) + " systems of order " +
             std::to_string(n_) +
             ": HPL scaled residual < 16 and x equal to the exact solution "
             "in each (" +
             ls::Backend() + ")";
  return v;
}

Status Linsolve::WriteArtifacts(const std::filesystem::path& dir) {
  const auto path = dir / "linsolve.csv";
  std::ofstream out(path);
  out << "system,n,seed,residual_below_16,exact_solution\n";
  for (const Record& r : records_) {
    out << r.index << "," << r.n << "," << r.seed << "," << int(r.residual_ok)
        << "," << int(r.exact) << "\n";
  }
  out.close();
  if (!out) return Status::IoError("cannot write " + path.string());
  return Status::Ok();
}

struct SizePreset {
  int n, systems;
};

SizePreset Preset(const std::string& size) {
  if (size == "test") return {96, 6};
  if (size == "medium") return {2000, 16};
  if (size == "large") return {4000, 16};
  return {1000, 8};  // small
}

}  // namespace

std::string LinsolveParamsHelp() {
  return "n=N                     order of each system (default 1000; "
         "test 96, medium 2000, large 4000; at most 20000)\n"
         "systems=M               how many systems, one per unit (default 8; "
         "test 6, medium and large 16)\n"
         "seed=S                  base seed of the matrices (default 1)";
}

Result<std::unique_ptr<Workload>> MakeLinsolve(const DemoConfig& config) {
  const SizePreset preset = Preset(config.size);
  Params p(config.params);
  // 20000: a 3.2 GB matrix per worker; the farm runs one per worker at once.
  KRG_ASSIGN_OR_RETURN(long long n, p.Int("n", preset.n, 1, 20000));
  KRG_ASSIGN_OR_RETURN(long long systems,
                       p.Int("systems", preset.systems, 1, 1000000));
  KRG_ASSIGN_OR_RETURN(long long seed, p.Int("seed", 1, 0, 1LL << 62));
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("linsolve"));
  // Before any worker is forked: every unit runs on one thread.
  ls::UseOneBlasThread();
  return std::unique_ptr<Workload>(
      new Linsolve(int(n), int(systems), std::uint64_t(seed)));
}

}  // namespace krg::demos
