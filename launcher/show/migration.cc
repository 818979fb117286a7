// `krgdemo show migration`: workers that start on one node and are moved,
// one by one, to the other nodes while they compute; then the rule that
// threads stay home (Kerrighed never migrates a multi-threaded process).
#include <errno.h>  // program_invocation_name
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "registry.h"
#include "show/scenarios.h"

namespace krg::cli::show {
namespace {

namespace fs = std::filesystem;
using platform::Node;

constexpr double kMaxPixels = 3840.0 * 2160.0;  // a 33 MB image at most
constexpr double kMinPixels = 320.0 * 180.0;
constexpr long long kMaxIter = 1000000;
constexpr double kLandTimeoutS = 10;  // Kerrighed's KTP waits up to 30 s
constexpr double kMoveCostS = 0.5;    // `migrate` and its landing, roughly
// The mosix balancer moves at most one process per node every 2 s
// (freq_limit_filter/min_interval as krg_legacy_scheduler sets it).
constexpr double kBalancerIntervalS = 2.0;
constexpr double kJoinCostS = 1.0;  // krgadm polls for the node every second

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Seconds one core spends per pixel of the default mandelbrot view at
// `max_iter`, timed on a small image in this process (the only computing
// the launcher does: a few tens of milliseconds). Timed in CPU time, not
// wall time: a busy machine at the moment of the probe must not make the
// run too short to outlast the narration once the machine is idle again.
Result<double> SecondsPerPixel(const demos::Demo& demo, long long max_iter) {
  demos::DemoConfig probe{"test",
                          {{"width", "320"},
                           {"height", "180"},
                           {"max_iter", std::to_string(max_iter)}}};
  KRG_ASSIGN_OR_RETURN(std::unique_ptr<Workload> w, demo.make(probe));
  auto& farm = static_cast<FarmWorkload&>(*w);
  farm.BeginPass();
  const double t0 = ThreadCpuSeconds();
  double elapsed = 0;
  int rounds = 0;
  std::string bytes;
  do {
    for (std::size_t i = 0; i < farm.unit_count(); ++i) {
      bytes.clear();
      KRG_RETURN_IF_ERROR(farm.RunUnit(i, &bytes));
    }
    ++rounds;
    elapsed = ThreadCpuSeconds() - t0;
  } while (elapsed < 0.05 && rounds < 1000);
  return elapsed / (rounds * kMinPixels);
}

// A mandelbrot that takes one core about `core_seconds`: the run must
// outlast the narrated steps whatever the CPU. `*what` describes it.
Result<demos::DemoConfig> SizedMandelbrot(double core_seconds,
                                          std::string* what) {
  const demos::Demo* demo = demos::FindDemo("mandelbrot");
  KRG_CHECK(demo != nullptr) << "the mandelbrot demo is in the table";
  long long max_iter = 1000;
  double per_pixel = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    KRG_ASSIGN_OR_RETURN(per_pixel, SecondsPerPixel(*demo, max_iter));
    const double pixels = core_seconds / per_pixel;
    if (pixels <= kMaxPixels || max_iter >= kMaxIter) break;
    // More iterations rather than a bigger image, to bound the memory.
    max_iter = std::min<long long>(
        kMaxIter, max_iter * static_cast<long long>(
                                 std::ceil(pixels / kMaxPixels * 1.2)));
  }
  const double pixels =
      std::clamp(core_seconds / per_pixel, kMinPixels, kMaxPixels);
  const int width = static_cast<int>(std::lround(std::sqrt(pixels * 16 / 9)));
  const int height = std::max(1, width * 9 / 16);
  *what = "mandelbrot " + std::to_string(width) + "x" + std::to_string(height) +
          ", " + std::to_string(max_iter) + " iterations";
  return demos::DemoConfig{"small",
                           {{"width", std::to_string(width)},
                            {"height", std::to_string(height)},
                            {"max_iter", std::to_string(max_iter)}}};
}

// "node 5", "nodes 5 and 11", "nodes 1, 2 and 3".
std::string NodeList(const std::vector<int>& ids) {
  std::string s = ids.size() == 1 ? "node " : "nodes ";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) s += i + 1 == ids.size() ? " and " : ", ";
    s += std::to_string(ids[i]);
  }
  return s;
}

// The workers of a running procs pass, all started on nodes[0], and the
// node each one is on; driven by the run's hooks (RunWatched). `nodes` are
// the lanes of the load view; there is one worker per node unless
// `workers` says otherwise.
class Tracker {
 public:
  Tracker(ShowContext& ctx, std::vector<Node> nodes, int workers = 0)
      : ctx_(ctx),
        nodes_(std::move(nodes)),
        worker_count_(workers > 0 ? std::size_t(workers) : nodes_.size()) {}
  virtual ~Tracker() = default;

  // The load view of the run, while it runs (null before and after).
  void set_ticker(LoadTicker* ticker) { ticker_ = ticker; }
  void OnStart(pid_t pid) {
    if (workers_.size() < worker_count_) {
      workers_.push_back({pid, nodes_[0].id});
    } else {
      ctx_.view.Event("worker " + std::to_string(pid) +
                      " started to replace one that died");
    }
  }
  // Called by the run's progress hook.
  virtual void Step() = 0;
  // The pass is over.
  virtual void RunEnded() {}
  const std::vector<std::string>& failures() const { return failures_; }
  // How many workers each node has, for the load view.
  std::vector<std::string> Notes() const;

 protected:
  struct Worker {
    pid_t pid;
    int node;
  };
  // Once every worker runs: says so (true), else false.
  bool SayStarted();

  ShowContext& ctx_;
  std::vector<Node> nodes_;
  const std::size_t worker_count_;
  LoadTicker* ticker_ = nullptr;
  std::vector<Worker> workers_;
  std::vector<std::string> failures_;
};

std::vector<std::string> Tracker::Notes() const {
  std::vector<std::string> notes;
  for (const Node& n : nodes_) {
    int count = 0;
    for (const Worker& w : workers_) count += w.node == n.id;
    notes.push_back(Count(count, "worker"));
  }
  return notes;
}

bool Tracker::SayStarted() {
  if (workers_.size() < worker_count_) return false;
  std::string pids;
  for (const Worker& w : workers_) {
    if (!pids.empty()) pids += ' ';
    pids += std::to_string(w.pid);
  }
  ctx_.view.Event(Count(int(workers_.size()), "worker") + " started on node " +
                  std::to_string(nodes_[0].id) + " (pids " + pids + ")");
  return true;
}

// Moves the workers of a running procs pass, one by one, from the first
// node to nodes[1..].
class Spreader final : public Tracker {
 public:
  using Tracker::Tracker;
  void Step() override;
  // A move still in flight did not land in time.
  void RunEnded() override;
  int moved() const { return moved_; }

 private:
  enum class Phase { kStarting, kHold, kMove, kLanding, kSpread };
  void Move(double now);
  void Land(double now);

  Phase phase_ = Phase::kStarting;
  double until_ = 0, asked_ = 0;
  std::size_t next_ = 1;
  int moved_ = 0;
};

void Spreader::Step() {
  const double now = ctx_.view.Elapsed();
  const bool kernel_migration = ctx_.platform.traits().kernel_migration;
  switch (phase_) {
    case Phase::kStarting: {
      if (!SayStarted()) return;
      ctx_.view.Say("One node does all the work; the others are idle.");
      phase_ = Phase::kHold;
      until_ = now + ctx_.opts.pace.hold_s;
      return;
    }
    case Phase::kHold:
      if (now < until_) return;
      ctx_.view.Say(kernel_migration
                        ? "Now we spread them: one `migrate PID NODE` each."
                        : "Now we spread them: one CPU-set move each.");
      phase_ = Phase::kMove;
      return;
    case Phase::kMove:
      if (now >= until_) Move(now);
      return;
    case Phase::kLanding:
      Land(now);
      return;
    case Phase::kSpread:
      return;
  }
}

void Spreader::Move(double now) {
  if (next_ >= nodes_.size()) {
    ctx_.view.Say(failures_.empty()
                      ? "Every worker has a node of its own: the load spreads."
                      : "Not every worker could move.");
    phase_ = Phase::kSpread;
    return;
  }
  const Worker& w = workers_[next_];
  Status s = ctx_.platform.MoveProcess(w.pid, nodes_[next_]);
  if (!s.ok()) {
    failures_.push_back(s.message());
    ctx_.view.Event("could not move worker " + std::to_string(w.pid) + ": " +
                    s.message());
    ++next_;
    until_ = now + ctx_.opts.pace.gap_s;
    return;
  }
  asked_ = now;
  phase_ = Phase::kLanding;
}

void Spreader::Land(double now) {
  Worker& w = workers_[next_];
  const int to = nodes_[next_].id;
  // Kerrighed migrates asynchronously: the move is done when it shows.
  auto at = ctx_.platform.NodeOf(w.pid);
  if (at.ok() && *at == to) {
    char after[32];
    std::snprintf(after, sizeof after, "%.2f", now - asked_);
    ctx_.view.Event("migrated worker " + std::to_string(w.pid) + ": node " +
                    std::to_string(w.node) + " -> node " + std::to_string(to) +
                    " (landed after " + after + " s)");
    w.node = to;
    ++moved_;
  } else if (now - asked_ > kLandTimeoutS) {
    failures_.push_back("worker " + std::to_string(w.pid) +
                        " did not reach node " + std::to_string(to) +
                        " (still on node " +
                        (at.ok() ? std::to_string(*at) : "?") + ")");
    ctx_.view.Event(failures_.back());
  } else {
    return;
  }
  ++next_;
  until_ = now + ctx_.opts.pace.gap_s;
  phase_ = Phase::kMove;
  if (next_ >= nodes_.size()) Move(now);  // the last one: say so at once
}

void Spreader::RunEnded() {
  if (phase_ != Phase::kLanding) return;
  const Worker& w = workers_[next_];
  failures_.push_back("worker " + std::to_string(w.pid) + " was sent to node " +
                      std::to_string(nodes_[next_].id) +
                      " but had not arrived when the run ended (still on "
                      "node " +
                      std::to_string(w.node) + ")");
  ctx_.view.Event(failures_.back());
}

// Stops a background process for good: SIGTERM, then SIGKILL.
struct BackgroundProcess {
  pid_t pid = -1;
  ~BackgroundProcess() { Stop(); }
  void Stop() {
    if (pid <= 0) return;
    (void)platform::SendSignal(pid, SIGTERM);
    for (int i = 0; i < 60; ++i) {  // three seconds to end cleanly
      auto done = platform::Reap(pid, false);
      if (!done.ok() || done->has_value()) {
        pid = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (void)platform::SendSignal(pid, SIGKILL);
    (void)platform::Reap(pid, true);
    pid = -1;
  }
};

// Core-seconds of work that outlast the narrated steps: `home_s` seconds
// of them at the home node's rate (one worker per node, all at home), then
// SpreadSeconds at the spread rate. `more` workers than nodes, with as many
// more CPUs, when a node is to join.
double WorkFor(ShowContext& ctx, const std::vector<Node>& nodes, double home_s,
               int more = 0) {
  const int n = static_cast<int>(nodes.size()) + more;
  std::set<int> all_cpus;
  for (const Node& node : nodes) {
    all_cpus.insert(node.cpus.begin(), node.cpus.end());
  }
  const double home_rate =
      std::min<double>(n, std::max<std::size_t>(1, nodes[0].cpus.size()));
  const double spread_rate = std::min<double>(
      n, double(all_cpus.size()) + more * double(nodes[0].cpus.size()));
  return 1.2 *
         (home_rate * home_s + spread_rate * SpreadSeconds(ctx.opts.size));
}

// The mandelbrot pass of `nodes.size()` workers (`more` more) for
// `core_seconds`, logged.
Result<DemoPass> PlanMandelbrot(ShowContext& ctx,
                                const std::vector<Node>& nodes,
                                double core_seconds, int more = 0) {
  std::string what;
  KRG_ASSIGN_OR_RETURN(demos::DemoConfig config,
                       SizedMandelbrot(core_seconds, &what));
  char amount[64];
  std::snprintf(amount, sizeof amount, "about %.0f core-seconds", core_seconds);
  ctx.view.Event("workload: " + what + ", " + amount);
  return PlanPass("mandelbrot", config, int(nodes.size()) + more);
}

// The first part's pass: the hold and the moves at the home node's rate.
Result<DemoPass> PlanSpread(ShowContext& ctx, const std::vector<Node>& nodes) {
  const Pace& pace = ctx.opts.pace;
  const double n = static_cast<double>(nodes.size());
  return PlanMandelbrot(
      ctx, nodes,
      WorkFor(ctx, nodes, pace.hold_s + (n - 1) * (pace.gap_s + kMoveCostS)));
}

// Runs the pass with every worker started on the first node, `spreader`
// moving or watching them while they compute; logs how it ended.
Result<Verification> RunSpreading(ShowContext& ctx, DemoPass& pass,
                                  const std::vector<Node>& nodes,
                                  Tracker& spreader) {
  LoadTicker ticker(ctx, nodes, [&spreader] { return spreader.Notes(); });
  spreader.set_ticker(&ticker);
  struct Unset {
    Tracker& t;
    ~Unset() { t.set_ticker(nullptr); }
  } unset{spreader};
  RunHooks hooks;
  hooks.on_worker_start = [&spreader](pid_t pid) { spreader.OnStart(pid); };
  hooks.progress = [&](const Progress&) {
    ticker.Tick();
    spreader.Step();
  };
  hooks.cancel = ctx.interrupted;
  OneNodePlatform at_home(ctx.platform, nodes[0]);
  const double t0 = ctx.view.Elapsed();
  KRG_ASSIGN_OR_RETURN(krg::Outcome o, pass.Run(at_home, hooks));
  spreader.RunEnded();
  ctx.view.Snapshot();
  const Verification& v = o.measurement.verification;
  char took[32];
  std::snprintf(took, sizeof took, "%.1f", ctx.view.Elapsed() - t0);
  ctx.view.Event(
      std::string("run finished in ") + took + " s: " +
      (v.ok ? "verified, " + v.detail + " (checksum " + v.checksum + ")"
            : "did NOT verify: " + v.detail));
  return v;
}

// The first part: workers spread while they compute. Appends to `claims`
// (what was shown) and `failures`.
Status SpreadWorkers(ShowContext& ctx, const platform::Layout& layout,
                     std::vector<std::string>* claims,
                     std::vector<std::string>* failures) {
  const std::vector<Node>& nodes = layout.nodes;
  const int n = static_cast<int>(nodes.size());
  KRG_ASSIGN_OR_RETURN(DemoPass pass, PlanSpread(ctx, nodes));
  KRG_RETURN_IF_ERROR(Wait(ctx, ctx.opts.pace.pause_s, nullptr));
  Spreader spreader(ctx, nodes);
  KRG_ASSIGN_OR_RETURN(Verification v,
                       RunSpreading(ctx, pass, nodes, spreader));
  *failures = spreader.failures();
  if (!v.ok) failures->push_back("the image did not verify: " + v.detail);
  if (spreader.moved() < n - 1 && spreader.failures().empty()) {
    failures->push_back("the run ended before every worker had moved (" +
                        std::to_string(spreader.moved()) + " of " +
                        std::to_string(n - 1) +
                        "); give it more work with a larger --size");
  }
  if (spreader.moved() > 0) {
    std::vector<int> to;
    for (int i = 1; i <= spreader.moved(); ++i) to.push_back(nodes[i].id);
    claims->push_back(std::to_string(spreader.moved()) + " of " +
                      std::to_string(n - 1) + " workers moved from node " +
                      std::to_string(nodes[0].id) + " to " + NodeList(to) +
                      " while computing" +
                      (v.ok ? "; the image verified" : ""));
  }
  return Status::Ok();
}

// The second part's process: `krgdemo run` of mandelbrot on `threads`
// OpenMP threads. A child process of its own, not a Session here: the
// process to move must be multi-threaded, and the launcher must not be it.
Result<pid_t> StartThreadsProcess(const fs::path& dir, int threads) {
  return platform::StartCommand(
      {program_invocation_name, "run", "mandelbrot", "--nodes", "1", "--engine",
       "threads", "--threads", std::to_string(threads), "--size", "medium",
       "--repeat", "1000", "--out", (dir / "out").string()},
      (dir / "run.log").string());
}

// How many threads `pid` runs once OpenMP has started them (0 when it
// never started a second one within 20 s).
Result<int> WaitForThreads(ShowContext& ctx, pid_t pid, LoadTicker& ticker) {
  int count = 0;
  KRG_RETURN_IF_ERROR(PollUntil(ctx, 20, 0.05, &ticker, [&] {
                        auto n = platform::ThreadCount(pid);
                        count = n.ok() ? *n : 0;
                        return count >= 2 || !n.ok();
                      }).status());
  return count >= 2 ? count : 0;
}

// Kerrighed: the move of a multi-threaded process must be refused; true
// when it was.
bool ExpectRefusal(ShowContext& ctx, const Status& moved,
                   const std::string& move, int threads,
                   std::vector<std::string>* claims,
                   std::vector<std::string>* failures) {
  if (moved.ok()) {
    failures->push_back(
        "migrate accepted a multi-threaded process, which "
        "Kerrighed 3.0 refuses");
    ctx.view.Event(move + ": accepted (unexpected)");
    return false;
  }
  ctx.view.Event(move + ": refused: " + moved.message());
  ctx.view.Say(
      "As expected: it has CAN_MIGRATE like the workers, but it has\n"
      "threads, and Kerrighed never migrates a multi-threaded process.");
  claims->push_back("a " + std::to_string(threads) +
                    "-thread process was refused by migrate: threads stay "
                    "home");
  return true;
}

// linux: the move changes CPU sets and must succeed, where Kerrighed would
// refuse it; true when it did.
bool ExpectCpuSetMove(ShowContext& ctx, const Status& moved,
                      const std::string& move, pid_t pid, int threads,
                      std::vector<std::string>* claims,
                      std::vector<std::string>* failures) {
  if (!moved.ok()) {
    failures->push_back(move + " failed: " + moved.message());
    ctx.view.Event(move + ": failed: " + moved.message());
    return false;
  }
  auto at = ctx.platform.NodeOf(pid);
  ctx.view.Event(move + ": done, it now runs on node " +
                 (at.ok() ? std::to_string(*at) : "?"));
  ctx.view.Say(
      "Linux can move a multi-threaded process between CPU sets.\n"
      "Kerrighed would refuse: `migrate` answers \"Operation not "
      "permitted\"\n"
      "for any process with more than one thread (INTERFACE.md 6.1).");
  claims->push_back("a " + std::to_string(threads) +
                    "-thread process moved on linux, which Kerrighed would "
                    "refuse");
  return true;
}

void SayThreadsStayHome(ShowContext& ctx, int threads) {
  ctx.view.Say(
      "\nSecond rule: threads stay home.\n"
      "Kerrighed never migrates a multi-threaded process: its threads share\n"
      "one memory and one table of files, which Kerrighed 2.x and 3.0 cannot\n"
      "split across nodes. So demos that spread use worker processes (the\n"
      "procs engine); OpenMP threads (the threads engine) stay on one node.\n"
      "Here is mandelbrot on " +
      std::to_string(threads) + " OpenMP threads, in one process.");
}

// The second part: a multi-threaded process and a move attempt.
Status ThreadsStayHome(ShowContext& ctx, const platform::Layout& layout,
                       std::vector<std::string>* claims,
                       std::vector<std::string>* failures) {
  platform::Platform& p = ctx.platform;
  const Node& home = layout.nodes[0];
  const Node& away = layout.nodes[1];
  const int threads = std::max<int>(2, int(home.cpus.size()));
  SayThreadsStayHome(ctx, threads);
  KRG_ASSIGN_OR_RETURN(platform::PrivateDir dir,
                       platform::PrivateDir::Create("krgdemo-show"));
  BackgroundProcess child;
  KRG_ASSIGN_OR_RETURN(child.pid, StartThreadsProcess(dir.path(), threads));
  LoadTicker ticker(ctx, layout.nodes, nullptr);
  KRG_ASSIGN_OR_RETURN(int count, WaitForThreads(ctx, child.pid, ticker));
  if (count == 0) {
    failures->push_back("the threads process never started a second thread");
    return Status::Ok();
  }
  // Virtual nodes: a process is on a node when its CPU set is that node's.
  if (!p.traits().kernel_migration) (void)p.MoveProcess(child.pid, home);
  ctx.view.Event("process " + std::to_string(child.pid) + ": mandelbrot on " +
                 std::to_string(count) + " threads, on node " +
                 std::to_string(home.id));
  KRG_RETURN_IF_ERROR(Wait(ctx, ctx.opts.pace.pause_s, &ticker));
  const Status moved = p.MoveProcess(child.pid, away);
  const std::string move = "move process " + std::to_string(child.pid) + " (" +
                           std::to_string(count) + " threads) to node " +
                           std::to_string(away.id);
  const bool shown =
      p.traits().kernel_migration
          ? ExpectRefusal(ctx, moved, move, count, claims, failures)
          : ExpectCpuSetMove(ctx, moved, move, child.pid, count, claims,
                             failures);
  if (!shown) return Status::Ok();
  KRG_RETURN_IF_ERROR(Wait(ctx, ctx.opts.pace.hold_s, &ticker));
  ctx.view.Snapshot();
  child.Stop();
  return Status::Ok();
}

void SayMigration(ShowContext& ctx, const platform::Layout& layout) {
  SayOpening(
      ctx,
      "Scenario: migration.\n"
      "A running process moves from one node to another and goes on "
      "computing.\n"
      "We start " +
          std::to_string(layout.nodes.size()) +
          " mandelbrot workers, single-threaded processes, all on node " +
          std::to_string(layout.nodes[0].id) +
          ".\n"
          "Then we move them one by one to the other nodes while they "
          "compute.\n"
          "The image must still come out right: the run verifies itself.",
      layout,
      "On Kerrighed this is `migrate PID NODE`: the process keeps its pid,\n"
      "its memory and its open pipes. By default no process may migrate:\n"
      "the workers get CAN_MIGRATE from `krgcapset -d +CAN_MIGRATE`.",
      "On linux a node is a group of CPUs (a virtual node), and a migration\n"
      "moves a process to another node's CPUs (sched_setaffinity).");
}

// `krgdemo show balance`: workers started on one node are spread by the
// kernel's own balancer, not by us: Kerrighed's mosix balancer migrates
// processes with CAN_MIGRATE (at most one per node every 2 s); on linux
// the workers start confined to one virtual node's CPUs, the confinement
// is lifted, and the kernel's scheduler spreads them over the CPUs.
class BalanceWatcher final : public Tracker {
 public:
  // `joining`: the id of a present node to add live once the workers have
  // spread over `nodes` (-1: none); there is then one worker more than
  // there are nodes, so that the new node has a share to take.
  BalanceWatcher(ShowContext& ctx, std::vector<Node> nodes, int joining)
      : Tracker(ctx, nodes, int(nodes.size()) + (joining >= 0 ? 1 : 0)),
        joining_(joining) {}
  void Step() override;
  // The most distinct nodes the workers were seen on at one time, and
  // which.
  int most_nodes() const { return most_; }
  const std::set<int>& spread_over() const { return spread_over_; }
  // The node that joined the cluster, once it has.
  const std::optional<Node>& joined() const { return joined_; }
  // The first worker seen on the node that joined (-1: none yet).
  pid_t took_share() const { return took_share_; }

 private:
  enum class Phase { kStarting, kHold, kWatch, kLook, kJoining, kJoined };
  void Lift();
  void Watch(double now);
  // Kerrighed, with a node to add: once every node runs a worker (or the
  // balancer had time for it), a look at the spread, then the node joins.
  void BeforeJoining(double now);
  // Polls the join (started by BeforeJoining) until the node is online.
  void Join();
  // The command that adds the node, as the narration names it.
  std::string AddCommand() const {
    return "krgadm nodes add -n " + std::to_string(joining_);
  }

  const int joining_;
  Phase phase_ = Phase::kStarting;
  double until_ = 0, next_poll_ = 0, spread_by_ = 0;
  int most_ = 1, moves_ = 0;
  std::set<int> spread_over_;
  std::unique_ptr<platform::NodeJoin> join_;
  double join_started_ = 0;
  std::optional<Node> joined_;
  pid_t took_share_ = -1;
  // Moves onto the joining node seen before `krgadm nodes add` returned:
  // the kernel may migrate onto it while krgadm still waits for its status.
  // They are told after the node's online line, in the order they came.
  std::vector<std::string> early_moves_;
};

void BalanceWatcher::Step() {
  const double now = ctx_.view.Elapsed();
  const bool kerrighed = ctx_.platform.traits().kernel_migration;
  switch (phase_) {
    case Phase::kStarting: {
      if (!SayStarted()) return;
      if (kerrighed) {
        // The balancer does not wait for us: watch from the start.
        ctx_.view.Say(
            "Kerrighed's load balancer sees one busy node and idle ones:\n"
            "watch it migrate workers, at most one per node every 2 s.");
        phase_ = Phase::kWatch;
        // Every move from the home node, 2 s apart, and one round more.
        spread_by_ = now + kBalancerIntervalS * double(nodes_.size());
        return;
      }
      ctx_.view.Say("One node does all the work; the others are idle.");
      phase_ = Phase::kHold;
      until_ = now + ctx_.opts.pace.hold_s;
      return;
    }
    case Phase::kHold:
      if (now < until_) return;
      Lift();
      phase_ = Phase::kWatch;
      return;
    case Phase::kWatch:
    case Phase::kLook:
      Watch(now);
      if (joining_ >= 0) BeforeJoining(now);
      return;
    case Phase::kJoining:
      Join();
      Watch(now);
      return;
    case Phase::kJoined:
      Watch(now);
      return;
  }
}

void BalanceWatcher::BeforeJoining(double now) {
  if (phase_ == Phase::kWatch) {
    if (most_ < int(nodes_.size()) && now < spread_by_) return;
    ctx_.view.Say(
        "Now a node joins the running cluster: node " +
        std::to_string(joining_) +
        " is present but not online.\nWe add it with `" + AddCommand() +
        "`; nobody moves a worker: the balancer\nsees an idle node and gives "
        "it its share.");
    phase_ = Phase::kLook;
    until_ = now + ctx_.opts.pace.pause_s;
    return;
  }
  if (now < until_) return;
  // In the background: the workers go on computing while the node joins.
  auto join = ctx_.platform.AddNode(joining_);
  if (!join.ok()) {
    phase_ = Phase::kJoined;
    failures_.push_back(AddCommand() + ": " + join.status().message());
    ctx_.view.Event(failures_.back());
    return;
  }
  join_ = std::move(*join);
  join_started_ = now;
  phase_ = Phase::kJoining;
}

void BalanceWatcher::Join() {
  auto polled = join_->Poll();
  if (polled.ok() && !polled->has_value()) return;
  phase_ = Phase::kJoined;
  join_.reset();
  const std::string add = AddCommand();
  const auto tell_early_moves = [this] {
    for (const std::string& move : early_moves_) ctx_.view.Event(move);
    early_moves_.clear();
  };
  if (!polled.ok()) {
    failures_.push_back(add + ": " + polled.status().message());
    ctx_.view.Event(failures_.back());
    tell_early_moves();
    return;
  }
  const Node& node = **polled;
  char took[32];
  std::snprintf(took, sizeof took, "%.2f", ctx_.view.Elapsed() - join_started_);
  ctx_.view.Event(add + ": node " + std::to_string(node.id) + " is online (" +
                  std::to_string(node.cpus.size()) + " CPUs, after " + took +
                  " s)");
  joined_ = node;
  nodes_.push_back(node);
  ctx_.view.SetNodes(Ids(nodes_));
  if (ticker_ != nullptr) ticker_->SetNodes(nodes_);
  tell_early_moves();
}

// linux: every worker may now run on any node's CPUs.
void BalanceWatcher::Lift() {
  Node all;
  all.id = -1;
  for (const Node& n : nodes_) {
    for (int cpu : n.cpus) {
      if (std::find(all.cpus.begin(), all.cpus.end(), cpu) == all.cpus.end()) {
        all.cpus.push_back(cpu);
      }
    }
  }
  std::sort(all.cpus.begin(), all.cpus.end());
  for (const Worker& w : workers_) {
    if (Status s = ctx_.platform.MoveProcess(w.pid, all); !s.ok()) {
      failures_.push_back("could not lift the confinement of worker " +
                          std::to_string(w.pid) + ": " + s.message());
    }
  }
  ctx_.view.Say(
      "Now we lift the confinement: every worker may run on every node's "
      "CPUs.\nThe kernel's own scheduler decides where each one runs.");
}

void BalanceWatcher::Watch(double now) {
  if (now < next_poll_) return;
  next_poll_ = now + 0.1;
  std::set<int> on;
  for (Worker& w : workers_) {
    auto at = ctx_.platform.NodeOf(w.pid);
    if (!at.ok()) continue;  // it has just ended
    if (*at != w.node) {
      // Linux's scheduler moves busy processes between CPUs often: the
      // first moves tell the story, the load view shows the rest.
      if (++moves_ <= 3 * int(workers_.size())) {
        std::string move = "worker " + std::to_string(w.pid) + ": node " +
                           std::to_string(w.node) + " -> node " +
                           std::to_string(*at) + " (the kernel's balancer)";
        if (phase_ == Phase::kJoining && *at == joining_) {
          early_moves_.push_back(std::move(move));
        } else {
          ctx_.view.Event(move);
        }
      }
      w.node = *at;
    }
    on.insert(w.node);
    if (joined_ && took_share_ < 0 && w.node == joined_->id) {
      took_share_ = w.pid;
      ctx_.view.Say("Node " + std::to_string(joined_->id) +
                    " takes its share: the balancer moved worker " +
                    std::to_string(w.pid) + " onto it.");
    }
  }
  if (int(on.size()) > most_) {
    most_ = int(on.size());
    spread_over_ = on;
    if (most_ == int(nodes_.size())) {
      ctx_.view.Say("Every node runs a worker: the balancer spread them.");
    }
  }
}

// Kerrighed: a scheduler whose policy migrates on its own (INTERFACE.md
// 2.2); "" when there is one, else why the scenario cannot be shown.
std::string NoBalancer(ShowContext& ctx) {
  if (!ctx.platform.traits().kernel_migration) return "";
  auto info = ctx.platform.Describe(false);
  if (!info.ok() || !info->kerrighed) return "";
  for (const platform::SchedulerInfo& s : info->kerrighed->schedulers) {
    const bool moves = std::find(s.policies.begin(), s.policies.end(),
                                 "mosix_load_balancer") != s.policies.end() ||
                       std::find(s.policies.begin(), s.policies.end(),
                                 "rbt_policy") != s.policies.end();
    if (moves && s.handle_all) return "";
  }
  return "no Kerrighed scheduler migrates processes on its own (no "
         "mosix_load_balancer with process_set/handle_all = 1 under "
         "/config/krg_scheduler): run krg_legacy_scheduler";
}

void SayBalance(ShowContext& ctx, const platform::Layout& layout, int joining) {
  const int workers = int(layout.nodes.size()) + (joining >= 0 ? 1 : 0);
  SayOpening(
      ctx,
      "Scenario: balance.\n"
      "The system spreads the work by itself: nobody moves a process.\n"
      "We start " +
          std::to_string(workers) +
          " mandelbrot workers, CPU-bound single-threaded processes, all on "
          "node " +
          std::to_string(layout.nodes[0].id) +
          ".\nThe kernel's balancer moves them to idle nodes while they "
          "compute,\n" +
          (joining >= 0 ? "then node " + std::to_string(joining) +
                              " joins the cluster live and takes its share,\n"
                        : std::string()) +
          "and the image must still come out right.",
      layout,
      "On Kerrighed the mosix load balancer (set up by krg_legacy_scheduler)\n"
      "migrates any process with CAN_MIGRATE, which the workers get from\n"
      "`krgcapset -d +CAN_MIGRATE`, off a node busier than its peers.",
      "On linux a node is a group of CPUs (a virtual node): the workers start\n"
      "confined to one node's CPUs (sched_setaffinity); we lift that, and\n"
      "the kernel's own scheduler spreads them over the CPUs.");
}

// --add-node: the present node that joins during the scenario (-1: none),
// and why none does when that is worth a line of the verdict.
struct Joining {
  int id = -1;
  std::string none;  // e.g. "no node was present to add live"
  std::string say;   // narration: why no node joins
};

// The first present node (`krgadm nodes status`), when --add-node asks for
// one.
Result<Joining> NodeToAdd(ShowContext& ctx) {
  Joining j;
  if (!ctx.opts.add_node) return j;
  if (!ctx.platform.traits().node_hotplug) {
    j.say = "--add-node: " + ctx.platform.name() +
            " has no node hotplug (Kerrighed's `krgadm nodes add`);\n"
            "the scenario runs without it.";
    return j;
  }
  KRG_ASSIGN_OR_RETURN(std::vector<int> present, ctx.platform.PresentNodes());
  if (present.empty()) {
    j.say =
        "--add-node: no node is present but not online (`krgadm nodes "
        "status`\nlists none), so none can join: the workers spread over "
        "the online nodes.";
    j.none = "no node was present to add live (krgadm nodes status)";
    return j;
  }
  j.id = present[0];
  return j;
}

// The layout of --nodes, which must name at least 2 distinct nodes.
Result<platform::Layout> DistinctNodes(ShowContext& ctx,
                                       const std::string& scenario) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout,
                       ctx.platform.Partition(ctx.opts.nodes));
  std::set<int> ids;
  for (const Node& n : layout.nodes) ids.insert(n.id);
  if (ids.size() < 2 || ids.size() != layout.nodes.size()) {
    return Status::InvalidArgument(
        "show " + scenario + " needs at least 2 distinct nodes (asked for " +
        std::to_string(ctx.opts.nodes) + ", " + std::to_string(ids.size()) +
        " available)");
  }
  return layout;
}

// The verdict: the failures if any (not shown), else the claims.
ScenarioResult Verdict(const std::vector<std::string>& claims,
                       const std::vector<std::string>& failures) {
  std::string text;
  for (const std::string& s : failures.empty() ? claims : failures) {
    text += (text.empty() ? "" : "; ") + s;
  }
  return {failures.empty() ? Outcome::kShown : Outcome::kNotShown, text};
}

}  // namespace

Result<ScenarioResult> ShowMigration(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout,
                       DistinctNodes(ctx, "migration"));
  SayMigration(ctx, layout);
  ctx.view.SetNodes(Ids(layout.nodes));
  std::vector<std::string> claims, failures;
  KRG_RETURN_IF_ERROR(SpreadWorkers(ctx, layout, &claims, &failures));
  KRG_RETURN_IF_ERROR(ThreadsStayHome(ctx, layout, &claims, &failures));
  return Verdict(claims, failures);
}

// The verdict of show balance, from what `watcher` saw.
ScenarioResult BalanceVerdict(const std::vector<Node>& nodes,
                              const BalanceWatcher& watcher,
                              const Joining& joining, const Verification& v) {
  std::vector<std::string> failures = watcher.failures();
  if (!v.ok) failures.push_back("the image did not verify: " + v.detail);
  if (watcher.most_nodes() < 2) {
    failures.push_back("the workers stayed on node " +
                       std::to_string(nodes[0].id) +
                       ": the balancer moved none before the run ended; give "
                       "it more work with a larger --size");
  }
  const std::string id = std::to_string(joining.id);
  std::string joined;
  if (joining.id >= 0 && watcher.joined() && watcher.took_share() > 0) {
    joined = "; node " + id +
             " joined live (krgadm nodes add) and the balancer moved worker " +
             std::to_string(watcher.took_share()) + " onto it";
  } else if (joining.id >= 0 && watcher.joined()) {
    failures.push_back("node " + id +
                       " joined, but the balancer moved no worker onto it "
                       "before the run ended; give it more work with a "
                       "larger --size");
  } else if (joining.id >= 0 && watcher.failures().empty()) {
    failures.push_back("the run ended before node " + id +
                       " could join; give it more work with a larger --size");
  }
  const std::set<int>& over = watcher.spread_over();
  const int workers = int(nodes.size()) + (joining.id >= 0 ? 1 : 0);
  const int lanes = int(nodes.size()) + (watcher.joined() ? 1 : 0);
  return Verdict(
      {"the kernel's balancer spread " + std::to_string(workers) +
       " workers started on node " + std::to_string(nodes[0].id) + " over " +
       std::to_string(over.size()) + " of " + std::to_string(lanes) +
       " nodes (" + NodeList(std::vector<int>(over.begin(), over.end())) +
       ") while they computed" + joined + "; the image verified" +
       (joining.none.empty() ? "" : "; " + joining.none)},
      failures);
}

Result<ScenarioResult> ShowBalance(ShowContext& ctx) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, DistinctNodes(ctx, "balance"));
  KRG_ASSIGN_OR_RETURN(Joining joining, NodeToAdd(ctx));
  SayBalance(ctx, layout, joining.id);
  if (!joining.say.empty()) ctx.view.Say(joining.say);
  if (std::string why = NoBalancer(ctx); !why.empty()) {
    return ScenarioResult{Outcome::kNotShown, why};
  }
  ctx.view.SetNodes(Ids(layout.nodes));
  const std::vector<Node>& nodes = layout.nodes;
  // The hold, then the balancer's moves (2 s apart on Kerrighed) at the
  // home node's rate; with a node to join, a round more to spread, a look,
  // the join and the move onto it.
  const double n = static_cast<double>(nodes.size());
  double home_s = ctx.opts.pace.hold_s + kBalancerIntervalS * (n - 1);
  if (joining.id >= 0) {
    home_s += 2 * kBalancerIntervalS + ctx.opts.pace.pause_s + kJoinCostS;
  }
  const int more = joining.id >= 0 ? 1 : 0;
  KRG_ASSIGN_OR_RETURN(
      DemoPass pass,
      PlanMandelbrot(ctx, nodes, WorkFor(ctx, nodes, home_s, more), more));
  KRG_RETURN_IF_ERROR(Wait(ctx, ctx.opts.pace.pause_s, nullptr));
  BalanceWatcher watcher(ctx, nodes, joining.id);
  KRG_ASSIGN_OR_RETURN(Verification v, RunSpreading(ctx, pass, nodes, watcher));
  return BalanceVerdict(nodes, watcher, joining, v);
}

}  // namespace krg::cli::show
