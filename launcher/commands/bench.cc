// `krgdemo bench --label L --out FILE.json`: the release-benchmark suite.
// Every run of the suite is measured with warm-up and adaptive repeats,
// verified, and appended to one result file (with system and cluster
// metadata) that is rewritten atomically after each run, so Ctrl-C or a
// kill keeps the finished runs and `--resume FILE` continues without
// repeating them. `--micro` adds the Google Benchmark binaries of bench/.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>
#include <set>

#include "bench/bench_suite.h"
#include "bench/micro_bench.h"
#include "build_info.h"
#include "cli/cli.h"
#include "krg/comparison.h"
#include "krg/json_fields.h"
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
  bool verified = true;         // every run so far proved its answer
  std::uint64_t seed = 0;       // of the rounds' shuffled orders
  json rounds = json::array();  // one record per finished round
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
                                {"seed", s.seed},
                                {"rounds", s.rounds},
                                {"complete", complete}};
}

Result<BenchState> Start(const std::string& suite_name,
                         const std::string& label, const fs::path& out,
                         bool micro, int rounds) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    return Status::InvalidArgument(out.string() +
                                   " exists; continue it with --resume " +
                                   out.string() + ", or choose another --out");
  }
  BenchState s;
  KRG_ASSIGN_OR_RETURN(s.suite, FindSuite(suite_name, SuiteDirs()));
  if (rounds > 0) s.suite.rounds = rounds;
  s.out = out;
  s.micro = micro;
  s.seed = std::random_device{}();
  auto platform = platform::DetectPlatform();
  if (platform->traits().separate_machines) {
    // Recorded mapped, so --resume runs the same mpi runs.
    KRG_ASSIGN_OR_RETURN(const platform::SystemInfo info,
                         platform->Describe(/*sample_load=*/false));
    for (const std::string& note :
         MapSuiteToCluster(&s.suite, static_cast<int>(info.nodes.size()))) {
      Warn("cluster: " + note);
    }
    if (s.suite.entries.empty()) {
      return Status::InvalidArgument("suite '" + s.suite.name +
                                     "' has no run the cluster can do");
    }
  }
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
  if (!bench["definition"].contains("rounds")) {
    s.suite.rounds = 1;  // written before rounds: its runs are one batch
  }
  s.micro = micro || bench.value("micro", false);
  KRG_RETURN_IF_ERROR(ReadFieldOr(bench, "seed", "bench.", &s.seed));
  KRG_RETURN_IF_ERROR(ReadFieldOr(bench, "rounds", "bench.", &s.rounds));
  if (!s.rounds.is_array()) {
    return Status::FailedPrecondition(path.string() +
                                      ": field 'bench.rounds' is not an array");
  }
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

// How many rounds of a run the file holds (a run of a file written before
// rounds is one).
int RoundsDone(const RunRecord& r) {
  return r.round_samples_s.empty() ? 1 : int(r.round_samples_s.size());
}

RunRecord* FindRecord(ResultFile& f, const std::string& id) {
  for (RunRecord& r : f.runs) {
    if (RunId(r) == id) return &r;
  }
  return nullptr;
}

// Adds one round's measurement of a run to the file: a new record on its
// first round, else its samples appended and its summary recomputed.
void AddRound(ResultFile& f, RunRecord fresh) {
  RunRecord* r = FindRecord(f, RunId(fresh));
  if (r == nullptr) {
    fresh.round_samples_s = {fresh.samples_s};
    f.runs.push_back(std::move(fresh));
    return;
  }
  r->round_samples_s.push_back(fresh.samples_s);
  r->samples_s.insert(r->samples_s.end(), fresh.samples_s.begin(),
                      fresh.samples_s.end());
  const Summary sum = Summarize(r->samples_s);
  r->median_s = sum.median;
  r->min_s = sum.min;
  r->mad_s = sum.mad;
  // One answer in every round, or the run did not verify.
  r->verified = r->verified && fresh.verified && r->checksum == fresh.checksum;
}

void PrintRun(const std::string& step, const RunRecord& r, const Measurement& m,
              bool verified) {
  std::printf(
      "[%s] %s %s%s%s %s x%d: %s median (%d samples, CoV "
      "%.1f%%)%s\n",
      step.c_str(), r.demo.c_str(), r.size.c_str(), r.params.empty() ? "" : " ",
      ParamsText(r.params).c_str(), r.engine.c_str(), r.nodes,
      FormatSeconds(m.summary.median).c_str(), m.summary.count,
      100 * m.summary.cov, verified ? "" : "  NOT VERIFIED");
  std::fflush(stdout);
}

// Measures one planned run for one round and adds it to the file. Returns
// an exit code to stop with, or nullopt to go on.
std::optional<int> RunOne(BenchState& s, const PlannedRun& p, Session& session,
                          const std::string& step) {
  const SuiteEntry& e = *p.entry;
  const demos::Demo* demo = demos::FindDemo(e.demo);
  if (demo == nullptr) {
    return Fail(Status::FailedPrecondition("unknown demo '" + e.demo + "'"));
  }
  auto w = demo->make({e.size, e.params});
  if (!w.ok()) return Fail(w.status().WithContext(e.demo));
  RunPlan plan;
  plan.id = {e.demo, e.size, e.params};
  plan.caps = demo->caps;
  plan.engine = e.engine;
  plan.nodes = p.nodes;
  plan.repeat = s.suite.repeat;
  if (e.repeat > 0) plan.repeat = RepeatPolicy{.fixed = e.repeat};
  ProgressLine progress(step + ": " + e.demo + " x" + std::to_string(p.nodes));
  RunHooks hooks;
  hooks.cancel = InterruptFlag();
  hooks.progress = [&](const Progress& pr) { progress.Update(pr); };
  auto o = session.Run(plan, **w, hooks);
  progress.Clear();
  if (!o.ok()) {
    if (o.status().code() == Status::Code::kCancelled) return Interrupted(s);
    Fail(o.status().WithContext(e.demo + " at " + std::to_string(p.nodes) +
                                " nodes"));
    return kExitFailed;
  }
  AddRound(s.file, o->record);
  const bool verified = FindRecord(s.file, p.id)->verified;
  s.verified = s.verified && verified;
  if (Status st = WriteResultFile(s.out, s.file); !st.ok()) {
    Fail(st);
    return kExitFailed;
  }
  PrintRun(step, o->record, o->measurement, verified);
  return std::nullopt;
}

// What the machine did during one round: its load average (at the start
// and after every run), CPU steal and wall time.
class RoundWatch {
 public:
  explicit RoundWatch(int round)
      : round_(round),
        started_(NowUtc()),
        t0_(std::chrono::steady_clock::now()),
        first_(platform::ReadHostLoad(platform::SysPath("/"))) {
    Sample(first_);
  }
  void AfterRun() { Sample(platform::ReadHostLoad(platform::SysPath("/"))); }
  json Finish() {
    const platform::HostLoad last =
        platform::ReadHostLoad(platform::SysPath("/"));
    Sample(last);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_)
            .count();
    json r = {{"round", round_ + 1},
              {"started", started_},
              {"wall_s", wall},
              {"cpus", last.cpus}};
    if (!loads_.empty()) {
      double sum = 0, max = 0;
      for (double l : loads_) sum += l, max = std::max(max, l);
      r["load1_mean"] = sum / double(loads_.size());
      r["load1_max"] = max;
    }
    if (first_.ok && last.ok && last.total_ticks > first_.total_ticks) {
      r["steal_pct"] = 100.0 * double(last.steal_ticks - first_.steal_ticks) /
                       double(last.total_ticks - first_.total_ticks);
    }
    return r;
  }

 private:
  void Sample(const platform::HostLoad& h) {
    if (h.ok) loads_.push_back(h.load1);
  }
  int round_;
  std::string started_;
  std::chrono::steady_clock::time_point t0_;
  platform::HostLoad first_;
  std::vector<double> loads_;
};

void PrintRound(const json& r, int rounds) {
  std::printf(
      "round %d/%d: %.1f s wall, load %.1f (max %.1f) on %d CPUs, "
      "steal %.1f%%\n",
      r.value("round", 0), rounds, r.value("wall_s", 0.0),
      r.value("load1_mean", -1.0), r.value("load1_max", -1.0),
      r.value("cpus", 0), r.value("steal_pct", -1.0));
  std::fflush(stdout);
}

// Runs round `round` (0-based) in its shuffled order, skipping what the
// file already has. Returns an exit code to stop with, or nullopt.
std::optional<int> RunRound(BenchState& s, const std::vector<PlannedRun>& plan,
                            Session& session, int round) {
  RoundWatch watch(round);
  const std::vector<std::size_t> order = RoundOrder(plan.size(), s.seed, round);
  bool ran = false;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const PlannedRun& p = plan[order[i]];
    const RunRecord* have = FindRecord(s.file, p.id);
    if (have != nullptr && RoundsDone(*have) > round) continue;
    if (InterruptFlag()->load()) return Interrupted(s);
    const std::string step = "round " + std::to_string(round + 1) + "/" +
                             std::to_string(s.suite.rounds) + ", " +
                             std::to_string(i + 1) + "/" +
                             std::to_string(plan.size());
    if (auto code = RunOne(s, p, session, step)) return code;
    watch.AfterRun();
    ran = true;
  }
  if (!ran) return std::nullopt;  // finished before a --resume
  s.rounds.push_back(watch.Finish());
  PrintRound(s.rounds.back(), s.suite.rounds);
  SetBenchRecord(s, false);
  if (Status st = WriteResultFile(s.out, s.file); !st.ok()) return Fail(st);
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
  std::size_t todo = 0;
  for (const PlannedRun& p : plan) {
    const RunRecord* have = FindRecord(s.file, p.id);
    todo += std::size_t(s.suite.rounds - (have ? RoundsDone(*have) : 0));
  }
  std::fprintf(stderr,
               "krgdemo: suite '%s': %zu runs x %d rounds (%zu to do), "
               "label '%s', results in %s\n",
               s.suite.name.c_str(), plan.size(), s.suite.rounds, todo,
               s.file.label.c_str(), s.out.c_str());
  for (const PlannedRun& p : plan) {
    if (p.entry->engine != Engine::kMpi) continue;
    if (Status why = MpiEngineAvailable(); !why.ok()) {
      return UsageError("bench", why.message());
    }
  }
  auto platform = platform::DetectPlatform();
  Session session(*platform);
  for (int round = 0; round < s.suite.rounds; ++round) {
    if (auto code = RunRound(s, plan, session, round)) return *code;
  }
  bool micro_failed = false;
  if (s.micro) {
    if (auto code = RunMicro(s, &micro_failed)) return *code;
  }
  SetBenchRecord(s, true);
  if (Status st = WriteResultFile(s.out, s.file); !st.ok()) return Fail(st);
  std::printf("results: %s (%zu runs x %d rounds%s)\n", s.out.c_str(),
              s.file.runs.size(), s.suite.rounds,
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
         " (built in; quick takes about a minute with its 10 rounds, "
         "default several minutes per round, 5 rounds), "
         "a file "
         "docs/suites/NAME.json, or a path to a suite file (docs/bench.md).\n"
         "On a cluster (--cluster FILE, $KRGDEMO_CLUSTER or "
         "/etc/krgdemo/cluster) every run of the suite becomes an mpi run at "
         "the same node count, in machines: threads x1 and procs x1 become "
         "one mpi x1, counts over the cluster's machines and demos mpi does "
         "not run are dropped (each said on stderr); the result file records "
         "the "
         "mapped suite, so --resume runs the same.\n"
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
      "rounds", po::value<int>()->value_name("K"),
      "use this to run the whole suite K times, each round in a new shuffled "
      "order, so that compare can judge rounds (default: the suite's, 3 for "
      "quick, 5 for default)")(
      "label", po::value<std::string>()->value_name("LABEL"),
      "name these results, e.g. the release: krg-3.0.1 (required)")(
      "out", po::value<std::string>()->value_name("FILE.json"),
      "use this to choose the result file; it must not exist (required)")(
      "resume", po::value<std::string>()->value_name("FILE.json"),
      "use this to continue an interrupted bench: runs what FILE lacks")(
      "micro", po::bool_switch(),
      "also run the Google Benchmark binaries of bench/ and store their "
      "results in the same file");
  AddClusterFileOption(&desc);
  po::options_description hidden;
  po::positional_options_description pos;
  po::variables_map vm;
  const HelpText help{
      "bench [--suite NAME] [--rounds K] --label LABEL --out FILE.json "
      "[--micro]\n"
      "       krgdemo bench --resume FILE.json",
      "Runs a benchmark suite K rounds over, each round in its own shuffled "
      "order (per run: a warm-up, then repeats until the spread is small; "
      "every sample kept by round, every run verified), and writes one "
      "result file with the system's metadata and each round's load, CPU "
      "steal and wall time, for 'krgdemo compare'.",
      SuitesEpilog()};
  if (auto r = ParseArgs("bench", help, desc, hidden, pos, args, &vm))
    return *r;
  if (Status c = ApplyClusterFileOption(vm); !c.ok()) {
    return UsageError("bench", c.message());
  }
  const bool micro = vm["micro"].as<bool>();
  Result<BenchState> state = Status::Internal("unset");
  if (vm.count("resume")) {
    if (vm.count("suite") || vm.count("label") || vm.count("out") ||
        vm.count("rounds")) {
      return UsageError("bench",
                        "--resume continues FILE with its own suite, rounds, "
                        "label and file; drop --suite, --rounds, --label and "
                        "--out");
    }
    state = Resume(vm["resume"].as<std::string>(), micro);
  } else {
    if (!vm.count("label")) return UsageError("bench", "--label is required");
    if (!vm.count("out")) return UsageError("bench", "--out is required");
    const int rounds = vm.count("rounds") ? vm["rounds"].as<int>() : 0;
    if (vm.count("rounds") && (rounds < 1 || rounds > kMaxRounds)) {
      return UsageError("bench", "--rounds " + std::to_string(rounds) +
                                     ": expected 1 to " +
                                     std::to_string(kMaxRounds));
    }
    const std::string suite =
        vm.count("suite") ? vm["suite"].as<std::string>() : "default";
    state = Start(suite, vm["label"].as<std::string>(),
                  vm["out"].as<std::string>(), micro, rounds);
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
