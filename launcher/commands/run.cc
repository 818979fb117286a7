// `krgdemo run DEMO`: one demo, measured, verified, written to a folder.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "cli/cluster.h"
#include "commands/journal_run.h"
#include "krg/number_format.h"
#include "krg/shared_arena.h"
#include "report/run_events.h"

namespace krg::cli {
namespace {

std::string DemoParamsHelp() {
  std::string text = "Demo parameters (--param KEY=VALUE):\n";
  for (const demos::Demo& d : demos::AllDemos()) {
    text += "  " + d.name + ":\n";
    std::istringstream lines(d.params_help);
    for (std::string line; std::getline(lines, line);) {
      text += "    " + line + "\n";
    }
  }
  return text +
         "\nExit codes: 0 verified, 1 failed or not verified, 2 usage error, "
         "130 interrupted.";
}

// "mandelbrot (small) on linux: procs engine, 2 nodes, 2 worker processes".
std::string Headline(const RunRequest& req, const std::string& platform,
                     const Outcome& o) {
  const Measurement& m = o.measurement;
  const int nodes = req.plan.nodes;
  const auto& used = o.record.worker_nodes;
  std::ostringstream s;
  s << req.demo->name << " (" << req.plan.id.size << ") on " << platform << ": "
    << EngineName(o.engine) << " engine, ";
  // Never "3 nodes" for a run whose work stayed on one (SpreadNote says why).
  if (!used.empty() && static_cast<int>(used.size()) < nodes) {
    s << used.size() << " of " << nodes << " nodes";
  } else {
    s << nodes << (nodes == 1 ? " node" : " nodes");
  }
  if (o.engine == Engine::kThreads) {
    s << ", " << m.threads << (m.threads == 1 ? " thread" : " threads");
  } else if (o.engine == Engine::kMpi) {
    s << ", " << m.workers
      << (m.workers == 1 ? " worker rank" : " worker ranks")
      << " and a master (rank 0) under mpirun";
  } else {
    s << ", " << m.workers
      << (m.workers == 1 ? " worker process" : " worker processes");
  }
  return s.str() + "\n";
}

// "h1: 2 ranks, h2: 2 ranks, head: the master", as the ranks reported it.
std::string MachinesLine(const Measurement& m) {
  std::string line;
  for (const MachineRanks& host : m.machines) {
    std::string what;
    if (host.ranks > 0) {
      what =
          std::to_string(host.ranks) + (host.ranks == 1 ? " rank" : " ranks");
    }
    if (host.master)
      what += (what.empty() ? "" : " and ") + std::string("the master");
    line += (line.empty() ? "" : ", ") + host.host + ": " + what;
  }
  return line;
}

// The human summary of one run.
std::string Summary(const RunRequest& req, const std::string& platform,
                    const Outcome& o, const std::filesystem::path& out) {
  const Measurement& m = o.measurement;
  std::string s = Headline(req, platform, o);
  char line[256];
  std::snprintf(line, sizeof line,
                "  time      %.4f s median (min %.4f, MAD %.4f; %d %s, "
                "CoV %.1f%%)\n",
                m.summary.median, m.summary.min, m.summary.mad, m.summary.count,
                m.summary.count == 1 ? "pass" : "passes", 100 * m.summary.cov);
  s += line;
  std::snprintf(line, sizeof line, "  rate      %.2f %s\n", o.record.throughput,
                o.record.throughput_unit.c_str());
  s += line;
  s += "  verified  " + std::string(m.verification.ok ? "yes" : "NO") + ": " +
       m.verification.detail + "\n";
  s += "  checksum  " + m.verification.checksum + "\n";
  if (m.worker_restarts > 0) {
    s += "  restarts  " + std::to_string(m.worker_restarts) +
         " worker(s) died and were replaced (see krgdemo.log)\n";
  }
  if (!m.machines.empty()) s += "  machines  " + MachinesLine(m) + "\n";
  s += "  results   " + out.string() + "/\n";
  for (const Workload::Metric& metric : m.metrics) {
    std::snprintf(line, sizeof line, "  %-22s %s %s\n", metric.name.c_str(),
                  FormatNumber(metric.value, 4).c_str(), metric.unit.c_str());
    s += line;
  }
  for (const std::string& e : m.events) {
    // Where Kerrighed's balancer took a worker: the run's real placement.
    if (e.rfind("resumed", 0) == 0 ||
        e.find("load balancer moved") != std::string::npos) {
      s += "  " + e + "\n";
    }
  }
  if (o.caps.applicable) {
    std::string list;
    for (const std::string& c : o.caps.effective) {
      list += (list.empty() ? "" : ", ") + c;
    }
    s += "  caps      " + list + " (effective in the workers)\n";
  }
  return s;
}

// What the progress line and the event log see of a run.
RunHooks Hooks(ProgressLine& progress, RunEvents& events, const Workload& w) {
  RunHooks hooks;
  hooks.cancel = InterruptFlag();
  hooks.warn = [](const std::string& text) { Warn(text); };
  hooks.progress = [&progress](const Progress& p) { progress.Update(p); };
  if (events.enabled()) {
    hooks.on_worker_start = [&events](pid_t pid) { events.Worker(pid); };
    hooks.on_unit_done = [&events, &w](int pass, std::size_t unit, int node,
                                       std::string_view bytes) {
      events.Unit(w, pass, unit, node, bytes);
    };
  }
  return hooks;
}

// A run that ended without an outcome: interrupted (130) or failed.
int RunFailed(const RunRequest& req, const Status& s, std::ofstream& log,
              const std::filesystem::path& out) {
  log << "run failed: " << s.ToString() << "\n";
  if (s.code() != Status::Code::kCancelled) {
    return Fail(s.WithContext(req.demo->name));
  }
  std::fprintf(stderr,
               "krgdemo: interrupted; workers stopped, nothing left running\n");
  if (!req.plan.checkpoint.dir.empty()) {
    std::fprintf(stderr, "krgdemo: continue it with 'krgdemo resume %s'\n",
                 out.c_str());
  }
  return kExitInterrupted;
}

// The reporters of one outcome: run.json, the log, the summary (or the
// JSON) on stdout, the end of the event log. `load` is MachineLoad's.
int Report(const RunRequest& req, Session& session, const Outcome& o,
           std::ofstream& log, RunEvents& events, const nlohmann::json& load) {
  const Measurement& m = o.measurement;
  const std::filesystem::path& out = req.plan.out;
  for (const std::string& e : m.events) log << "event: " << e << "\n";
  ResultFile file = session.NewResultFile(req.demo->name);
  file.runs.push_back(o.record);
  if (!load.is_null()) file.extensions["load"] = load;
  for (const Workload::Metric& metric : m.metrics) {
    file.extensions["metrics"][metric.name] = {{"value", metric.value},
                                               {"unit", metric.unit}};
  }
  if (Status s = WriteResultFile(out / "run.json", file); !s.ok()) {
    return Fail(s);
  }
  const std::string summary = Summary(req, session.platform().name(), o, out);
  log << summary;
  std::cout << (req.json ? ToJson(file).dump(2) + "\n" : summary);
  events.End({{"ok", m.verification.ok},
              {"verified", m.verification.ok},
              {"median_s", m.summary.median},
              {"detail", m.verification.detail}});
  if (!m.verification.ok) {
    std::fprintf(stderr, "krgdemo: error: %s did not verify: %s\n",
                 req.demo->name.c_str(), m.verification.detail.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

// One planned point into a results folder: the log, the event log, the
// session's run, the reporters.
int Execute(RunRequest& req, Workload& w) {
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  req.plan.out = *out;
  std::ofstream log(*out / "krgdemo.log");
  RunEvents events(req.events ? *out / "events.ndjson"
                              : std::filesystem::path());
  events.Start(
      {{"demo", req.demo->name},
       {"size", req.plan.id.size},
       {"engine",
        EngineName(req.plan.engine.value_or(DefaultEngine(req.plan.nodes)))},
       {"nodes", req.plan.nodes},
       {"dir", out->string()}},
      w);
  auto platform = platform::DetectPlatform();
  Session session(*platform);
  ProgressLine progress(req.demo->name);
  if (auto caps = session.Prepare(req.plan); !caps.ok()) {
    log << "run failed: " << caps.status().ToString() << "\n";
    return Fail(caps.status());
  }
  const nlohmann::json load = MachineLoad(*platform);
  auto o = session.Run(req.plan, w, Hooks(progress, events, w));
  progress.Clear();
  if (!o.ok()) return RunFailed(req, o.status(), log, *out);
  return Report(req, session, *o, log, events, load);
}

// The System V objects of a kernel-checkpointed run under `key` (0: none):
// a procs SPMD arena and its barrier (krg/shared_arena.h).
std::vector<platform::IpcObject> IpcObjectsOf(int key) {
  if (key == 0) return {};
  return {{platform::IpcKind::kShm, key, -1},
          {platform::IpcKind::kSem, key + 1, -1}};
}

// Where a checkpoint's System V copies are written before its version is
// known (TakeCheckpoint then renames it to KernelIpcDir).
std::filesystem::path IpcStagingDir(const std::filesystem::path& out) {
  return out / "ipc" / "next";
}

// One checkpoint of `root`, with its System V objects saved into
// <out>/ipc/v<version>/ (through <out>/ipc/next/, as the version is known
// only once the checkpoint is taken).
Result<platform::CheckpointId> TakeCheckpoint(
    platform::Platform& platform, pid_t root,
    const std::vector<platform::IpcObject>& ipc,
    const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  platform::CheckpointRequest request{root, ipc, {}};
  std::error_code ec;
  if (!ipc.empty()) {
    request.ipc_dir = IpcStagingDir(out);
    fs::remove_all(request.ipc_dir, ec);
    if (!fs::create_directories(request.ipc_dir, ec)) {
      return Status::IoError("cannot create " + request.ipc_dir.string());
    }
  }
  auto id = platform.Checkpoint(request);
  if (!id.ok() || ipc.empty()) return id;
  const fs::path dest = KernelIpcDir(out, id->version);
  fs::remove_all(dest, ec);  // a version number used again after a restart
  fs::rename(request.ipc_dir, dest, ec);
  if (ec) return Status::IoError("cannot rename " + request.ipc_dir.string());
  return id;
}

// checkpoints.json's entry of one checkpoint.
nlohmann::json CheckpointEntry(const platform::CheckpointId& id, double at) {
  nlohmann::json ipc = nlohmann::json::array();
  for (const platform::IpcObject& o : id.ipc) {
    ipc.push_back({{"kind", platform::IpcKindName(o.kind)},
                   {"key", o.key},
                   {"id", o.id}});
  }
  return {{"version", id.version},
          {"at_s", at},
          {"created", NowUtc()},
          {"ipc", ipc}};
}

// Checkpoints the application `root` every `every_s` seconds until it ends;
// returns its exit code. Ctrl-C is forwarded to the root, which stops its
// workers; a root killed by a signal can be resumed from its last version.
// However it ends, no System V object of it is left (the saved copies are
// what `resume` restores).
int CheckpointLoop(platform::Platform& platform, pid_t root,
                   const std::string& demo, const std::filesystem::path& out,
                   int every_s, int ipc_key) {
  const std::vector<platform::IpcObject> ipc = IpcObjectsOf(ipc_key);
  struct Cleanup {  // every exit path, this one's included
    const std::vector<platform::IpcObject>& ipc;
    const std::filesystem::path& out;
    ~Cleanup() {
      for (const platform::IpcObject& o : ipc)
        platform::RemoveIpc(o.kind, o.key);
      std::error_code ec;
      std::filesystem::remove_all(IpcStagingDir(out), ec);
    }
  } cleanup{ipc, out};
  nlohmann::json record = {{"root_pid", root},
                           {"every_s", every_s},
                           {"demo", demo},
                           {"checkpoints", nlohmann::json::array()}};
  const auto start = std::chrono::steady_clock::now();
  auto next = start + std::chrono::seconds(every_s);
  bool warned = false, forwarded = false;
  int saved_version = 0;  // the checkpoint whose IPC copies <out>/ipc holds
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
    auto ended = platform::Reap(root, /*block=*/false);
    if (!ended.ok()) return Fail(ended.status());
    if (ended->has_value()) {
      if ((*ended)->exited) return (*ended)->code;
      std::fprintf(stderr,
                   "krgdemo: error: the run was %s; restart it from its last "
                   "checkpoint with 'krgdemo resume %s'\n",
                   (*ended)->ToString().c_str(), out.c_str());
      return kExitFailed;
    }
    if (InterruptFlag()->load() && !forwarded) {
      (void)platform::SendSignal(root, SIGINT);  // it stops its workers
      forwarded = true;
    }
    if (forwarded || std::chrono::steady_clock::now() < next) continue;
    next += std::chrono::seconds(every_s);
    auto id = TakeCheckpoint(platform, root, ipc, out);
    if (!id.ok()) {
      if (!warned) Warn(id.status().message());
      warned = true;
      continue;
    }
    const double at =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    record["appid"] = id->appid;
    record["checkpoints"].push_back(CheckpointEntry(*id, at));
    if (WriteFileAtomic(out / "checkpoints.json", record.dump(2) + "\n").ok() &&
        saved_version > 0 && saved_version != id->version) {
      // resume restores the last one only: the older copies go.
      std::error_code ec;
      std::filesystem::remove_all(KernelIpcDir(out, saved_version), ec);
    }
    if (!id->ipc.empty()) saved_version = id->version;
    std::fprintf(stderr,
                 "krgdemo: checkpoint v%d of application %ld at %.1f s\n",
                 id->version, id->appid, at);
  }
}

// Kerrighed's transparent checkpoint: like krgcr-run, this process makes
// CHECKPOINTABLE inheritable, forks the application root (which runs the
// demo and its workers, and whose pid is the appid), and checkpoints it
// every `every_s` seconds into <out>/checkpoints.json, which
// 'krgdemo resume' reads. Its channels are pipes, which Kerrighed saves
// (krg/channel.h); a procs SPMD run makes its System V objects under keys
// chosen here, saved with each checkpoint (INTERFACE.md 3.1, 3.4).
int CheckpointedRun(RunRequest& req, Workload& w, int every_s) {
  auto platform = platform::DetectPlatform();
  if (!platform->traits().transparent_checkpoint) {
    return UsageError("run",
                      "--checkpoint-every needs Kerrighed's transparent "
                      "checkpoint; this is " +
                          platform->name());
  }
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  req.out = *out;  // the root writes its results where resume looks
  req.plan.cluster.raise.push_back("CHECKPOINTABLE");
  if (w.shape() == Shape::kSpmd) {
    req.plan.checkpoint.ipc_key = platform::FreeIpcKeyPair();
  }
  if (auto caps = Session(*platform).Prepare(req.plan); !caps.ok()) {
    return Fail(caps.status());
  }
  auto root = platform::ForkChild([&]() { return Execute(req, w); });
  if (!root.ok()) return Fail(root.status());
  return CheckpointLoop(*platform, *root, req.demo->name, *out, every_s,
                        req.plan.checkpoint.ipc_key);
}

// --checkpoint-mode, or the platform's default.
Result<std::string> CheckpointMode(const po::variables_map& vm) {
  if (!vm.count("checkpoint-mode")) {
    return platform::DetectPlatform()->traits().transparent_checkpoint
               ? std::string("kernel")
               : std::string("journal");
  }
  const std::string mode = vm["checkpoint-mode"].as<std::string>();
  if (mode != "kernel" && mode != "journal") {
    return Status::InvalidArgument("--checkpoint-mode '" + mode +
                                   "': expected journal or kernel");
  }
  return mode;
}

// `run --checkpoint-every`: kernel or journal checkpoints of one pass.
int RunCheckpointed(RunRequest& req, Workload& w, const po::variables_map& vm) {
  const std::string every_text = vm["checkpoint-every"].as<std::string>();
  auto mode = CheckpointMode(vm);
  if (!mode.ok()) return UsageError("run", mode.status().message());
  if (*mode == "kernel") {
    auto every = ParsePositive("--checkpoint-every", every_text, 86400);
    if (!every.ok()) return UsageError("run", every.status().message());
    return CheckpointedRun(req, w, *every);
  }
  char* end = nullptr;
  const double every = std::strtod(every_text.c_str(), &end);
  if (end == every_text.c_str() || *end != '\0' || !(every >= 0.01) ||
      every > 86400) {
    return UsageError("run", "--checkpoint-every '" + every_text +
                                 "': expected seconds, 0.01 to 86400");
  }
  if (req.plan.repeat.fixed > 1) {
    return UsageError("run", "--checkpoint-every runs one pass: drop --repeat");
  }
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  req.out = *out;
  return JournaledRun(req, w, every, /*run_id=*/"");
}

void AddRunCommandOptions(po::options_description* desc) {
  desc->add_options()("nodes", po::value<std::string>()->value_name("N"),
                      "use this to spread the run over N nodes (default: 1; "
                      "on linux, N virtual nodes made of the CPUs)");
  AddRunOptions(desc);
  desc->add_options()(
      "events", po::bool_switch(),
      "use this to write events.ndjson into the results folder: the "
      "workers, and each unit (with a preview tile) as it completes, which "
      "'krgdemo dashboard' shows live (default: off)");
  desc->add_options()(
      "checkpoint-every", po::value<std::string>()->value_name("SECONDS"),
      "use this to checkpoint the run every SECONDS (decimals allowed in "
      "journal mode), so that 'krgdemo resume DIR' can finish it after a "
      "crash or kill -9 with the same verified answer; one pass "
      "(default: no checkpoints)")(
      "checkpoint-mode", po::value<std::string>()->value_name("MODE"),
      "use this to choose how: 'journal' (the runtime's own: a journal of "
      "finished units, or every rank's state for SPMD demos, under "
      "DIR/checkpoint/) or 'kernel' (Kerrighed's transparent checkpoint of "
      "the whole application) (default: kernel on Kerrighed, journal "
      "elsewhere)");
  desc->add_options()(
      "bind", po::value<std::string>()->value_name("ADDR"),
      "server demos (webfarm): use this to listen on ADDR instead of "
      "127.0.0.1, e.g. 0.0.0.0 to be reached from other machines (a warning "
      "says so; default: 127.0.0.1)");
}

// The run's plan from the command line; a usage error is an exit code.
std::optional<int> ReadRunCommand(const po::variables_map& vm,
                                  RunRequest* req) {
  if (Status s = ReadRunOptions(vm, req); !s.ok()) {
    return s.code() == Status::Code::kNotFound ? Fail(s)
                                               : UsageError("run", s.message());
  }
  req->events = vm["events"].as<bool>();
  if (vm.count("nodes")) {
    auto n = ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes);
    if (!n.ok()) return UsageError("run", n.status().message());
    req->plan.nodes = *n;
  }
  if (vm.count("checkpoint-mode") && !vm.count("checkpoint-every")) {
    return UsageError("run", "--checkpoint-mode needs --checkpoint-every");
  }
  return std::nullopt;
}

}  // namespace

int RunDemoCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  AddRunCommandOptions(&desc);
  po::variables_map vm;
  const HelpText help{
      "run DEMO [options]",
      "Runs one demo, verifies its answer, and writes run.json, "
      "the demo's artifacts and krgdemo.log to a results folder.",
      DemoParamsHelp()};
  if (auto r = ParseDemoArgs("run", help, desc, args, &vm)) return *r;
  RunRequest req;
  if (auto r = ReadRunCommand(vm, &req)) return *r;
  const std::string bind =
      vm.count("bind") ? vm["bind"].as<std::string>() : std::string();
  if (req.demo->shape == Shape::kService) {
    return RunServiceDemo(req, bind);
  }
  if (!bind.empty()) {
    return UsageError("run", "--bind applies to the server demos (webfarm)");
  }
  RunPlan checked = req.plan;  // with its checkpoints, which the run sets
  if (vm.count("checkpoint-every")) checked.checkpoint.dir = "checkpoint";
  if (auto e = CheckPlan(checked, req.demo->shape,
                         platform::DetectPlatform()->traits());
      !e.ok()) {
    return UsageError("run", e.status().message());
  }
  auto w = req.demo->make(req.config());
  if (!w.ok()) return UsageError("run", w.status().message());
  if (vm.count("checkpoint-every")) return RunCheckpointed(req, **w, vm);
  return Execute(req, **w);
}

int JournaledRun(RunRequest& req, Workload& w, double every_s,
                 const std::string& run_id) {
  namespace fs = std::filesystem;
  const fs::path dir = *req.out / "checkpoint";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Status::IoError("cannot create " + dir.string()));
  RunPlan& plan = req.plan;
  plan.repeat = RepeatPolicy{.fixed = 1};
  plan.engine = plan.engine.value_or(DefaultEngine(plan.nodes));
  const bool resume = !run_id.empty();
  std::string id = run_id;
  if (!resume) {
    auto written = WriteResumeRecord(dir, req, every_s);
    if (!written.ok()) return Fail(written.status());
    id = *written;
  }
  plan.checkpoint = {dir, every_s, resume, CheckpointIdentity(id, plan.id)};
  return Execute(req, w);
}

}  // namespace krg::cli
