// Comparing result files: which runs match across files, how their medians
// moved, whether the move is significant, and the regression/improvement
// flags and geometric-mean summary that `krgdemo compare` reports.
//
// Files of `bench --rounds` are judged on rounds (bootstrap.h): the change
// of a run is the ratio of the medians of round medians, with a 95%
// bootstrap interval; it is a regression (improvement) only when the whole
// interval lies above 1 + threshold (below 1 - threshold) and its bootstrap
// p-value, Holm-corrected over every run judged, is under alpha; "noisy"
// when the baseline's own interval is wider than +-threshold. A file of one
// round (written before rounds, or by run/scale) is judged on its samples
// with the significance test, and marked so. Runs whose baseline median is
// under min_time_s are not judged. See docs/bench.md.
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

#include "krg/bootstrap.h"
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
  double alpha = 0.05;       // ... and a Holm-corrected p below this
  SignificanceTest test = SignificanceTest::kMannWhitney;  // one-round rows
  double confidence = 0.95;  // of the bootstrap intervals
  int resamples = 10000;     // bootstrap draws per run and file
  double min_time_s = 0.05;  // suite runs faster than this are not judged
  // A round is busy when its mean load average exceeds this many runnable
  // tasks per CPU, or the hypervisor stole more than this share of the CPU.
  double busy_load_per_cpu = 1.25;
  double busy_steal_pct = 5;
};

enum class Verdict {
  kBaseline,     // the first file's own cell
  kMissing,      // this file (or the baseline) has no such run
  kUnchanged,    // under the threshold, or not significant
  kRegression,   // slower by more than the threshold, significant
  kImprovement,  // faster by more than the threshold, significant
  kFewSamples,   // too few samples for the test to mean anything
  kUnverified,   // one side did not verify its answer: not compared
  kNoisy,        // the baseline's rounds spread too wide to resolve it
  kTooShort,     // passes under min_time_s: fork and cache noise, not judged
};
std::string VerdictName(Verdict v);

// One file's side of a matched row.
struct Cell {
  bool present = false;
  std::vector<double> samples_s;
  std::vector<std::vector<double>> rounds_s;  // {samples_s} for one round
  std::vector<double> round_medians_s;
  double median_s = 0;  // the median of the round medians
  double min_s = 0, max_s = 0;
  bool verified = true;
  std::string checksum;
  // Against the baseline, when both are present:
  bool one_round = false;  // either side has one round: judged on samples
  double change_pct = 0;   // (ratio - 1) * 100
  double ratio = 1;        // median_s / the baseline's
  Interval ratio_ci;       // bootstrap, CompareOptions::confidence
  double baseline_spread_pct = 0;  // half the baseline's interval, in %
  TestOutcome test;                // p_value: bootstrap (rounds) or the test
  double p_adjusted = 1;  // Holm over every judged cell of the comparison
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

// One round of a bench file, as `bench --rounds` recorded it.
struct RoundInfo {
  int round = 0;
  double wall_s = 0;
  double load1 = -1;      // mean 1-minute load average; -1 unknown
  double steal_pct = -1;  // -1 unknown
  int cpus = 0;
  bool busy = false;  // load or steal above CompareOptions' limits
};

struct FileInfo {
  std::string path, label, created, version, git, cpu_model, kernel;
  std::string distribution, compiler;  // from "metadata", when present
  int rounds = 1;                      // the most rounds of any run
  std::vector<RoundInfo> round_info;   // from the "bench" record
  int busy_rounds = 0;
};

struct FileSummary {
  int matched = 0;  // rows present here and in the baseline
  int regressions = 0, improvements = 0, few_samples = 0;
  int noisy = 0, too_short = 0;
  int judged = 0;            // rows in the geometric mean (not too short)
  double geomean_ratio = 1;  // of median ratios vs the baseline
  Interval geomean_ci;       // bootstrap, draw by draw over the rows
};

struct Comparison {
  CompareOptions options;
  std::vector<FileInfo> files;
  std::vector<Row> rows;
  std::vector<FileSummary> summaries;  // [0] is the baseline's (empty)
  std::vector<std::string> notes;      // e.g. checksums that differ
  int regressions = 0;                 // over every file
  int family = 0;  // how many p-values the Holm correction covered
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
