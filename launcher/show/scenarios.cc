// The scenario table, what the scenarios share, and the scenarios other
// than migration (show_migration.cc): distant fork, remote memory and
// checkpoint/restart.
#include "show/scenarios.h"

#include <errno.h>  // program_invocation_name
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "cli/cluster.h"
#include "krg/executor.h"
#include "krg/results.h"
#include "registry.h"

namespace krg::cli::show {

const std::vector<Scenario>& Scenarios() {
  static const std::vector<Scenario> kScenarios = {
      {"migration",
       "workers start on one node and are migrated one by one to the others "
       "while they compute; then a multi-threaded process that Kerrighed "
       "refuses to move (threads stay home)",
       ShowMigration},
      {"distant-fork",
       "a photo batch with a fresh process per image, each placed on a node "
       "as it is forked; shows how many processes each node started",
       ShowDistantFork},
      {"remote-memory",
       "a process using more memory than its node has, borrowing other "
       "nodes' RAM: memtiers past the node's RAM, free memory per node "
       "(Kerrighed; skipped on linux)",
       ShowRemoteMemory},
      {"checkpoint",
       "a running application saved to disk, killed and restarted from the "
       "file with the same verified answer (Kerrighed's transparent "
       "checkpoint; on linux the runtime's own, of the poisson solver)",
       ShowCheckpoint},
  };
  return kScenarios;
}

std::string SuggestScenario(const std::string& name) {
  std::vector<std::string> names;
  for (const Scenario& s : Scenarios()) names.push_back(s.name);
  return demos::ClosestName(name, names);
}

LoadTicker::LoadTicker(ShowContext& ctx,
                       const std::vector<platform::Node>& nodes,
                       std::function<std::vector<std::string>()> notes)
    : ctx_(ctx),
      sampler_(ctx.platform, nodes),
      notes_(std::move(notes)),
      last_(ctx.view.Elapsed()),  // a first sample of a few ms is noise
      peak_(nodes.size(), 0.0) {}

void LoadTicker::Tick() {
  const double now = ctx_.view.Elapsed();
  if (now - last_ < 0.5) return;
  last_ = now;
  const std::vector<double> busy = sampler_.Sample();
  for (std::size_t i = 0; i < busy.size() && i < peak_.size(); ++i) {
    peak_[i] = std::max(peak_[i], busy[i]);
  }
  ctx_.view.Load(busy, notes_ ? notes_() : std::vector<std::string>());
}

void LoadTicker::ResetPeak() { std::fill(peak_.begin(), peak_.end(), 0.0); }

bool Wait(ShowContext& ctx, double seconds, LoadTicker* ticker) {
  const double until = ctx.view.Elapsed() + seconds;
  do {
    if (ctx.interrupted != nullptr && ctx.interrupted->load()) return false;
    if (ticker != nullptr) ticker->Tick();
    if (ctx.view.Elapsed() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (true);
  return !(ctx.interrupted != nullptr && ctx.interrupted->load());
}

std::vector<int> Ids(const std::vector<platform::Node>& nodes) {
  std::vector<int> ids;
  for (const platform::Node& n : nodes) ids.push_back(n.id);
  return ids;
}

std::string Count(int n, const std::string& what) {
  if (n == 0) return "";
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

double SpreadSeconds(const std::string& size) {
  if (size == "test") return 1;
  if (size == "medium") return 15;
  if (size == "large") return 30;
  return 6;
}

namespace {

// The platform, counting where each worker process started: the distant
// fork view. Everything else is the wrapped platform's.
class CountingPlatform final : public platform::PlatformWrapper {
 public:
  CountingPlatform(platform::Platform& inner, int home)
      : PlatformWrapper(inner), home_(home) {}
  Result<platform::Child> SpawnWorker(
      const platform::Node& node,
      const std::function<int(int)>& body) override {
    KRG_ASSIGN_OR_RETURN(platform::Child child,
                         target().SpawnWorker(node, body));
    int at = node.id;  // no distant fork: pinned before its body runs
    if (traits().distant_fork) {
      // A distant fork is born on its node; a process with no placement
      // record runs where it was forked.
      auto where = target().NodeOf(child.pid);
      at = where.ok() ? *where : home_;
    }
    ++started_[at];
    return child;
  }

  const std::map<int, int>& started() const { return started_; }

 private:
  const int home_;
  std::map<int, int> started_;  // node -> processes started there
};

}  // namespace

Result<ScenarioResult> ShowDistantFork(ShowContext& ctx) {
  platform::Platform& p = ctx.platform;
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, p.Partition(ctx.opts.nodes));
  const std::vector<platform::Node>& nodes = layout.nodes;
  ctx.view.Say(
      "Scenario: distant fork.\n"
      "Many short processes, each placed on a node at the moment it is "
      "forked:\n"
      "the `make -j` pattern. A photo batch runs one fresh process per "
      "image.");
  if (!layout.note.empty()) ctx.view.Say("Note: " + layout.note);
  const demos::Demo* imgpipe = demos::FindDemo("imgpipe");
  KRG_CHECK(imgpipe != nullptr) << "the imgpipe demo is in the table";
  ClusterRequest cluster;
  cluster.placement = platform::Placement::kScheduler;
  KRG_ASSIGN_OR_RETURN(platform::CapsReport caps,
                       PrepareCluster(p, *imgpipe, cluster));
  if (caps.applicable) {
    ctx.view.Say(
        "On Kerrighed, fork() itself picks the node: with DISTANT_FORK\n"
        "effective, Kerrighed's scheduler (the round-robin balancer of\n"
        "krg_legacy_scheduler) places each new process on a node.");
  } else {
    ctx.view.Say(
        "On linux each virtual node is a group of CPUs; a new process is\n"
        "pinned to its node's CPUs as it is forked, in the scheduler's place.");
  }
  demos::DemoConfig config{ctx.opts.size,  // the dataset: 5 to 48 photos
                           {{"fork_per_image", "1"}}};
  KRG_ASSIGN_OR_RETURN(std::unique_ptr<Workload> w, imgpipe->make(config));
  auto& farm = static_cast<FarmWorkload&>(*w);
  ctx.view.SetNodes(Ids(nodes));
  if (!Wait(ctx, ctx.opts.pace.pause_s, nullptr)) {
    return ScenarioResult{Outcome::kInterrupted, ""};
  }

  CountingPlatform counting(p, nodes[0].id);
  auto notes = [&counting, &nodes] {
    std::vector<std::string> out;
    for (const platform::Node& n : nodes) {
      auto it = counting.started().find(n.id);
      const int k = it == counting.started().end() ? 0 : it->second;
      out.push_back(k == 0 ? "" : std::to_string(k) + " started");
    }
    return out;
  };
  LoadTicker ticker(ctx, nodes, notes);
  ExecOptions opts;
  opts.slots = nodes;  // one worker at a time per node, each one-shot
  opts.progress = [&ticker](std::size_t, std::size_t) { ticker.Tick(); };
  opts.cancel = ctx.interrupted;
  auto executor = MakeProcessExecutor(counting);
  const double min_s = SpreadSeconds(ctx.opts.size);
  const double t0 = ctx.view.Elapsed();
  int batch = 0;
  double logged = -1;
  bool verified = true;
  std::string detail;
  while (batch == 0 || ctx.view.Elapsed() - t0 < min_s) {
    const double b0 = ctx.view.Elapsed();
    auto report = executor->RunFarm(farm, opts);
    if (!report.ok()) {
      if (report.status().code() == Status::Code::kCancelled) {
        return ScenarioResult{Outcome::kInterrupted, ""};
      }
      return report.status().WithContext("imgpipe");
    }
    const Verification v = farm.Verify();
    char line[160];
    std::snprintf(line, sizeof line,
                  "batch %d: %zu images, one process each, in %.1f s: %s",
                  ++batch, farm.unit_count(), ctx.view.Elapsed() - b0,
                  v.ok ? "verified" : "did NOT verify");
    if (!v.ok || ctx.view.Elapsed() - logged >= 1.0) {  // not a flood
      ctx.view.Event(line);
      logged = ctx.view.Elapsed();
    }
    if (!v.ok) {
      verified = false;
      detail = v.detail;
      break;
    }
  }
  ctx.view.Snapshot();
  std::string per_node;
  int used = 0, total = 0;
  for (const auto& [node, k] : counting.started()) {
    per_node += (per_node.empty() ? "" : ", ") + std::string("node ") +
                std::to_string(node) + ": " + std::to_string(k);
    used += k > 0;
    total += k;
  }
  ctx.view.Event("processes started per node: " + per_node);
  const int want = std::min<int>(int(nodes.size()), int(farm.unit_count()));
  if (!verified) {
    return ScenarioResult{Outcome::kNotShown,
                          "the batch did not verify: " + detail};
  }
  if (used < want) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the " + std::to_string(total) + " processes started on " +
            std::to_string(used) + " of " + std::to_string(nodes.size()) +
            " nodes (" + per_node + "): placement at fork did not spread them" +
            (caps.applicable ? " (is a scheduler with handle_all configured "
                               "under /config/krg_scheduler?)"
                             : "")};
  }
  return ScenarioResult{Outcome::kShown,
                        std::to_string(total) + " short processes (" +
                            std::to_string(batch) +
                            (batch == 1 ? " batch" : " batches") +
                            ", verified) were placed at fork on " +
                            std::to_string(used) + " nodes (" + per_node + ")"};
}

namespace {

// Free RAM of each node in `nodes` now, in MB (the platform's view).
std::map<int, std::int64_t> FreeMb(platform::Platform& p) {
  std::map<int, std::int64_t> out;
  auto info = p.Describe(/*sample_load=*/false);
  if (info.ok()) {
    for (const platform::Node& n : info->nodes) out[n.id] = n.mem_free_mb;
  }
  return out;
}

// Runs `farm` in one worker on `home` while sampling every node's free memory
// each second (shown beside the load); returns how far each node's free
// memory went down, in MB. kCancelled when interrupted.
Result<std::map<int, std::int64_t>> RunWatchingFreeMemory(
    ShowContext& ctx, FarmWorkload& farm,
    const std::vector<platform::Node>& nodes, const platform::Node& home) {
  std::map<int, std::int64_t> before, lowest;
  for (const platform::Node& n : nodes) before[n.id] = n.mem_free_mb;
  lowest = before;
  double sampled = ctx.view.Elapsed();
  auto notes = [&] {
    std::vector<std::string> out;
    for (const platform::Node& n : nodes) {
      out.push_back(std::to_string(lowest[n.id]) + " MB free");
    }
    return out;
  };
  LoadTicker ticker(ctx, nodes, notes);
  ExecOptions opts;
  opts.slots = {home};  // one process measures: the sweep is one unit
  opts.cancel = ctx.interrupted;
  opts.progress = [&](std::size_t, std::size_t) {
    if (ctx.view.Elapsed() - sampled >= 1.0) {
      sampled = ctx.view.Elapsed();
      for (const auto& [id, mb] : FreeMb(ctx.platform)) {
        if (lowest.count(id)) lowest[id] = std::min(lowest[id], mb);
      }
    }
    ticker.Tick();
  };
  auto report = MakeProcessExecutor(ctx.platform)->RunFarm(farm, opts);
  if (!report.ok()) return report.status();
  std::map<int, std::int64_t> drop;
  for (const auto& [id, mb] : before) drop[id] = mb - lowest[id];
  return drop;
}

// Shown when the sweep verified and the other nodes' free memory went down
// by at least half of what could not fit on `home`.
ScenarioResult BorrowVerdict(const Verification& v,
                             const std::map<int, std::int64_t>& drop,
                             const platform::Node& home, std::int64_t want_mb,
                             bool kerrighed_caps) {
  std::int64_t lent = 0;
  std::string per_node;
  for (const auto& [id, mb] : drop) {
    if (id == home.id) continue;
    lent += std::max<std::int64_t>(0, mb);
    per_node += (per_node.empty() ? "" : ", ") + std::string("node ") +
                std::to_string(id) + ": " + std::to_string(mb) + " MB";
  }
  if (!v.ok) {
    return {Outcome::kNotShown, "the sweep did not verify: " + v.detail};
  }
  const std::int64_t spill = want_mb - home.mem_free_mb;
  if (lent < spill / 2) {
    return {Outcome::kNotShown,
            "no other node's free memory went down by the " +
                std::to_string(spill) + " MB that did not fit on node " +
                std::to_string(home.id) + " (" + per_node +
                "): the pages did not leave it" +
                (kerrighed_caps ? " (is CONFIG_KRG_MM in the kernel?)" : "")};
  }
  return {Outcome::kShown,
          "a " + std::to_string(want_mb) + " MB working set on node " +
              std::to_string(home.id) + " (" + std::to_string(home.mem_mb) +
              " MB of RAM) verified, with " + std::to_string(lent) +
              " MB lent by the other nodes (" + per_node + ")"};
}

// The remote-memory steps proper, on Kerrighed: memtiers on the home node
// with USE_REMOTE_MEMORY, its working set grown to 1.25 times the node's RAM,
// while the other nodes' free memory is watched.
Result<ScenarioResult> BorrowMemory(ShowContext& ctx) {
  platform::Platform& p = ctx.platform;
  KRG_ASSIGN_OR_RETURN(platform::SystemInfo info, p.Describe(false));
  if (info.nodes.size() < 2) {
    return ScenarioResult{Outcome::kSkipped,
                          "skipped: one node online, no other node's RAM "
                          "to borrow"};
  }
  const int self = info.kerrighed ? info.kerrighed->self_node : -1;
  platform::Node home = info.nodes[0];
  std::int64_t free_mb = 0;
  for (const platform::Node& n : info.nodes) {
    if (n.id == self) home = n;
    free_mb += n.mem_free_mb;
  }
  const std::int64_t want_mb = home.mem_mb * 5 / 4;  // past this node's RAM
  if (want_mb > free_mb * 4 / 5) {
    return ScenarioResult{Outcome::kNotShown,
                          "the cluster has " + std::to_string(free_mb) +
                              " MB free, too little for a " +
                              std::to_string(want_mb) + " MB working set"};
  }
  const demos::Demo* memtiers = demos::FindDemo("memtiers");
  KRG_CHECK(memtiers != nullptr) << "the memtiers demo is in the table";
  KRG_ASSIGN_OR_RETURN(platform::CapsReport caps,
                       PrepareCluster(p, *memtiers, ClusterRequest{}));
  const std::string max = std::to_string(want_mb) + "M";
  KRG_ASSIGN_OR_RETURN(
      std::unique_ptr<Workload> w,
      memtiers->make({ctx.opts.size, {{"max", max}, {"min", "64K"}}}));
  auto& farm = static_cast<FarmWorkload&>(*w);
  ctx.view.Say(
      "memtiers runs on node " + std::to_string(home.id) + " (" +
      std::to_string(home.mem_mb) + " MB of RAM) with " +
      "USE_REMOTE_MEMORY, and grows its working set to " + max +
      "B.\nBeyond the node's RAM its pages have to live on other nodes.");
  ctx.view.SetNodes(Ids(info.nodes));
  auto drop = RunWatchingFreeMemory(ctx, farm, info.nodes, home);
  if (!drop.ok()) {
    if (drop.status().code() == Status::Code::kCancelled) {
      return ScenarioResult{Outcome::kInterrupted, ""};
    }
    return drop.status().WithContext("memtiers");
  }
  const Verification v = farm.Verify();
  ctx.view.Snapshot();
  ctx.view.Event("memtiers: " + v.detail);
  return BorrowVerdict(v, *drop, home, want_mb, caps.applicable);
}

}  // namespace

Result<ScenarioResult> ShowRemoteMemory(ShowContext& ctx) {
  ctx.view.Say(
      "Scenario: remote memory.\n"
      "With USE_REMOTE_MEMORY, Kerrighed lends a process the free RAM of\n"
      "other nodes: under memory pressure its pages go to a node with free\n"
      "memory instead of to swap (INTERFACE.md section 7).\n"
      "The memtiers demo fills more memory than its node has, measuring\n"
      "bandwidth and latency at each working-set size, while the view shows\n"
      "the free memory of every node.");
  if (!ctx.platform.traits().remote_memory) {
    ctx.view.Say(
        "On linux there is no remote tier: a process has this machine's RAM,\n"
        "then swap. 'krgdemo run memtiers' charts this machine's caches and "
        "RAM.");
    return ScenarioResult{Outcome::kSkipped, "skipped: no remote memory on " +
                                                 ctx.platform.name()};
  }
  return BorrowMemory(ctx);
}

namespace {

// The checkpoint/restart steps proper, through the CLI a presenter would
// type: `run --checkpoint-every 1` (its root has CHECKPOINTABLE), kill the
// root after the first checkpoint, `resume` the folder, and compare the
// checksum with a run made without checkpoints.
Result<ScenarioResult> CheckpointAndRestart(ShowContext& ctx) {
  if (!ctx.platform.traits().transparent_checkpoint) {
    return ScenarioResult{
        Outcome::kSkipped,
        "skipped: no transparent checkpoint on " + ctx.platform.name()};
  }
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("krgdemo-show-checkpoint-" +
                                                    std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string self = program_invocation_name;
  const std::string nodes = std::to_string(ctx.opts.nodes);
  const std::string passes = ctx.opts.size == "test" ? "1" : "3";
  auto interrupted = [&] { return ctx.interrupted->load(); };

  ctx.view.Say("1. Start mandelbrot on " + nodes +
               " nodes, checkpointed every second.");
  fs::create_directories(dir);
  KRG_ASSIGN_OR_RETURN(
      pid_t launcher,
      platform::StartCommand(
          {self, "run", "mandelbrot", "--size", "large", "--nodes", nodes,
           "--repeat", passes, "--checkpoint-every", "1", "--out",
           (dir / "run").string()},
          (dir / "run.log").string()));
  nlohmann::json record;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (record.is_null() && !interrupted() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream in(dir / "run" / "checkpoints.json");
    if (in) record = nlohmann::json::parse(in, nullptr, false);
    if (record.is_discarded()) record = nullptr;
  }
  if (record.is_null()) {
    (void)platform::SendSignal(launcher, SIGINT);
    (void)platform::Reap(launcher, true);
    if (interrupted()) return ScenarioResult{Outcome::kInterrupted, ""};
    return ScenarioResult{
        Outcome::kNotShown,
        "no checkpoint was taken (see " + (dir / "run.log").string() + ")"};
  }
  const long appid = record["appid"];
  ctx.view.Say("   checkpoint v1 of application " + std::to_string(appid) +
               " is in /var/chkpt/" + std::to_string(appid) + "/v1");
  ctx.view.Say("2. Kill the application, as a failing node would.");
  (void)platform::SendSignal(static_cast<pid_t>(appid), SIGKILL);
  (void)platform::Reap(launcher, true);
  ctx.view.Say("3. Restart it from its last checkpoint: krgdemo resume.");
  Result<platform::CommandOutput> resumed = Status::Internal("not run");
  for (int i = 0; i < 50 && !interrupted(); ++i) {  // until the dead are reaped
    resumed = platform::RunCommand({self, "resume", (dir / "run").string()});
    if (!resumed.ok() || resumed->err.find("in use") == std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (interrupted()) return ScenarioResult{Outcome::kInterrupted, ""};
  if (!resumed.ok()) return resumed.status();
  auto result = ReadResultFile(dir / "run" / "run.json");
  if (resumed->exit.code != 0 || !result.ok()) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the restart did not finish the run: " + resumed->err.substr(0, 200)};
  }
  ctx.view.Say("4. The same run without any checkpoint, for comparison.");
  auto reference = platform::RunCommand(
      {self, "run", "mandelbrot", "--size", "large", "--repeat", "1",
       "--engine", "threads", "--json", "--out", (dir / "ref").string()});
  if (!reference.ok()) return reference.status();
  auto ref = ParseResultFile(reference->out);
  const std::string got = result->runs.back().checksum;
  const bool same = ref.ok() && ref->runs.back().checksum == got;
  fs::remove_all(dir);
  if (!result->runs.back().verified || !same) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the restarted run " + std::string(result->runs.back().verified
                                               ? "verified but its checksum "
                                                 "differs"
                                               : "did not verify")};
  }
  return ScenarioResult{Outcome::kShown,
                        "application " + std::to_string(appid) +
                            " was checkpointed, killed and restarted; it "
                            "verified with the same checksum (" +
                            got + ")"};
}

// The runtime's own checkpoints (journal mode), where the platform has no
// transparent one: the poisson solver's ranks save their slabs every 50 ms; the
// whole process tree is killed with SIGKILL after the second set; `krgdemo
// resume` finishes the run from the last set, which must give the answer and
// iteration count of a run never interrupted.
Result<ScenarioResult> JournalCheckpointAndResume(ShowContext& ctx) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("krgdemo-show-checkpoint-" +
                                                    std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string self = program_invocation_name;
  const std::string nodes = std::to_string(std::max(2, ctx.opts.nodes));
  // Big enough that the solve outlasts two checkpoints by far on a fast,
  // idle machine (300x300 finished in under 0.4 s there), small enough for
  // a test; the interval is short for the same reason.
  const std::string n = ctx.opts.size == "test" ? "400" : "1000";
  const std::string every = "0.05";
  auto interrupted = [&] { return ctx.interrupted->load(); };
  const std::vector<std::string> demo = {
      "poisson", "--param", "n=" + n, "--engine", "procs", "--nodes", nodes};
  auto answer = [](const fs::path& run) {
    auto f = ReadResultFile(run / "run.json");
    std::pair<std::string, double> a{"", -1};
    if (!f.ok() || f->runs.empty() || !f->runs.back().verified) return a;
    a.first = f->runs.back().checksum;
    auto m = f->extensions.value("metrics", nlohmann::json::object());
    if (m.contains("iterations"))
      a.second = m["iterations"].value("value", -1.0);
    return a;
  };

  ctx.view.Say("1. Start the poisson solver (CG, " + n + "x" + n +
               " grid) on " + nodes +
               " worker processes sharing a System V arena, every "
               "rank's slab saved every " +
               every + " s.");
  std::vector<std::string> argv = {"setsid", self, "run"};
  argv.insert(argv.end(), demo.begin(), demo.end());
  argv.insert(argv.end(),
              {"--checkpoint-every", every, "--out", (dir / "run").string()});
  KRG_ASSIGN_OR_RETURN(
      pid_t launcher, platform::StartCommand(argv, (dir / "run.log").string()));
  const fs::path ckpt = dir / "run" / "checkpoint";
  std::string set;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!interrupted() && std::chrono::steady_clock::now() < deadline &&
         !fs::exists(dir / "run" / "run.json")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::ifstream in(ckpt / "spmd.manifest");
    auto m = nlohmann::json::parse(in, nullptr, false);
    if (!m.is_discarded() && m.value("seq", 0) >= 2) {
      set = m.value("set", "");
      break;
    }
  }
  ctx.view.Say(
      "2. Kill the whole process tree with SIGKILL, as a crash would.");
  ::kill(-launcher, SIGKILL);  // setsid made it a process group
  ::kill(launcher, SIGKILL);   // in case setsid had not run yet
  (void)platform::Reap(launcher, true);
  if (interrupted()) return ScenarioResult{Outcome::kInterrupted, ""};
  if (set.empty()) {
    fs::remove_all(dir);
    return ScenarioResult{Outcome::kNotShown,
                          "the run ended before its second checkpoint (try "
                          "a larger --size)"};
  }
  ctx.view.Say("   last complete checkpoint: " + (ckpt / set).string());
  ctx.view.Say("3. krgdemo resume: the same run, from that checkpoint.");
  KRG_ASSIGN_OR_RETURN(
      auto resumed,
      platform::RunCommand({self, "resume", (dir / "run").string()}));
  if (interrupted()) return ScenarioResult{Outcome::kInterrupted, ""};
  const auto got = answer(dir / "run");
  if (resumed.exit.code != 0 || got.first.empty()) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the resumed run did not verify: " + resumed.err.substr(0, 200)};
  }
  ctx.view.Say("4. The same run without any checkpoint, for comparison.");
  std::vector<std::string> ref = {self, "run"};
  ref.insert(ref.end(), demo.begin(), demo.end());
  ref.insert(ref.end(), {"--repeat", "1", "--out", (dir / "ref").string()});
  KRG_ASSIGN_OR_RETURN(auto reference, platform::RunCommand(ref));
  const auto want = answer(dir / "ref");
  fs::remove_all(dir);
  char line[300];
  std::snprintf(line, sizeof line,
                "killed with SIGKILL and resumed from %s, it verified with "
                "the same checksum (%s) and iteration count (%.0f)",
                set.c_str(), got.first.c_str(), got.second);
  if (reference.exit.code != 0 || want != got) {
    return ScenarioResult{Outcome::kNotShown,
                          "the resumed run's answer differs from an "
                          "uninterrupted run's"};
  }
  return ScenarioResult{Outcome::kShown, line};
}

}  // namespace

Result<ScenarioResult> ShowCheckpoint(ShowContext& ctx) {
  ctx.view.Say(
      "Scenario: checkpoint and restart.\n"
      "Kerrighed can freeze a running application, save it to disk\n"
      "(`checkpoint PID`), and later bring it back from the file\n"
      "(`restart APPID VERSION`), even after the original was killed.\n"
      "It would show: mandelbrot on every node, a checkpoint mid-run, the\n"
      "run killed, the restart finishing it, and the restarted image\n"
      "verifying with the same checksum.");
  if (!ctx.platform.traits().transparent_checkpoint) {
    ctx.view.Say(
        "On linux there is no transparent checkpoint of a whole "
        "application; krgdemo's runtime checkpoints its own state instead.");
    return JournalCheckpointAndResume(ctx);
  }
  return CheckpointAndRestart(ctx);
}

}  // namespace krg::cli::show
