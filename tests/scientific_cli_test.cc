// linsolve and memtiers (issue 4) as a user runs them: bad --param values
// are usage errors (exit 2, one line), and a run verifies with the same
// checksum on both engines and writes its artifacts.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"
#include "krg/results.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;

using test_support::ExpectUsageError;
using test_support::Ran;
using test_support::RunKrgdemo;

TEST(ScientificCliTest, BadLinsolveParamsAreUsageErrors) {
  for (const char* bad : {"n=0", "n=-1", "n=abc", "n=20001", "n=", "systems=0",
                          "systems=x", "seed=-1"}) {
    ExpectUsageError({"run", "linsolve", "--size", "test", "--param", bad},
                     std::string("--param ") + bad);
  }
  ExpectUsageError({"run", "linsolve", "--param", "order=5"},
                   "unknown --param 'order'");
}

TEST(ScientificCliTest, BadMemtiersParamsAreUsageErrors) {
  for (const char* bad :
       {"max=abc", "max=-1", "max=12Q", "min=1K", "points=0", "points=9"}) {
    ExpectUsageError({"run", "memtiers", "--size", "test", "--param", bad},
                     std::string("--param ") + bad);
  }
  ExpectUsageError({"run", "memtiers", "--param", "max=100T"},
                   "more than this system can hold");
  ExpectUsageError(
      {"run", "memtiers", "--param", "max=8K", "--param", "min=64K"},
      "is below min=64 KiB");
}

TEST(ScientificCliTest, LinsolveVerifiesWithOneChecksumOnBothEngines) {
  const fs::path dir = test_support::FreshTempDir("sci", "linsolve");
  std::string checksum;
  for (const char* engine : {"threads", "procs"}) {
    Ran r = RunKrgdemo({"run", "linsolve", "--size", "test", "--repeat", "1",
                        "--nodes", "2", "--engine", engine, "--out",
                        (dir / engine).string()});
    ASSERT_EQ(r.code, 0) << r.err;
    auto file = ReadResultFile(dir / engine / "run.json");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    const RunRecord& run = file->runs.at(0);
    EXPECT_TRUE(run.verified);
    EXPECT_EQ(run.throughput_unit, "GFLOP/s");
    EXPECT_GT(run.throughput, 0);
    if (checksum.empty()) checksum = run.checksum;
    EXPECT_EQ(run.checksum, checksum) << engine;
    EXPECT_TRUE(fs::exists(dir / engine / "linsolve.csv"));
  }
  fs::remove_all(dir);
}

TEST(ScientificCliTest, MemtiersVerifiesAndCharts) {
  const fs::path dir = test_support::FreshTempDir("sci", "memtiers");
  Ran r = RunKrgdemo({"run", "memtiers", "--size", "test", "--param", "max=1M",
                      "--repeat", "1", "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("triad and chase checksums as expected"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(fs::exists(dir / "memtiers.csv"));
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_TRUE(fs::exists(dir / "memtiers.png")) << r.err;
  }
  fs::remove_all(dir);
}

// On the Kerrighed test double (tests/kerrighed), with 16 MB nodes: the
// sweep goes past the home node's RAM (to 20 MB) with USE_REMOTE_MEMORY and
// verifies, but the double's free memory never moves, so the verdict is
// honestly "NOT shown" (exit 1), naming the memory that did not leave.
TEST(ScientificCliTest, RemoteMemoryOnTheDoubleRunsMemtiersPastTheNodesRam) {
  const fs::path root = test_support::FreshTempDir("sci", "double");
  auto made = platform::RunCommand(
      {KRG_DOUBLE_DIR "/make-sysroot", root.string(), "--mem-mb", "16"});
  ASSERT_TRUE(made.ok());
  ASSERT_EQ(made->exit.code, 0) << made->err;
  Ran r = RunKrgdemo(
      {"show", "remote-memory", "--pace", "fast", "--size", "test"},
      {"KRGDEMO_SYSROOT=" + root.string(),
       std::string("PATH=" KRG_DOUBLE_DIR "/bin:") + std::getenv("PATH")});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("memtiers runs on node 2 (16 MB of RAM) with "
                       "USE_REMOTE_MEMORY, and grows its working set to 20MB"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("triad and chase checksums as expected"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("verdict: NOT shown: no other node's free memory went "
                       "down"),
            std::string::npos)
      << r.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace krg
