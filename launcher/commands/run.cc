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

// The human summary of one run.
std::string Summary(const RunRequest& req, const std::string& platform,
                    Engine engine, int nodes, const Measurement& m,
                    const RunRecord& rec, const std::filesystem::path& out) {
  std::ostringstream s;
  char line[256];
  s << req.demo->name << " (" << req.config.size << ") on " << platform << ": "
    << EngineName(engine) << " engine, " << nodes
    << (nodes == 1 ? " node" : " nodes");
  if (engine == Engine::kThreads) {
    s << ", " << m.threads << (m.threads == 1 ? " thread" : " threads");
  } else if (engine == Engine::kMpi) {
    s << ", " << m.workers
      << (m.workers == 1 ? " worker rank" : " worker ranks")
      << " and a master (rank 0) under mpirun";
  } else {
    s << ", " << m.workers
      << (m.workers == 1 ? " worker process" : " worker processes");
  }
  s << "\n";
  std::snprintf(line, sizeof line,
                "  time      %.4f s median (min %.4f, MAD %.4f; %d %s, "
                "CoV %.1f%%)\n",
                m.summary.median, m.summary.min, m.summary.mad, m.summary.count,
                m.summary.count == 1 ? "pass" : "passes", 100 * m.summary.cov);
  s << line;
  std::snprintf(line, sizeof line, "  rate      %.2f %s\n", rec.throughput,
                rec.throughput_unit.c_str());
  s << line;
  s << "  verified  " << (m.verification.ok ? "yes" : "NO") << ": "
    << m.verification.detail << "\n";
  s << "  checksum  " << m.verification.checksum << "\n";
  if (m.worker_restarts > 0) {
    s << "  restarts  " << m.worker_restarts
      << " worker(s) died and were replaced (see krgdemo.log)\n";
  }
  s << "  results   " << out.string() << "/\n";
  return s.str();
}

// Journal-mode checkpoints of one run (empty dir: none).
struct CheckpointPlan {
  std::filesystem::path dir;
  double every_s = 1;
  bool resume = false;
};

// Opens the log, then measures, writes artifacts, run.json and the log.
int Execute(RunRequest& req, const ClusterRequest& cluster, int nodes,
            Workload& w, const CheckpointPlan& plan = {}) {
  const Engine engine =
      req.engine.value_or(nodes > 1 ? Engine::kProcs : Engine::kThreads);
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  std::ofstream log(*out / "krgdemo.log");
  RunEvents events(req.events ? *out / "events.ndjson"
                              : std::filesystem::path());
  events.Start({{"demo", req.demo->name},
                {"size", req.config.size},
                {"engine", EngineName(engine)},
                {"nodes", nodes},
                {"dir", out->string()}},
               w);
  auto platform = platform::DetectPlatform();
  auto caps = PrepareCluster(*platform, *req.demo, cluster);
  if (!caps.ok()) {
    log << "run failed: " << caps.status().ToString() << "\n";
    return Fail(caps.status());
  }

  RunSpec spec;
  spec.id = WorkloadIdOf(req);
  spec.engine = engine;
  spec.nodes = nodes;
  spec.threads = req.threads;
  spec.hostfile = req.hostfile.value_or("");
  spec.artifacts_dir = *out;
  spec.repeat = req.repeat;
  spec.cancel = InterruptFlag();
  spec.checkpoint_dir = plan.dir;
  spec.checkpoint_every_s = plan.every_s;
  spec.resume = plan.resume;
  ProgressLine progress(req.demo->name);
  spec.progress = [&progress](const Progress& p) { progress.Update(p); };
  if (events.enabled()) {
    spec.on_worker_start = [&events](pid_t pid) { events.Worker(pid); };
    spec.on_unit_done = [&](int pass, std::size_t unit, int node,
                            std::string_view bytes) {
      events.Unit(w, pass, unit, node, bytes);
    };
  }
  auto layout = platform->Partition(nodes);
  if (layout.ok() && !layout->note.empty() && engine != Engine::kMpi) {
    Warn(layout->note);
  }

  auto m = Measure(*platform, w, spec);
  progress.Clear();
  if (!m.ok()) {
    log << "run failed: " << m.status().ToString() << "\n";
    if (m.status().code() == Status::Code::kCancelled) {
      std::fprintf(stderr,
                   "krgdemo: interrupted; workers stopped, nothing "
                   "left running\n");
      if (!plan.dir.empty()) {
        std::fprintf(stderr, "krgdemo: continue it with 'krgdemo resume %s'\n",
                     out->c_str());
      }
      return kExitInterrupted;
    }
    return Fail(m.status().WithContext(req.demo->name));
  }
  if (engine == Engine::kMpi && !m->layout_note.empty()) Warn(m->layout_note);
  for (const std::string& e : m->events) {
    log << "event: " << e << "\n";
    if (e.find("did not move") != std::string::npos) Warn(e);
  }
  Status art = m->artifacts_written ? Status::Ok() : w.WriteArtifacts(*out);
  if (!art.ok()) Warn("artifacts not written: " + art.message());

  ResultFile file = NewResultFile(*platform, req.demo->name);
  const WorkAmount work = m->work;
  RunRecord rec = MakeRunRecord(req, engine, nodes, *m, work.amount, work.unit);
  rec.caps = caps->effective;
  if (file.system.kerrighed.is_object()) {
    file.system.kerrighed["caps_requested"] = caps->requested;
    file.system.kerrighed["caps_effective"] = caps->effective;
  }
  file.runs.push_back(rec);
  std::string metrics_text;
  for (const Workload::Metric& metric : m->metrics) {
    file.extensions["metrics"][metric.name] = {{"value", metric.value},
                                               {"unit", metric.unit}};
    char line[160];
    std::snprintf(line, sizeof line, "  %-22s %.4g %s\n", metric.name.c_str(),
                  metric.value, metric.unit.c_str());
    metrics_text += line;
  }
  Status wrote = WriteResultFile(*out / "run.json", file);
  if (!wrote.ok()) return Fail(wrote);

  std::string summary =
      Summary(req, platform->name(), engine, nodes, *m, rec, *out);
  summary += metrics_text;
  for (const std::string& e : m->events) {
    if (e.rfind("resumed", 0) == 0) summary += "  " + e + "\n";
  }
  if (caps->applicable) {
    std::string list;
    for (const std::string& c : caps->effective) {
      list += (list.empty() ? "" : ", ") + c;
    }
    summary += "  caps      " + list + " (effective in the workers)\n";
  }
  log << summary;
  if (req.json) {
    std::cout << ToJson(file).dump(2) << "\n";
  } else {
    std::cout << summary;
  }
  events.End({{"ok", m->verification.ok},
              {"verified", m->verification.ok},
              {"median_s", m->summary.median},
              {"detail", m->verification.detail}});
  if (!m->verification.ok) {
    std::fprintf(stderr, "krgdemo: error: %s did not verify: %s\n",
                 req.demo->name.c_str(), m->verification.detail.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

// Kerrighed's transparent checkpoint: like krgcr-run, this process makes
// CHECKPOINTABLE inheritable, forks the application root (which runs the
// demo and its workers, and whose pid is the appid), and checkpoints it
// every `every_s` seconds into <out>/checkpoints.json, which
// 'krgdemo resume' reads.
int CheckpointedRun(RunRequest& req, ClusterRequest cluster, int nodes,
                    Workload& w, int every_s) {
  auto platform = platform::DetectPlatform();
  if (platform->name() != "kerrighed") {
    return UsageError("run",
                      "--checkpoint-every needs Kerrighed's transparent "
                      "checkpoint; this is " +
                          platform->name());
  }
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  req.out = *out;  // the root writes its results where resume looks
  cluster.raise.push_back("CHECKPOINTABLE");
  auto caps = PrepareCluster(*platform, *req.demo, cluster);
  if (!caps.ok()) return Fail(caps.status());
  auto root =
      platform::ForkChild([&]() { return Execute(req, cluster, nodes, w); });
  if (!root.ok()) return Fail(root.status());

  nlohmann::json record = {{"root_pid", *root},
                           {"every_s", every_s},
                           {"demo", req.demo->name},
                           {"checkpoints", nlohmann::json::array()}};
  const auto start = std::chrono::steady_clock::now();
  auto next = start + std::chrono::seconds(every_s);
  bool warned = false, forwarded = false;
  for (;;) {
    auto ended = platform::Reap(*root, /*block=*/false);
    if (!ended.ok()) return Fail(ended.status());
    if (ended->has_value()) {
      const platform::ExitInfo& e = **ended;
      if (e.exited) return e.code;
      std::fprintf(stderr,
                   "krgdemo: error: the run was %s; restart it from its last "
                   "checkpoint with 'krgdemo resume %s'\n",
                   e.ToString().c_str(), out->c_str());
      return kExitFailed;
    }
    if (InterruptFlag()->load() && !forwarded) {
      (void)platform::SendSignal(*root, SIGINT);  // it stops its workers
      forwarded = true;
    }
    if (std::chrono::steady_clock::now() >= next && !forwarded) {
      next += std::chrono::seconds(every_s);
      auto id = platform->Checkpoint(*root);
      if (!id.ok()) {
        if (!warned) Warn(id.status().message());
        warned = true;
        continue;
      }
      const double at = std::chrono::duration<double>(
                            std::chrono::steady_clock::now() - start)
                            .count();
      record["appid"] = id->appid;
      record["checkpoints"].push_back(
          {{"version", id->version}, {"at_s", at}, {"created", NowUtc()}});
      (void)WriteFileAtomic(*out / "checkpoints.json", record.dump(2) + "\n");
      std::fprintf(stderr,
                   "krgdemo: checkpoint v%d of application %ld at %.1f s\n",
                   id->version, id->appid, at);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

int RunDemoCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("nodes", po::value<std::string>()->value_name("N"),
                     "use this to spread the run over N nodes (default: 1; "
                     "on linux, N virtual nodes made of the CPUs)");
  AddRunOptions(&desc);
  AddClusterOptions(&desc);
  desc.add_options()(
      "events", po::bool_switch(),
      "use this to write events.ndjson into the results folder: the "
      "workers, and each unit (with a preview tile) as it completes, which "
      "'krgdemo dashboard' shows live (default: off)");
  desc.add_options()(
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
  desc.add_options()(
      "bind", po::value<std::string>()->value_name("ADDR"),
      "server demos (webfarm): use this to listen on ADDR instead of "
      "127.0.0.1, e.g. 0.0.0.0 to be reached from other machines (a warning "
      "says so; default: 127.0.0.1)");
  po::options_description hidden;
  hidden.add_options()("demo", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("demo", 1);
  po::variables_map vm;
  const HelpText help{
      "run DEMO [options]",
      "Runs one demo, verifies its answer, and writes run.json, "
      "the demo's artifacts and krgdemo.log to a results folder.",
      DemoParamsHelp()};
  if (auto r = ParseArgs("run", help, desc, hidden, pos, args, &vm)) return *r;
  RunRequest req;
  if (Status s = ReadRunOptions(vm, &req); !s.ok()) {
    return s.code() == Status::Code::kNotFound ? Fail(s)
                                               : UsageError("run", s.message());
  }
  req.events = vm["events"].as<bool>();
  int nodes = 1;
  if (vm.count("nodes")) {
    auto n = ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes);
    if (!n.ok()) return UsageError("run", n.status().message());
    nodes = *n;
  }
  const std::string bind =
      vm.count("bind") ? vm["bind"].as<std::string>() : std::string();
  if (req.demo->domain == "servers") return RunServiceDemo(req, nodes, bind);
  if (!bind.empty()) {
    return UsageError("run", "--bind applies to the server demos (webfarm)");
  }
  if (req.threads > 1 &&
      req.engine.value_or(nodes > 1 ? Engine::kProcs : Engine::kThreads) !=
          Engine::kThreads) {
    return UsageError("run",
                      "--threads applies to the threads engine: procs and "
                      "mpi workers are single-threaded (Kerrighed never "
                      "migrates a multi-threaded process; under mpi the "
                      "ranks are the parallelism)");
  }
  ClusterRequest cluster;
  if (Status s = ReadClusterOptions(vm, &cluster); !s.ok()) {
    return UsageError("run", s.message());
  }
  auto w = req.demo->make(req.config);
  if (!w.ok()) return UsageError("run", w.status().message());
  if (vm.count("checkpoint-mode") && !vm.count("checkpoint-every")) {
    return UsageError("run", "--checkpoint-mode needs --checkpoint-every");
  }
  if (Status s = EngineRunsDemo(req.engine.value_or(DefaultEngine(nodes)),
                                req.demo->name, **w);
      !s.ok()) {
    return UsageError("run", s.message());
  }
  if (vm.count("checkpoint-every") && req.engine == Engine::kMpi) {
    return UsageError("run",
                      "--checkpoint-every does not apply to the mpi engine "
                      "(an MPI job cannot be resumed rank by rank): use "
                      "--engine procs or threads");
  }
  if (vm.count("checkpoint-every")) {
    const std::string every_text = vm["checkpoint-every"].as<std::string>();
    std::string mode =
        vm.count("checkpoint-mode")
            ? vm["checkpoint-mode"].as<std::string>()
            : (platform::DetectPlatform()->name() == "kerrighed" ? "kernel"
                                                                 : "journal");
    if (mode == "kernel") {
      auto every = ParsePositive("--checkpoint-every", every_text, 86400);
      if (!every.ok()) return UsageError("run", every.status().message());
      return CheckpointedRun(req, cluster, nodes, **w, *every);
    }
    if (mode != "journal") {
      return UsageError("run", "--checkpoint-mode '" + mode +
                                   "': expected journal or kernel");
    }
    char* end = nullptr;
    const double every = std::strtod(every_text.c_str(), &end);
    if (end == every_text.c_str() || *end != '\0' || !(every >= 0.01) ||
        every > 86400) {
      return UsageError("run", "--checkpoint-every '" + every_text +
                                   "': expected seconds, 0.01 to 86400");
    }
    if (req.repeat.fixed > 1) {
      return UsageError("run",
                        "--checkpoint-every runs one pass: drop --repeat");
    }
    auto out = PrepareOutDir(req.out, req.demo->name);
    if (!out.ok()) return Fail(out.status());
    req.out = *out;
    return JournaledRun(req, cluster, nodes, **w, every, /*resume=*/false);
  }
  return Execute(req, cluster, nodes, **w);
}

int JournaledRun(RunRequest& req, const ClusterRequest& cluster, int nodes,
                 Workload& w, double every_s, bool resume) {
  namespace fs = std::filesystem;
  const fs::path dir = *req.out / "checkpoint";
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(Status::IoError("cannot create " + dir.string()));
  req.repeat = RepeatPolicy();
  req.repeat.fixed = 1;
  const Engine engine =
      req.engine.value_or(nodes > 1 ? Engine::kProcs : Engine::kThreads);
  req.engine = engine;
  if (!resume) {
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : req.config.params) params[k] = v;
    const nlohmann::json record = {
        {"schema", "krgdemo.resume/1"}, {"demo", req.demo->name},
        {"size", req.config.size},      {"params", params},
        {"engine", EngineName(engine)}, {"nodes", nodes},
        {"threads", req.threads},       {"every_s", every_s},
        {"created", NowUtc()}};
    Status s = WriteFileAtomic(dir / "resume.json", record.dump(2) + "\n");
    if (!s.ok()) return Fail(s);
  }
  return Execute(req, cluster, nodes, w, CheckpointPlan{dir, every_s, resume});
}

}  // namespace krg::cli
