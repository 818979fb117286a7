// `krgdemo selftest` (issue 10) as a user, or the LiveCD's boot check, runs
// it: every demo of the registry once, verified, and the closing line.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "krgdemo_runner.h"

namespace krg {
namespace {

using test_support::FreshTempDir;
using test_support::Ran;
using test_support::RunKrgdemo;

int CountLines(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::size_t pos = 0;
  while ((pos = text.find("\n" + prefix, pos)) != std::string::npos) {
    ++n;
    ++pos;
  }
  return n;
}

TEST(SelftestCliTest, RunsEveryDemoAndEndsWithTheClosingLine) {
  const Ran list = RunKrgdemo({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  const int demos = CountLines(list.out, "") - 1;  // minus the header
  ASSERT_GE(demos, 1);

  const Ran r = RunKrgdemo({"selftest"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(CountLines(r.out, "  ok    "), demos) << r.out;
  const std::string closing =
      "krgdemo selftest: " + std::to_string(demos) + " passed, 0 failed\n";
  ASSERT_GE(r.out.size(), closing.size());
  EXPECT_EQ(r.out.substr(r.out.size() - closing.size()), closing) << r.out;
}

// A demo whose process dies by a signal (as linsolve did by SIGILL when
// Debian's OpenBLAS misread qemu's CPU model) is reported, and the other
// demos still run. The wrapper (KRGDEMO_SELFTEST_WRAPPER, documented) is a
// script that kills itself with a real SIGILL when it would start linsolve's
// process, and runs every other demo's process unchanged.
TEST(SelftestCliTest, ADemoKilledByASignalFailsAndTheOthersStillRun) {
  const Ran list = RunKrgdemo({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  const int demos = CountLines(list.out, "") - 1;
  ASSERT_GE(demos, 2);
  ASSERT_NE(list.out.find("\nlinsolve "), std::string::npos) << list.out;

  const std::filesystem::path dir = FreshTempDir("SelftestCliTest", "signal");
  std::filesystem::create_directories(dir);
  const std::filesystem::path script = dir / "die-on-linsolve.sh";
  {
    std::ofstream out(script);
    out << "#!/bin/sh\n"
           "ulimit -c 0\n"
           "case \" $* \" in *\" --demo linsolve \"*) kill -ILL $$ ;; esac\n"
           "exec \"$@\"\n";
  }
  ::chmod(script.c_str(), 0755);

  const Ran r =
      RunKrgdemo({"selftest"}, {"KRGDEMO_SELFTEST_WRAPPER=" + script.string()});
  std::filesystem::remove_all(dir);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\nFAILED linsolve: killed by signal 4 (Illegal "
                       "instruction)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(CountLines(r.out, "  ok    "), demos - 1) << r.out;
  const std::string closing =
      "krgdemo selftest: " + std::to_string(demos - 1) + " passed, 1 failed\n";
  ASSERT_GE(r.out.size(), closing.size());
  EXPECT_EQ(r.out.substr(r.out.size() - closing.size()), closing) << r.out;
}

// The same without a wrapper (each demo's process is a fork of the
// selftest): the kernel kills webfarm's process with SIGXFSZ when it writes
// its scratch files under a file size limit of 0 (prlimit, util-linux); the
// demos that write no file pass, and the selftest itself (which writes only
// to a pipe) reports it.
TEST(SelftestCliTest, AForkedDemoKilledByTheKernelIsReported) {
  const Ran list = RunKrgdemo({"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  const int demos = CountLines(list.out, "") - 1;
  ASSERT_NE(list.out.find("\nwebfarm "), std::string::npos) << list.out;

  const Ran r = test_support::RunProgram(
      {"prlimit", "--fsize=0", KRGDEMO_BIN, "selftest"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("\nFAILED webfarm: killed by signal 25 (File size "
                       "limit exceeded)\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(CountLines(r.out, "  ok    "), demos - 1) << r.out;
  EXPECT_NE(r.out.find("krgdemo selftest: " + std::to_string(demos - 1) +
                       " passed, 1 failed\n"),
            std::string::npos)
      << r.out;
}

TEST(SelftestCliTest, OneDemoOnTheProcsEngine) {
  const Ran r = RunKrgdemo({"selftest", "--demo", "mandelbrot", "--engine",
                            "procs", "--nodes", "2"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("  ok    mandelbrot ")))
      << r.out;
  EXPECT_NE(r.out.find("krgdemo selftest: 1 passed, 0 failed"),
            std::string::npos)
      << r.out;
}

TEST(SelftestCliTest, BadInputIsAUsageError) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"selftest", "--demo", "mandelbrott"},
           {"selftest", "--engine", "gpu"},
           {"selftest", "--nodes", "0"},
           {"selftest", "--child"},
           {"selftest", "extra"}}) {
    const Ran r = RunKrgdemo(args);
    EXPECT_EQ(r.code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(r.err.rfind("krgdemo: error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_NE(RunKrgdemo({"selftest", "--demo", "mandelbrott"})
                .err.find("did you mean 'mandelbrot'"),
            std::string::npos);
}

TEST(SelftestCliTest, HelpExplainsTheClosingLine) {
  const Ran r = RunKrgdemo({"selftest", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("krgdemo selftest: N passed, M failed"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("krgdemo.selftest=1"), std::string::npos);
}

}  // namespace
}  // namespace krg
