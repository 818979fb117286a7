// Result files: the one schema (`krgdemo.result/1`) that `run`, `scale` and
// `bench` write and `compare` reads back. See docs/results.md.
//
// Writing is atomic (a temporary file renamed over the target), so an
// interrupted run never leaves a half file that looks good. Parsing rejects a
// newer schema, malformed JSON and missing fields with one clear message.
// Plain data and pure functions: safe from any thread.
#ifndef KRG_RESULTS_H_
#define KRG_RESULTS_H_

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krg/status.h"

namespace krg {

inline constexpr const char* kResultSchema = "krgdemo.result/1";
inline constexpr int kResultSchemaVersion = 1;

struct ToolInfo {
  std::string version, git, build_type, compiler;
};

struct NodeRecord {
  int id = 0;
  int cpus = 0;  // how many CPUs the node has
  std::int64_t mem_mb = 0;
};

struct SystemRecord {
  std::string platform, kernel, cpu_model;
  nlohmann::json kerrighed;  // null on linux
  std::vector<NodeRecord> nodes;
};

struct RunRecord {
  std::string demo, size;
  nlohmann::json params = nlohmann::json::object();
  std::string engine;
  int nodes = 1;
  int threads = 1;
  std::vector<std::string> caps;
  std::vector<double> samples_s;
  // `bench --rounds`: the same samples grouped by round, in round order
  // (samples_s is their concatenation). Empty when the run is one batch
  // (run, scale, and bench files written before rounds).
  std::vector<std::vector<double>> round_samples_s;
  double median_s = 0, min_s = 0, mad_s = 0;
  double throughput = 0;
  std::string throughput_unit;
  bool verified = false;
  std::string checksum;
  // mpi: where the ranks ran, as they reported it:
  // [{"host", "ranks", "master"}]; null for the other engines (and left out
  // of the file).
  nlohmann::json machines;
  // The nodes worker processes really ran on (absent from older files and
  // from threads runs): fewer than `nodes` when they did not spread.
  std::vector<int> worker_nodes;
};

struct ResultFile {
  ToolInfo tool;
  std::string label;
  std::string created;  // ISO 8601, UTC
  SystemRecord system;
  std::vector<RunRecord> runs;
  // Top-level keys beyond the schema (e.g. "scale": the speedup analysis),
  // kept on a round trip.
  nlohmann::json extensions = nlohmann::json::object();
};

nlohmann::json ToJson(const ResultFile& file);
Result<ResultFile> ResultFromJson(const nlohmann::json& j);
Result<ResultFile> ParseResultFile(const std::string& text);

// Writes `text` to `path` atomically (temp file in the same folder + rename).
Status WriteFileAtomic(const std::filesystem::path& path,
                       const std::string& text);
Status WriteResultFile(const std::filesystem::path& path,
                       const ResultFile& file);
Result<ResultFile> ReadResultFile(const std::filesystem::path& path);

// This build of krgdemo, as result files record it.
// The whole of a small text file; kIoError naming it when it cannot be read,
// is not a regular file (a folder, a FIFO, /dev/zero) or is over the limit.
inline constexpr std::size_t kMaxTextFileBytes = 16 << 20;
Result<std::string> ReadTextFile(const std::filesystem::path& path);

ToolInfo ThisTool();
// Now, as "2026-11-22T04:44:09Z".
std::string NowUtc();

}  // namespace krg

#endif  // KRG_RESULTS_H_
