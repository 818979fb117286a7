// `krgdemo show`: the scenarios as a presenter runs them, on linux and
// against the Kerrighed test double (tests/kerrighed), plus the view's text.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krgdemo_runner.h"
#include "show/view.h"

namespace krg {
namespace {

namespace fs = std::filesystem;

using test_support::Ran;

// On linux: no sysroot, whatever the caller's environment says.
Ran Linux(const std::vector<std::string>& args) {
  return test_support::RunKrgdemo(args, {"-u", "KRGDEMO_SYSROOT"});
}

// The nodes named by the first group of `line` in every match in `out`.
std::multiset<int> NodesIn(const std::string& out, const std::regex& line) {
  std::multiset<int> to;
  for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end;
       ++it) {
    to.insert(std::stoi((*it)[1]));
  }
  return to;
}

// The nodes workers were migrated to, from "... node A -> node B ..." lines.
std::multiset<int> MigratedTo(const std::string& out) {
  static const std::regex kLine(
      R"(migrated worker \d+: node \d+ -> node (\d+))");
  return NodesIn(out, kLine);
}

// The nodes workers were moved to by the kernel's balancer.
std::multiset<int> BalancedTo(const std::string& out) {
  static const std::regex kLine(
      R"(worker \d+: node \d+ -> node (\d+) \(the kernel's balancer\))");
  return NodesIn(out, kLine);
}

void ExpectPlainText(const Ran& r) {
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
}

TEST(ShowViewTest, DrawsOneBarPerNodeAndPlainSnapshots) {
  EXPECT_EQ(cli::show::BarLine(5, 0.5, "2 workers", 10),
            "  node   5 [#####.....]  50%  2 workers");
  EXPECT_EQ(
      cli::show::SnapshotLine(3.04, {0, 1}, {1.0, 0.0}, {"2 workers", ""}),
      "[  3.0 s] load  node 0 [##########] 100% 2 workers | "
      "node 1 [..........]   0%");
}

TEST(ShowTest, MigrationOnLinuxSpreadsWorkersOverDistinctNodes) {
  Ran r = Linux({"show", "migration", "--nodes", "2", "--pace", "fast",
                 "--size", "test"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 workers started on node 0"), std::string::npos)
      << r.out;
  // Worker 1 left node 0 for node 1: each worker ends on a node of its own.
  EXPECT_EQ(MigratedTo(r.out), (std::multiset<int>{1})) << r.out;
  EXPECT_NE(r.out.find("run finished in"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": verified"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("load  node 0 ["), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Kerrighed would refuse"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nverdict: shown: 1 of 1 workers moved from node 0 "
                       "to node 1 while computing; the image verified"),
            std::string::npos)
      << r.out;
  ExpectPlainText(r);
}

TEST(ShowTest, BalanceOnLinuxLiftsTheConfinementAndTheKernelSpreads) {
  Ran r = Linux(
      {"show", "balance", "--nodes", "2", "--pace", "fast", "--size", "small"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2 workers started on node 0"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Now we lift the confinement"), std::string::npos)
      << r.out;
  EXPECT_NE(BalancedTo(r.out).count(1), 0u) << r.out;
  EXPECT_NE(r.out.find("load  node 0 ["), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nverdict: shown: the kernel's balancer spread 2 "
                       "workers started on node 0 over 2 of 2 nodes (nodes 0 "
                       "and 1) while they computed; the image verified"),
            std::string::npos)
      << r.out;
  ExpectPlainText(r);
}

TEST(ShowTest, DistantForkOnLinuxStartsProcessesOnEveryNode) {
  Ran r = Linux({"show", "distant-fork", "--nodes", "2", "--pace", "fast",
                 "--size", "test"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("processes started per node: node 0: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("verdict: shown: "), std::string::npos) << r.out;
  ExpectPlainText(r);
}

TEST(ShowTest, RemoteMemorySaysSkipped) {
  Ran mem = Linux({"show", "remote-memory", "--pace", "fast"});
  EXPECT_EQ(mem.code, 0) << mem.err;
  EXPECT_NE(mem.out.find("no remote tier"), std::string::npos) << mem.out;
  EXPECT_NE(mem.out.find("verdict: skipped: no remote memory on linux"),
            std::string::npos)
      << mem.out;
  ExpectPlainText(mem);
}

// Issue 4: on linux the scenario uses the runtime's own checkpoints.
TEST(ShowTest, CheckpointOnLinuxKillsAndResumesTheSameAnswer) {
  Ran cr = Linux({"show", "checkpoint", "--pace", "fast", "--size", "test"});
  EXPECT_EQ(cr.code, 0) << cr.err << cr.out;
  EXPECT_NE(cr.out.find("verdict: shown: killed with SIGKILL and resumed"),
            std::string::npos)
      << cr.out;
  ExpectPlainText(cr);
}

TEST(ShowTest, UnknownScenarioSuggestsTheClosestName) {
  Ran r = Linux({"show", "migratoin"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err,
            "krgdemo: error: unknown scenario 'migratoin'; did you mean "
            "'migration'? (scenarios: migration, balance, distant-fork, "
            "remote-memory, checkpoint)\n");
  Ran none = Linux({"show"});
  EXPECT_EQ(none.code, 2);
  Ran pace = Linux({"show", "migration", "--pace", "slow"});
  EXPECT_EQ(pace.code, 2);
  EXPECT_NE(pace.err.find("--pace slow: expected normal or fast"),
            std::string::npos);
}

TEST(ShowTest, AddNodeIsAnOptionOfBalanceOnly) {
  Ran r = Linux({"show", "migration", "--add-node"});
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--add-node is an option of show balance only"),
            std::string::npos)
      << r.err;
}

TEST(ShowTest, HelpHasASentencePerScenario) {
  Ran r = Linux({"show", "--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* s : {"migration:", "distant-fork:", "remote-memory:",
                        "checkpoint:", "--pace", "--size", "--nodes"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  }
}

TEST(ShowTest, CtrlCStopsEverythingAndExits130) {
  const fs::path out = fs::path(::testing::TempDir()) /
                       ("show_int_" + std::to_string(::getpid()) + ".txt");
  std::vector<std::string> args = {
      "env",     "-u", "KRGDEMO_SYSROOT", KRGDEMO_BIN, "show", "migration",
      "--nodes", "2",  "--size",          "large"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, as a shell job
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  ASSERT_EQ(::posix_spawnp(&pid, "env", &fa, &attr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  // Until the workers run (the terminal's Ctrl-C reaches the whole group).
  std::string text;
  for (int i = 0; i < 600 && text.find("workers started") == std::string::npos;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(out);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_NE(text.find("workers started"), std::string::npos) << text;
  ASSERT_EQ(::kill(-pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  // Nothing of the group is left.
  EXPECT_EQ(::kill(-pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  fs::remove(out);
}

class ShowKerrighedTest : public test_support::DoubleSysrootTest {
 protected:
  // `show balance ARGS --pace fast --size test` with the double's balancer
  // on, a round every 100 ms (its knob).
  Ran BalanceWithTheBalancerOn(std::vector<std::string> args) {
    std::ofstream(root_ / ".double" / "balancer") << "100";
    args.insert(args.begin(), {"show", "balance"});
    args.insert(args.end(), {"--pace", "fast", "--size", "test"});
    Ran r = Krgdemo(args);
    fs::remove(root_ / ".double" / "balancer");
    return r;
  }
};

TEST_F(ShowKerrighedTest, MigrationMovesWorkersAndRefusesThreads) {
  Ran r = Krgdemo({"show", "migration", "--pace", "fast", "--size", "test"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("krgdemo show migration: kerrighed, 3 nodes"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("3 workers started on node 2"), std::string::npos)
      << r.out;
  EXPECT_EQ(MigratedTo(r.out), (std::multiset<int>{5, 11})) << r.out;
  EXPECT_NE(r.out.find("krgcapset -d +CAN_MIGRATE"), std::string::npos);
  // The OpenMP process: refused, with the reason.
  EXPECT_NE(r.out.find("threads) to node 5: refused: process"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Kerrighed never migrates a multi-threaded process"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("verdict: shown: 2 of 2 workers moved from node 2 to "
                       "nodes 5 and 11 while computing; the image verified; "
                       "a 2-thread process was refused by migrate"),
            std::string::npos)
      << r.out;
  ExpectPlainText(r);
}

TEST_F(ShowKerrighedTest, BalanceIsTheMosixBalancersWork) {
  Ran r = BalanceWithTheBalancerOn({});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 workers started on node 2"), std::string::npos)
      << r.out;
  // 3 loads on node 2: one to node 5, then one to node 11.
  EXPECT_EQ(BalancedTo(r.out), (std::multiset<int>{5, 11})) << r.out;
  EXPECT_NE(r.out.find("verdict: shown: the kernel's balancer spread 3 "
                       "workers started on node 2 over 3 of 3 nodes (nodes 2, "
                       "5 and 11) while they computed; the image verified\n"),
            std::string::npos)
      << r.out;
  // Without --add-node, present node 7 stays out of the cluster.
  EXPECT_EQ(r.out.find("krgadm nodes add"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(root_ / "proc/nodes/node7"));
  ExpectPlainText(r);
}

// Issue 21 item 5: on Kerrighed 3.0 the scenario adds a node live.
TEST_F(ShowKerrighedTest, BalanceAddsANodeLiveAndItTakesItsShare) {
  Ran r = BalanceWithTheBalancerOn({"--add-node"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // One worker more than the 3 online nodes, so that node 7 has a share.
  EXPECT_NE(r.out.find("4 workers started on node 2"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("then node 7 joins the cluster live"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("krgadm nodes add -n 7: node 7 is online (2 CPUs"),
            std::string::npos)
      << r.out;
  // 4 loads on node 2: one to 5, one to 11; node 7 joins: one more from 2.
  // (The double's 100 ms rounds may count a worker that waits for its next
  // unit as idle and make an extra hop on the way, e.g. 2 -> 5 -> 7.)
  const std::multiset<int> to = BalancedTo(r.out);
  EXPECT_EQ(std::set<int>(to.begin(), to.end()), (std::set<int>{5, 7, 11}))
      << r.out;
  EXPECT_LT(r.out.find("node 7 is online"),
            r.out.find("-> node 7 (the kernel's balancer)"))
      << r.out;
  EXPECT_NE(r.out.find("| node 7 ["), std::string::npos) << r.out;  // its lane
  static const std::regex kVerdict(
      "\nverdict: shown: the kernel's balancer spread 4 workers started on "
      "node 2 over 4 of 4 nodes \\(nodes 2, 5, 7 and 11\\) while they "
      "computed; node 7 joined live \\(krgadm nodes add\\) and the balancer "
      "moved worker \\d+ onto it; the image verified\n");
  EXPECT_TRUE(std::regex_search(r.out, kVerdict)) << r.out;
  // It stays in the cluster.
  EXPECT_EQ(Run({"krgadm", "nodes", "status", "-n", "7"}).out, "7:online\n");
  ExpectPlainText(r);
}

TEST_F(ShowKerrighedTest, BalanceWithoutAPresentNodeRunsAsBefore) {
  Ran made =
      Run({KRG_DOUBLE_DIR "/make-sysroot", root_.string(), "--present", ""});
  ASSERT_EQ(made.code, 0) << made.err;
  Ran r = BalanceWithTheBalancerOn({"--add-node"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 workers started on node 2"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("--add-node: no node is present but not online"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("krgadm nodes add -n"), std::string::npos) << r.out;
  EXPECT_EQ(BalancedTo(r.out), (std::multiset<int>{5, 11})) << r.out;
  EXPECT_NE(r.out.find("verdict: shown: the kernel's balancer spread 3 "
                       "workers started on node 2 over 3 of 3 nodes (nodes 2, "
                       "5 and 11) while they computed; the image verified; no "
                       "node was present to add live (krgadm nodes status)\n"),
            std::string::npos)
      << r.out;
}

TEST_F(ShowKerrighedTest, BalanceWithoutAMigratingSchedulerIsNotShown) {
  fs::remove_all(root_ / "config/krg_scheduler/schedulers/mosix");
  Ran r = Krgdemo({"show", "balance", "--pace", "fast", "--size", "test"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: NOT shown: no Kerrighed scheduler migrates "
                       "processes on its own"),
            std::string::npos)
      << r.out;
}

TEST_F(ShowKerrighedTest, MigrationSaysNotShownWhenMovesNeverLand) {
  std::ofstream(root_ / ".double" / "migrate_aborts") << "";
  Ran r = Krgdemo({"show", "migration", "--nodes", "2", "--pace", "fast",
                   "--size", "test"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("verdict: NOT shown: "), std::string::npos) << r.out;
}

TEST_F(ShowKerrighedTest, CheckpointKillsAndRestartsTheSameAnswer) {
  Ran r = Krgdemo({"show", "checkpoint", "--pace", "fast", "--size", "test"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2. Kill the application"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("verdict: shown: application "), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("verified with the same checksum (fnv1a64:"),
            std::string::npos)
      << r.out;
}

TEST_F(ShowKerrighedTest, DistantForkWithoutAPlacingSchedulerIsNotShown) {
  // The double never forks remotely: every process starts on node 2, and
  // the verdict says so instead of claiming a spread.
  Ran r = Krgdemo({"show", "distant-fork", "--pace", "fast", "--size", "test"});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("processes started per node: node 2: "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("placement at fork did not spread them"),
            std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace krg
