// The SPMD shape on both engines: ranks, barriers, the shared arena, and no
// System V object left behind on any exit path.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "krg/checkpoint.h"
#include "krg/executor.h"
#include "krg/platform.h"
#include "krg/shared_arena.h"

namespace krg {
namespace {

// Each of `rounds` rounds: every rank adds (round+1)*(rank+1) into its own
// slot, meets the others, then checks every slot; a barrier per step, so a
// broken barrier shows up as a wrong sum. `fail_rank` returns an error,
// `kill_rank` SIGKILLs itself, in round 2.
class SumWorkload final : public SpmdWorkload {
 public:
  int rounds = 50;
  int fail_rank = -1;
  int kill_rank = -1;
  bool hang_rank0 = false;  // rank 0 waits at a barrier forever (cancel)

  std::size_t ArenaBytes(int ranks) const override {
    return sizeof(long) * (ranks + 1);
  }
  std::size_t SnapshotBytes(int, int) const override { return 0; }
  Status Setup(void* arena, int ranks) override {
    std::memset(arena, 0, ArenaBytes(ranks));
    return Status::Ok();
  }
  Status RunRank(SpmdRank& rank) const override {
    long* slot = static_cast<long*>(rank.arena());
    const int me = rank.rank(), n = rank.ranks();
    for (int round = 0; round < rounds; ++round) {
      if (round == 2 && me == fail_rank) return Status::Internal("rank failed");
      if (round == 2 && me == kill_rank) ::raise(SIGKILL);
      slot[me] += long(round + 1) * (me + 1);
      KRG_RETURN_IF_ERROR(rank.Barrier());
      long expect = 0;
      for (int r = 0; r < n; ++r) {
        if (slot[r] != long(round + 1) * (round + 2) / 2 * (r + 1)) {
          return Status::Internal("rank " + std::to_string(me) +
                                  " saw a torn round " + std::to_string(round));
        }
        expect += slot[r];
      }
      KRG_RETURN_IF_ERROR(rank.Barrier());
      if (me == 0) slot[n] = expect;
      KRG_RETURN_IF_ERROR(rank.Barrier());
      if (slot[n] != expect) return Status::Internal("total differs");
      KRG_RETURN_IF_ERROR(rank.Barrier());
    }
    if (hang_rank0 && me == 0) {
      for (;;) KRG_RETURN_IF_ERROR(rank.Barrier());  // the others have left
    }
    return Status::Ok();
  }
  Status Finish(const void* arena, int ranks) override {
    total = static_cast<const long*>(arena)[ranks];
    return Status::Ok();
  }
  WorkAmount work() const override { return {1, "pass"}; }
  Verification Verify() override { return {true, "", ""}; }
  Status WriteArtifacts(const std::filesystem::path&) override {
    return Status::Ok();
  }
  long total = 0;
};

// One checkpoint set: rank 0 fills its slab by SnapshotCopy in order (the
// executor hands its CRC to the sink), rank 1 out of order (the sink must
// compute it), then the ranks go on until the master has written the set.
class SnapWorkload final : public SpmdWorkload {
 public:
  static constexpr std::size_t kSlab = 3 * 4096 + 24;
  std::size_t ArenaBytes(int) const override { return 64; }
  std::size_t SnapshotBytes(int, int) const override { return kSlab; }
  Status Setup(void* arena, int) override {
    std::memset(arena, 0, 64);
    return Status::Ok();
  }
  static std::string Bytes(int rank) {
    std::string b(kSlab, '\0');
    for (std::size_t i = 0; i < kSlab; ++i) b[i] = char(i * 31 + rank);
    return b;
  }
  Status RunRank(SpmdRank& rank) const override {
    auto* flag = static_cast<std::atomic<int>*>(rank.arena());
    const std::string mine = Bytes(rank.rank());
    bool done = false;
    for (int round = 0; round < 250; ++round) {
      if (rank.rank() == 0 && !done && rank.SnapshotWanted()) flag->store(1);
      KRG_RETURN_IF_ERROR(rank.Barrier());
      if (flag->load() == 1 && !done) {
        const std::size_t half = kSlab / 2;
        if (rank.rank() == 1) {
          rank.SnapshotCopy(half, mine.data() + half, kSlab - half);
          rank.SnapshotCopy(0, mine.data(), half);
        } else {
          rank.SnapshotCopy(0, mine.data(), 100);
          rank.SnapshotCopy(100, mine.data() + 100, kSlab - 100);
        }
        done = true;
        KRG_RETURN_IF_ERROR(rank.Barrier());
        if (rank.rank() == 0) {
          flag->store(2);
          rank.PublishSnapshot();
        }
      }
      KRG_RETURN_IF_ERROR(rank.Barrier());
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status::Ok();
  }
  Status Finish(const void*, int) override { return Status::Ok(); }
  WorkAmount work() const override { return {1, "pass"}; }
  Verification Verify() override { return {true, "", ""}; }
  Status WriteArtifacts(const std::filesystem::path&) override {
    return Status::Ok();
  }
};

class RecordingSink final : public SpmdCheckpointSink {
 public:
  double every_s() const override { return 0.01; }
  Status Save(std::uint64_t, const std::vector<std::string_view>& slabs,
              std::string_view,
              const std::vector<std::optional<std::uint32_t>>& c) override {
    if (saved.empty()) {
      for (auto s : slabs) saved.emplace_back(s);
      crcs = c;
    }
    return Status::Ok();
  }
  Result<std::optional<SpmdSnapshot>> Load() override {
    return std::optional<SpmdSnapshot>();
  }
  std::vector<std::string> saved;
  std::vector<std::optional<std::uint32_t>> crcs;
};

long Expected(int ranks, int rounds) {
  long t = 0;
  for (int r = 0; r < ranks; ++r)
    t += long(rounds) * (rounds + 1) / 2 * (r + 1);
  return t;
}

struct Ids {
  int shm = -1, sem = -1;
};

class SpmdExecutorTest : public ::testing::Test {
 protected:
  ExecOptions Options(int ranks, Ids* ids) {
    auto layout = platform_->Partition(ranks);
    EXPECT_TRUE(layout.ok());
    ExecOptions o;
    o.threads = ranks;
    o.slots = layout->nodes;
    o.on_ipc_created = [ids](int shm, int sem) {
      ids->shm = shm;
      ids->sem = sem;
    };
    return o;
  }
  void ExpectGone(const Ids& ids) {
    ASSERT_GE(ids.shm, 0);
    ASSERT_GE(ids.sem, 0);
    EXPECT_FALSE(platform::ShmExists(ids.shm)) << "shm " << ids.shm;
    EXPECT_FALSE(platform::SemExists(ids.sem)) << "sem " << ids.sem;
  }
  std::unique_ptr<platform::Platform> platform_ = platform::MakeLinuxPlatform();
};

TEST_F(SpmdExecutorTest, ThreadsAndProcsAgreeForOneTwoThreeRanks) {
  for (int ranks = 1; ranks <= 3; ++ranks) {
    for (Engine engine : {Engine::kThreads, Engine::kProcs}) {
      SumWorkload w;
      Ids ids;
      auto ex = engine == Engine::kThreads ? MakeThreadExecutor()
                                           : MakeProcessExecutor(*platform_);
      auto r = ex->RunSpmd(w, Options(ranks, &ids));
      ASSERT_TRUE(r.ok()) << EngineName(engine) << " " << ranks << ": "
                          << r.status().ToString();
      EXPECT_EQ(w.total, Expected(ranks, w.rounds))
          << EngineName(engine) << " " << ranks;
      if (engine == Engine::kProcs) ExpectGone(ids);
    }
  }
}

TEST_F(SpmdExecutorTest, RanksChecksumSlabsTheyCopyInOrder) {
  for (Engine engine : {Engine::kThreads, Engine::kProcs}) {
    SnapWorkload w;
    RecordingSink sink;
    Ids ids;
    ExecOptions o = Options(2, &ids);
    o.spmd_checkpoint = &sink;
    auto ex = engine == Engine::kThreads ? MakeThreadExecutor()
                                         : MakeProcessExecutor(*platform_);
    auto r = ex->RunSpmd(w, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(sink.saved.size(), 2u) << EngineName(engine);
    EXPECT_EQ(sink.saved[0], SnapWorkload::Bytes(0));
    EXPECT_EQ(sink.saved[1], SnapWorkload::Bytes(1));
    ASSERT_EQ(sink.crcs.size(), 2u);
    ASSERT_TRUE(sink.crcs[0].has_value()) << EngineName(engine);
    EXPECT_EQ(*sink.crcs[0],
              Crc32c(sink.saved[0].data(), sink.saved[0].size()));
    EXPECT_FALSE(sink.crcs[1].has_value()) << EngineName(engine);
  }
}

TEST_F(SpmdExecutorTest, RankErrorFailsThePassAndRemovesIpc) {
  for (Engine engine : {Engine::kThreads, Engine::kProcs}) {
    SumWorkload w;
    w.fail_rank = 1;
    Ids ids;
    auto ex = engine == Engine::kThreads ? MakeThreadExecutor()
                                         : MakeProcessExecutor(*platform_);
    auto r = ex->RunSpmd(w, Options(3, &ids));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("rank failed"), std::string::npos)
        << r.status().ToString();
    if (engine == Engine::kProcs) ExpectGone(ids);
  }
}

TEST_F(SpmdExecutorTest, KilledWorkerFailsCleanlyAndRemovesIpc) {
  SumWorkload w;
  w.kill_rank = 2;
  w.rounds = 100000;  // the others would wait at a barrier forever
  Ids ids;
  auto ex = MakeProcessExecutor(*platform_);
  auto r = ex->RunSpmd(w, Options(3, &ids));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("rank 2"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find("signal 9"), std::string::npos)
      << r.status().ToString();
  ExpectGone(ids);
}

TEST_F(SpmdExecutorTest, CancelStopsRanksAndRemovesIpc) {
  for (Engine engine : {Engine::kThreads, Engine::kProcs}) {
    SumWorkload w;
    w.rounds = 1;
    w.hang_rank0 = true;
    std::atomic<bool> cancel{false};
    Ids ids;
    ExecOptions o = Options(2, &ids);
    o.cancel = &cancel;
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      cancel = true;
    });
    auto ex = engine == Engine::kThreads ? MakeThreadExecutor()
                                         : MakeProcessExecutor(*platform_);
    auto r = ex->RunSpmd(w, o);
    stopper.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kCancelled)
        << r.status().ToString();
    if (engine == Engine::kProcs) ExpectGone(ids);
  }
}

// 'Z' (zombie) or gone: the process no longer runs.
bool Gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.size() < paren + 3 ||
         stat[paren + 2] == 'Z' || stat[paren + 2] == 'X';
}

TEST_F(SpmdExecutorTest, RanksDieWithASigkilledMaster) {
  // The master in a child process reports its ranks' pids and the IPC ids
  // on a pipe, computes on, and is SIGKILLed: no rank may outlive it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto master = platform::ForkChild([&]() {
    ::close(fds[0]);
    SumWorkload w;
    w.rounds = 1 << 30;
    Ids ids;
    ExecOptions o = Options(3, &ids);
    auto say = [&](const std::string& line) {
      if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(1);
    };
    o.on_worker_start = [&](pid_t pid) {
      say("rank " + std::to_string(pid) + "\n");
    };
    o.on_ipc_created = [&](int shm, int sem) {
      say("ipc " + std::to_string(shm) + " " + std::to_string(sem) + "\n");
    };
    (void)MakeProcessExecutor(*platform_)->RunSpmd(w, o);
    return 1;
  });
  ASSERT_TRUE(master.ok());
  ::close(fds[1]);
  std::vector<pid_t> ranks;
  Ids ids;
  std::string text;
  char buf[256];
  while (ranks.size() < 3) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << text;
    text.append(buf, static_cast<std::size_t>(n));
    std::istringstream in(text);
    ranks.clear();
    for (std::string word; in >> word;) {
      pid_t pid = 0;
      if (word == "rank" && in >> pid) ranks.push_back(pid);
      if (word == "ipc") in >> ids.shm >> ids.sem;
    }
  }
  ::close(fds[0]);
  ASSERT_TRUE(platform::ShmExists(ids.shm));
  ASSERT_TRUE(platform::SendSignal(*master, SIGKILL).ok());
  ASSERT_TRUE(platform::Reap(*master, true).ok());
  for (pid_t pid : ranks) {
    const auto t0 = std::chrono::steady_clock::now();
    while (!Gone(pid) &&
           std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(Gone(pid)) << "rank " << pid << " outlived its master";
  }
  // The segment goes with the last rank's detach; the semaphore set, which
  // no one detaches from, with the next run's sweep of stale sets.
  const auto t0 = std::chrono::steady_clock::now();
  while (platform::ShmExists(ids.shm) &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  (void)platform::ReapStaleIpc();
  ExpectGone(ids);
}

TEST(SharedArenaTest, SemaphoreOfAKilledCreatorIsReaped) {
  const std::string file =
      ::testing::TempDir() + "/sem_id_" + std::to_string(::getpid());
  auto child = platform::ForkChild([&]() {
    auto b = platform::SemBarrier::Create(2);
    if (!b.ok()) return 1;
    if (std::FILE* f = std::fopen(file.c_str(), "w")) {
      std::fprintf(f, "%d\n", b->id());
      std::fclose(f);
    }
    ::raise(SIGKILL);  // no destructor runs: the set is left behind
    return 0;
  });
  ASSERT_TRUE(child.ok());
  (void)platform::Reap(*child, true);
  int id = -1;
  std::FILE* f = std::fopen(file.c_str(), "r");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fscanf(f, "%d", &id), 1);
  std::fclose(f);
  std::remove(file.c_str());
  // Left behind by the kill (unless a concurrent test's run reaped it
  // already, which is the reaper working too), and gone after a reap.
  (void)platform::ReapStaleIpc();
  EXPECT_FALSE(platform::SemExists(id));
}

TEST(SharedArenaTest, SegmentGoesWithTheLastDetach) {
  int id = -1;
  {
    auto a = platform::SharedArena::Create(1 << 20);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    id = a->id();
    static_cast<char*>(a->data())[12345] = 7;
    EXPECT_TRUE(platform::ShmExists(id));
  }
  EXPECT_FALSE(platform::ShmExists(id));
}

}  // namespace
}  // namespace krg
