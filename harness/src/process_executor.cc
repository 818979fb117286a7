// The `procs` engine: a master forks one single-threaded worker per slot and
// hands out units dynamically over a pair of pipes per worker (Kerrighed
// forwards them across nodes with FAF, INTERFACE.md 6.5, and its checkpoint
// saves them, where it refuses a socketpair: krg/channel.h).
//
// Protocol (frames over the worker's Channel, krg/channel.h). master ->
// worker: kUnit, tagged with the unit index. worker -> master: kResult or
// kFailed, tagged with the unit: the unit's result, or the error message.
// EOF on the worker's side means "no more work".
//
// With FarmWorkload::fresh_process_per_unit(), each worker gets one unit and
// is then sent EOF, reaped and replaced: a new process per unit.
//
// Fault recovery: a worker that dies (EOF on its channel) is reaped; the units
// it held are requeued and a new worker takes its slot. A unit that has lost
// `max_unit_attempts` workers fails the run, so a poisonous unit cannot loop.
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "krg/channel.h"
#include "krg/executor.h"
#include "spmd_executor.h"

namespace krg {
namespace {

using platform::Channel;
using platform::Child;
using platform::Frame;

// Frame types. master -> worker: kUnit (tag: the unit). worker -> master:
// kResult or kFailed (tag: the unit; body: its result, or the message).
constexpr std::uint32_t kUnit = 1;
constexpr std::uint32_t kResult = 2;
constexpr std::uint32_t kFailed = 3;

constexpr int kUnitsInFlight = 2;  // per worker: hides the round trip
constexpr std::size_t kReadChunk = 1 << 20;
constexpr int kPlacementTimeoutMs = 3000;

// The worker's side: serve units until the master closes the channel.
int WorkerMain(const FarmWorkload& w, Channel& channel) {
  std::string bytes;
  for (;;) {
    auto frame = channel.ReceiveFrame();
    if (!frame.ok() || !frame->has_value()) return 0;  // the master is done
    const std::uint64_t unit = (*frame)->tag;
    bytes.clear();
    Status s = unit < w.unit_count()
                   ? w.RunUnit(static_cast<std::size_t>(unit), &bytes)
                   : Status::Internal("unit index out of range");
    if (!s.ok()) bytes = s.message();
    if (!channel.SendFrame(s.ok() ? kResult : kFailed, unit, bytes).ok()) {
      return 3;
    }
  }
}

struct Worker {
  std::size_t slot = 0;
  pid_t pid = -1;
  Channel channel;
  std::deque<std::size_t> in_flight;
  bool alive = false;
  bool served = false;  // one-shot: has had its unit
};

class FarmMaster {
 public:
  FarmMaster(platform::Platform& p, FarmWorkload& w, const ExecOptions& o)
      : platform_(p),
        w_(w),
        opts_(o),
        attempts_(w.unit_count(), 0),
        one_shot_(w.fresh_process_per_unit()) {}

  ~FarmMaster() { StopAll(/*kill=*/true); }

  Result<ExecReport> Run();

 private:
  Status Spawn(std::size_t slot);
  void Dispatch(Worker& worker);
  Status Drain(Worker& worker);   // merge the whole frames that arrived
  Status Retire(Worker& worker);  // one-shot worker done: reap, replace
  Status OnDeath(Worker& worker);
  void StopAll(bool kill);

  platform::Platform& platform_;
  FarmWorkload& w_;
  const ExecOptions& opts_;
  std::vector<Worker> workers_;
  std::vector<Channel*> channels_;  // workers_[i].channel, for the poller
  std::deque<std::size_t> pending_;
  std::vector<int> attempts_;
  std::size_t merged_ = 0;
  int idle_deaths_ = 0;  // deaths holding no unit: a worker that cannot start
  const bool one_shot_;  // a fresh process per unit
  ExecReport report_;
};

Status FarmMaster::Spawn(std::size_t slot) {
  Worker& worker = workers_[slot];
  const FarmWorkload& w = w_;
  KRG_ASSIGN_OR_RETURN(
      Child child,
      platform_.SpawnWorker(
          opts_.slots[slot], platform::ChannelKind::kPipes,
          [&w](Channel& channel) { return WorkerMain(w, channel); }));
  worker.slot = slot;
  worker.pid = child.pid;
  worker.channel = std::move(child.channel);
  worker.alive = true;
  worker.served = false;
  worker.in_flight.clear();
  if (opts_.on_worker_start) opts_.on_worker_start(worker.pid);
  return Status::Ok();
}

void FarmMaster::Dispatch(Worker& worker) {
  const std::size_t depth = one_shot_ ? 1 : kUnitsInFlight;
  while (worker.alive && !pending_.empty() && !worker.served &&
         worker.in_flight.size() < depth) {
    const std::size_t unit = pending_.front();
    // A failed send means the worker died; its EOF is handled by poll.
    if (!worker.channel.SendFrame(kUnit, unit).ok()) return;
    pending_.pop_front();
    worker.in_flight.push_back(unit);
    worker.served = one_shot_;
  }
}

Status FarmMaster::Retire(Worker& worker) {
  worker.channel.Close();  // EOF: the worker exits by itself
  worker.alive = false;
  KRG_ASSIGN_OR_RETURN(auto exit, platform::Reap(worker.pid, true));
  if (!exit || !exit->exited || exit->code != 0) {
    return Status::Internal("short-lived worker " + std::to_string(worker.pid) +
                            " ended badly (" +
                            (exit ? exit->ToString() : "unknown") + ")");
  }
  if (merged_ < w_.unit_count()) return Spawn(worker.slot);
  return Status::Ok();
}

Status FarmMaster::Drain(Worker& worker) {
  while (std::optional<Frame> f = worker.channel.TakeFrame()) {
    const auto unit = static_cast<std::size_t>(f->tag);
    KRG_CHECK(!worker.in_flight.empty() && worker.in_flight.front() == unit)
        << "worker " << worker.pid << " answered unit " << unit;
    worker.in_flight.pop_front();
    if (f->type != kResult) {
      return Status::Internal("unit " + std::to_string(unit) +
                              " failed: " + std::string(f->body));
    }
    KRG_RETURN_IF_ERROR(
        w_.Merge(unit, f->body).WithContext("unit " + std::to_string(unit)));
    if (opts_.on_unit_done) {
      opts_.on_unit_done(unit, opts_.slots[worker.slot].id, f->body);
    }
    ++merged_;
  }
  if (worker.served && worker.in_flight.empty()) return Retire(worker);
  return Status::Ok();
}

Status FarmMaster::OnDeath(Worker& worker) {
  worker.channel.Close();
  worker.alive = false;
  // The socket is closed on the worker's side: it has exited or is exiting.
  (void)platform::SendSignal(worker.pid, SIGKILL);
  KRG_ASSIGN_OR_RETURN(auto exit, platform::Reap(worker.pid, true));
  const std::string how = exit ? exit->ToString() : "unknown";
  report_.events.push_back(
      "worker " + std::to_string(worker.pid) + " died (" + how + ") holding " +
      std::to_string(worker.in_flight.size()) + " unit(s)");
  if (worker.in_flight.empty() && ++idle_deaths_ > 3 * int(workers_.size())) {
    return Status::Internal(
        "workers keep dying before taking work (last: " + how + ")");
  }
  // A worker computes its units in order and its earlier answers were read
  // before the EOF, so the front unit is the one it died on: only that one
  // is charged; the units queued behind it go back unharmed.
  if (!worker.in_flight.empty()) {
    const std::size_t culprit = worker.in_flight.front();
    if (++attempts_[culprit] >= opts_.max_unit_attempts) {
      return Status::Internal("unit " + std::to_string(culprit) +
                              " crashed its worker " +
                              std::to_string(attempts_[culprit]) +
                              " times (last: " + how + "); giving up");
    }
  }
  for (auto it = worker.in_flight.rbegin(); it != worker.in_flight.rend();
       ++it) {
    pending_.push_front(*it);
  }
  worker.in_flight.clear();
  ++report_.worker_restarts;
  if (merged_ < w_.unit_count()) return Spawn(worker.slot);
  return Status::Ok();
}

void FarmMaster::StopAll(bool kill) {
  // Tell every worker first, then reap: they tear down in parallel.
  std::vector<pid_t> ending;
  for (Worker& worker : workers_) {
    if (!worker.alive) continue;
    worker.channel.Close();  // EOF: an idle worker exits by itself
    worker.alive = false;
    if (kill) (void)platform::SendSignal(worker.pid, SIGKILL);
    ending.push_back(worker.pid);
  }
  for (pid_t pid : ending) (void)platform::Reap(pid, true);
}

Result<ExecReport> FarmMaster::Run() {
  const std::size_t n = w_.unit_count();
  w_.BeginPass();
  for (std::size_t i = 0; i < n; ++i) {
    if (opts_.completed != nullptr && opts_.completed->count(i) > 0) {
      KRG_RETURN_IF_ERROR(w_.Merge(i, opts_.completed->at(i))
                              .WithContext("unit " + std::to_string(i)));
      ++merged_;
    } else {
      pending_.push_back(i);
    }
  }
  workers_.resize(opts_.slots.size());
  if (workers_.empty()) return Status::InvalidArgument("no worker slots");
  for (Worker& worker : workers_) channels_.push_back(&worker.channel);
  for (std::size_t s = 0; s < workers_.size(); ++s) {
    KRG_RETURN_IF_ERROR(Spawn(s));
  }
  // Kerrighed moves workers asynchronously: confirm where they run while
  // they are still idle (on linux they are pinned at fork: nothing to wait).
  for (std::string& line : platform_.ConfirmPlacement(kPlacementTimeoutMs)) {
    report_.events.push_back(std::move(line));
  }
  std::vector<pid_t> pids;
  for (const Worker& worker : workers_) pids.push_back(worker.pid);
  report_.worker_nodes = NodesOf(platform_, pids);

  platform::ChannelPoller poller(kReadChunk);
  while (merged_ < n) {
    if (opts_.cancel != nullptr && opts_.cancel->load()) {
      StopAll(/*kill=*/true);
      return Status::Cancelled("interrupted");
    }
    for (Worker& worker : workers_) Dispatch(worker);
    KRG_RETURN_IF_ERROR(poller.Wait(channels_, 100));
    for (const platform::ChannelEvent& e : poller.events()) {
      Worker& worker = workers_[e.index];
      KRG_RETURN_IF_ERROR(e.closed ? OnDeath(worker) : Drain(worker));
    }
    if (opts_.progress) opts_.progress(merged_, n);
  }
  StopAll(/*kill=*/false);
  report_.units = n;
  return report_;
}

class ProcessExecutor final : public Executor {
 public:
  explicit ProcessExecutor(platform::Platform& p) : platform_(p) {}
  Engine engine() const override { return Engine::kProcs; }
  Result<ExecReport> RunFarm(FarmWorkload& w,
                             const ExecOptions& opts) override {
    FarmMaster master(platform_, w, opts);
    return master.Run();
  }
  Result<ExecReport> RunSpmd(SpmdWorkload& w,
                             const ExecOptions& opts) override {
    return internal::RunSpmdProcs(platform_, w, opts);
  }

 private:
  platform::Platform& platform_;
};

}  // namespace

std::unique_ptr<Executor> MakeProcessExecutor(platform::Platform& platform) {
  return std::make_unique<ProcessExecutor>(platform);
}

std::vector<int> NodesOf(platform::Platform& platform,
                         const std::vector<pid_t>& pids) {
  std::vector<int> nodes;
  // Virtual nodes may share CPUs: a CPU does not name one node.
  if (platform.traits().virtual_nodes) return nodes;
  for (pid_t pid : pids) {
    auto node = platform.NodeOf(pid);
    if (node.ok() &&
        std::find(nodes.begin(), nodes.end(), *node) == nodes.end()) {
      nodes.push_back(*node);
    }
  }
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

}  // namespace krg
