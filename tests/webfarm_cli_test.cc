// `krgdemo run webfarm` as a user runs it: a short sweep under wrk, verified,
// with run.json and charts; serve_only until SIGINT with nothing left
// behind; usage errors. Issue 6.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using test_support::RunKrgdemo;

fs::path TempDir(const std::string& name) {
  fs::path d = fs::path(::testing::TempDir()) /
               ("webfarm_cli_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  return d;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.size() < paren + 3 ||
         stat[paren + 2] == 'Z';
}

TEST(WebfarmCliTest, RunsASweepUnderWrkAndVerifiesIt) {
  const fs::path out = TempDir("sweep");
  auto r =
      RunKrgdemo({"run", "webfarm", "--size", "test", "--nodes", "2", "--param",
                  "port=0", "--param", "load=mixed", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("verified  yes"), std::string::npos) << r.out;
  auto j = nlohmann::json::parse(ReadFile(out / "run.json"));
  ASSERT_EQ(j["runs"].size(), 2u);  // nodes 1 and 2, 8 connections
  EXPECT_EQ(j["runs"][0]["nodes"], 1);
  EXPECT_EQ(j["runs"][1]["nodes"], 2);
  for (const auto& run : j["runs"]) {
    EXPECT_EQ(run["throughput"]["unit"], "req/s");
    EXPECT_GT(run["throughput"]["value"].get<double>(), 0);
    EXPECT_TRUE(run["verified"].get<bool>());
  }
  const auto& p = j["service"]["points"][1];
  EXPECT_GT(p["requests"].get<long long>(), 0);
  EXPECT_GT(p["latency_ms"]["p99"].get<double>(), 0);
  EXPECT_GT(p["checks"].get<long long>(), 0);
  EXPECT_GT(p["server_cpu_s"].get<double>(), 0);
  EXPECT_TRUE(fs::exists(out / "service.dat"));
  fs::remove_all(out);
}

TEST(WebfarmCliTest, ServeOnlyRunsUntilInterruptedAndLeavesNothing) {
  const fs::path out = TempDir("serve");
  fs::create_directories(out);
  const fs::path log = out / "output.txt";
  auto pid = platform::StartCommand(
      {KRGDEMO_BIN, "run", "webfarm", "--nodes", "2", "--param", "port=0",
       "--param", "serve_only=1", "--out", (out / "run").string()},
      log.string());
  ASSERT_TRUE(pid.ok()) << pid.status().ToString();
  std::string text;
  const auto t0 = std::chrono::steady_clock::now();
  while (text.find("Ctrl-C stops") == std::string::npos &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    text = ReadFile(log);
  }
  ASSERT_NE(text.find("Ctrl-C stops"), std::string::npos) << text;
  // "serving http://127.0.0.1:PORT/ with 2 server processes (pids A B)"
  const std::size_t at = text.find("(pids ");
  std::istringstream pids(text.substr(at + 6));
  std::vector<pid_t> servers;
  for (pid_t p; pids >> p;) servers.push_back(p);
  ASSERT_EQ(servers.size(), 2u) << text;
  ASSERT_TRUE(platform::SendSignal(*pid, SIGINT).ok());
  auto ended = platform::Reap(*pid, true);
  ASSERT_TRUE(ended.ok());
  ASSERT_TRUE(ended->has_value());
  EXPECT_TRUE((*ended)->exited) << (*ended)->ToString();
  EXPECT_EQ((*ended)->code, 0) << ReadFile(log);
  for (pid_t s : servers) EXPECT_TRUE(Gone(s)) << "server " << s;
  EXPECT_NE(ReadFile(log).find("stopped"), std::string::npos);
  fs::remove_all(out);
}

TEST(WebfarmCliTest, BadOptionsAreUsageErrors) {
  auto r = RunKrgdemo({"run", "webfarm", "--engine", "threads"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--threads T"), std::string::npos) << r.err;
  r = RunKrgdemo({"run", "webfarm", "--param", "connections=0"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunKrgdemo({"run", "webfarm", "--param", "listen=nope"});
  EXPECT_EQ(r.code, 2) << r.err;
  r = RunKrgdemo({"run", "mandelbrot", "--bind", "0.0.0.0"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("--bind applies"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace krg
