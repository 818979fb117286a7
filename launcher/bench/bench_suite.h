// Benchmark suites: what `krgdemo bench` runs. A suite is a list of entries
// (demo, size, params, engine, node counts, optionally a fixed repeat count)
// and a repeat policy. Two are built in (`quick`, `default`); more are JSON
// files (`krgdemo.suite/1`, docs/bench.md), validated strictly before any
// run starts. Built-in suites cover every demo of the registry, so a demo
// added later is benchmarked without touching this file.
// Plain data and pure functions (FindSuite reads files): single-threaded use.
//
//   KRG_ASSIGN_OR_RETURN(Suite s, FindSuite("quick", SuiteDirs()));
//   for (const PlannedRun& p : Plan(s)) ...
#ifndef KRG_LAUNCHER_BENCH_SUITE_H_
#define KRG_LAUNCHER_BENCH_SUITE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "krg/executor.h"
#include "krg/stats.h"
#include "krg/status.h"

namespace krg::cli {

inline constexpr const char* kSuiteSchema = "krgdemo.suite/1";

struct SuiteEntry {
  std::string demo, size;
  std::map<std::string, std::string> params;
  Engine engine = Engine::kProcs;
  std::vector<int> nodes;  // one run per count
  int repeat = 0;          // > 0: exactly this many passes, no warm-up
};

struct Suite {
  std::string name, description;
  // How many times the whole suite runs, each round in its own shuffled
  // order (`bench --rounds` overrides it); compare judges rounds.
  int rounds = 3;
  RepeatPolicy repeat;  // per round, for entries without a fixed repeat count
  std::vector<SuiteEntry> entries;
};

// One run of a suite: an entry at one node count.
struct PlannedRun {
  const SuiteEntry* entry = nullptr;
  int nodes = 1;
  std::string id;  // RunId (compare.h): how runs are matched and resumed
};

std::vector<std::string> BuiltinSuiteNames();  // "default", "quick"
// Where suite files named by NAME are looked for (docs/suites of the source
// tree, then <prefix>/share/krgdemo/suites next to the binary).
std::vector<std::filesystem::path> SuiteDirs();

// A built-in suite, a file in `dirs` called NAME.json, or (when `name`
// contains a '/' or ends in .json) that file. Unknown: kInvalidArgument
// listing the suites; a bad file: kInvalidArgument naming the field.
Result<Suite> FindSuite(const std::string& name,
                        const std::vector<std::filesystem::path>& dirs);

// Strict reading of a suite (unknown keys, wrong types, unknown demos,
// sizes, engines or params, duplicate runs are errors).
Result<Suite> SuiteFromJson(const nlohmann::json& j, const std::string& name);
Result<Suite> ParseSuiteFile(const std::filesystem::path& path);
nlohmann::json ToJson(const Suite& s);

// Every run of `s`, in order.
std::vector<PlannedRun> Plan(const Suite& s);

// The cluster platform runs only the mpi engine: `s`'s runs mapped to it
// with the same node counts (machines there). A count more than
// `machines`, or one another entry of the same demo, size and params
// already has (threads x1 and procs x1 both become mpi x1), is dropped,
// and so are demos the mpi engine does not run (the server farm). Returns
// one sentence per thing dropped.
std::vector<std::string> MapSuiteToCluster(Suite* s, int machines);

inline constexpr int kMaxRounds = 100;
// The order round `round` (0-based) runs `count` planned runs in: a
// shuffle drawn from `seed` and the round, so a resumed bench repeats it.
std::vector<std::size_t> RoundOrder(std::size_t count, std::uint64_t seed,
                                    int round);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_BENCH_SUITE_H_
