// The Google Benchmark microbenchmarks of bench/ as `krgdemo bench --micro`
// runs them: found next to the krgdemo binary, run with JSON output and
// repetitions (every repetition is one sample for `compare`), parsed into
// MicroRecords for the result file's "micro" extension.
// Single-threaded; runs each binary as a child process (no shell).
#ifndef KRG_LAUNCHER_MICRO_BENCH_H_
#define KRG_LAUNCHER_MICRO_BENCH_H_

#include <filesystem>
#include <string>
#include <vector>

#include "krg/comparison.h"
#include "krg/status.h"

namespace krg::cli {

inline constexpr int kMicroRepetitions = 5;

// Where the binaries are: <dir of krgdemo>/bench (the build tree), then
// <prefix>/lib/krgdemo/bench (an install).
std::vector<std::filesystem::path> MicroDirs();
// The executables named *_bench in the first of `dirs` that has any, sorted.
std::vector<std::filesystem::path> FindMicroBinaries(
    const std::vector<std::filesystem::path>& dirs);

// Google Benchmark's --benchmark_format=json output of `binary` as records:
// one per benchmark, its per-repetition real times as samples (aggregates
// are dropped; compare computes its own).
Result<std::vector<MicroRecord>> ParseBenchmarkJson(const std::string& binary,
                                                    const std::string& text);

// Runs `path` with --benchmark_format=json --benchmark_min_time=0.2 and
// kMicroRepetitions repetitions.
Result<std::vector<MicroRecord>> RunMicroBinary(
    const std::filesystem::path& path);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_MICRO_BENCH_H_
