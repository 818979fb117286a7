#include "cli/cli.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>

#include "cli/cluster.h"
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

void AddRunOptions(po::options_description* desc) {
  desc->add_options()(
      "engine", po::value<std::string>()->value_name(EngineNames()),
      EngineHelp("(default: threads for 1 node, procs for more)").c_str())(
      "threads", po::value<std::string>()->value_name("T"),
      "use this to set the thread count of the threads engine (default: "
      "every CPU of the nodes)")(
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

Result<std::filesystem::path> PrepareOutDir(
    const std::optional<std::filesystem::path>& out, const std::string& stem) {
  std::filesystem::path dir;
  if (out) {
    dir = *out;
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

ProgressLine::ProgressLine(std::string label)
    : label_(std::move(label)), enabled_(::isatty(STDERR_FILENO) == 1) {}

void ProgressLine::Update(const Progress& p) {
  if (!enabled_ || p.elapsed_s < 1.0) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  shown_ = true;
  const std::string pass =
      p.pass == 0 ? "warm-up" : "pass " + std::to_string(p.pass);
  if (!p.note.empty()) {
    std::fprintf(stderr, "\r\033[K  %s · %s · %s · %.1f s", label_.c_str(),
                 pass.c_str(), p.note.c_str(), p.elapsed_s);
  } else {
    std::fprintf(stderr, "\r\033[K  %s · %s · %zu/%zu units · %.1f s",
                 label_.c_str(), pass.c_str(), p.done, p.total, p.elapsed_s);
  }
  std::fflush(stderr);
}

void ProgressLine::Clear() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

const std::atomic<bool>* InterruptFlag() {
  static const std::atomic<bool>* flag = platform::InstallInterruptFlag();
  return flag;
}

}  // namespace krg::cli
