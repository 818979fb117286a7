#include "cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "cli/cluster.h"
#include "cli/docgen.h"
#include "krg/mpi_engine.h"

namespace krg::cli {

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kInvalidArgument:
    case Status::Code::kNotFound:
      return kExitUsage;
    case Status::Code::kCancelled:
      return kExitInterrupted;
    default:
      return kExitFailed;
  }
}

int Fail(const Status& s) {
  std::fprintf(stderr, "krgdemo: error: %s\n", s.message().c_str());
  return ExitCodeFor(s);
}

int UsageError(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "krgdemo: error: %s (see 'krgdemo %s --help')\n",
               message.c_str(), command.c_str());
  return kExitUsage;
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "krgdemo: warning: %s\n", message.c_str());
}

std::optional<int> ParseArgs(const std::string& command, const HelpText& help,
                             po::options_description& visible,
                             const po::options_description& hidden,
                             const po::positional_options_description& pos,
                             const std::vector<std::string>& args,
                             po::variables_map* vm) {
  visible.add_options()("help,h", "show this help");
  if (RecordHelpForDocs(command, help, visible)) return kExitOk;
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(),
              *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    return UsageError(command, e.what());
  }
  if (vm->count("help")) {
    std::cout << "Usage: krgdemo " << help.usage << "\n\n"
              << help.purpose << "\n\n"
              << visible;
    if (!help.epilog.empty()) std::cout << "\n" << help.epilog << "\n";
    return kExitOk;
  }
  return std::nullopt;
}

std::optional<int> ParseDemoArgs(const std::string& command,
                                 const HelpText& help,
                                 po::options_description& visible,
                                 const std::vector<std::string>& args,
                                 po::variables_map* vm) {
  po::options_description hidden;
  hidden.add_options()("demo", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("demo", 1);
  return ParseArgs(command, help, visible, hidden, pos, args, vm);
}

Result<std::unique_ptr<Workload>> MakeDemoWorkload(const WorkloadId& id) {
  const demos::Demo* demo = demos::FindDemo(id.name);
  if (demo == nullptr) {
    return Status::NotFound("unknown demo '" + id.name + "'");
  }
  return demo->make({id.size, id.params});
}

std::string EngineHelp(const std::string& tail) {
  std::string text = "use this to choose how the work runs: ";
  for (const EngineInfo& e : Engines()) {
    if (e.engine != Engines().front().engine) text += "; ";
    text += std::string(e.name) + ": " + e.summary;
  }
  return text + " " + tail;
}

void AddRunOptions(po::options_description* desc, bool threads) {
  desc->add_options()(
      "engine", po::value<std::string>()->value_name(EngineNames()),
      EngineHelp("(default: threads for 1 node, procs for more)").c_str());
  if (threads) {
    desc->add_options()("threads", po::value<std::string>()->value_name("T"),
                        "use this to set the thread count of the threads "
                        "engine (default: every CPU of the nodes)");
  }
  desc->add_options()(
      "size",
      po::value<std::string>()
          ->value_name("test|small|medium|large")
          ->default_value("small"),
      "use this to pick the problem size; large takes several seconds on "
      "one core")(
      "param",
      po::value<std::vector<std::string>>()
          ->value_name("KEY=VALUE")
          ->composing(),
      "use this to set a demo parameter (repeatable; see the list below)")(
      "repeat", po::value<std::string>()->value_name("R"),
      "use this to time exactly R passes (default: a warm-up, then repeats "
      "until the spread is under 3.5% or 10 passes or 20 s)")(
      "out", po::value<std::string>()->value_name("DIR"),
      "use this to choose the results folder (default: a new timestamped "
      "folder under ./krgdemo-results/)")(
      "json", po::bool_switch(),
      "print run.json on stdout instead of a summary")(
      "hostfile", po::value<std::string>()->value_name("FILE"),
      "mpi: use this to run the ranks on the hosts of an Open MPI hostfile, "
      "passed to mpirun as it is (default: the cluster's machines on the "
      "cluster platform, else this machine, oversubscribed if needed)");
  AddClusterFileOption(desc);
  AddClusterOptions(desc);
}

void AddClusterFileOption(po::options_description* desc) {
  desc->add_options()(
      "cluster", po::value<std::string>()->value_name("FILE"),
      "use this to run on the machines a cluster file lists (one per line: "
      "ADDRESS CPUS MEMORY; docs/cluster.md), through the mpi engine "
      "(default: $KRGDEMO_CLUSTER, else /etc/krgdemo/cluster when it "
      "exists, else this machine alone)");
}

Status ApplyClusterFileOption(const po::variables_map& vm) {
  if (!vm.count("cluster")) return Status::Ok();
  return platform::UseClusterFile(vm["cluster"].as<std::string>());
}

Engine DefaultEngineOn(const platform::Platform& platform, int nodes) {
  return platform.traits().separate_machines ? Engine::kMpi
                                             : DefaultEngine(nodes);
}

Result<int> ParsePositive(const std::string& option, const std::string& text,
                          int max) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < 1 || v > max) {
    return Status::InvalidArgument(option + " " + text +
                                   ": expected an integer from 1 to " +
                                   std::to_string(max));
  }
  return static_cast<int>(v);
}

Status ReadRunOptions(const po::variables_map& vm, RunRequest* req) {
  if (!vm.count("demo")) {
    return Status::InvalidArgument("which demo? (see 'krgdemo list')");
  }
  const std::string name = vm["demo"].as<std::string>();
  req->demo = demos::FindDemo(name);
  if (req->demo == nullptr) {
    std::string hint = demos::SuggestDemo(name);
    return Status::NotFound(
        "unknown demo '" + name + "'" +
        (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
        " (see 'krgdemo list')");
  }
  RunPlan& plan = req->plan;
  plan.id.name = req->demo->name;
  plan.caps = req->demo->caps;
  KRG_RETURN_IF_ERROR(ApplyClusterFileOption(vm));
  if (vm.count("engine")) {
    KRG_ASSIGN_OR_RETURN(plan.engine,
                         ParseEngine(vm["engine"].as<std::string>()));
  }
  if (plan.engine.value_or(DefaultEngineOn(*platform::DetectPlatform(), 2)) ==
      Engine::kMpi) {
    KRG_RETURN_IF_ERROR(MpiEngineAvailable());
  }
  if (vm.count("hostfile")) {
    const std::filesystem::path file = vm["hostfile"].as<std::string>();
    if (!std::filesystem::is_regular_file(file) ||
        !std::ifstream(file).good()) {
      return Status::InvalidArgument("--hostfile " + file.string() +
                                     ": cannot read it");
    }
    plan.hostfile = std::filesystem::absolute(file).string();
  }
  if (vm.count("threads")) {
    KRG_ASSIGN_OR_RETURN(
        plan.threads,
        ParsePositive("--threads", vm["threads"].as<std::string>(), 4096));
  }
  plan.id.size = vm["size"].as<std::string>();
  if (!demos::IsSize(plan.id.size)) {
    return Status::InvalidArgument("--size " + plan.id.size +
                                   ": expected test, small, medium or large");
  }
  if (vm.count("param")) {
    for (const std::string& kv : vm["param"].as<std::vector<std::string>>()) {
      KRG_ASSIGN_OR_RETURN(auto pair, SplitParam(kv));
      plan.id.params[pair.first] = pair.second;
    }
  }
  if (vm.count("repeat")) {
    KRG_ASSIGN_OR_RETURN(
        plan.repeat.fixed,
        ParsePositive("--repeat", vm["repeat"].as<std::string>(), 100000));
  }
  if (vm.count("out")) req->out = vm["out"].as<std::string>();
  req->json = vm["json"].as<bool>();
  return ReadClusterOptions(vm, &plan.cluster);
}

namespace {

// A folder that already holds results gets this run's files beside the
// earlier run's: say which are there, since those not rewritten stay.
void WarnIfEarlierResults(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / "run.json", ec)) return;
  // A journaled run resumed in its own folder.
  if (std::filesystem::exists(dir / "checkpoint" / "resume.json", ec)) return;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::string list;
  for (std::size_t i = 0; i < names.size() && i < 8; ++i) {
    list += (i ? ", " : "") + names[i];
  }
  if (names.size() > 8) list += ", ...";
  Warn("--out " + dir.string() + " already holds an earlier run's results (" +
       list +
       "): the files this run writes replace theirs, the others stay as they "
       "are; use a new folder to keep runs apart");
}

}  // namespace

std::filesystem::path KernelIpcDir(const std::filesystem::path& out,
                                   int version) {
  return out / "ipc" / ("v" + std::to_string(version));
}

Result<std::filesystem::path> PrepareOutDir(
    const std::optional<std::filesystem::path>& out, const std::string& stem) {
  std::filesystem::path dir;
  if (out) {
    dir = *out;
    WarnIfEarlierResults(dir);
  } else {
    char stamp[32];
    std::time_t t = std::time(nullptr);
    std::tm tm;
    ::localtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    dir = std::filesystem::path("krgdemo-results") / (stem + "-" + stamp);
    for (int k = 2; std::filesystem::exists(dir); ++k) {
      dir = std::filesystem::path("krgdemo-results") /
            (stem + "-" + stamp + "-" + std::to_string(k));
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    return Status::InvalidArgument("cannot create results folder " +
                                   dir.string() + ": " +
                                   (ec ? ec.message() : "not a directory") +
                                   "; choose another with --out DIR");
  }
  const auto probe = dir / ".krgdemo-write-test";
  {
    std::ofstream f(probe);
    f << "x";
    if (!f.good()) {
      return Status::InvalidArgument("results folder " + dir.string() +
                                     " is not writable; choose another with "
                                     "--out DIR");
    }
  }
  std::filesystem::remove(probe, ec);
  return dir;
}

namespace {

// The cluster platform: each machine's own load average on its own CPUs,
// read over ssh (the sampling `info` does); the busy ones are named.
nlohmann::json ClusterLoad(platform::Platform& platform) {
  const auto info = platform.Describe(/*sample_load=*/true);
  if (!info.ok()) return nullptr;
  const std::vector<platform::MachineLoad> loads =
      platform::JudgeMachineLoads(info->nodes, kBusyLoadPerCpu);
  if (loads.empty()) return nullptr;
  nlohmann::json machines = nlohmann::json::array();
  bool busy = false;
  for (const platform::MachineLoad& m : loads) {
    machines.push_back({{"address", m.address},
                        {"loadavg_1m", m.loadavg_1m},
                        {"cpus", m.cpus},
                        {"per_cpu", m.per_cpu},
                        {"busy", m.busy}});
    busy = busy || m.busy;
  }
  if (busy) {
    char over[16];
    std::snprintf(over, sizeof over, "%.2f", kBusyLoadPerCpu);
    Warn("busy machine(s) of the cluster before the run: " +
         platform::BusyMachinesText(loads) + ", over " + over +
         " per CPU; times will be slower and noisier than the cluster can "
         "do (recorded in run.json)");
  }
  return {
      {"machines", machines}, {"busy_over", kBusyLoadPerCpu}, {"busy", busy}};
}

}  // namespace

nlohmann::json MachineLoad(platform::Platform& platform) {
  if (platform.traits().separate_machines) return ClusterLoad(platform);
  const Result<double> load = platform::LoadAverage();
  const auto info = platform.Describe(/*sample_load=*/false);
  if (!load.ok() || !info.ok() || info->usable_cpus < 1) return nullptr;
  const int cpus = info->usable_cpus;
  const double per_cpu = *load / cpus;
  const bool busy = per_cpu > kBusyLoadPerCpu;
  if (busy) {
    char text[200];
    std::snprintf(text, sizeof text,
                  "this machine is busy: load %.1f on %d CPU%s (%.2f per CPU, "
                  "over %.2f) before the run; times will be slower and "
                  "noisier than the machine can do (recorded in run.json)",
                  *load, cpus, cpus == 1 ? "" : "s", per_cpu, kBusyLoadPerCpu);
    Warn(text);
  }
  return {{"loadavg_1m", *load},
          {"cpus", cpus},
          {"per_cpu", per_cpu},
          {"busy_over", kBusyLoadPerCpu},
          {"busy", busy}};
}

void ProgressLine::Update(const Progress& p) {
  std::string detail =
      p.pass == 0 ? "warm-up" : "pass " + std::to_string(p.pass);
  if (p.pass > 0 && p.passes > 0) {
    detail += (p.passes_fixed ? " of " : " of ≤") + std::to_string(p.passes);
  }
  if (!p.note.empty()) {
    detail += " · " + p.note;
  } else if (p.total > 0) {
    detail += " · " + std::to_string(p.done) + "/" + std::to_string(p.total) +
              " units";
  }
  const ProgressEstimate e = EstimateProgress(p);
  bar_.Show(p.elapsed_s, e.fraction, detail, e.left_s);
}

const std::atomic<bool>* InterruptFlag() {
  static const std::atomic<bool>* flag = platform::InstallInterruptFlag();
  return flag;
}

}  // namespace krg::cli
