// Running the krgdemo binary (KRGDEMO_BIN) as a user would, shared by the
// tests in tests/: one call that runs it and collects what it printed, the
// usage-error check, fresh temporary folders, and a
// fixture that points it at a fresh sysroot of the Kerrighed test double.
#ifndef KRG_TESTS_KRGDEMO_RUNNER_H_
#define KRG_TESTS_KRGDEMO_RUNNER_H_

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "krg/platform.h"

namespace krg::test_support {

// What a command did: its exit code (128 + signal when killed) and output.
struct Ran {
  int code = -1;
  std::string out, err;
};

// Runs `program args...` after `env ENV...` when `env` is not empty. The
// program must end by exiting, not by a signal.
inline Ran RunProgram(const std::vector<std::string>& program_and_args,
                      const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv;
  if (!env.empty()) {
    argv.push_back("env");
    argv.insert(argv.end(), env.begin(), env.end());
  }
  argv.insert(argv.end(), program_and_args.begin(), program_and_args.end());
  auto r = platform::RunCommand(argv);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_TRUE(r->exit.exited) << r->exit.ToString() << "\n" << r->err;
  return {r->exit.exited ? r->exit.code : 128 + r->exit.signal, r->out, r->err};
}

// Runs `krgdemo args...`, stderr as it came.
inline Ran RunKrgdemoRaw(std::vector<std::string> args,
                         const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), KRGDEMO_BIN);
  return RunProgram(args, env);
}

// `err` without the busy-machine warning: that line depends on what else
// the machine runs (ctest -j2 alone makes the load exceed its limit), not on
// the command under test. cli_test checks the warning itself.
inline std::string DropBusyWarning(const std::string& err) {
  const std::string busy = "krgdemo: warning: this machine is busy: ";
  std::string kept;
  std::size_t at = 0;
  while (at < err.size()) {
    std::size_t end = err.find('\n', at);
    end = end == std::string::npos ? err.size() : end + 1;
    if (err.compare(at, busy.size(), busy) != 0) {
      kept += err.substr(at, end - at);
    }
    at = end;
  }
  return kept;
}

// Runs `krgdemo args...`; stderr without the busy-machine warning.
inline Ran RunKrgdemo(std::vector<std::string> args,
                      const std::vector<std::string>& env = {}) {
  Ran r = RunKrgdemoRaw(std::move(args), env);
  r.err = DropBusyWarning(r.err);
  return r;
}

// A fresh, empty path for one test's output:
// <gtest temp>/krg_<suite>_<name>_<pid> (removed if it existed; not created).
inline std::filesystem::path FreshTempDir(const std::string& suite,
                                          const std::string& name) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      ("krg_" + suite + "_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

// A usage error: exit 2, exactly one line "krgdemo: error: ..." that
// contains `needle`, and nothing on stdout.
inline void ExpectUsageError(const std::vector<std::string>& args,
                             const std::string& needle) {
  Ran r = RunKrgdemo(args);
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  EXPECT_EQ(r.code, 2) << cmd << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("krgdemo: error: ", 0), 0u) << cmd << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << cmd << r.err;
  EXPECT_TRUE(r.out.empty()) << cmd << r.out;
}

#ifdef KRG_DOUBLE_DIR
// A fresh sysroot of the Kerrighed test double per test (tests/kerrighed/).
class DoubleSysrootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("krg_double_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    auto made =
        platform::RunCommand({KRG_DOUBLE_DIR "/make-sysroot", root_.string()});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    ASSERT_EQ(made->exit.code, 0) << made->err;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // The environment that makes krgdemo see the double's cluster.
  std::vector<std::string> Env() const {
    return {"KRGDEMO_SYSROOT=" + root_.string(),
            std::string("PATH=" KRG_DOUBLE_DIR "/bin:") + std::getenv("PATH")};
  }
  // Runs `program args...` in the double's environment.
  Ran Run(const std::vector<std::string>& program_and_args) const {
    return RunProgram(program_and_args, Env());
  }
  Ran Krgdemo(const std::vector<std::string>& args) const {
    return RunKrgdemo(args, Env());
  }

  std::filesystem::path root_;
};
#endif  // KRG_DOUBLE_DIR

}  // namespace krg::test_support

#endif  // KRG_TESTS_KRGDEMO_RUNNER_H_
