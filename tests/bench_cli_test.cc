// Issue 7 as a user meets it: `krgdemo bench` and `krgdemo compare` run as
// the real binary (KRGDEMO_BIN): exit codes, one-line errors, result files,
// resume after Ctrl-C.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using test_support::Ran;

using test_support::RunKrgdemo;

class BenchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(::testing::TempDir()) /
        ("krg_bench_" +
         std::string(
             ::testing::UnitTest::GetInstance()->current_test_info()->name()) +
         "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const {
    return (dir_ / name).string();
  }
  std::string WriteText(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return Path(name);
  }
  // A result file with one run per variant; `factor` scales the times.
  std::string WriteResult(const std::string& name, double factor, unsigned seed,
                          std::vector<std::string> variants = {"smooth",
                                                               "classic"}) {
    ResultFile f;
    f.tool = ThisTool();
    f.label = name;
    f.created = NowUtc();
    f.system.platform = "linux";
    std::mt19937 gen(seed);
    std::normal_distribution<double> noise(1.0, 0.02);
    for (const std::string& v : variants) {
      RunRecord r;
      r.demo = "mandelbrot";
      r.size = "small";
      r.params = {{"variant", v}};
      r.engine = "procs";
      r.nodes = 2;
      for (int i = 0; i < 10; ++i)
        r.samples_s.push_back(0.1 * factor * noise(gen));
      r.median_s = r.min_s = r.samples_s[0];
      r.verified = true;
      r.checksum = "fnv1a64:" + v;
      f.runs.push_back(r);
    }
    EXPECT_TRUE(WriteResultFile(dir_ / name, f).ok());
    return Path(name);
  }
  // A suite of tiny runs (test size, fixed repeats), one round.
  std::string TinySuite(int repeat_last = 2) {
    return WriteText("tiny.json", R"({"schema": "krgdemo.suite/1",
      "description": "tiny", "rounds": 1,
      "runs": [
        {"demo": "mandelbrot", "size": "test", "engine": "threads",
         "nodes": [1], "repeat": 2},
        {"demo": "mandelbrot", "size": "small", "params": {"variant": "smooth"},
         "engine": "threads", "nodes": [1], "repeat": )" +
                                      std::to_string(repeat_last) + R"(},
        {"demo": "mandelbrot", "size": "small",
         "params": {"variant": "classic"}, "engine": "procs", "nodes": [2],
         "repeat": )" + std::to_string(repeat_last) +
                                      "}]}");
  }

  fs::path dir_;
};

// Exit `code` and exactly one stderr line, "krgdemo: error: ...<needle>...".
void ExpectOneError(const Ran& r, int code, const std::string& needle) {
  EXPECT_EQ(r.code, code) << r.err;
  EXPECT_EQ(r.err.rfind("krgdemo: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST_F(BenchCliTest, ComparePlantedSlowdownFailsCiOnlyWhenAsked) {
  const std::string a = WriteResult("a.json", 1.0, 1);
  const std::string b = WriteResult("b.json", 1.2, 2, {"smooth"});
  Ran r = RunKrgdemo({"compare", a, b});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("REGRESSION"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\033["), std::string::npos);  // not a tty: no colour
  EXPECT_NE(r.out.find("1 only in A"), std::string::npos) << r.out;
  ExpectOneError(RunKrgdemo({"compare", a, b, "--fail-on-regression"}), 1,
                 "regressed");
  // Same distribution, other draws: nothing to flag, CI passes.
  const std::string a2 = WriteResult("a2.json", 1.0, 3);
  Ran same = RunKrgdemo({"compare", a, a2, "--fail-on-regression"});
  EXPECT_EQ(same.code, 0) << same.out << same.err;
  EXPECT_EQ(same.out.find("REGRESSION"), std::string::npos) << same.out;
}

TEST_F(BenchCliTest, CompareWritesEveryFormat) {
  const std::string a = WriteResult("a.json", 1.0, 1);
  const std::string b = WriteResult("b.json", 0.8, 2);
  Ran md = RunKrgdemo({"compare", a, b, "--format", "markdown"});
  EXPECT_NE(md.out.find("| **improvement** |"), std::string::npos) << md.out;
  Ran csv = RunKrgdemo({"compare", a, b, "--format", "csv"});
  EXPECT_EQ(csv.out.rfind("run,demo,size,params", 0), 0u) << csv.out;
  Ran html = RunKrgdemo(
      {"compare", a, b, a, "--format", "html", "--out", Path("r.html")});
  ASSERT_EQ(html.code, 0) << html.err;
  std::ifstream in(Path("r.html"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str().rfind("<!DOCTYPE html>", 0), 0u);
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_NE(text.str().find("<svg"), std::string::npos);
  }
}

TEST_F(BenchCliTest, UnusableFilesAreOneErrorLineAndExit1) {
  const std::string good = WriteResult("good.json", 1.0, 1);
  std::ifstream in(good);
  std::stringstream text;
  text << in.rdbuf();
  const std::string whole = text.str();
  json newer = json::parse(whole);
  newer["schema"] = "krgdemo.result/2";
  json missing = json::parse(whole);
  missing["runs"][0].erase("samples_s");
  json other = json::parse(whole);
  for (json& r : other["runs"]) r["size"] = "large";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {WriteText("truncated.json", whole.substr(0, whole.size() / 2)),
       "malformed JSON"},
      {WriteText("garbage.json", "\x01\xff{]"), "malformed JSON"},
      {WriteText("empty.json", ""), "malformed JSON"},
      {WriteText("newer.json", newer.dump()), "newer than this krgdemo"},
      {WriteText("missing.json", missing.dump()), "runs[0].samples_s"},
      {WriteText("array.json", "[1, 2]"), "not a krgdemo result file"},
      {WriteText("other.json", other.dump()), "no common runs"},
      {Path("absent.json"), "cannot read"},
  };
  for (const auto& [path, needle] : cases) {
    SCOPED_TRACE(path);
    ExpectOneError(RunKrgdemo({"compare", good, path}), 1, needle);
  }
}

TEST_F(BenchCliTest, CompareUsageErrors) {
  const std::string a = WriteResult("a.json", 1.0, 1);
  ExpectOneError(RunKrgdemo({"compare", a}), 2, "two result files");
  ExpectOneError(RunKrgdemo({"compare", a, a, "--format", "pdf"}), 2,
                 "--format");
  ExpectOneError(RunKrgdemo({"compare", a, a, "--threshold", "x"}), 2,
                 "--threshold");
  ExpectOneError(RunKrgdemo({"compare", a, a, "--test", "z"}), 2, "--test");
  Ran help = RunKrgdemo({"compare", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--fail-on-regression"), std::string::npos);
}

TEST_F(BenchCliTest, BenchUsageErrors) {
  ExpectOneError(RunKrgdemo({"bench", "--suite", "nightly", "--label", "x",
                             "--out", Path("o.json")}),
                 2, "unknown suite 'nightly'; suites: default, quick");
  ExpectOneError(RunKrgdemo({"bench", "--out", Path("o.json")}), 2, "--label");
  ExpectOneError(RunKrgdemo({"bench", "--label", "x"}), 2, "--out");
  const std::string exists = WriteText("exists.json", "{}");
  ExpectOneError(RunKrgdemo({"bench", "--label", "x", "--out", exists}), 2,
                 "--resume");
  const std::string bad =
      WriteText("bad.json", R"({"schema": "krgdemo.suite/1", "runs": [{"demo":
      "mandelbrot", "size": "test", "engine": "procs", "nodes": [1],
      "iterations": 3}]})");
  ExpectOneError(
      RunKrgdemo({"bench", "--suite", bad, "--label", "x", "--out", Path("o")}),
      2, "unknown key 'runs[0].iterations'");
  ExpectOneError(RunKrgdemo({"bench", "--resume", exists, "--label", "x"}), 2,
                 "drop --suite");
  ExpectOneError(RunKrgdemo({"bench", "--resume", WriteResult("r.json", 1, 1)}),
                 1, "nothing to resume");
  EXPECT_FALSE(fs::exists(Path("o.json")));
  Ran help = RunKrgdemo({"bench", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--resume FILE.json"), std::string::npos);
}

TEST_F(BenchCliTest, BenchWritesMetadataAndComparesWithItself) {
  const std::string out = Path("r1.json");
  Ran r = RunKrgdemo(
      {"bench", "--suite", TinySuite(), "--label", "rel-1", "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("mandelbrot small variant=classic procs x2"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("[round 1/1, 3/3] "), std::string::npos) << r.out;
  auto file = ReadResultFile(out);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->label, "rel-1");
  ASSERT_EQ(file->runs.size(), 3u);
  EXPECT_EQ(file->runs[1].samples_s.size(), 2u);
  const json& meta = file->extensions["metadata"];
  EXPECT_FALSE(meta["cpu"]["model"].get<std::string>().empty());
  EXPECT_GT(meta["memory_mb"].get<long long>(), 0);
  EXPECT_TRUE(meta.contains("distribution"));
  EXPECT_TRUE(meta["kerrighed"].is_null());
  EXPECT_FALSE(meta["build"]["cxx_flags"].is_null());
  EXPECT_EQ(file->extensions["bench"]["complete"], true);
  // Two samples a side: compare says so instead of flagging, or, when the
  // runs were quicker than 50 ms (a quiet machine), leaves them out.
  Ran c = RunKrgdemo({"compare", out, out});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(c.out.find("few samples") != std::string::npos ||
              c.out.find("too short") != std::string::npos)
      << c.out;
  EXPECT_EQ(c.out.find("REGRESSION"), std::string::npos) << c.out;
}

// Issue 18: --rounds K runs the suite K times, each round in a shuffled
// order, keeps the samples by round and each round's load, steal and wall
// time; compare then judges rounds.
TEST_F(BenchCliTest, RoundsKeepSamplesByRoundWithTheirLoad) {
  const std::string out = Path("k.json");
  Ran r = RunKrgdemo({"bench", "--suite", TinySuite(), "--rounds", "2",
                      "--label", "k", "--out", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("[round 2/2, 3/3] "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("round 2/2: "), std::string::npos) << r.out;
  auto file = ReadResultFile(out);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->runs.size(), 3u);
  for (const RunRecord& run : file->runs) {
    ASSERT_EQ(run.round_samples_s.size(), 2u);
    EXPECT_EQ(run.samples_s.size(), 4u);  // 2 rounds of 2 passes
    EXPECT_EQ(run.samples_s[2], run.round_samples_s[1][0]);
  }
  const json& rounds = file->extensions["bench"]["rounds"];
  ASSERT_EQ(rounds.size(), 2u);
  for (const json& round : rounds) {
    EXPECT_GT(round["wall_s"].get<double>(), 0);
    EXPECT_GE(round["load1_mean"].get<double>(), 0);
    EXPECT_GE(round["steal_pct"].get<double>(), 0);
    EXPECT_GT(round["cpus"].get<int>(), 0);
  }
  EXPECT_EQ(file->extensions["bench"]["definition"]["rounds"], 2);
  // --min-time 0: the tiny suite's passes are judged however fast the
  // machine is (by default runs under 50 ms are left out).
  Ran c = RunKrgdemo({"compare", out, out, "--min-time", "0"});
  EXPECT_EQ(c.code, 0) << c.err;
  EXPECT_EQ(c.out.find("too short"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("2 rounds, load "), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("B is 1.00 \u00b1 "), std::string::npos) << c.out;
  ExpectOneError(RunKrgdemo({"bench", "--rounds", "0", "--label", "x", "--out",
                             Path("z.json")}),
                 2, "--rounds 0: expected 1 to 100");
}

TEST_F(BenchCliTest, MicroStoresGoogleBenchmarkResults) {
  const fs::path bench =
      fs::path(KRGDEMO_BIN).parent_path() / "bench" / "mandelbrot_bench";
  if (!fs::exists(bench)) {
    GTEST_SKIP() << "no microbenchmarks built (KRG_BUILD_BENCH=OFF)";
  }
  // A copy of krgdemo whose bench/ holds only mandelbrot_bench, to keep
  // this test short (--micro runs every *_bench next to the binary).
  fs::create_directories(dir_ / "bin" / "bench");
  fs::copy_file(KRGDEMO_BIN, dir_ / "bin" / "krgdemo");
  fs::create_symlink(fs::absolute(bench),
                     dir_ / "bin" / "bench" / "mandelbrot_bench");
  const std::string suite = WriteText("one.json", R"({"schema":
    "krgdemo.suite/1", "runs": [{"demo": "mandelbrot", "size": "test",
    "engine": "threads", "nodes": [1], "repeat": 1}]})");
  const std::string out = Path("m.json");
  auto r = platform::RunCommand({(dir_ / "bin" / "krgdemo").string(), "bench",
                                 "--suite", suite, "--label", "m", "--out", out,
                                 "--micro"});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit.code, 0) << r->err;
  auto file = ReadResultFile(out);
  ASSERT_TRUE(file.ok());
  const json& micro = file->extensions["micro"];
  ASSERT_TRUE(micro.is_array());
  ASSERT_GE(micro.size(), 1u) << micro.dump();
  for (const json& m : micro) {
    EXPECT_EQ(m["binary"], "mandelbrot_bench");
    EXPECT_EQ(m["name"].get<std::string>().rfind("BM_Mandelbrot_", 0), 0u);
    if (!m.contains("error")) {
      EXPECT_EQ(m["samples_s"].size(), 5u);
    }
  }
}

// Ctrl-C after the first run: exit 130, the finished runs stay in the file,
// and --resume runs only what is missing.
TEST_F(BenchCliTest, ResumeAfterInterruptKeepsFinishedRuns) {
  const std::string out = Path("i.json");
  std::vector<std::string> args = {
      KRGDEMO_BIN, "bench", "--suite", TinySuite(/*repeat_last=*/40),
      "--label",   "i",     "--out",   out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(
      ::posix_spawn(&pid, KRGDEMO_BIN, nullptr, nullptr, argv.data(), environ),
      0);
  // Wait until the first run is in the file, then interrupt.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::size_t runs = 0;
  while (runs == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto f = ReadResultFile(out);  // atomic writes: never a half file
    if (f.ok()) runs = f->runs.size();
  }
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  auto cut = ReadResultFile(out);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  ASSERT_GE(cut->runs.size(), 1u);
  ASSERT_LT(cut->runs.size(), 3u);
  EXPECT_EQ(cut->extensions["bench"]["complete"], false);

  Ran r = RunKrgdemo({"bench", "--resume", out});
  ASSERT_EQ(r.code, 0) << r.err;
  // Only the runs the file lacked ran, in the round's own order.
  const auto lines = std::count(r.out.begin(), r.out.end(), '\n');
  EXPECT_EQ(std::size_t(lines), 3 - cut->runs.size() + 2) << r.out;
  EXPECT_NE(r.out.find("[round 1/1, 3/3]"), std::string::npos) << r.out;
  auto done = ReadResultFile(out);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->runs.size(), 3u);
  EXPECT_EQ(done->runs[0].samples_s, cut->runs[0].samples_s);
  EXPECT_EQ(done->extensions["bench"]["complete"], true);
  Ran again = RunKrgdemo({"bench", "--resume", out});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out.find("[round"), std::string::npos);
}

}  // namespace
}  // namespace krg
