// The SPMD pass (executor.h RunSpmd) on both engines.
//
// The arena is [control block][workload area][one snapshot slab per rank]
// [one Seal per rank: the CRC-32C a rank computed while copying its slab, so
// that the master need not read the slabs to checksum them].
// The control block carries the checkpoint handshake between rank 0 and the
// master (want -> published), which the master serves while ranks compute:
// its writer thread (SCHED_BATCH, nice 19) writes a published set out through
// the SpmdCheckpointSink and only then does the master allow the next one, so
// the snapshot slabs are never overwritten while being written. The master
// never computes a rank.
//
// threads: ranks are the threads of one OpenMP team, started from a helper
// thread so that the calling thread stays the master; the barrier is a
// mutex/condition-variable barrier that a failing rank or Ctrl-C can abort.
// procs: ranks are worker processes forked through the platform, sharing a
// System V segment (mapped before fork, so at the same address everywhere)
// and a SemBarrier. A worker reports its status over its channel (one frame,
// krg/channel.h) and exits;
// EOF without a report is a death: the master removes the semaphore set (the
// others' waits fail at once), kills the rest and fails the pass.
#include "spmd_executor.h"

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <new>
#include <thread>

#include "krg/channel.h"
#include "krg/checkpoint.h"
#include "krg/shared_arena.h"

namespace krg::internal {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kAlign = 4096;
constexpr std::size_t kMaxScalars = SpmdWorkload::kMaxScalarBytes;

std::size_t RoundUp(std::size_t n) {
  return (n + kAlign - 1) / kAlign * kAlign;
}

struct Control {
  std::atomic<std::uint32_t> want{0};       // master -> rank 0: one is due
  std::atomic<std::uint64_t> published{0};  // rank 0 -> master: set number
  std::uint32_t restored = 0;
  std::uint32_t scalar_len = 0;
  std::uint32_t restored_len = 0;
  char scalars[kMaxScalars];
  char restored_scalars[kMaxScalars];
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// What a rank's SnapshotCopy calls did to its slab since the master last
// wrote one out: `copied` bytes in order from byte 0, with CRC-32C `crc`.
struct Seal {
  std::uint64_t copied;
  std::uint32_t crc;
  std::uint32_t in_order;
};

struct ArenaLayout {
  std::size_t work = 0;               // offset of the workload's area
  std::vector<std::size_t> snap;      // offset of each rank's snapshot slab
  std::vector<std::size_t> snap_len;  // its length
  std::size_t seals = 0;              // offset of the Seal array
  std::size_t total = 0;

  static ArenaLayout For(const SpmdWorkload& w, int ranks) {
    ArenaLayout l;
    l.work = RoundUp(sizeof(Control));
    std::size_t at = l.work + RoundUp(w.ArenaBytes(ranks));
    for (int r = 0; r < ranks; ++r) {
      l.snap.push_back(at);
      l.snap_len.push_back(w.SnapshotBytes(r, ranks));
      at += RoundUp(l.snap_len.back());
    }
    l.seals = at;
    at += RoundUp(sizeof(Seal) * static_cast<std::size_t>(ranks));
    l.total = at;
    return l;
  }
};

// The parts of a rank that do not depend on the engine.
class RankBase : public SpmdRank {
 public:
  RankBase(int rank, int ranks, char* base, const ArenaLayout& l)
      : rank_(rank), ranks_(ranks), base_(base), layout_(l) {}
  int rank() const override { return rank_; }
  int ranks() const override { return ranks_; }
  void* arena() const override { return base_ + layout_.work; }
  bool SnapshotWanted() override {
    KRG_CHECK(rank_ == 0);
    return control()->want.load(std::memory_order_acquire) != 0;
  }
  void* SnapshotSlab() override { return base_ + layout_.snap[rank_]; }
  void SnapshotCopy(std::size_t at, const void* src, std::size_t len) override {
    KRG_CHECK(at + len <= layout_.snap_len[rank_]) << at << "+" << len;
    Seal& seal = reinterpret_cast<Seal*>(base_ + layout_.seals)[rank_];
    if (at == 0) seal = Seal{0, 0, 1};
    char* dst = base_ + layout_.snap[rank_] + at;
    if (seal.in_order != 0 && at == seal.copied) {
      seal.crc = Crc32cCopy(dst, src, len, seal.crc);
      seal.copied += len;
    } else {
      seal.in_order = 0;
      std::memcpy(dst, src, len);
    }
  }
  void SnapshotScalars(std::string_view bytes) override {
    KRG_CHECK(rank_ == 0 && bytes.size() <= kMaxScalars) << bytes.size();
    std::memcpy(control()->scalars, bytes.data(), bytes.size());
    control()->scalar_len = static_cast<std::uint32_t>(bytes.size());
  }
  void PublishSnapshot() override {
    KRG_CHECK(rank_ == 0);
    control()->want.store(0, std::memory_order_relaxed);
    control()->published.fetch_add(1, std::memory_order_release);
  }
  bool Restored() const override { return control()->restored != 0; }
  std::string RestoredScalars() const override {
    return std::string(control()->restored_scalars, control()->restored_len);
  }

 private:
  Control* control() const { return reinterpret_cast<Control*>(base_); }
  const int rank_, ranks_;
  char* const base_;
  const ArenaLayout& layout_;
};

// The master's side of checkpoints: restore before the ranks start, then
// write out published sets and raise `want` when the next one is due.
class SnapshotService {
 public:
  SnapshotService(SpmdCheckpointSink* sink, char* base, const ArenaLayout& l)
      : sink_(sink), base_(base), layout_(l) {}

  Status Restore() {
    if (sink_ == nullptr) return Status::Ok();
    next_due_ = Clock::now() + Every();
    KRG_ASSIGN_OR_RETURN(std::optional<SpmdSnapshot> snap, sink_->Load());
    if (!snap) return Status::Ok();
    if (snap->slabs.size() != layout_.snap.size()) {
      return Status::FailedPrecondition(
          "the checkpoint has " + std::to_string(snap->slabs.size()) +
          " ranks, this run " + std::to_string(layout_.snap.size()));
    }
    for (std::size_t r = 0; r < snap->slabs.size(); ++r) {
      if (snap->slabs[r].size() != layout_.snap_len[r]) {
        return Status::FailedPrecondition(
            "the checkpoint slab of rank " + std::to_string(r) + " has " +
            std::to_string(snap->slabs[r].size()) + " bytes, expected " +
            std::to_string(layout_.snap_len[r]));
      }
      std::memcpy(base_ + layout_.snap[r], snap->slabs[r].data(),
                  snap->slabs[r].size());
    }
    if (snap->scalars.size() > kMaxScalars) {
      return Status::FailedPrecondition(
          "the checkpoint's scalars are too long");
    }
    Control* c = control();
    c->restored = 1;
    c->restored_len = static_cast<std::uint32_t>(snap->scalars.size());
    std::memcpy(c->restored_scalars, snap->scalars.data(),
                snap->scalars.size());
    c->published.store(snap->seq);
    written_ = restored_ = snap->seq;
    return Status::Ok();
  }

  // Hands a published set to the writer thread, collects what it wrote, and
  // raises `want` when the next set is due (never while one is being
  // written: the snapshot slabs are not overwritten under the writer).
  Status Poll() {
    if (sink_ == nullptr) return Status::Ok();
    Control* c = control();
    if (writing_) {
      std::unique_lock<std::mutex> lock(mu_);
      if (!job_done_) return Status::Ok();
      writing_ = false;
      KRG_RETURN_IF_ERROR(job_status_);
      written_ = job_seq_;
      ++saved_;
      next_due_ = Clock::now() + Every();
      return Status::Ok();
    }
    const std::uint64_t pub = c->published.load(std::memory_order_acquire);
    if (pub > written_) {
      std::vector<std::string_view> slabs;
      std::vector<std::optional<std::uint32_t>> crcs;
      Seal* seals = reinterpret_cast<Seal*>(base_ + layout_.seals);
      for (std::size_t r = 0; r < layout_.snap.size(); ++r) {
        slabs.emplace_back(base_ + layout_.snap[r], layout_.snap_len[r]);
        const Seal& seal = seals[r];
        crcs.push_back(seal.in_order != 0 && seal.copied == layout_.snap_len[r]
                           ? std::optional<std::uint32_t>(seal.crc)
                           : std::nullopt);
        // A seal counts for one set only: a later set copied otherwise must
        // not carry this CRC.
        seals[r] = Seal{};
      }
      StartWriter();
      std::lock_guard<std::mutex> lock(mu_);
      job_seq_ = pub;
      job_slabs_ = std::move(slabs);
      job_crcs_ = std::move(crcs);
      job_scalars_.assign(c->scalars, c->scalar_len);
      job_done_ = false;
      job_ready_ = true;
      writing_ = true;
      cv_.notify_all();
    } else if (c->want.load() == 0 && Clock::now() >= next_due_) {
      c->want.store(1, std::memory_order_release);
    }
    return Status::Ok();
  }
  int saved() const { return saved_; }
  std::uint64_t restored() const { return restored_; }

  // Waits for a set being written (its slabs are in the arena, which goes
  // away after this object).
  ~SnapshotService() {
    if (!writer_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    writer_.join();
  }

 private:
  // The writer: a thread of the master that writes sets out while the ranks
  // compute, as SCHED_BATCH at nice 19, so that waking up to write never
  // preempts a rank and it takes a core from the ranks only when one is
  // idle (or hardly at all under load; the ranks never wait for it).
  void StartWriter() {
    if (writer_.joinable()) return;
    writer_ = std::thread([this] {
      sched_param param{};
      (void)::pthread_setschedparam(::pthread_self(), SCHED_BATCH, &param);
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        cv_.wait(lock, [&] { return job_ready_ || stop_; });
        if (!job_ready_) return;  // stop_, nothing left to write
        job_ready_ = false;
        lock.unlock();
        Status st = sink_->Save(job_seq_, job_slabs_,
                                std::string_view(job_scalars_), job_crcs_);
        lock.lock();
        job_status_ = std::move(st);
        job_done_ = true;
      }
    });
  }
  Control* control() const { return reinterpret_cast<Control*>(base_); }
  Clock::duration Every() const {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(sink_->every_s()));
  }
  SpmdCheckpointSink* sink_;
  char* base_;
  const ArenaLayout& layout_;
  std::uint64_t written_ = 0;
  std::uint64_t restored_ = 0;
  int saved_ = 0;
  Clock::time_point next_due_;
  // The writer thread and its one job (guarded by mu_; writing_ is the
  // master's own).
  std::thread writer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool writing_ = false;
  bool job_ready_ = false, job_done_ = false, stop_ = false;
  std::uint64_t job_seq_ = 0;
  std::vector<std::string_view> job_slabs_;
  std::vector<std::optional<std::uint32_t>> job_crcs_;
  std::string job_scalars_;
  Status job_status_;
};

// A barrier for threads that a failing rank or the master can abort.
class ThreadBarrier {
 public:
  explicit ThreadBarrier(int parties) : parties_(parties) {}
  Status Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    if (aborted_) return Aborted();
    const unsigned long gen = generation_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return Status::Ok();
    }
    cv_.wait(lock, [&] { return generation_ != gen || aborted_; });
    return generation_ != gen ? Status::Ok() : Aborted();
  }
  void Abort() {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }

 private:
  static Status Aborted() {
    return Status::Internal("the SPMD run is being stopped");
  }
  std::mutex mu_;
  std::condition_variable cv_;
  const int parties_;
  int arrived_ = 0;
  unsigned long generation_ = 0;
  bool aborted_ = false;
};

class ThreadRank final : public RankBase {
 public:
  ThreadRank(int rank, int ranks, char* base, const ArenaLayout& l,
             ThreadBarrier* barrier)
      : RankBase(rank, ranks, base, l), barrier_(barrier) {}
  Status Barrier() override { return barrier_->Wait(); }

 private:
  ThreadBarrier* barrier_;
};

class ProcRank final : public RankBase {
 public:
  ProcRank(int rank, int ranks, char* base, const ArenaLayout& l,
           const platform::SemBarrier* barrier)
      : RankBase(rank, ranks, base, l), barrier_(barrier) {}
  Status Barrier() override { return barrier_->Wait(&generation_); }

 private:
  const platform::SemBarrier* barrier_;
  unsigned long generation_ = 0;
};

// 64-byte-aligned private memory for the threads engine's arena.
struct AlignedBuffer {
  explicit AlignedBuffer(std::size_t n)
      : p(static_cast<char*>(::operator new(n, std::align_val_t(kAlign)))) {
    std::memset(p, 0, n);
  }
  ~AlignedBuffer() { ::operator delete(p, std::align_val_t(kAlign)); }
  char* p;
};

bool Cancelled(const ExecOptions& opts) {
  return opts.cancel != nullptr && opts.cancel->load();
}

// Passes the workload's progress note on, at most ten times a second.
class NoteTicker {
 public:
  NoteTicker(const SpmdWorkload& w, const ExecOptions& opts, const void* arena)
      : w_(w), opts_(opts), arena_(arena) {}
  void Tick() {
    if (!opts_.progress_note) return;
    const Clock::time_point now = Clock::now();
    if (now < next_) return;
    next_ = now + std::chrono::milliseconds(100);
    const std::string note = w_.ProgressNote(arena_);
    if (!note.empty()) opts_.progress_note(note);
  }

 private:
  const SpmdWorkload& w_;
  const ExecOptions& opts_;
  const void* arena_;
  Clock::time_point next_{};
};

}  // namespace

Result<ExecReport> RunSpmdThreads(SpmdWorkload& w, const ExecOptions& opts) {
  const int ranks = w.RanksFor(std::max(1, opts.threads));
  const ArenaLayout layout = ArenaLayout::For(w, ranks);
  AlignedBuffer buffer(layout.total);
  new (buffer.p) Control;
  KRG_RETURN_IF_ERROR(w.Setup(buffer.p + layout.work, ranks));
  SnapshotService snapshots(opts.spmd_checkpoint, buffer.p, layout);
  KRG_RETURN_IF_ERROR(snapshots.Restore());
  ExecReport report;
  if (snapshots.restored() > 0) {
    report.events.push_back("resumed from checkpoint set " +
                            std::to_string(snapshots.restored()));
  }

  ThreadBarrier barrier(ranks);
  std::mutex mu;
  Status first_error;
  int team = 0;
  std::atomic<bool> finished{false};
  std::thread team_thread([&] {
    omp_set_dynamic(0);
#pragma omp parallel num_threads(ranks)
    {
#pragma omp single
      team = omp_get_num_threads();
      // An implicit barrier ends `single`: every thread sees `team`.
      Status s = team == ranks
                     ? Status::Ok()
                     : Status::Unavailable(
                           "OpenMP gave " + std::to_string(team) +
                           " threads, the run needs " + std::to_string(ranks));
      if (s.ok()) {
        ThreadRank rank(omp_get_thread_num(), ranks, buffer.p, layout,
                        &barrier);
        s = w.RunRank(rank);
      }
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first_error.ok()) first_error = s;
        barrier.Abort();
      }
    }
    finished = true;
  });
  Status service;
  bool cancelled = false;
  NoteTicker notes(w, opts, buffer.p + layout.work);
  while (!finished.load()) {
    notes.Tick();
    if (!cancelled && Cancelled(opts)) {
      cancelled = true;
      barrier.Abort();
    }
    if (service.ok() && !cancelled) {
      service = snapshots.Poll();
      if (!service.ok()) barrier.Abort();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  team_thread.join();
  if (cancelled) return Status::Cancelled("interrupted");
  if (!service.ok()) return service.WithContext("checkpoint");
  if (!first_error.ok()) return first_error;
  KRG_RETURN_IF_ERROR(w.Finish(buffer.p + layout.work, ranks));
  report.units = static_cast<std::size_t>(ranks);
  if (snapshots.saved() > 0) {
    report.events.push_back(std::to_string(snapshots.saved()) +
                            " checkpoint(s) written");
  }
  return report;
}

namespace {

// A worker's report: one frame, kRankOk, or kRankFailed with the error.
constexpr std::uint32_t kRankOk = 1;
constexpr std::uint32_t kRankFailed = 2;
constexpr std::size_t kReportChunk = 4096;

int RankWorkerMain(const SpmdWorkload& w, int rank, int ranks, char* base,
                   const ArenaLayout& layout,
                   const platform::SemBarrier& barrier,
                   platform::Channel& channel, bool checkpoints) {
  // A run with checkpoints touches its snapshot slab now, before the
  // workload starts its clock, rather than page by page in its first set
  // (and the pages come from this rank's node, where it will copy them).
  // Not when resuming: the slab holds the set to start from.
  if (checkpoints && reinterpret_cast<const Control*>(base)->restored == 0) {
    std::memset(base + layout.snap[rank], 0, layout.snap_len[rank]);
  }
  ProcRank me(rank, ranks, base, layout, &barrier);
  Status s = w.RunRank(me);
  const std::string msg = s.ok() ? "" : s.ToString();
  if (!channel.SendFrame(s.ok() ? kRankOk : kRankFailed, 0, msg).ok()) {
    return 3;
  }
  return s.ok() ? 0 : 1;
}

struct RankProc {
  pid_t pid = -1;
  platform::Channel channel;
  bool done = false;   // reported (ok or not)
  bool alive = false;  // not yet reaped
};

// Kills and reaps every rank still running.
void StopRanks(std::vector<RankProc>& procs) {
  for (RankProc& p : procs) {
    if (p.alive) (void)platform::SendSignal(p.pid, SIGKILL);
  }
  for (RankProc& p : procs) {
    p.channel.Close();
    if (p.alive) (void)platform::Reap(p.pid, true);
    p.alive = false;
  }
}

// The report of rank `i`, once its frame is whole: kInternal when the rank
// failed.
Status TakeReport(std::size_t i, RankProc& p, int* reported) {
  const std::optional<platform::Frame> f = p.channel.TakeFrame();
  if (!f) return Status::Ok();
  p.done = true;
  ++*reported;
  if (f->type == kRankOk) return Status::Ok();
  return Status::Internal("rank " + std::to_string(i) + ": " +
                          std::string(f->body));
}

// Rank `i`'s channel closed before it reported: it died. Reaps it.
Status RankDied(std::size_t i, RankProc& p, ExecReport* report) {
  p.channel.Close();
  auto exit = platform::Reap(p.pid, true);
  p.alive = false;
  const std::string how =
      exit.ok() && exit->has_value() ? (*exit)->ToString() : "unknown";
  report->events.push_back("rank " + std::to_string(i) + " (pid " +
                           std::to_string(p.pid) + ") died: " + how);
  return Status::Internal(
      "rank " + std::to_string(i) + " (pid " + std::to_string(p.pid) +
      ") died (" + how +
      "); an SPMD run cannot go on without one of its ranks, so the "
      "others were stopped");
}

// Every rank reported success: closes their channels (they exit by
// themselves) and reaps them; kInternal when one ended badly all the same.
Status ReapReported(std::vector<RankProc>& procs) {
  for (RankProc& p : procs) {
    p.channel.Close();
    auto exit = platform::Reap(p.pid, true);
    p.alive = false;
    if (!exit.ok()) return exit.status();
    if (exit->has_value() && !((*exit)->exited && (*exit)->code == 0)) {
      return Status::Internal("a rank ended badly after reporting success (" +
                              (*exit)->ToString() + ")");
    }
  }
  return Status::Ok();
}

// Starts a worker process per rank in `procs`, round-robin over the slots.
Status SpawnRanks(platform::Platform& platform, const SpmdWorkload& w,
                  const ExecOptions& opts, char* base,
                  const ArenaLayout& layout,
                  const platform::SemBarrier& barrier,
                  std::vector<RankProc>& procs) {
  const int ranks = static_cast<int>(procs.size());
  const bool checkpoints = opts.spmd_checkpoint != nullptr;
  for (int r = 0; r < ranks; ++r) {
    const platform::Node& node = opts.slots[r % opts.slots.size()];
    KRG_ASSIGN_OR_RETURN(
        platform::Child child,
        platform.SpawnWorker(node, platform::ChannelKind::kPipes,
                             [&w, r, ranks, base, &layout, &barrier,
                              checkpoints](platform::Channel& channel) {
                               return RankWorkerMain(w, r, ranks, base, layout,
                                                     barrier, channel,
                                                     checkpoints);
                             }));
    procs[r].pid = child.pid;
    procs[r].channel = std::move(child.channel);
    procs[r].alive = true;
    if (opts.on_worker_start) opts.on_worker_start(child.pid);
  }
  return Status::Ok();
}

// Waits until every rank reported, serving checkpoints and progress notes
// meanwhile. Returns the first failure (a rank's, a death, a checkpoint's),
// or kCancelled.
Status WaitForReports(std::vector<RankProc>& procs, SnapshotService& snapshots,
                      NoteTicker& notes, const ExecOptions& opts,
                      ExecReport* report) {
  Status first_error;
  int reported = 0;
  std::vector<platform::Channel*> waiting(procs.size());
  platform::ChannelPoller poller(kReportChunk);
  while (reported < static_cast<int>(procs.size()) && first_error.ok()) {
    notes.Tick();
    if (Cancelled(opts)) return Status::Cancelled("interrupted");
    for (std::size_t i = 0; i < procs.size(); ++i) {
      waiting[i] = procs[i].done ? nullptr : &procs[i].channel;
    }
    first_error = poller.Wait(waiting, 20);
    for (const platform::ChannelEvent& e : poller.events()) {
      RankProc& p = procs[e.index];
      Status s = e.closed ? RankDied(e.index, p, report)
                          : TakeReport(e.index, p, &reported);
      if (first_error.ok()) first_error = s;
    }
    if (first_error.ok()) {
      Status s = snapshots.Poll();
      if (!s.ok()) first_error = s.WithContext("checkpoint");
    }
  }
  return first_error;
}

}  // namespace

Result<ExecReport> RunSpmdProcs(platform::Platform& platform, SpmdWorkload& w,
                                const ExecOptions& opts) {
  if (opts.slots.empty()) return Status::InvalidArgument("no worker slots");
  const int ranks = w.RanksFor(static_cast<int>(opts.slots.size()));
  ExecReport report;
  if (int stale = platform::ReapStaleIpc(); stale > 0) {
    report.events.push_back("removed " + std::to_string(stale) +
                            " semaphore set(s) left by a killed run");
  }
  const ArenaLayout layout = ArenaLayout::For(w, ranks);
  KRG_ASSIGN_OR_RETURN(
      platform::SharedArena arena,
      platform::SharedArena::Create(layout.total, opts.ipc_key));
  char* base = static_cast<char*>(arena.data());
  new (base) Control;
  KRG_RETURN_IF_ERROR(w.Setup(base + layout.work, ranks));
  SnapshotService snapshots(opts.spmd_checkpoint, base, layout);
  KRG_RETURN_IF_ERROR(snapshots.Restore());
  if (snapshots.restored() > 0) {
    report.events.push_back("resumed from checkpoint set " +
                            std::to_string(snapshots.restored()));
  }
  KRG_ASSIGN_OR_RETURN(platform::SemBarrier barrier,
                       platform::SemBarrier::Create(
                           ranks, opts.ipc_key != 0 ? opts.ipc_key + 1 : 0));
  if (opts.on_ipc_created) opts.on_ipc_created(arena.id(), barrier.id());

  std::vector<RankProc> procs(static_cast<std::size_t>(ranks));
  struct Stop {  // every exit path: no rank outlives the pass
    std::vector<RankProc>& p;
    ~Stop() { StopRanks(p); }
  } stop{procs};
  KRG_RETURN_IF_ERROR(
      SpawnRanks(platform, w, opts, base, layout, barrier, procs));
  for (std::string& line : platform.ConfirmPlacement(3000)) {
    report.events.push_back(std::move(line));
  }
  std::vector<pid_t> pids;
  for (const RankProc& p : procs) pids.push_back(p.pid);
  report.worker_nodes = NodesOf(platform, pids);

  NoteTicker notes(w, opts, base + layout.work);
  if (Status first_error =
          WaitForReports(procs, snapshots, notes, opts, &report);
      !first_error.ok()) {
    barrier.Remove();  // ranks waiting at a barrier give up at once
    StopRanks(procs);
    // Ctrl-C reaches the ranks too (one process group): their deaths are
    // the interrupt's doing, not a failure.
    if (Cancelled(opts)) return Status::Cancelled("interrupted");
    return first_error;
  }
  KRG_RETURN_IF_ERROR(ReapReported(procs));
  KRG_RETURN_IF_ERROR(w.Finish(base + layout.work, ranks));
  report.units = static_cast<std::size_t>(ranks);
  if (snapshots.saved() > 0) {
    report.events.push_back(std::to_string(snapshots.saved()) +
                            " checkpoint(s) written");
  }
  return report;
}

}  // namespace krg::internal
