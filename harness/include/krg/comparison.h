// Comparing result files: which runs match across files, how their medians
// moved, whether the move is significant, and the regression/improvement
// flags and geometric-mean summary that `krgdemo compare` reports.
//
// Runs match by demo, size, params, engine and node count; microbenchmarks
// (the "micro" extension of bench files) by binary and benchmark name.
// Nothing here knows a demo by name, so demos added later compare as they
// are. The first file is the baseline; every other file is compared to it.
// Pure functions over parsed files: safe from any thread.
//
//   auto c = CompareFiles({{"a.json", *a}, {"b.json", *b}}, CompareOptions{});
//   if (c.ok() && c->regressions > 0) ...
#ifndef KRG_COMPARISON_H_
#define KRG_COMPARISON_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "krg/results.h"
#include "krg/significance.h"
#include "krg/status.h"

namespace krg {

// The identity of a suite run, equal across files when the runs match.
std::string RunId(const std::string& demo, const std::string& size,
                  const nlohmann::json& params, const std::string& engine,
                  int nodes);
std::string RunId(const RunRecord& r);
// "variant=classic,n=300" (sorted by key), "" when there are none.
std::string ParamsText(const nlohmann::json& params);

// One microbenchmark of a bench file's "micro" extension.
struct MicroRecord {
  std::string binary, name;
  std::vector<double> samples_s;  // real time per iteration, per repetition
  std::string error;              // Google Benchmark's error, if any
};
// Reads the "micro" extension (absent: none); a malformed one is an error.
Result<std::vector<MicroRecord>> MicroFromJson(const nlohmann::json& micro);
nlohmann::json ToJson(const MicroRecord& m);

struct CompareOptions {
  double threshold_pct = 5;  // a flag needs |change| above this ...
  double alpha = 0.05;       // ... and p below this
  SignificanceTest test = SignificanceTest::kMannWhitney;
};

enum class Verdict {
  kBaseline,     // the first file's own cell
  kMissing,      // this file (or the baseline) has no such run
  kUnchanged,    // under the threshold, or not significant
  kRegression,   // slower by more than the threshold, significant
  kImprovement,  // faster by more than the threshold, significant
  kFewSamples,   // too few samples for the test to mean anything
  kUnverified,   // one side did not verify its answer: not compared
};
std::string VerdictName(Verdict v);

// One file's side of a matched row.
struct Cell {
  bool present = false;
  std::vector<double> samples_s;
  double median_s = 0, min_s = 0, max_s = 0;
  bool verified = true;
  std::string checksum;
  double change_pct = 0;  // median vs the baseline's; when both present
  TestOutcome test;
  Verdict verdict = Verdict::kMissing;
};

struct Row {
  std::string id;     // RunId, or "micro|binary|name"
  std::string label;  // for people: "mandelbrot small variant=classic procs x2"
  bool micro = false;
  // Suite runs: what the row measures (for charts); empty for micro rows.
  std::string demo, size, params, engine;
  int nodes = 0;
  std::string micro_binary, micro_name;
  std::vector<Cell> cells;  // one per file, in file order
};

struct FileInfo {
  std::string path, label, created, version, git, cpu_model, kernel;
  std::string distribution, compiler;  // from "metadata", when present
};

struct FileSummary {
  int matched = 0;  // rows present here and in the baseline
  int regressions = 0, improvements = 0, few_samples = 0;
  double geomean_ratio = 1;  // of median ratios vs the baseline
};

struct Comparison {
  CompareOptions options;
  std::vector<FileInfo> files;
  std::vector<Row> rows;
  std::vector<FileSummary> summaries;  // [0] is the baseline's (empty)
  std::vector<std::string> notes;      // e.g. checksums that differ
  int regressions = 0;                 // over every file
};

struct NamedFile {
  std::string path;
  ResultFile file;
};

// REQUIRES: files.size() >= 2. Fails (kFailedPrecondition) when a file has
// no run in common with the first, and (kInvalidArgument) on a sample that
// is not a positive finite number or a malformed "micro" extension.
Result<Comparison> CompareFiles(const std::vector<NamedFile>& files,
                                const CompareOptions& options);

}  // namespace krg

#endif  // KRG_COMPARISON_H_
