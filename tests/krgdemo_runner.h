// Running the krgdemo binary (KRGDEMO_BIN) as a user would, shared by the
// tests in tests/: one call that runs it and collects what it printed, and a
// fixture that points it at a fresh sysroot of the Kerrighed test double.
#ifndef KRG_TESTS_KRGDEMO_RUNNER_H_
#define KRG_TESTS_KRGDEMO_RUNNER_H_

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

// Runs `krgdemo args...`.
inline Ran RunKrgdemo(std::vector<std::string> args,
                      const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), KRGDEMO_BIN);
  return RunProgram(args, env);
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
