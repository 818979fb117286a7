// The `procs` engine: a master forks one single-threaded worker per slot and
// hands out units dynamically over a socketpair per worker (a bidirectional
// pipe: Kerrighed forwards it across nodes with FAF, INTERFACE.md 6.5).
//
// Protocol. master -> worker: a unit index (uint64). worker -> master: a
// header {unit, ok, length} then `length` bytes: the unit's result, or the
// error message when !ok. EOF on the worker's side means "no more work".
//
// With FarmWorkload::fresh_process_per_unit(), each worker gets one unit and
// is then sent EOF, reaped and replaced: a new process per unit.
//
// Fault recovery: a worker that dies (EOF on its socket) is reaped; the units
// it held are requeued and a new worker takes its slot. A unit that has lost
// `max_unit_attempts` workers fails the run, so a poisonous unit cannot loop.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "krg/executor.h"
#include "spmd_executor.h"

namespace krg {
namespace {

using platform::Child;

struct Header {
  std::uint64_t unit;
  std::uint32_t ok;
  std::uint32_t reserved;
  std::uint64_t length;
};

constexpr int kUnitsInFlight = 2;  // per worker: hides the round trip
constexpr std::size_t kReadChunk = 1 << 20;
constexpr int kPlacementTimeoutMs = 3000;

bool WriteAll(int fd, const void* data, std::size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// Reads exactly `len` bytes; false on EOF or error.
bool ReadAll(int fd, void* data, std::size_t len) {
  char* p = static_cast<char*>(data);
  while (len > 0) {
    ssize_t n = ::read(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
  }
  return true;
}

// The worker's side: serve units until the master closes the channel.
int WorkerMain(const FarmWorkload& w, int fd) {
  std::string bytes;
  std::uint64_t unit = 0;
  while (ReadAll(fd, &unit, sizeof unit)) {
    bytes.clear();
    Status s = unit < w.unit_count()
                   ? w.RunUnit(static_cast<std::size_t>(unit), &bytes)
                   : Status::Internal("unit index out of range");
    if (!s.ok()) bytes = s.message();
    Header h{unit, s.ok() ? 1u : 0u, 0, bytes.size()};
    if (!WriteAll(fd, &h, sizeof h) ||
        !WriteAll(fd, bytes.data(), bytes.size()))
      return 3;
  }
  return 0;
}

struct Worker {
  std::size_t slot = 0;
  Child child;
  std::deque<std::size_t> in_flight;
  std::string buffer;  // bytes received, not yet parsed
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
  Status Drain(Worker& worker);   // parse complete messages in the buffer
  Status Retire(Worker& worker);  // one-shot worker done: reap, replace
  Status OnDeath(Worker& worker);
  void StopAll(bool kill);

  platform::Platform& platform_;
  FarmWorkload& w_;
  const ExecOptions& opts_;
  std::vector<Worker> workers_;
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
  KRG_ASSIGN_OR_RETURN(worker.child,
                       platform_.SpawnWorker(opts_.slots[slot], [&w](int fd) {
                         return WorkerMain(w, fd);
                       }));
  worker.slot = slot;
  worker.alive = true;
  worker.served = false;
  worker.buffer.clear();
  worker.in_flight.clear();
  if (opts_.on_worker_start) opts_.on_worker_start(worker.child.pid);
  return Status::Ok();
}

void FarmMaster::Dispatch(Worker& worker) {
  const std::size_t depth = one_shot_ ? 1 : kUnitsInFlight;
  while (worker.alive && !pending_.empty() && !worker.served &&
         worker.in_flight.size() < depth) {
    std::uint64_t unit = pending_.front();
    // A failed send means the worker died; its EOF is handled by poll.
    if (!WriteAll(worker.child.fd, &unit, sizeof unit)) return;
    pending_.pop_front();
    worker.in_flight.push_back(static_cast<std::size_t>(unit));
    worker.served = one_shot_;
  }
}

Status FarmMaster::Retire(Worker& worker) {
  ::close(worker.child.fd);  // EOF: the worker exits by itself
  worker.alive = false;
  KRG_ASSIGN_OR_RETURN(auto exit, platform::Reap(worker.child.pid, true));
  if (!exit || !exit->exited || exit->code != 0) {
    return Status::Internal(
        "short-lived worker " + std::to_string(worker.child.pid) +
        " ended badly (" + (exit ? exit->ToString() : "unknown") + ")");
  }
  if (merged_ < w_.unit_count()) return Spawn(worker.slot);
  return Status::Ok();
}

Status FarmMaster::Drain(Worker& worker) {
  while (worker.buffer.size() >= sizeof(Header)) {
    Header h;
    std::memcpy(&h, worker.buffer.data(), sizeof h);
    if (worker.buffer.size() < sizeof h + h.length) break;
    std::string_view body(worker.buffer.data() + sizeof h, h.length);
    KRG_CHECK(!worker.in_flight.empty() && worker.in_flight.front() == h.unit)
        << "worker " << worker.child.pid << " answered unit " << h.unit;
    worker.in_flight.pop_front();
    if (h.ok == 0) {
      return Status::Internal("unit " + std::to_string(h.unit) +
                              " failed: " + std::string(body));
    }
    KRG_RETURN_IF_ERROR(w_.Merge(static_cast<std::size_t>(h.unit), body)
                            .WithContext("unit " + std::to_string(h.unit)));
    if (opts_.on_unit_done) {
      opts_.on_unit_done(static_cast<std::size_t>(h.unit),
                         opts_.slots[worker.slot].id, body);
    }
    ++merged_;
    worker.buffer.erase(0, sizeof h + h.length);
  }
  if (worker.served && worker.in_flight.empty()) return Retire(worker);
  return Status::Ok();
}

Status FarmMaster::OnDeath(Worker& worker) {
  ::close(worker.child.fd);
  worker.alive = false;
  // The socket is closed on the worker's side: it has exited or is exiting.
  (void)platform::SendSignal(worker.child.pid, SIGKILL);
  KRG_ASSIGN_OR_RETURN(auto exit, platform::Reap(worker.child.pid, true));
  const std::string how = exit ? exit->ToString() : "unknown";
  report_.events.push_back(
      "worker " + std::to_string(worker.child.pid) + " died (" + how +
      ") holding " + std::to_string(worker.in_flight.size()) + " unit(s)");
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
    ::close(worker.child.fd);  // EOF: an idle worker exits by itself
    worker.alive = false;
    if (kill) (void)platform::SendSignal(worker.child.pid, SIGKILL);
    ending.push_back(worker.child.pid);
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
  for (std::size_t s = 0; s < workers_.size(); ++s) {
    KRG_RETURN_IF_ERROR(Spawn(s));
  }
  // Kerrighed moves workers asynchronously: confirm where they run while
  // they are still idle (on linux they are pinned at fork: nothing to wait).
  for (std::string& line : platform_.ConfirmPlacement(kPlacementTimeoutMs)) {
    report_.events.push_back(std::move(line));
  }

  std::vector<pollfd> fds;
  std::vector<char> chunk(kReadChunk);
  while (merged_ < n) {
    if (opts_.cancel != nullptr && opts_.cancel->load()) {
      StopAll(/*kill=*/true);
      return Status::Cancelled("interrupted");
    }
    fds.clear();
    for (Worker& worker : workers_) {
      Dispatch(worker);
      fds.push_back({worker.alive ? worker.child.fd : -1, POLLIN, 0});
    }
    int ready = ::poll(fds.data(), fds.size(), 100);
    if (ready < 0 && errno != EINTR) return Status::FromErrno("poll", errno);
    for (std::size_t i = 0; i < workers_.size() && ready > 0; ++i) {
      if (fds[i].revents == 0) continue;
      Worker& worker = workers_[i];
      ssize_t got = ::read(worker.child.fd, chunk.data(), chunk.size());
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        KRG_RETURN_IF_ERROR(OnDeath(worker));
        continue;
      }
      worker.buffer.append(chunk.data(), static_cast<std::size_t>(got));
      KRG_RETURN_IF_ERROR(Drain(worker));
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

}  // namespace krg
