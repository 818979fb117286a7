// The mpi engine (issue 9) as a user runs it, on this machine with several
// ranks (mpirun --oversubscribe): the same checksums as procs, the engine in
// result files of run, scale and bench, `selftest --engine mpi`, a rank
// killed mid-run failing the run with one line and no process left, Ctrl-C,
// and clear errors when the engine is unavailable. Runs the real binary
// (KRGDEMO_BIN).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test_support::FreshTempDir;
using test_support::Ran;
using test_support::RunKrgdemo;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A usage error: exit 2 and exactly one line, "krgdemo: error: ...".
void ExpectUsageError(const std::vector<std::string>& args,
                      const std::string& needle,
                      const std::vector<std::string>& env = {}) {
  Ran r = RunKrgdemo(args, env);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("krgdemo: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(MpiTest, UnavailableEngineAndMisusedHostfileAreUsageErrors) {
  ExpectUsageError({"run", "mandelbrot", "--engine", "mpi"},
                   "the mpi engine is unavailable",
                   {"KRGDEMO_MPIRUN=/nonexistent/mpirun"});
  ExpectUsageError({"scale", "mandelbrot", "--engine", "mpi"},
                   "the mpi engine is unavailable",
                   {"KRGDEMO_MPIRUN=/nonexistent/mpirun"});
  ExpectUsageError({"selftest", "--engine", "mpi"},
                   "the mpi engine is unavailable",
                   {"KRGDEMO_MPIRUN=/nonexistent/mpirun"});
  ExpectUsageError({"run", "mandelbrot", "--hostfile", "/etc/hostname"},
                   "--hostfile applies to the mpi engine");
#ifdef KRG_HAVE_MPI
  ExpectUsageError({"run", "mandelbrot", "--engine", "mpi", "--threads", "2"},
                   "--threads applies to the threads engine");
  ExpectUsageError(
      {"run", "mandelbrot", "--engine", "mpi", "--hostfile", "/nonexistent"},
      "--hostfile /nonexistent: cannot read it");
  ExpectUsageError({"run", "poisson", "--engine", "mpi", "--nodes", "2",
                    "--checkpoint-every", "1"},
                   "--checkpoint-every does not apply to the mpi engine");
#endif
}

#ifdef KRG_HAVE_MPI

// Runs DEMO at size test on `engine` with 2 nodes; returns its run record.
json RunRecordOf(const std::string& demo, const std::string& engine,
                 const fs::path& out) {
  Ran r = RunKrgdemo({"run", demo, "--size", "test", "--engine", engine,
                      "--nodes", "2", "--repeat", "1", "--out", out.string()});
  EXPECT_EQ(r.code, 0) << demo << " " << engine << "\n" << r.err;
  json file = json::parse(ReadFile(out / "run.json"), nullptr, false);
  if (!file.is_object() || file["runs"].empty()) return json::object();
  return file["runs"][0];
}

TEST(MpiTest, FarmDemosGiveTheSameChecksumsAsProcs) {
  const fs::path dir = FreshTempDir("mpi", "checksums");
  for (const char* demo : {"mandelbrot", "imgpipe", "framepipe"}) {
    const json procs = RunRecordOf(demo, "procs", dir / demo / "procs");
    const json mpi = RunRecordOf(demo, "mpi", dir / demo / "mpi");
    EXPECT_EQ(mpi.value("engine", ""), "mpi") << demo;
    EXPECT_EQ(mpi.value("nodes", 0), 2) << demo;
    EXPECT_TRUE(mpi.value("verified", false)) << demo;
    EXPECT_EQ(mpi.value("checksum", "mpi"), procs.value("checksum", "procs"))
        << demo;
  }
  // Rank 0 wrote the artifacts into the results folder.
  EXPECT_TRUE(fs::exists(dir / "mandelbrot" / "mpi" / "mandelbrot.png"));
  fs::remove_all(dir);
}

// Issue 9: poisson's CG on MPI ranks (halo exchange, gathered per-line
// partial sums) gives the bits and the iteration count of threads and
// procs, for 1, 2 and 3 ranks, in 2-D and 3-D.
TEST(MpiTest, PoissonGivesTheSameAnswerAndIterationsOnEveryEngine) {
  const fs::path dir = FreshTempDir("mpi", "poisson");
  for (const char* dim : {"2", "3"}) {
    std::string want_checksum;
    double want_iterations = -1;
    for (const char* engine : {"threads", "procs", "mpi"}) {
      for (const char* nodes : {"1", "2", "3"}) {
        const fs::path out = dir / (std::string(dim) + engine + nodes);
        std::vector<std::string> args = {
            "run",      "poisson",   "--size",
            "test",     "--param",   std::string("dim=") + dim,
            "--engine", engine,      "--nodes",
            nodes,      "--repeat",  "1",
            "--out",    out.string()};
        // threads: one rank per thread (by default, every CPU).
        if (std::string(engine) == "threads") {
          args.insert(args.end(), {"--threads", nodes});
        }
        Ran r = RunKrgdemo(args);
        const std::string what =
            std::string("dim ") + dim + " " + engine + " x" + nodes;
        ASSERT_EQ(r.code, 0) << what << "\n" << r.err;
        json file = json::parse(ReadFile(out / "run.json"));
        const json& run = file["runs"][0];
        EXPECT_EQ(run["engine"], engine) << what;
        EXPECT_TRUE(run["verified"].get<bool>()) << what;
        const double iterations =
            file["metrics"]["iterations"]["value"].get<double>();
        EXPECT_EQ(file["metrics"]["ranks"]["value"].get<double>(),
                  std::stod(nodes))
            << what;
        EXPECT_GT(run["throughput"]["value"].get<double>(), 0) << what;
        if (want_checksum.empty()) {
          want_checksum = run["checksum"];
          want_iterations = iterations;
        }
        EXPECT_EQ(run["checksum"], want_checksum) << what;
        EXPECT_EQ(iterations, want_iterations) << what;
      }
    }
  }
  fs::remove_all(dir);
}

TEST(MpiTest, ScaleAndBenchRecordTheEngine) {
  const fs::path dir = FreshTempDir("mpi", "scale");
  Ran r = RunKrgdemo({"scale", "mandelbrot", "--size", "test", "--engine",
                      "mpi", "--nodes", "1,2", "--repeat", "1", "--out",
                      (dir / "scale").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  json file = json::parse(ReadFile(dir / "scale" / "run.json"));
  ASSERT_EQ(file["runs"].size(), 2u);
  for (const json& run : file["runs"]) EXPECT_EQ(run["engine"], "mpi");
  EXPECT_EQ(file["runs"][0]["checksum"], file["runs"][1]["checksum"]);

  fs::create_directories(dir);
  std::ofstream(dir / "suite.json") << R"({"schema": "krgdemo.suite/1",
    "description": "mpi", "repeat": {"warmups": 0},
    "runs": [{"demo": "mandelbrot", "size": "test", "engine": "mpi",
              "nodes": [2], "repeat": 1},
             {"demo": "poisson", "size": "test", "engine": "mpi",
              "nodes": [2], "repeat": 1}]})";
  r = RunKrgdemo({"bench", "--suite", (dir / "suite.json").string(), "--label",
                  "mpi", "--out", (dir / "bench.json").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  file = json::parse(ReadFile(dir / "bench.json"));
  ASSERT_EQ(file["runs"].size(), 2u);
  for (const json& run : file["runs"]) {
    EXPECT_EQ(run["engine"], "mpi") << run["demo"];
    EXPECT_TRUE(run["verified"].get<bool>()) << run["demo"];
    EXPECT_GT(run["throughput"]["value"].get<double>(), 0) << run["demo"];
  }
  fs::remove_all(dir);
}

// `selftest --engine mpi` runs every demo the engine takes through
// Measure() (which starts the job), verified; the others are skipped with
// a line saying so, and the closing line counts them apart.
TEST(MpiTest, SelftestOnMpiPassesEveryDemoItRuns) {
  const Ran list = RunKrgdemo({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  const int demos =
      static_cast<int>(std::count(list.out.begin(), list.out.end(), '\n')) - 1;
  Ran r = RunKrgdemo({"selftest", "--engine", "mpi", "--nodes", "2"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("mpi engine, 2 nodes"), std::string::npos) << r.out;
  int ok = 0, skipped = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    ok += line.rfind("  ok    ", 0) == 0;
    if (line.rfind("  skip  ", 0) == 0) {
      ++skipped;
      EXPECT_NE(line.find("does not run on the mpi engine"), std::string::npos)
          << line;
    }
  }
  EXPECT_GE(ok, 3) << r.out;  // mandelbrot, poisson, imgpipe at least
  EXPECT_EQ(ok + skipped, demos) << r.out;
  EXPECT_NE(r.out.find("krgdemo selftest: " + std::to_string(ok) +
                       " passed, 0 failed"),
            std::string::npos)
      << r.out;
}

// krgdemo started in the background, its output in files.
struct Background {
  pid_t pid = -1;
  fs::path err;
};

// In its own process group, as a shell runs a foreground job.
Background Start(const std::vector<std::string>& args, const fs::path& dir) {
  fs::create_directories(dir);
  Background b;
  b.err = dir / "stderr";
  std::vector<std::string> all = {KRGDEMO_BIN};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, b.err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  EXPECT_EQ(
      ::posix_spawn(&b.pid, KRGDEMO_BIN, &fa, &attr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return b;
}

// Pids of the ranks whose command line mentions `tag`, by MPI rank.
std::map<int, pid_t> Ranks(const std::string& tag) {
  std::map<int, pid_t> ranks;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmd = ReadFile(e.path() / "cmdline");
    if (cmd.find("__mpi-rank") == std::string::npos ||
        cmd.find(tag) == std::string::npos) {
      continue;
    }
    std::string env = ReadFile(e.path() / "environ");
    const auto at = env.find("OMPI_COMM_WORLD_RANK=");
    if (at == std::string::npos) continue;
    ranks[std::atoi(env.c_str() + at + 21)] = std::stoi(name);
  }
  return ranks;
}

// Waits (bounded) until `count` ranks tagged `tag` run and rank 0 reports
// progress, i.e. the job is mid-run.
std::map<int, pid_t> WaitForRanks(const std::string& tag, std::size_t count) {
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::map<int, pid_t> ranks;
  while (Clock::now() < deadline) {
    ranks = Ranks(tag);
    if (ranks.size() == count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return ranks;
}

// Waits for the launcher to exit, at most 60 s (then kills it: a hang).
int WaitExit(pid_t pid) {
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "krgdemo hung";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Nothing the launcher started is left: as subreaper, this process would
// have inherited any rank or mpirun that outlived it.
void ExpectNoOrphan(const std::string& tag) {
  int status = 0;
  EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_TRUE(Ranks(tag).empty());
}

// A failed job keeps mpirun's output for the user and names it in the
// error; the test removes that folder.
void RemoveJobDir(const std::string& err) {
  const std::string key = "(mpirun's output: ";
  const auto at = err.find(key);
  if (at == std::string::npos) return;
  const auto end = err.find("/mpirun.log)", at);
  if (end == std::string::npos) return;
  const fs::path dir = err.substr(at + key.size(), end - at - key.size());
  if (dir.filename().string().rfind("krgdemo-mpi-", 0) == 0) {
    fs::remove_all(dir);
  }
}

TEST(MpiTest, AKilledRankFailsTheRunWithOneLineAndNoOrphan) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const fs::path dir = FreshTempDir("mpi", "killed");
  Background b = Start(
      {"run", "mandelbrot", "--size", "medium", "--engine", "mpi", "--nodes",
       "2", "--repeat", "500", "--out", (dir / "out").string()},
      dir);
  std::map<int, pid_t> ranks = WaitForRanks(dir.string(), 3);
  ASSERT_EQ(ranks.size(), 3u) << ReadFile(b.err);
  ASSERT_EQ(::kill(ranks[1], SIGKILL), 0);
  EXPECT_EQ(WaitExit(b.pid), 1);
  const std::string err = test_support::DropBusyWarning(ReadFile(b.err));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("krgdemo: error: ", 0), 0u) << err;
  EXPECT_NE(err.find("rank 1 on node"), std::string::npos) << err;
  EXPECT_NE(err.find("killed by signal 9"), std::string::npos) << err;
  ExpectNoOrphan(dir.string());
  RemoveJobDir(err);
  fs::remove_all(dir);
}

// An SPMD rank killed mid-solve: the others are inside collectives waiting
// for it; mpirun must end them all, and the run fail with one line.
TEST(MpiTest, AKilledPoissonRankFailsTheRunWithOneLineAndNoOrphan) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const fs::path dir = FreshTempDir("mpi", "killed_poisson");
  Background b =
      Start({"run", "poisson", "--size", "small", "--engine", "mpi", "--nodes",
             "2", "--repeat", "500", "--out", (dir / "out").string()},
            dir);
  std::map<int, pid_t> ranks = WaitForRanks(dir.string(), 3);
  ASSERT_EQ(ranks.size(), 3u) << ReadFile(b.err);
  ASSERT_EQ(::kill(ranks[2], SIGKILL), 0);
  EXPECT_EQ(WaitExit(b.pid), 1);
  const std::string err = test_support::DropBusyWarning(ReadFile(b.err));
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(err.rfind("krgdemo: error: poisson: ", 0), 0u) << err;
  EXPECT_NE(err.find("rank 2 on node"), std::string::npos) << err;
  EXPECT_NE(err.find("killed by signal 9"), std::string::npos) << err;
  ExpectNoOrphan(dir.string());
  RemoveJobDir(err);
  fs::remove_all(dir);
}

// `group`: Ctrl-C on a terminal, which reaches the launcher and mpirun (the
// ranks have process groups of their own); otherwise the launcher alone.
void ExpectInterruptEndsTheJob(bool group) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const fs::path dir = FreshTempDir("mpi", group ? "ctrl_c" : "sigint");
  Background b = Start(
      {"run", "mandelbrot", "--size", "medium", "--engine", "mpi", "--nodes",
       "2", "--repeat", "500", "--out", (dir / "out").string()},
      dir);
  ASSERT_EQ(WaitForRanks(dir.string(), 3).size(), 3u) << ReadFile(b.err);
  ASSERT_EQ(::kill(group ? -b.pid : b.pid, SIGINT), 0);
  EXPECT_EQ(WaitExit(b.pid), 130) << ReadFile(b.err);
  const std::string err = test_support::DropBusyWarning(ReadFile(b.err));
  EXPECT_NE(err.find("krgdemo: interrupted"), std::string::npos) << err;
  ExpectNoOrphan(dir.string());
  EXPECT_FALSE(fs::exists(dir / "out" / "run.json"));
  fs::remove_all(dir);
}

TEST(MpiTest, InterruptEndsTheJobAndExits130) {
  ExpectInterruptEndsTheJob(/*group=*/false);
}

TEST(MpiTest, CtrlCOnATerminalEndsTheJobAndExits130) {
  ExpectInterruptEndsTheJob(/*group=*/true);
}

#endif  // KRG_HAVE_MPI

}  // namespace
}  // namespace krg
