#include "bench/micro_bench.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "krg/metadata.h"
#include "krg/platform.h"

namespace krg::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

Result<double> UnitSeconds(const std::string& unit) {
  if (unit == "ns") return 1e-9;
  if (unit == "us") return 1e-6;
  if (unit == "ms") return 1e-3;
  if (unit == "s") return 1.0;
  return Status::InvalidArgument("unknown time_unit '" + unit + "'");
}

}  // namespace

std::vector<fs::path> MicroDirs() {
  const fs::path exe = platform::ExecutablePath();
  if (exe.empty()) return {};
  return {exe.parent_path() / "bench",
          exe.parent_path().parent_path() / "lib/krgdemo/bench"};
}

std::vector<fs::path> FindMicroBinaries(const std::vector<fs::path>& dirs) {
  for (const fs::path& dir : dirs) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file(ec) && name.size() > 6 &&
          name.substr(name.size() - 6) == "_bench" &&
          ::access(e.path().c_str(), X_OK) == 0) {
        found.push_back(e.path());
      }
    }
    if (!found.empty()) {
      std::sort(found.begin(), found.end());
      return found;
    }
  }
  return {};
}

Result<std::vector<MicroRecord>> ParseBenchmarkJson(const std::string& binary,
                                                    const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("benchmarks") ||
      !j["benchmarks"].is_array()) {
    return Status::Internal(binary +
                            " did not print Google Benchmark JSON output");
  }
  std::vector<MicroRecord> out;
  std::map<std::string, std::size_t> at;
  for (const json& b : j["benchmarks"]) {
    if (!b.is_object() || b.value("run_type", "iteration") == "aggregate") {
      continue;
    }
    const std::string name = b.value("run_name", b.value("name", ""));
    auto [it, fresh] = at.emplace(name, out.size());
    if (fresh) out.push_back({binary, name, {}, ""});
    MicroRecord& rec = out[it->second];
    if (b.value("error_occurred", false)) {
      rec.error = b.value("error_message", "error");
      continue;
    }
    try {
      KRG_ASSIGN_OR_RETURN(double unit,
                           UnitSeconds(b.at("time_unit").get<std::string>()));
      rec.samples_s.push_back(b.at("real_time").get<double>() * unit);
    } catch (const json::exception&) {
      return Status::Internal(binary + ": benchmark '" + name +
                              "' has no real_time/time_unit");
    }
  }
  for (MicroRecord& rec : out) {
    if (!rec.error.empty()) rec.samples_s.clear();
  }
  return out;
}

Result<std::vector<MicroRecord>> RunMicroBinary(const fs::path& path) {
  auto ran = platform::RunCommand(
      {path.string(), "--benchmark_format=json", "--benchmark_min_time=0.2",
       "--benchmark_repetitions=" + std::to_string(kMicroRepetitions)});
  if (!ran.ok()) return ran.status();
  const std::string name = path.filename().string();
  if (!ran->exit.exited || ran->exit.code != 0) {
    return Status::Internal(name + " failed (" + ran->exit.ToString() +
                            "): " + ran->err.substr(0, 200));
  }
  return ParseBenchmarkJson(name, ran->out);
}

}  // namespace krg::cli
