// Issue 19: what a hostile or careless local user tries. Each test makes the
// attack and fails if it works: commands hidden in a result file reaching
// gnuplot, folders another user planted under the temp directory, JSON built
// to exhaust memory, and the smaller input checks of the same issue.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using test_support::FreshTempDir;
using test_support::Ran;
using test_support::RunKrgdemo;
using test_support::RunProgram;

// Every way out of a gnuplot string or data block, each creating `marker`.
std::vector<std::string> Payloads(const fs::path& marker) {
  const std::string touch = "touch " + marker.string();
  return {"x\nsystem(\"" + touch + "\")\n",
          "x'\nsystem('" + touch + "')\n'",
          "x\"\nEOD\nsystem(\"" + touch + "\")\n$d << EOD\n",
          "x`" + touch + "`",
          "x\rsystem(\"" + touch + "\")\r",
          "x\\'; system(\"" + touch + "\"); print '"};
}

RunRecord Run(const std::string& payload, int nodes, double median) {
  RunRecord r;
  r.demo = "mandelbrot";
  r.size = "small" + payload;
  r.params = {{"variant", payload}};
  r.engine = "procs";
  r.nodes = nodes;
  r.samples_s = {median, median * 1.01, median * 0.99};
  r.median_s = median;
  r.verified = true;
  r.checksum = "fnv1a64:0";
  return r;
}

void WriteResult(const fs::path& path, const std::string& label,
                 const std::vector<std::string>& payloads) {
  ResultFile f;
  f.label = label;
  f.created = "2026-12-02T00:00:00Z";
  for (const std::string& p : payloads) {
    for (int nodes : {1, 2}) f.runs.push_back(Run(p, nodes, 1.0 / nodes));
  }
  ASSERT_TRUE(WriteResultFile(path, f).ok());
}

TEST(SecurityTest, Issue19CompareHtmlRunsNothingFromAResultFile) {
  if (!platform::ProgramExists("gnuplot")) GTEST_SKIP() << "no gnuplot";
  const fs::path dir = FreshTempDir("SecurityTest", "CompareHtml");
  fs::create_directories(dir);
  const fs::path marker = dir / "pwned";
  const auto payloads = Payloads(marker);
  WriteResult(dir / "a.json", "A" + payloads[0], payloads);
  WriteResult(dir / "b.json", "B" + payloads[2], payloads);
  Ran r = RunKrgdemo({"compare", (dir / "a.json").string(),
                      (dir / "b.json").string(), "--format", "html", "--out",
                      (dir / "report.html").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(marker)) << "gnuplot ran a command from the file";
  std::ifstream in(dir / "report.html");
  const std::string html((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(html.find("<svg"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("gnuplot failed"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(SecurityTest, Issue19DeeplyNestedJsonIsOneErrorLineUnderAMemoryLimit) {
  if (!platform::ProgramExists("prlimit")) GTEST_SKIP() << "no prlimit";
  const fs::path dir = FreshTempDir("SecurityTest", "Nested");
  fs::create_directories(dir);
  const fs::path deep = dir / "deep.json";
  std::ofstream(deep) << std::string(8 << 20, '[');
  // 8 MiB of '[' parsed as it was took ~640 MiB: over this limit.
  const std::string limit = "--as=" + std::to_string(512LL << 20);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"compare", deep.string(), deep.string()},
        std::vector<std::string>{"bench", "--resume", deep.string()}}) {
    std::vector<std::string> argv = {"prlimit", limit, KRGDEMO_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    Ran r = RunProgram(argv);
    EXPECT_EQ(r.code, 1) << args[0] << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find("nested deeper than 64 levels"), std::string::npos)
        << r.err;
  }
  fs::remove_all(dir);
}

TEST(SecurityTest, Issue19AFolderGivenAsAResultFileIsSaidSo) {
  const fs::path dir = FreshTempDir("SecurityTest", "Folder");
  fs::create_directories(dir);
  Ran r = RunKrgdemo({"compare", dir.string(), dir.string()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("is a folder, not a file"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("malformed"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

// Runs `argv` as user nobody (setpriv), for what another user would plant.
void AsNobody(const std::vector<std::string>& argv) {
  std::vector<std::string> full = {"setpriv", "--reuid=65534", "--regid=65534",
                                   "--clear-groups"};
  full.insert(full.end(), argv.begin(), argv.end());
  Ran r = RunProgram(full);
  ASSERT_EQ(r.code, 0) << r.err;
}

// Another user pre-creates the folder of semaphore notes (a real folder of
// theirs, then a symlink to a folder of ours): a procs SPMD run must neither
// write into it nor through it, and still run and verify.
TEST(SecurityTest, Issue19PlantedIpcFolderIsNotUsed) {
  if (::getuid() != 0 || !platform::ProgramExists("setpriv")) {
    GTEST_SKIP() << "needs root and setpriv to act as another user";
  }
  const fs::path tmp = FreshTempDir("SecurityTest", "Ipc");
  fs::create_directories(tmp);
  fs::permissions(tmp, fs::perms::all | fs::perms::sticky_bit);
  const fs::path notes = tmp / ("krgdemo-ipc-" + std::to_string(::getuid()));
  const fs::path victim = tmp / "victim";
  fs::create_directories(victim);
  for (bool symlink : {false, true}) {
    fs::remove_all(notes);
    if (symlink) {
      AsNobody({"ln", "-s", victim.string(), notes.string()});
    } else {
      AsNobody({"mkdir", "-m", "0777", notes.string()});
    }
    Ran r = RunKrgdemo({"run", "poisson", "--size", "test", "--nodes", "2",
                        "--engine", "procs", "--out", (tmp / "out").string()},
                       {"TMPDIR=" + tmp.string()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::is_empty(victim)) << "wrote through the symlink";
    if (!symlink) {
      EXPECT_TRUE(fs::is_empty(notes)) << "wrote into another user's folder";
    }
  }
  fs::remove_all(tmp);
}

TEST(SecurityTest, Issue19SmallerInputChecks) {
  Ran r = RunKrgdemo({"scale", "mandelbrot", "--nodes", "1,1"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("listed twice"), std::string::npos) << r.err;
  r = RunKrgdemo({"migrate", "999999999", "0"});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("no process"), std::string::npos) << r.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"dashboard", "--bind", "999.1.1.1"},
        std::vector<std::string>{"run", "webfarm", "--bind", "999.1.1.1"},
        std::vector<std::string>{"run", "webfarm", "--param",
                                 "bind=999.1.1.1"}}) {
    r = RunKrgdemo(args);
    EXPECT_EQ(r.code, 2) << args[0] << " " << r.err;
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  }
}

// In a network namespace of its own (unshare -n: only a loopback, down), so
// that servers on 0.0.0.0 reach nothing; the run's own fate does not matter.
TEST(SecurityTest, Issue19ParamBindWarnsAsBindDoes) {
  if (::getuid() != 0 || !platform::ProgramExists("unshare")) {
    GTEST_SKIP() << "needs root for a network namespace";
  }
  const fs::path dir = FreshTempDir("SecurityTest", "ParamBind");
  for (const std::vector<std::string>& how :
       {std::vector<std::string>{"--bind", "0.0.0.0"},
        std::vector<std::string>{"--param", "bind=0.0.0.0"}}) {
    std::vector<std::string> argv = {"unshare", "-n",      KRGDEMO_BIN,
                                     "run",     "webfarm", "--size",
                                     "test",    "--out",   dir.string()};
    argv.insert(argv.end(), how.begin(), how.end());
    Ran r = RunProgram(argv);
    EXPECT_NE(r.err.find("krgdemo: warning: --bind 0.0.0.0 is not a loopback"),
              std::string::npos)
        << how[0] << ": " << r.err;
    fs::remove_all(dir);
  }
}

TEST(SecurityTest, Issue19OutOverAnotherRunSaysWhatIsKept) {
  const fs::path dir = FreshTempDir("SecurityTest", "OutReuse");
  Ran r = RunKrgdemo(
      {"run", "mandelbrot", "--size", "test", "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  r = RunKrgdemo({"run", "poisson", "--size", "test", "--out", dir.string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("already holds an earlier run's results"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("mandelbrot.png"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(SecurityTest, Issue19ADeletedJournalIsAFailedResume) {
  const fs::path dir = FreshTempDir("SecurityTest", "DeletedJournal");
  Ran r = RunKrgdemo({"run", "mandelbrot", "--size", "test", "--nodes", "2",
                      "--checkpoint-every", "1", "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(fs::remove(dir / "checkpoint" / "farm.journal"));
  r = RunKrgdemo({"resume", dir.string()});
  EXPECT_EQ(r.code, 1) << r.err;
  // One error line naming the missing file (a busy-machine warning may
  // come before it: it says nothing about the journal).
  EXPECT_NE(r.err.find("krgdemo: error: mandelbrot: no file " +
                       (dir / "checkpoint" / "farm.journal").string()),
            std::string::npos)
      << r.err;
  const std::size_t first = r.err.find("krgdemo: error:");
  EXPECT_EQ(r.err.find("krgdemo: error:", first + 1), std::string::npos)
      << r.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace krg
