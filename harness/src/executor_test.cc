#include "krg/executor.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "krg/checksum.h"
#include "krg/platform.h"
#include "krg/runner.h"

namespace krg {
namespace {

// Unit i's result is i*i as text, padded with `pad` bytes; units listed in
// `crash_always` kill their worker every time, `crash_once` the first time
// (a marker file makes "the first time" visible across processes).
class SquaresFarm : public FarmWorkload {
 public:
  explicit SquaresFarm(std::size_t n, std::size_t pad = 0)
      : n_(n), pad_(pad), got_(n) {}

  std::size_t unit_count() const override { return n_; }
  WorkAmount work() const override { return {double(n_), "unit/s"}; }
  Status RunUnit(std::size_t i, std::string* out) const override {
    // SIGABRT, not SIGSEGV: AddressSanitizer turns a SEGV into exit code 1,
    // and the asan preset runs these tests too.
    if (i == crash_always) ::raise(SIGABRT);
    if (i == crash_once && !marker.empty()) {
      int fd = ::open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
      if (fd >= 0) ::raise(SIGKILL);  // first attempt only
    }
    if (i == fail_unit) return Status::Internal("unit says no");
    *out = std::to_string(i * i) + std::string(pad_, 'x');
    return Status::Ok();
  }
  void BeginPass() override { got_.assign(n_, ""); }
  Status Merge(std::size_t i, std::string_view bytes) override {
    if (!got_[i].empty()) return Status::Internal("merged twice");
    got_[i] = std::string(bytes);
    return Status::Ok();
  }
  Verification Verify() override {
    Verification v;
    std::uint64_t h = kFnvOffset;
    for (std::size_t i = 0; i < n_; ++i) {
      if (got_[i] != std::to_string(i * i) + std::string(pad_, 'x')) {
        v.detail = "unit " + std::to_string(i) + " wrong";
        return v;
      }
      h = Fnv1a64(got_[i].data(), got_[i].size(), h);
    }
    v.ok = true;
    v.checksum = ChecksumString(h);
    return v;
  }
  Status WriteArtifacts(const std::filesystem::path&) override {
    return Status::Ok();
  }

  std::size_t crash_always = SIZE_MAX;
  std::size_t crash_once = SIZE_MAX;
  std::size_t fail_unit = SIZE_MAX;
  std::string marker;

 private:
  std::size_t n_, pad_;
  std::vector<std::string> got_;
};

class ExecutorTest : public ::testing::Test {
 protected:
  ExecOptions Slots(int n) {
    auto layout = platform_->Partition(n);
    EXPECT_TRUE(layout.ok());
    ExecOptions o;
    o.slots = layout->nodes;
    o.threads = n;
    return o;
  }
  std::unique_ptr<platform::Platform> platform_ = platform::MakeLinuxPlatform();
};

TEST_F(ExecutorTest, ThreadsRunEveryUnitOnce) {
  SquaresFarm w(200);
  auto r = MakeThreadExecutor()->RunFarm(w, Slots(3));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->units, 200u);
  EXPECT_TRUE(w.Verify().ok);
}

TEST_F(ExecutorTest, ProcsGiveTheSameAnswerAsThreads) {
  SquaresFarm a(300, 5000), b(300, 5000);
  ASSERT_TRUE(MakeThreadExecutor()->RunFarm(a, Slots(2)).ok());
  auto r = MakeProcessExecutor(*platform_)->RunFarm(b, Slots(3));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->worker_restarts, 0);
  EXPECT_EQ(a.Verify().checksum, b.Verify().checksum);
  EXPECT_TRUE(b.Verify().ok);
}

TEST_F(ExecutorTest, EveryUnitIsReportedDoneOnceWithItsNodeAndBytes) {
  for (bool procs : {false, true}) {
    SquaresFarm w(120, 100);
    ExecOptions o = Slots(2);
    std::set<int> node_ids;
    for (const auto& n : o.slots) node_ids.insert(n.id);
    std::vector<int> seen(120, 0);
    o.on_unit_done = [&](std::size_t unit, int node, std::string_view bytes) {
      ASSERT_LT(unit, seen.size());
      ++seen[unit];
      EXPECT_TRUE(node_ids.count(node)) << "node " << node;
      EXPECT_GE(bytes.size(), 100u);
    };
    auto r = procs ? MakeProcessExecutor(*platform_)->RunFarm(w, o)
                   : MakeThreadExecutor()->RunFarm(w, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (int count : seen) EXPECT_EQ(count, 1) << (procs ? "procs" : "threads");
  }
}

TEST_F(ExecutorTest, ProcsCarryLargeResults) {
  SquaresFarm w(20, 3 << 20);  // 3 MiB per unit: many reads per message
  auto r = MakeProcessExecutor(*platform_)->RunFarm(w, Slots(2));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(w.Verify().ok);
}

TEST_F(ExecutorTest, WorkerKilledMidRunIsReplacedAndUnitsRequeued) {
  SquaresFarm w(100);
  w.crash_once = 37;
  w.marker =
      ::testing::TempDir() + "/krg_crash_once_" + std::to_string(::getpid());
  std::filesystem::remove(w.marker);
  auto r = MakeProcessExecutor(*platform_)->RunFarm(w, Slots(2));
  std::filesystem::remove(w.marker);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->worker_restarts, 1);
  ASSERT_EQ(r->events.size(), 1u);
  EXPECT_NE(r->events[0].find("signal 9"), std::string::npos) << r->events[0];
  EXPECT_TRUE(w.Verify().ok);
}

TEST_F(ExecutorTest, WorkerKilledFromOutsideIsReplaced) {
  SquaresFarm w(400, 20000);
  ExecOptions o = Slots(2);
  std::vector<pid_t> pids;
  bool killed = false;
  o.on_worker_start = [&](pid_t pid) { pids.push_back(pid); };
  o.progress = [&](std::size_t done, std::size_t) {
    if (!killed && done >= 10) {
      killed = true;
      ASSERT_TRUE(platform::SendSignal(pids[0], SIGKILL).ok());
    }
  };
  auto r = MakeProcessExecutor(*platform_)->RunFarm(w, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(killed);
  EXPECT_EQ(r->worker_restarts, 1);
  EXPECT_EQ(pids.size(), 3u);  // two slots plus one replacement
  EXPECT_TRUE(w.Verify().ok);
}

TEST_F(ExecutorTest, UnitThatAlwaysCrashesFailsTheRunAfterBoundedRetries) {
  SquaresFarm w(50);
  w.crash_always = 7;
  ExecOptions o = Slots(2);
  o.max_unit_attempts = 3;
  int starts = 0;
  o.on_worker_start = [&](pid_t) { ++starts; };
  auto r = MakeProcessExecutor(*platform_)->RunFarm(w, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInternal);
  EXPECT_NE(r.status().message().find("unit 7 crashed its worker 3 times"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("killed by signal 6 (Aborted)"),
            std::string::npos)
      << r.status().message();
  EXPECT_LE(starts, 2 + 3);
}

// Regression: the unit queued behind a poisonous one on the same worker was
// charged for its crashes too, and could be blamed for them.
TEST_F(ExecutorTest, OnlyTheUnitBeingComputedIsBlamedForACrash) {
  for (int repeat = 0; repeat < 20; ++repeat) {
    SquaresFarm w(50);
    w.crash_always = 7;
    ExecOptions o = Slots(1);  // one worker: unit 8 always queued behind 7
    auto r = MakeProcessExecutor(*platform_)->RunFarm(w, o);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("unit 7 crashed"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(ExecutorTest, UnitErrorFailsTheRunWithItsMessage) {
  for (Engine e : {Engine::kThreads, Engine::kProcs}) {
    SquaresFarm w(30);
    w.fail_unit = 12;
    auto ex = e == Engine::kThreads ? MakeThreadExecutor()
                                    : MakeProcessExecutor(*platform_);
    auto r = ex->RunFarm(w, Slots(2));
    ASSERT_FALSE(r.ok()) << EngineName(e);
    EXPECT_NE(r.status().message().find("unit says no"), std::string::npos);
    EXPECT_NE(r.status().message().find("unit 12"), std::string::npos);
  }
}

TEST_F(ExecutorTest, CancelStopsBothEngines) {
  for (Engine e : {Engine::kThreads, Engine::kProcs}) {
    SquaresFarm w(100000);
    std::atomic<bool> cancel{false};
    ExecOptions o = Slots(2);
    o.cancel = &cancel;
    o.progress = [&](std::size_t done, std::size_t) {
      if (done > 100) cancel = true;
    };
    auto ex = e == Engine::kThreads ? MakeThreadExecutor()
                                    : MakeProcessExecutor(*platform_);
    auto r = ex->RunFarm(w, o);
    ASSERT_FALSE(r.ok()) << EngineName(e);
    EXPECT_EQ(r.status().code(), Status::Code::kCancelled);
  }
}

TEST_F(ExecutorTest, MeasureRepeatsAndVerifiesEveryPass) {
  SquaresFarm w(64);
  RunSpec spec;
  spec.engine = Engine::kProcs;
  spec.nodes = 3;
  spec.repeat.fixed = 4;
  auto m = Measure(*platform_, w, spec);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->samples_s.size(), 4u);
  EXPECT_EQ(m->workers, 3);
  EXPECT_TRUE(m->verification.ok);
  EXPECT_EQ(m->summary.count, 4);
}

// Each unit answers with the pid that ran it.
class PidFarm : public SquaresFarm {
 public:
  explicit PidFarm(std::size_t n) : SquaresFarm(n), pids_(n) {}
  bool fresh_process_per_unit() const override { return true; }
  Status RunUnit(std::size_t, std::string* out) const override {
    *out = std::to_string(::getpid());
    return Status::Ok();
  }
  Status Merge(std::size_t i, std::string_view bytes) override {
    pids_[i] = std::string(bytes);
    return Status::Ok();
  }
  std::vector<std::string> pids_;
};

TEST_F(ExecutorTest, FreshProcessPerUnitRunsEveryUnitInItsOwnProcess) {
  PidFarm w(25);
  ExecOptions o = Slots(2);
  int starts = 0;
  o.on_worker_start = [&](pid_t) { ++starts; };
  auto r = MakeProcessExecutor(*platform_)->RunFarm(w, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->worker_restarts, 0);
  std::set<std::string> distinct(w.pids_.begin(), w.pids_.end());
  EXPECT_EQ(distinct.size(), 25u);
  EXPECT_FALSE(distinct.count(""));
  EXPECT_GE(starts, 25);
  EXPECT_LE(starts, 25 + 2);
}

// Measure() runs every engine of the table, mpi included: it reaches the
// mpi engine, which says why it cannot run here instead of Measure()
// refusing it. (Runs under mpirun are in tests/mpi_test.cc.)
TEST_F(ExecutorTest, MeasureDispatchesTheMpiEngineToo) {
  SquaresFarm w(8);
  RunSpec spec;
  spec.id = {"squares", "test", {}};
  spec.engine = Engine::kMpi;
  spec.repeat.fixed = 1;
  const char* saved = std::getenv("KRGDEMO_MPIRUN");
  const std::string old = saved != nullptr ? saved : "";
  ::setenv("KRGDEMO_MPIRUN", "/nonexistent/mpirun", 1);
  auto m = Measure(*platform_, w, spec);
  if (saved != nullptr) {
    ::setenv("KRGDEMO_MPIRUN", old.c_str(), 1);
  } else {
    ::unsetenv("KRGDEMO_MPIRUN");
  }
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(m.status().message().find("the mpi engine is unavailable"),
            std::string::npos)
      << m.status().message();
}

TEST(EngineTest, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*ParseEngine("threads"), Engine::kThreads);
  EXPECT_EQ(*ParseEngine("procs"), Engine::kProcs);
  EXPECT_EQ(*ParseEngine("mpi"), Engine::kMpi);
  EXPECT_EQ(EngineName(Engine::kMpi), "mpi");
  EXPECT_FALSE(ParseEngine("openmp").ok());
}

}  // namespace
}  // namespace krg
