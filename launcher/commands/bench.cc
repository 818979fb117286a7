// `krgdemo bench --label L --out FILE.json`: the release-benchmark suite.
// Every run of the suite is measured with warm-up and adaptive repeats,
// verified, and appended to one result file (with system and cluster
// metadata) that is rewritten atomically after each run, so Ctrl-C or a
// kill keeps the finished runs and `--resume FILE` continues without
// repeating them. `--micro` adds the Google Benchmark binaries of bench/.
#include <cstdio>
#include <iostream>
#include <set>

#include "bench/bench_suite.h"
#include "bench/micro_bench.h"
#include "build_info.h"
#include "cli/cli.h"
#include "krg/comparison.h"
#include "krg/metadata.h"
#include "krg/mpi_engine.h"
#include "report/report.h"

namespace krg::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct BenchState {
  fs::path out;
  ResultFile file;
  Suite suite;
  bool micro = false;
  bool verified = true;  // every run so far proved its answer
};

json BuildMetadata() {
  return {{"krgdemo_version", KRG_VERSION}, {"git", KRG_GIT_COMMIT},
          {"build_type", KRG_BUILD_TYPE},   {"compiler", KRG_COMPILER},
          {"cxx_flags", KRG_CXX_FLAGS},     {"native", KRG_NATIVE_BUILD != 0}};
}

// What ran where: the machine (read under $KRGDEMO_SYSROOT, like the
// platform), this build, and on Kerrighed the node list merged with the
// kerrighed platform's record (version, capability sets, schedulers).
json Metadata(const json& kerrighed_record) {
  json meta = ToJson(platform::CollectSystemMetadata(platform::SysPath("/")));
  if (kerrighed_record.is_object()) {
    for (auto it = kerrighed_record.begin(); it != kerrighed_record.end();
         ++it) {
      meta["kerrighed"][it.key()] = it.value();
    }
  }
  meta["build"] = BuildMetadata();
  return meta;
}

// The "bench" record: what to run, so that --resume needs nothing else.
void SetBenchRecord(BenchState& s, bool complete) {
  s.file.extensions["bench"] = {{"suite", s.suite.name},
                                {"definition", ToJson(s.suite)},
                                {"planned_runs", Plan(s.suite).size()},
                                {"micro", s.micro},
                                {"complete", complete}};
}

Result<BenchState> Start(const std::string& suite_name,
                         const std::string& label, const fs::path& out,
                         bool micro) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return Status::InvalidArgument(out.string() +
                                   " exists; continue it with --resume " +
                                   out.string() + ", or choose another --out");
  }
  BenchState s;
  KRG_ASSIGN_OR_RETURN(s.suite, FindSuite(suite_name, SuiteDirs()));
  s.out = out;
  s.micro = micro;
  auto platform = platform::DetectPlatform();
  s.file = Session(*platform).NewResultFile(label);
  s.file.extensions["metadata"] = Metadata(s.file.system.kerrighed);
  SetBenchRecord(s, false);
  Status wrote = WriteResultFile(out, s.file);
  if (!wrote.ok()) {
    return Status::InvalidArgument("cannot write --out " + out.string() + ": " +
                                   wrote.message());
  }
  return s;
}

Result<BenchState> Resume(const fs::path& path, bool micro) {
  BenchState s;
  s.out = path;
  KRG_ASSIGN_OR_RETURN(s.file, ReadResultFile(path));
  const json bench = s.file.extensions.value("bench", json());
  if (!bench.is_object() || !bench.contains("definition")) {
    return Status::FailedPrecondition(
        path.string() +
        " was not written by 'krgdemo bench' (no 'bench' record); "
        "nothing to resume");
  }
  auto suite = SuiteFromJson(bench["definition"], bench.value("suite", ""));
  if (!suite.ok()) {
    return Status::FailedPrecondition(
        path.string() + ": its suite: " + suite.status().message());
  }
  s.suite = *suite;
  s.micro = micro || bench.value("micro", false);
  for (const RunRecord& r : s.file.runs) s.verified = s.verified && r.verified;
  return s;
}

int Interrupted(const BenchState& s) {
  std::fprintf(stderr,
               "krgdemo: interrupted; %zu finished run(s) kept in %s; "
               "continue with 'krgdemo bench --resume %s'\n",
               s.file.runs.size(), s.out.c_str(), s.out.c_str());
  return kExitInterrupted;
}

void PrintRun(std::size_t index, std::size_t total, const RunRecord& r,
              const Measurement& m) {
  std::printf(
      "[%zu/%zu] %s %s%s%s %s x%d: %s median (%d samples, CoV "
      "%.1f%%)%s\n",
      index, total, r.demo.c_str(), r.size.c_str(), r.params.empty() ? "" : " ",
      ParamsText(r.params).c_str(), r.engine.c_str(), r.nodes,
      FormatSeconds(r.median_s).c_str(), m.summary.count, 100 * m.summary.cov,
      r.verified ? "" : "  NOT VERIFIED");
  std::fflush(stdout);
}

// Measures one planned run and appends it to the file. Returns an exit
// code to stop with, or nullopt to go on.
std::optional<int> RunOne(BenchState& s, const PlannedRun& p, Session& session,
                          std::size_t index, std::size_t total) {
  const SuiteEntry& e = *p.entry;
  const demos::Demo* demo = demos::FindDemo(e.demo);
  if (demo == nullptr) {
    return Fail(Status::FailedPrecondition("unknown demo '" + e.demo + "'"));
  }
  auto w = demo->make({e.size, e.params});
  if (!w.ok()) return Fail(w.status().WithContext(e.demo));
  RunPlan plan{.id = {e.demo, e.size, e.params},
               .caps = demo->caps,
               .engine = e.engine,
               .nodes = p.nodes,
               .repeat = s.suite.repeat};
  if (e.repeat > 0) plan.repeat = RepeatPolicy{.fixed = e.repeat};
  ProgressLine progress("run " + std::to_string(index) + " of " +
                        std::to_string(total) + ": " + e.demo + " x" +
                        std::to_string(p.nodes));
  RunHooks hooks{.cancel = InterruptFlag(),
                 .progress = [&](const Progress& pr) { progress.Update(pr); }};
  auto o = session.Run(plan, **w, hooks);
  progress.Clear();
  if (!o.ok()) {
    if (o.status().code() == Status::Code::kCancelled) return Interrupted(s);
    Fail(o.status().WithContext(e.demo + " at " + std::to_string(p.nodes) +
                                " nodes"));
    return kExitFailed;
  }
  s.verified = s.verified && o->record.verified;
  s.file.runs.push_back(o->record);
  if (Status st = WriteResultFile(s.out, s.file); !st.ok()) {
    Fail(st);
    return kExitFailed;
  }
  PrintRun(index, total, o->record, o->measurement);
  return std::nullopt;
}

// Runs the microbenchmark binaries not yet in the file. Returns an exit code
// to stop with, or nullopt to go on; *failed is set when a binary failed.
std::optional<int> RunMicro(BenchState& s, bool* failed) {
  const std::vector<fs::path> binaries = FindMicroBinaries(MicroDirs());
  if (binaries.empty()) {
    Warn(
        "--micro: no *_bench binaries next to krgdemo (build with "
        "KRG_BUILD_BENCH=ON); no microbenchmarks recorded");
    return std::nullopt;
  }
  json micro = s.file.extensions.value("micro", json::array());
  if (!micro.is_array()) micro = json::array();
  std::set<std::string> done;
  for (const json& m : micro) {
    if (m.is_object()) done.insert(m.value("binary", ""));
  }
  for (const fs::path& bin : binaries) {
    if (done.count(bin.filename().string())) continue;
    if (InterruptFlag()->load()) return Interrupted(s);
    std::fprintf(stderr, "krgdemo: microbenchmarks: %s ...\n",
                 bin.filename().c_str());
    auto records = RunMicroBinary(bin);
    if (InterruptFlag()->load()) return Interrupted(s);
    if (!records.ok()) {
      Warn(records.status().message());
      *failed = true;
      continue;
    }
    for (const MicroRecord& r : *records) {
      micro.push_back(ToJson(r));
      std::printf(
          "[micro] %s %s: %s\n", r.binary.c_str(), r.name.c_str(),
          r.error.empty()
              ? (std::to_string(r.samples_s.size()) + " samples").c_str()
              : ("error: " + r.error).c_str());
    }
    s.file.extensions["micro"] = micro;
    if (Status st = WriteResultFile(s.out, s.file); !st.ok()) {
      Fail(st);
      return kExitFailed;
    }
  }
  return std::nullopt;
}

int RunSuite(BenchState& s) {
  const std::vector<PlannedRun> plan = Plan(s.suite);
  std::set<std::string> done;
  for (const RunRecord& r : s.file.runs) done.insert(RunId(r));
  std::size_t todo = 0;
  for (const PlannedRun& p : plan) todo += !done.count(p.id);
  std::fprintf(stderr,
               "krgdemo: suite '%s': %zu runs (%zu to do), label '%s', "
               "results in %s\n",
               s.suite.name.c_str(), plan.size(), todo, s.file.label.c_str(),
               s.out.c_str());
  for (const PlannedRun& p : plan) {
    if (p.entry->engine != Engine::kMpi || done.count(p.id)) continue;
    if (Status why = MpiEngineAvailable(); !why.ok()) {
      return UsageError("bench", why.message());
    }
  }
  auto platform = platform::DetectPlatform();
  Session session(*platform);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (done.count(plan[i].id)) continue;
    if (InterruptFlag()->load()) return Interrupted(s);
    if (auto code = RunOne(s, plan[i], session, i + 1, plan.size())) {
      return *code;
    }
  }
  bool micro_failed = false;
  if (s.micro) {
    if (auto code = RunMicro(s, &micro_failed)) return *code;
  }
  SetBenchRecord(s, true);
  if (Status st = WriteResultFile(s.out, s.file); !st.ok()) return Fail(st);
  std::printf("results: %s (%zu runs%s)\n", s.out.c_str(), s.file.runs.size(),
              s.micro ? ", microbenchmarks" : "");
  if (!s.verified) {
    std::fprintf(stderr, "krgdemo: error: a run did not verify (see %s)\n",
                 s.out.c_str());
    return kExitFailed;
  }
  return micro_failed ? kExitFailed : kExitOk;
}

std::string SuitesEpilog() {
  std::string names;
  for (const std::string& n : BuiltinSuiteNames()) {
    names += (names.empty() ? "" : ", ") + n;
  }
  return "Suites: " + names +
         " (built in; quick takes well under a minute, default a few minutes), "
         "a file "
         "docs/suites/NAME.json, or a path to a suite file (docs/bench.md).\n"
         "Exit codes: 0 every run verified, 1 a run failed or did not "
         "verify, 2 usage error, 130 interrupted (finished runs are kept).";
}

}  // namespace

int BenchCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()(
      "suite", po::value<std::string>()->value_name("NAME"),
      "use this to choose what runs: quick, default, a suite file name or "
      "path (default: default)")(
      "label", po::value<std::string>()->value_name("LABEL"),
      "name these results, e.g. the release: krg-3.0.1 (required)")(
      "out", po::value<std::string>()->value_name("FILE.json"),
      "use this to choose the result file; it must not exist (required)")(
      "resume", po::value<std::string>()->value_name("FILE.json"),
      "use this to continue an interrupted bench: runs what FILE lacks")(
      "micro", po::bool_switch(),
      "also run the Google Benchmark binaries of bench/ and store their "
      "results in the same file");
  po::options_description hidden;
  po::positional_options_description pos;
  po::variables_map vm;
  const HelpText help{
      "bench [--suite NAME] --label LABEL --out FILE.json [--micro]\n"
      "       krgdemo bench --resume FILE.json",
      "Runs a benchmark suite (warm-up, then repeats until the spread is "
      "small, every sample kept, every run verified) and writes one result "
      "file with the system's metadata, for 'krgdemo compare'.",
      SuitesEpilog()};
  if (auto r = ParseArgs("bench", help, desc, hidden, pos, args, &vm))
    return *r;
  const bool micro = vm["micro"].as<bool>();
  Result<BenchState> state = Status::Internal("unset");
  if (vm.count("resume")) {
    if (vm.count("suite") || vm.count("label") || vm.count("out")) {
      return UsageError("bench",
                        "--resume continues FILE with its own suite, label "
                        "and file; drop --suite, --label and --out");
    }
    state = Resume(vm["resume"].as<std::string>(), micro);
  } else {
    if (!vm.count("label")) return UsageError("bench", "--label is required");
    if (!vm.count("out")) return UsageError("bench", "--out is required");
    const std::string suite =
        vm.count("suite") ? vm["suite"].as<std::string>() : "default";
    state = Start(suite, vm["label"].as<std::string>(),
                  vm["out"].as<std::string>(), micro);
    if (!state.ok() &&
        state.status().code() == Status::Code::kInvalidArgument) {
      return UsageError("bench", state.status().message());
    }
  }
  if (!state.ok()) {
    Fail(state.status());
    return state.status().code() == Status::Code::kNotFound ? kExitUsage
                                                            : kExitFailed;
  }
  return RunSuite(*state);
}

}  // namespace krg::cli
