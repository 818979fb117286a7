// The scenario table, what the scenarios share, and the scenarios other
// than migration (migration.cc): distant fork, remote memory and
// checkpoint/restart.
#include "show/scenarios.h"

#include <errno.h>  // program_invocation_name
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "krg/progress_bar.h"
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
      {"balance",
       "workers start on one node and the kernel's own balancer spreads them "
       "while they compute (Kerrighed's mosix balancer; on linux the kernel "
       "scheduler, once their confinement to one node's CPUs is lifted)",
       ShowBalance},
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

Result<ScenarioResult> RunScenario(const Scenario& s, ShowContext& ctx) {
  Result<ScenarioResult> result = s.run(ctx);
  if (!result.ok() && result.status().code() == Status::Code::kCancelled) {
    return ScenarioResult{Outcome::kInterrupted, ""};
  }
  return result;
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

void LoadTicker::SetNodes(const std::vector<platform::Node>& nodes) {
  sampler_ = platform::LoadSampler(ctx_.platform, nodes);
  peak_.assign(nodes.size(), 0.0);
}

void LoadTicker::ResetPeak() { std::fill(peak_.begin(), peak_.end(), 0.0); }

Result<bool> PollUntil(ShowContext& ctx, double timeout_s, double every_s,
                       LoadTicker* ticker, const std::function<bool()>& done) {
  const double until = ctx.view.Elapsed() + timeout_s;
  auto interrupted = [&ctx] {
    return ctx.interrupted != nullptr && ctx.interrupted->load();
  };
  while (!interrupted()) {
    if (ticker != nullptr) ticker->Tick();
    if (done()) return true;
    if (ctx.view.Elapsed() >= until) return false;
    std::this_thread::sleep_for(std::chrono::duration<double>(every_s));
  }
  return Status::Cancelled("interrupted");
}

Status Wait(ShowContext& ctx, double seconds, LoadTicker* ticker) {
  return PollUntil(ctx, seconds, 0.05, ticker, [] { return false; }).status();
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

void SayOpening(ShowContext& ctx, const std::string& what,
                const platform::Layout& layout, const std::string& on_kerrighed,
                const std::string& on_linux) {
  ctx.view.Say(what);
  if (!layout.note.empty()) ctx.view.Say("Note: " + layout.note);
  ctx.view.Say(ctx.platform.traits().capabilities ? on_kerrighed : on_linux);
}

std::string PerNode(const std::map<int, int>& counts) {
  std::string text;
  for (const auto& [node, k] : counts) {
    text += (text.empty() ? "" : ", ") + std::string("node ") +
            std::to_string(node) + ": " + std::to_string(k);
  }
  return text;
}

Result<krg::Outcome> DemoPass::Run(platform::Platform& platform,
                                   const RunHooks& hooks) {
  Session session(platform);
  auto outcome = session.Run(plan, *workload, hooks);
  if (!outcome.ok()) return outcome.status().WithContext(plan.id.name);
  return outcome;
}

Result<DemoPass> PlanPass(const std::string& demo,
                          const demos::DemoConfig& config, int nodes) {
  const demos::Demo* d = demos::FindDemo(demo);
  KRG_CHECK(d != nullptr) << "the " << demo << " demo is in the table";
  DemoPass pass;
  KRG_ASSIGN_OR_RETURN(pass.workload, d->make(config));
  pass.plan.id = {demo, config.size, config.params};
  pass.plan.caps = d->caps;
  pass.plan.engine = Engine::kProcs;  // workers a scenario can see and move
  pass.plan.nodes = nodes;
  pass.plan.repeat.fixed = 1;  // one pass, no warm-up: the audience waits
  return pass;
}

Result<platform::Layout> OneNodePlatform::Partition(int count) {
  platform::Layout layout;
  layout.nodes.assign(count, home_);
  return layout;
}

namespace {

// The platform, counting where each worker process started: the distant
// fork view. Everything else is the wrapped platform's.
class CountingPlatform final : public platform::PlatformWrapper {
 public:
  CountingPlatform(platform::Platform& inner, int home)
      : PlatformWrapper(inner), home_(home) {}
  Result<platform::Child> SpawnWorker(
      const platform::Node& node, platform::ChannelKind kind,
      const platform::WorkerBody& body) override {
    KRG_ASSIGN_OR_RETURN(platform::Child child,
                         target().SpawnWorker(node, kind, body));
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
  // "3 started" for each of `nodes` (blank where none did).
  std::vector<std::string> Notes(const std::vector<platform::Node>& nodes) {
    std::vector<std::string> out;
    for (const platform::Node& n : nodes) {
      auto it = started_.find(n.id);
      const int k = it == started_.end() ? 0 : it->second;
      out.push_back(k == 0 ? "" : std::to_string(k) + " started");
    }
    return out;
  }

 private:
  const int home_;
  std::map<int, int> started_;  // node -> processes started there
};

void SayDistantFork(ShowContext& ctx, const platform::Layout& layout) {
  SayOpening(ctx,
             "Scenario: distant fork.\n"
             "Many short processes, each placed on a node at the moment it "
             "is forked:\n"
             "the `make -j` pattern. A photo batch runs one fresh process per "
             "image.",
             layout,
             "On Kerrighed, fork() itself picks the node: with DISTANT_FORK\n"
             "effective, Kerrighed's scheduler (the round-robin balancer of\n"
             "krg_legacy_scheduler) places each new process on a node.",
             "On linux each virtual node is a group of CPUs; a new process "
             "is\npinned to its node's CPUs as it is forked, in the "
             "scheduler's place.");
}

// How the photo batches went.
struct Batches {
  int count = 0;
  Verification failed;  // of the batch that did not verify, if one did not
  bool verified = true;
};

// Runs the batch again and again until the audience has watched
// SpreadSeconds(size) of it; stops at a batch that does not verify. Logs a
// line per batch, at most one a second. A Session run per batch rather than
// one run of many passes: a run reports verification only when it ends.
Result<Batches> RunBatches(ShowContext& ctx, DemoPass& pass,
                           CountingPlatform& counting, LoadTicker& ticker) {
  RunHooks hooks;
  hooks.progress = [&ticker](const Progress&) { ticker.Tick(); };
  hooks.cancel = ctx.interrupted;
  const auto& farm = static_cast<const FarmWorkload&>(*pass.workload);
  const double t0 = ctx.view.Elapsed();
  double logged = -1;
  Batches b;
  while (b.count == 0 ||
         ctx.view.Elapsed() - t0 < SpreadSeconds(ctx.opts.size)) {
    const double b0 = ctx.view.Elapsed();
    KRG_ASSIGN_OR_RETURN(krg::Outcome o, pass.Run(counting, hooks));
    const Verification& v = o.measurement.verification;
    char line[160];
    std::snprintf(line, sizeof line,
                  "batch %d: %zu images, one process each, in %.1f s: %s",
                  ++b.count, farm.unit_count(), ctx.view.Elapsed() - b0,
                  v.ok ? "verified" : "did NOT verify");
    if (!v.ok || ctx.view.Elapsed() - logged >= 1.0) {  // not a flood
      ctx.view.Event(line);
      logged = ctx.view.Elapsed();
    }
    if (!v.ok) {
      b.verified = false;
      b.failed = v;
      break;
    }
  }
  return b;
}

// Shown when the batches verified and the processes started on as many
// nodes as there were nodes (or images).
ScenarioResult ForkVerdict(ShowContext& ctx, const Batches& b,
                           const std::map<int, int>& started, std::size_t nodes,
                           std::size_t images) {
  int used = 0, total = 0;
  for (const auto& [node, k] : started) {
    used += k > 0;
    total += k;
  }
  const std::string per_node = PerNode(started);
  const int want = int(std::min(nodes, images));
  if (!b.verified) {
    return {Outcome::kNotShown, "the batch did not verify: " + b.failed.detail};
  }
  if (used < want) {
    return {Outcome::kNotShown,
            "the " + std::to_string(total) + " processes started on " +
                std::to_string(used) + " of " + std::to_string(nodes) +
                " nodes (" + per_node +
                "): placement at fork did not spread them" +
                (ctx.platform.traits().capabilities
                     ? " (is a scheduler with handle_all configured "
                       "under /config/krg_scheduler?)"
                     : "")};
  }
  return {Outcome::kShown,
          std::to_string(total) + " short processes (" +
              std::to_string(b.count) + (b.count == 1 ? " batch" : " batches") +
              ", verified) were placed at fork on " + std::to_string(used) +
              " nodes (" + per_node + ")"};
}

}  // namespace

Result<ScenarioResult> ShowDistantFork(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout,
                       ctx.platform.Partition(ctx.opts.nodes));
  const std::vector<platform::Node>& nodes = layout.nodes;
  SayDistantFork(ctx, layout);
  // The dataset: 5 to 48 photos by --size.
  KRG_ASSIGN_OR_RETURN(
      DemoPass pass,
      PlanPass("imgpipe", {ctx.opts.size, {{"fork_per_image", "1"}}},
               int(nodes.size())));
  pass.plan.cluster.placement = platform::Placement::kScheduler;
  ctx.view.SetNodes(Ids(nodes));
  KRG_RETURN_IF_ERROR(Wait(ctx, ctx.opts.pace.pause_s, nullptr));
  CountingPlatform counting(ctx.platform, nodes[0].id);
  LoadTicker ticker(ctx, nodes, [&] { return counting.Notes(nodes); });
  KRG_ASSIGN_OR_RETURN(Batches b, RunBatches(ctx, pass, counting, ticker));
  ctx.view.Snapshot();
  ctx.view.Event("processes started per node: " + PerNode(counting.started()));
  const auto& farm = static_cast<const FarmWorkload&>(*pass.workload);
  return ForkVerdict(ctx, b, counting.started(), nodes.size(),
                     farm.unit_count());
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

// What the sweep gave, and how far each node's free memory went down in MB.
struct Borrowed {
  krg::Outcome outcome;
  std::map<int, std::int64_t> drop;
};

// Runs the sweep in one worker on `home` while sampling every node's free
// memory each second (shown beside the load). kCancelled when interrupted.
Result<Borrowed> RunWatchingFreeMemory(ShowContext& ctx, DemoPass& pass,
                                       const std::vector<platform::Node>& nodes,
                                       const platform::Node& home) {
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
  RunHooks hooks;
  hooks.cancel = ctx.interrupted;
  hooks.progress = [&](const Progress&) {
    if (ctx.view.Elapsed() - sampled >= 1.0) {
      sampled = ctx.view.Elapsed();
      for (const auto& [id, mb] : FreeMb(ctx.platform)) {
        if (lowest.count(id)) lowest[id] = std::min(lowest[id], mb);
      }
    }
    ticker.Tick();
  };
  OneNodePlatform at_home(ctx.platform, home);  // the sweep is one unit
  Borrowed b;
  KRG_ASSIGN_OR_RETURN(b.outcome, pass.Run(at_home, hooks));
  for (const auto& [id, mb] : before) b.drop[id] = mb - lowest[id];
  return b;
}

// Shown when the sweep verified and the other nodes' free memory went down
// by at least half of what could not fit on `home`.
ScenarioResult BorrowVerdict(const Borrowed& b, const platform::Node& home,
                             std::int64_t want_mb) {
  std::int64_t lent = 0;
  std::string per_node;
  for (const auto& [id, mb] : b.drop) {
    if (id == home.id) continue;
    lent += std::max<std::int64_t>(0, mb);
    per_node += (per_node.empty() ? "" : ", ") + std::string("node ") +
                std::to_string(id) + ": " + std::to_string(mb) + " MB";
  }
  const Verification& v = b.outcome.measurement.verification;
  if (!v.ok) {
    return {Outcome::kNotShown, "the sweep did not verify: " + v.detail};
  }
  const std::int64_t spill = want_mb - home.mem_free_mb;
  if (lent < spill / 2) {
    return {
        Outcome::kNotShown,
        "no other node's free memory went down by the " +
            std::to_string(spill) + " MB that did not fit on node " +
            std::to_string(home.id) + " (" + per_node +
            "): the pages did not leave it" +
            (b.outcome.caps.applicable ? " (is CONFIG_KRG_MM in the kernel?)"
                                       : "")};
  }
  return {Outcome::kShown,
          "a " + std::to_string(want_mb) + " MB working set on node " +
              std::to_string(home.id) + " (" + std::to_string(home.mem_mb) +
              " MB of RAM) verified, with " + std::to_string(lent) +
              " MB lent by the other nodes (" + per_node + ")"};
}

// The node the launcher runs on (the first when that is unknown).
platform::Node HomeNode(const platform::SystemInfo& info) {
  const int self = info.kerrighed ? info.kerrighed->self_node : -1;
  for (const platform::Node& n : info.nodes) {
    if (n.id == self) return n;
  }
  return info.nodes[0];
}

// The remote-memory steps proper, on Kerrighed: memtiers on the home node
// with USE_REMOTE_MEMORY, its working set grown to 1.25 times the node's RAM,
// while the other nodes' free memory is watched.
Result<ScenarioResult> BorrowMemory(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::SystemInfo info, ctx.platform.Describe(false));
  if (info.nodes.size() < 2) {
    return ScenarioResult{Outcome::kSkipped,
                          "skipped: one node online, no other node's RAM "
                          "to borrow"};
  }
  const platform::Node home = HomeNode(info);
  std::int64_t free_mb = 0;
  for (const platform::Node& n : info.nodes) free_mb += n.mem_free_mb;
  const std::int64_t want_mb = home.mem_mb * 5 / 4;  // past this node's RAM
  if (want_mb > free_mb * 4 / 5) {
    return ScenarioResult{Outcome::kNotShown,
                          "the cluster has " + std::to_string(free_mb) +
                              " MB free, too little for a " +
                              std::to_string(want_mb) + " MB working set"};
  }
  const std::string max = std::to_string(want_mb) + "M";
  KRG_ASSIGN_OR_RETURN(
      DemoPass pass,
      PlanPass("memtiers", {ctx.opts.size, {{"max", max}, {"min", "64K"}}}, 1));
  ctx.view.Say(
      "memtiers runs on node " + std::to_string(home.id) + " (" +
      std::to_string(home.mem_mb) + " MB of RAM) with " +
      "USE_REMOTE_MEMORY, and grows its working set to " + max +
      "B.\nBeyond the node's RAM its pages have to live on other nodes.");
  ctx.view.SetNodes(Ids(info.nodes));
  KRG_ASSIGN_OR_RETURN(Borrowed b,
                       RunWatchingFreeMemory(ctx, pass, info.nodes, home));
  ctx.view.Snapshot();
  ctx.view.Event("memtiers: " + b.outcome.measurement.verification.detail);
  return BorrowVerdict(b, home, want_mb);
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

// The checkpoint scenarios drive `krgdemo run` and `resume` as child
// processes, as a presenter would type them: the point is to kill a whole
// run and finish it from another process, which a Session in this one cannot
// stand for.
namespace {

namespace fs = std::filesystem;

// What a finished run's folder says it computed.
struct Answer {
  bool finished = false;  // run.json was written
  bool verified = false;
  std::string checksum;
  double iterations = -1;  // the solver's count, where it reports one
  bool operator==(const Answer&) const = default;
};

Answer ReadAnswer(const fs::path& run) {
  Answer a;
  auto f = ReadResultFile(run / "run.json");
  if (!f.ok() || f->runs.empty()) return a;
  a.finished = true;
  a.verified = f->runs.back().verified;
  a.checksum = f->runs.back().checksum;
  auto m = f->extensions.value("metrics", nlohmann::json::object());
  if (m.contains("iterations"))
    a.iterations = m["iterations"].value("value", -1.0);
  return a;
}

// `krgdemo ARGS...`, this very binary.
std::vector<std::string> Krgdemo(std::vector<std::string> args) {
  args.insert(args.begin(), program_invocation_name);
  return args;
}

// What `krgdemo resume` said, and the answer it left in the folder.
struct Resumed {
  platform::CommandOutput output;
  Answer answer;
};

// The load view of `nodes` nodes, for the steps that run krgdemo as a child
// process (the view cannot see inside it otherwise).
Result<std::unique_ptr<LoadTicker>> WatchNodes(ShowContext& ctx, int nodes) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, ctx.platform.Partition(nodes));
  ctx.view.SetNodes(Ids(layout.nodes));
  return std::make_unique<LoadTicker>(ctx, layout.nodes, nullptr);
}

// `krgdemo ARGS...` to its end while the audience watches: the load view
// ticks at least once a second and a log line every 5 s says what is still
// running, so a long resume is never a silence that looks like a hang.
// Ctrl-C stops the child too. Its stderr (and stdout) land in `log`.
Result<platform::CommandOutput> RunWatched(ShowContext& ctx, LoadTicker& ticker,
                                           const std::vector<std::string>& args,
                                           const fs::path& log) {
  std::error_code ec;
  fs::remove(log, ec);
  KRG_ASSIGN_OR_RETURN(pid_t pid,
                       platform::StartCommand(Krgdemo(args), log.string()));
  const double t0 = ctx.view.Elapsed();
  double said = t0;
  std::optional<platform::ExitInfo> exit;
  Status wait_error = Status::Ok();
  auto done = PollUntil(ctx, 3600, 0.05, &ticker, [&] {
    auto r = platform::Reap(pid, /*block=*/false);
    if (!r.ok()) wait_error = r.status();
    if (!r.ok() || r->has_value()) {
      if (r.ok()) exit = **r;
      return true;
    }
    if (ctx.view.Elapsed() - said >= 5) {
      said = ctx.view.Elapsed();
      ctx.view.Event("krgdemo " + args.front() + " still running, " +
                     FormatDuration(said - t0));
    }
    return false;
  });
  if (!done.ok() || !exit) {  // interrupted or timed out: stop it
    (void)platform::SendSignal(pid, SIGINT);
    (void)platform::Reap(pid, /*block=*/true);
    if (!wait_error.ok()) return wait_error;
    return done.ok() ? Status::Internal("krgdemo " + args.front() +
                                        " ran for an hour")
                     : done.status();
  }
  platform::CommandOutput out;
  out.exit = *exit;
  if (Result<std::string> text = ReadTextFile(log); text.ok()) out.err = *text;
  return out;
}

// Step 3: `krgdemo resume` of `run`, said as `say`. Retried while the
// killed run's checkpoint is still "in use" (until the dead are reaped).
Result<Resumed> Resume(ShowContext& ctx, LoadTicker& ticker,
                       const fs::path& run, const std::string& say) {
  ctx.view.Say(say);
  Result<platform::CommandOutput> out = Status::Internal("not run");
  KRG_RETURN_IF_ERROR(PollUntil(ctx, 5, 0.1, nullptr, [&] {
                        out = RunWatched(ctx, ticker, {"resume", run.string()},
                                         run.parent_path() / "resume.log");
                        return !out.ok() ||
                               out->err.find("in use") == std::string::npos;
                      }).status());
  if (!out.ok()) return out.status();
  return Resumed{*out, ReadAnswer(run)};
}

// Step 4: the same run as `demo` (the demo and its options) with one pass
// and no checkpoint, for comparison; its answer.
Result<Answer> RunReference(ShowContext& ctx, LoadTicker& ticker,
                            std::vector<std::string> demo,
                            const fs::path& dir) {
  ctx.view.Say("4. The same run without any checkpoint, for comparison.");
  demo.insert(demo.begin(), "run");
  demo.insert(demo.end(), {"--repeat", "1", "--out", (dir / "ref").string()});
  KRG_ASSIGN_OR_RETURN(auto reference,
                       RunWatched(ctx, ticker, demo, dir / "ref.log"));
  if (reference.exit.code != 0) return Answer{};
  return ReadAnswer(dir / "ref");
}

// Step 1 on Kerrighed: mandelbrot checkpointed every second; the record of
// its first checkpoint (null when none came within a minute: the run is then
// stopped).
Result<nlohmann::json> StartCheckpointedRun(ShowContext& ctx,
                                            const fs::path& dir,
                                            pid_t* launcher) {
  const std::string nodes = std::to_string(ctx.opts.nodes);
  ctx.view.Say("1. Start mandelbrot on " + nodes +
               " nodes, checkpointed every second.");
  KRG_ASSIGN_OR_RETURN(
      *launcher,
      platform::StartCommand(
          Krgdemo({"run", "mandelbrot", "--size", "large", "--nodes", nodes,
                   "--repeat", ctx.opts.size == "test" ? "1" : "3",
                   "--checkpoint-every", "1", "--out", (dir / "run").string()}),
          (dir / "run.log").string()));
  nlohmann::json record;
  auto taken = PollUntil(ctx, 60, 0.1, nullptr, [&] {
    std::ifstream in(dir / "run" / "checkpoints.json");
    if (in) record = nlohmann::json::parse(in, nullptr, false);
    if (record.is_discarded()) record = nullptr;
    return !record.is_null();
  });
  if (!taken.ok() || !*taken) {
    (void)platform::SendSignal(*launcher, SIGINT);
    (void)platform::Reap(*launcher, true);
  }
  KRG_RETURN_IF_ERROR(taken.status());
  return record;
}

// Steps 3 and 4 on Kerrighed: the killed application `appid` restarted by
// `krgdemo resume`, and its answer checked against a run without checkpoints.
Result<ScenarioResult> RestartAndCompare(ShowContext& ctx, long appid,
                                         const fs::path& dir) {
  KRG_ASSIGN_OR_RETURN(auto ticker, WatchNodes(ctx, ctx.opts.nodes));
  KRG_ASSIGN_OR_RETURN(
      Resumed got,
      Resume(ctx, *ticker, dir / "run",
             "3. Restart it from its last checkpoint: krgdemo resume."));
  if (got.output.exit.code != 0 || !got.answer.finished) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the restart did not finish the run: " + got.output.err.substr(0, 200)};
  }
  KRG_ASSIGN_OR_RETURN(
      Answer want,
      RunReference(ctx, *ticker,
                   {"mandelbrot", "--size", "large", "--engine", "threads"},
                   dir));
  if (!got.answer.verified || want != got.answer) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the restarted run " + std::string(got.answer.verified
                                               ? "verified but its checksum "
                                                 "differs"
                                               : "did not verify")};
  }
  return ScenarioResult{Outcome::kShown,
                        "application " + std::to_string(appid) +
                            " was checkpointed, killed and restarted; it "
                            "verified with the same checksum (" +
                            got.answer.checksum + ")"};
}

// The checkpoint/restart steps proper, through the CLI a presenter would
// type: `run --checkpoint-every 1` (its root has CHECKPOINTABLE), kill the
// root after the first checkpoint, `resume` the folder, and compare the
// checksum with a run made without checkpoints.
Result<ScenarioResult> CheckpointAndRestart(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::PrivateDir dir,
                       platform::PrivateDir::Create("krgdemo-show-checkpoint"));
  pid_t launcher = -1;
  KRG_ASSIGN_OR_RETURN(nlohmann::json record,
                       StartCheckpointedRun(ctx, dir.path(), &launcher));
  if (record.is_null()) {
    dir.Keep();  // for the log the verdict points at
    return ScenarioResult{Outcome::kNotShown,
                          "no checkpoint was taken (see " +
                              (dir.path() / "run.log").string() + ")"};
  }
  const long appid = record["appid"];
  ctx.view.Say("   checkpoint v1 of application " + std::to_string(appid) +
               " is in /var/chkpt/" + std::to_string(appid) + "/v1");
  ctx.view.Say("2. Kill the application, as a failing node would.");
  (void)platform::SendSignal(static_cast<pid_t>(appid), SIGKILL);
  (void)platform::Reap(launcher, true);
  return RestartAndCompare(ctx, appid, dir.path());
}

// Step 1 in journal mode: the poisson solver as `demo`, in its own process
// group, checkpointed every `every` seconds; the name of its second
// checkpoint set ("" when the run ended first or a minute passed).
Result<std::string> StartJournaledRun(ShowContext& ctx, LoadTicker& ticker,
                                      const std::vector<std::string>& demo,
                                      const std::string& every,
                                      const fs::path& dir, pid_t* launcher) {
  std::vector<std::string> argv = Krgdemo({"run"});
  argv.insert(argv.begin(), "setsid");
  argv.insert(argv.end(), demo.begin(), demo.end());
  argv.insert(argv.end(),
              {"--checkpoint-every", every, "--out", (dir / "run").string()});
  KRG_ASSIGN_OR_RETURN(
      *launcher, platform::StartCommand(argv, (dir / "run.log").string()));
  std::string set;
  auto second = PollUntil(ctx, 60, 0.005, &ticker, [&] {
    if (fs::exists(dir / "run" / "run.json")) return true;
    std::ifstream in(dir / "run" / "checkpoint" / "spmd.manifest");
    auto m = nlohmann::json::parse(in, nullptr, false);
    if (m.is_discarded() || m.value("seq", 0) < 2) return false;
    set = m.value("set", "");
    return true;
  });
  if (!second.ok()) return second.status();
  return set;
}

// Kills `launcher` and every process of its group.
void KillTree(pid_t launcher) {
  ::kill(-launcher, SIGKILL);  // setsid made it a process group
  ::kill(launcher, SIGKILL);   // in case setsid had not run yet
  (void)platform::Reap(launcher, true);
}

// Steps 3 and 4 in journal mode: `krgdemo resume` from checkpoint set
// `set`, and its answer checked against `demo` run without checkpoints.
Result<ScenarioResult> ResumeAndCompare(ShowContext& ctx, LoadTicker& ticker,
                                        const std::vector<std::string>& demo,
                                        const fs::path& dir,
                                        const std::string& set) {
  KRG_ASSIGN_OR_RETURN(
      Resumed got,
      Resume(ctx, ticker, dir / "run",
             "3. krgdemo resume: the same run, from that checkpoint."));
  if (got.output.exit.code != 0 || !got.answer.verified) {
    return ScenarioResult{
        Outcome::kNotShown,
        "the resumed run did not verify: " + got.output.err.substr(0, 200)};
  }
  KRG_ASSIGN_OR_RETURN(Answer want, RunReference(ctx, ticker, demo, dir));
  if (want != got.answer) {
    return ScenarioResult{Outcome::kNotShown,
                          "the resumed run's answer differs from an "
                          "uninterrupted run's"};
  }
  char line[300];
  std::snprintf(line, sizeof line,
                "killed with SIGKILL and resumed from %s, it verified with "
                "the same checksum (%s) and iteration count (%.0f)",
                set.c_str(), got.answer.checksum.c_str(),
                got.answer.iterations);
  return ScenarioResult{Outcome::kShown, line};
}

// The runtime's own checkpoints (journal mode), where the platform has no
// transparent one: the poisson solver's ranks save their slabs every 50 ms; the
// whole process tree is killed with SIGKILL after the second set; `krgdemo
// resume` finishes the run from the last set, which must give the answer and
// iteration count of a run never interrupted.
Result<ScenarioResult> JournalCheckpointAndResume(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::PrivateDir dir,
                       platform::PrivateDir::Create("krgdemo-show-checkpoint"));
  const std::string nodes = std::to_string(std::max(2, ctx.opts.nodes));
  // Big enough that the solve outlasts two checkpoints by far on a fast,
  // idle machine (300x300 finished in under 0.4 s there), small enough for
  // a test; the interval is short for the same reason.
  const std::string n = ctx.opts.size == "test" ? "400" : "1000";
  const std::string every = "0.05";
  const std::vector<std::string> demo = {
      "poisson", "--param", "n=" + n, "--engine", "procs", "--nodes", nodes};
  ctx.view.Say("1. Start the poisson solver (CG, " + n + "x" + n +
               " grid) on " + nodes +
               " worker processes sharing a System V arena, every "
               "rank's slab saved every " +
               every + " s.");
  KRG_ASSIGN_OR_RETURN(auto ticker, WatchNodes(ctx, std::stoi(nodes)));
  pid_t launcher = -1;
  auto set =
      StartJournaledRun(ctx, *ticker, demo, every, dir.path(), &launcher);
  ctx.view.Say(
      "2. Kill the whole process tree with SIGKILL, as a crash would.");
  if (launcher > 0) KillTree(launcher);
  KRG_RETURN_IF_ERROR(set.status());
  if (set->empty()) {
    return ScenarioResult{Outcome::kNotShown,
                          "the run ended before its second checkpoint (try "
                          "a larger --size)"};
  }
  ctx.view.Say("   last complete checkpoint: " +
               (dir.path() / "run" / "checkpoint" / *set).string());
  return ResumeAndCompare(ctx, *ticker, demo, dir.path(), *set);
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
