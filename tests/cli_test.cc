// The krgdemo command line as a user meets it: exit codes, one-line errors,
// result folders, interrupts. Runs the real binary (KRGDEMO_BIN).
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;

using test_support::ExpectUsageError;
using test_support::Ran;
using test_support::RunKrgdemo;
using test_support::RunKrgdemoRaw;

TEST(CliTest, UnknownDemoSuggestsTheClosestName) {
  ExpectUsageError({"run", "mandelbrt"},
                   "unknown demo 'mandelbrt'; did you mean 'mandelbrot'?");
  ExpectUsageError({"scale", "mandel"}, "did you mean 'mandelbrot'?");
  ExpectUsageError({"run", "zzzzzzzz"}, "unknown demo 'zzzzzzzz'");
}

TEST(CliTest, BadOptionValuesAreUsageErrors) {
  ExpectUsageError({"run", "mandelbrot", "--nodes", "0"}, "--nodes 0");
  ExpectUsageError({"run", "mandelbrot", "--nodes", "abc"}, "--nodes abc");
  ExpectUsageError({"run", "mandelbrot", "--size", "huge"}, "--size huge");
  ExpectUsageError({"run", "mandelbrot", "--repeat", "-1"}, "--repeat -1");
  ExpectUsageError({"run", "mandelbrot", "--engine", "gpu"}, "unknown engine");
  ExpectUsageError({"run", "mandelbrot", "--param", "colour=red"},
                   "unknown --param 'colour'");
  ExpectUsageError({"run", "mandelbrot", "--param", "width=-3"}, "width=-3");
  ExpectUsageError({"run", "mandelbrot", "--bogus"}, "bogus");
  ExpectUsageError({"run"}, "which demo?");
  ExpectUsageError({"scale", "mandelbrot", "--nodes", "1,,2"}, "--nodes");
  ExpectUsageError({"frobnicate"}, "unknown command 'frobnicate'");
}

TEST(CliTest, UnwritableOutIsAUsageError) {
  const fs::path dir = test_support::FreshTempDir("cli", "unwritable");
  fs::create_directories(dir);
  std::ofstream(dir / "file") << "x";  // a file where a folder should be
  ExpectUsageError({"run", "mandelbrot", "--size", "test", "--out",
                    (dir / "file" / "sub").string()},
                   "cannot create results folder");
  fs::remove_all(dir);
}

TEST(CliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"list", "info", "run", "scale"}) {
    Ran r = RunKrgdemo({cmd, "--help"});
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage: krgdemo "), std::string::npos) << cmd;
  }
  Ran run = RunKrgdemo({"run", "--help"});
  for (const char* opt : {"--nodes N", "--engine threads|procs", "--repeat R",
                          "--out DIR", "variant=smooth|classic"}) {
    EXPECT_NE(run.out.find(opt), std::string::npos) << opt;
  }
  EXPECT_EQ(RunKrgdemo({"--help"}).code, 0);
  EXPECT_EQ(RunKrgdemo({}).code, 2);
}

TEST(CliTest, ListAndInfoSpeakJson) {
  Ran list = RunKrgdemo({"list", "--json"});
  ASSERT_EQ(list.code, 0);
  auto demos = nlohmann::json::parse(list.out);
  ASSERT_TRUE(demos.is_array());
  EXPECT_EQ(demos[0]["name"], "mandelbrot");
  Ran info = RunKrgdemo({"info", "--json"});
  ASSERT_EQ(info.code, 0);
  auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["platform"], "linux");
  EXPECT_GT(j["usable_cpus"].get<int>(), 0);
}

// Issue 22: the commands that need no image library start without one. The
// dynamic loader names every object it opens (LD_DEBUG=files, on stderr):
// --version, list, info and a scientific run open no OpenCV library and no
// plug-in; an imaging run opens the imaging plug-in, and OpenCV with it.
bool Opens(const std::string& loader_log, const std::string& what) {
  std::istringstream lines(loader_log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("file=") != std::string::npos &&
        line.find(what) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(CliTest, LightCommandsLoadNoImageLibrary) {
  const fs::path dir = test_support::FreshTempDir("cli", "light");
  const std::vector<std::vector<std::string>> light = {
      {"--version"},
      {"list"},
      {"info"},
      {"run", "mandelbrot", "--size", "test", "--repeat", "1", "--out",
       (dir / "m").string()}};
  for (const auto& args : light) {
    Ran r = RunKrgdemo(args, {"LD_DEBUG=files"});
    EXPECT_EQ(r.code, 0) << args[0] << "\n" << r.err;
    EXPECT_TRUE(Opens(r.err, "libc.so")) << "no loader log for " << args[0];
    EXPECT_FALSE(Opens(r.err, "libopencv")) << args[0];
    EXPECT_FALSE(Opens(r.err, "krgdemo-")) << args[0];
  }
  Ran img = RunKrgdemo({"run", "imgpipe", "--size", "test", "--repeat", "1",
                        "--out", (dir / "i").string()},
                       {"LD_DEBUG=files"});
  EXPECT_EQ(img.code, 0) << img.err;
  EXPECT_TRUE(Opens(img.err, "krgdemo-imaging.so"));
  EXPECT_TRUE(Opens(img.err, "libopencv_imgcodecs"));
  EXPECT_FALSE(Opens(img.err, "krgdemo-servers.so"));
  // The plug-ins are opened with lazy binding: LD_BIND_NOW=1 resolves every
  // symbol at load, so one the krgdemo binary does not export fails here.
  for (const std::string demo : {"imgpipe", "framepipe", "webfarm"}) {
    Ran now = RunKrgdemo({"run", demo, "--size", "test", "--repeat", "1",
                          "--out", (dir / ("now-" + demo)).string()},
                         {"LD_BIND_NOW=1"});
    EXPECT_EQ(now.code, 0) << demo << "\n" << now.err;
  }
}

TEST(CliTest, RunWritesAVerifiedResultFolder) {
  const fs::path dir = test_support::FreshTempDir("cli", "run");
  Ran r = RunKrgdemo({"run", "mandelbrot", "--size", "test", "--nodes", "2",
                      "--repeat", "2", "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("verified  yes"), std::string::npos) << r.out;
  auto file = ReadResultFile(dir / "run.json");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  ASSERT_EQ(file->runs.size(), 1u);
  const RunRecord& run = file->runs[0];
  EXPECT_EQ(run.engine, "procs");  // --nodes 2 implies procs
  EXPECT_EQ(run.nodes, 2);
  EXPECT_EQ(run.samples_s.size(), 2u);
  EXPECT_TRUE(run.verified);
  EXPECT_EQ(run.checksum.rfind("fnv1a64:", 0), 0u);
  EXPECT_TRUE(fs::exists(dir / "mandelbrot.png"));
  EXPECT_TRUE(fs::exists(dir / "krgdemo.log"));

  Ran threads = RunKrgdemo({"run", "mandelbrot", "--size", "test", "--repeat",
                            "1", "--json", "--out", (dir / "t").string()});
  ASSERT_EQ(threads.code, 0) << threads.err;
  auto j = nlohmann::json::parse(threads.out);
  EXPECT_EQ(j["runs"][0]["engine"], "threads");
  EXPECT_EQ(j["runs"][0]["checksum"], run.checksum);
  fs::remove_all(dir);
}

TEST(CliTest, ScaleChartsSpeedupAndKeepsEveryRun) {
  const fs::path dir = test_support::FreshTempDir("cli", "scale");
  Ran r = RunKrgdemo({"scale", "mandelbrot", "--size", "test", "--nodes", "1,2",
                      "--repeat", "1", "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  // Issue 20: two points fit Amdahl's one parameter exactly; no fit.
  EXPECT_NE(r.out.find("Amdahl fit: needs 3 node counts (this sweep has 2)"),
            std::string::npos)
      << r.out;
  auto file = ReadResultFile(dir / "run.json");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->runs.size(), 2u);
  EXPECT_EQ(file->runs[0].checksum, file->runs[1].checksum);
  ASSERT_TRUE(file->extensions.contains("scale"));
  EXPECT_EQ(file->extensions["scale"]["speedup"].size(), 2u);
  EXPECT_FALSE(file->extensions["scale"].contains("amdahl"));
  EXPECT_TRUE(file->extensions.contains("load"));
  EXPECT_TRUE(fs::exists(dir / "speedup.gp"));
  EXPECT_TRUE(fs::exists(dir / "speedup.dat"));
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_GT(fs::file_size(dir / "speedup.png"), 1000u);
    EXPECT_GT(fs::file_size(dir / "speedup.svg"), 1000u);
  }
  fs::remove_all(dir);
}

// Issue 20: scale's help lists no --threads (which scale refuses), and the
// refusal says why.
TEST(CliTest, ScaleHasNoThreadsOption) {
  Ran help = RunKrgdemo({"scale", "--help"});
  ASSERT_EQ(help.code, 0);
  EXPECT_EQ(help.out.find("--threads"), std::string::npos) << help.out;
  ExpectUsageError({"scale", "mandelbrot", "--threads", "2"},
                   "--threads does not apply to scale");
}

// Issue 20: a run on a busy machine says so and records the load. The
// load average is read under KRGDEMO_SYSROOT, like the rest of /proc.
TEST(CliTest, BusyMachineIsWarnedAndRecorded) {
  const fs::path dir = test_support::FreshTempDir("cli", "busy");
  for (const std::string load : {"999.00", "0.00"}) {
    fs::create_directories(dir / load / "root" / "proc");
    std::ofstream(dir / load / "root" / "proc" / "loadavg")
        << load << " 1.00 1.00 1/100 4242\n";
    Ran r =
        RunKrgdemoRaw({"run", "mandelbrot", "--size", "test", "--repeat", "1",
                       "--out", (dir / load / "out").string()},
                      {"KRGDEMO_SYSROOT=" + (dir / load / "root").string()});
    ASSERT_EQ(r.code, 0) << r.err;
    const bool busy = load != "0.00";
    EXPECT_EQ(
        r.err.find("krgdemo: warning: this machine is busy: load 999.0") !=
            std::string::npos,
        busy)
        << r.err;
    auto file = ReadResultFile(dir / load / "out" / "run.json");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    const nlohmann::json& rec = file->extensions["load"];
    EXPECT_DOUBLE_EQ(rec["loadavg_1m"].get<double>(), std::stod(load));
    EXPECT_EQ(rec["busy"].get<bool>(), busy);
    EXPECT_GE(rec["cpus"].get<int>(), 1);
  }
  fs::remove_all(dir);
}

// Issue 20: more nodes than CPUs is said, as scale says it.
TEST(CliTest, RunOnMoreNodesThanCpusSaysTheyShareCpus) {
  const int nodes = 2 * static_cast<int>(std::thread::hardware_concurrency());
  const fs::path dir = test_support::FreshTempDir("cli", "shared");
  Ran r = RunKrgdemo({"run", "mandelbrot", "--size", "test", "--repeat", "1",
                      "--nodes", std::to_string(nodes), "--out", dir.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("virtual nodes share CPUs"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(CliTest, ScaleWithoutGnuplotWritesTheScriptAndWarnsOnce) {
  const fs::path dir = test_support::FreshTempDir("cli", "nognuplot");
  auto ran = platform::RunCommand(
      {"env", "PATH=/nonexistent", KRGDEMO_BIN, "scale", "mandelbrot", "--size",
       "test", "--nodes", "1,2", "--repeat", "1", "--out", dir.string()});
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(ran->exit.code, 0) << ran->err;
  EXPECT_NE(ran->err.find("gnuplot not found"), std::string::npos) << ran->err;
  EXPECT_TRUE(fs::exists(dir / "speedup.gp"));
  EXPECT_FALSE(fs::exists(dir / "speedup.png"));
  fs::remove_all(dir);
}

// Ctrl-C: exit 130 and no worker left behind. The test becomes a child
// subreaper, so any worker orphaned by krgdemo would become its child.
TEST(CliTest, InterruptStopsEveryWorkerAndExits130) {
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  const fs::path dir = test_support::FreshTempDir("cli", "interrupt");
  std::vector<std::string> args = {
      KRGDEMO_BIN, "run",      "mandelbrot", "--size", "large",     "--nodes",
      "2",         "--repeat", "50",         "--out",  dir.string()};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(
      ::posix_spawn(&pid, KRGDEMO_BIN, nullptr, nullptr, argv.data(), environ),
      0);
  // Wait until it runs (its log exists), then interrupt it.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(dir / "krgdemo.log") &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  // No orphan: waiting for any other child finds none.
  EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
  EXPECT_FALSE(fs::exists(dir / "run.json"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace krg
