// The kerrighed platform driven against the test double of the Kerrighed
// userland (tests/kerrighed/, which follows shared/kerrighed/INTERFACE.md):
// detection under KRGDEMO_SYSROOT, nodes, capabilities applied and verified,
// explicit placement confirmed, and the quirks that must become clear errors.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <set>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krg/shared_arena.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;

using test_support::Ran;

class KerrighedTest : public test_support::DoubleSysrootTest {
 protected:
  void TearDown() override {
    for (pid_t pid : started_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    DoubleSysrootTest::TearDown();
  }

  // A procs poisson run (n=600 on `nodes` nodes) checkpointed in kernel
  // mode every second into `out`, in the background: the launcher's pid.
  pid_t StartCheckpointedPoisson(const fs::path& out, int nodes) {
    return Start("exec " KRGDEMO_BIN
                 " run poisson --size small --param n=600 --engine procs "
                 "--nodes " +
                 std::to_string(nodes) +
                 " --repeat 1 --checkpoint-every 1 --out " + out.string() +
                 " 2>/dev/null");
  }

  // Starts `sh -c script` in the double's environment, in the background.
  pid_t Start(const std::string& script) {
    std::vector<std::string> args = {"env"};
    for (const std::string& e : Env()) args.push_back(e);
    args.insert(args.end(), {"sh", "-c", script});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    EXPECT_EQ(
        ::posix_spawnp(&pid, "env", nullptr, nullptr, argv.data(), environ), 0);
    started_.push_back(pid);
    return pid;
  }
  // The nodes the double says the given processes run on.
  std::set<int> NodesOfPlacedProcesses() const {
    std::set<int> nodes;
    for (const auto& e : fs::directory_iterator(root_ / "proc")) {
      const std::string name = e.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(e.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), {});
      std::istringstream fields(stat.substr(stat.rfind(')') + 1));
      std::string f;
      for (int i = 3; fields >> f; ++i) {
        if (i == 39) nodes.insert(std::stoi(f) / 64);
      }
    }
    return nodes;
  }

  // Resumes `out`, again while the killed run's processes still hold their
  // pids (PIDBUSY: SIGKILL and the reaping of orphans take a moment).
  Ran ResumeWhenPidsAreFree(const fs::path& out) const {
    Ran resumed;
    for (int i = 0; i < 40; ++i) {
      resumed = Krgdemo({"resume", out.string()});
      if (resumed.err.find("in use") == std::string::npos) break;
      ::usleep(100000);
    }
    return resumed;
  }

  std::vector<pid_t> started_;
};

TEST_F(KerrighedTest, InfoListsTheClusterNodesWithTheirIds) {
  Ran r = Krgdemo({"info", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["platform"], "kerrighed");
  std::vector<int> ids;
  for (const auto& n : j["nodes"]) ids.push_back(n["id"]);
  EXPECT_EQ(ids, (std::vector<int>{2, 5, 11}));  // not contiguous
  EXPECT_EQ(j["kerrighed"]["self_node"], 2);
  EXPECT_EQ(j["kerrighed"]["version"], "3.0.0");  // krgcapset --version
  EXPECT_EQ(j["kerrighed"]["nrnodes"]["online"], 3);
  EXPECT_EQ(j["kerrighed"]["nrnodes"]["present"], 4);
  EXPECT_FALSE(j["kerrighed"]["schedulers"].empty());
  Ran text = Krgdemo({"info"});
  EXPECT_NE(text.out.find("node 11"), std::string::npos) << text.out;
}

TEST_F(KerrighedTest, RunRaisesCapabilitiesAndPlacesWorkersOnTheirNodes) {
  const fs::path out = root_ / "out";
  Ran r = Krgdemo({"run", "mandelbrot", "--nodes", "3", "--size", "test",
                   "--repeat", "1", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("did not move"), std::string::npos) << r.err;
  auto file = ReadResultFile(out / "run.json");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const auto& caps = file->runs[0].caps;
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CAN_MIGRATE"), caps.end());
  EXPECT_NE(std::find(caps.begin(), caps.end(), "DISTANT_FORK"), caps.end());
  EXPECT_EQ(file->system.platform, "kerrighed");
  EXPECT_EQ(file->system.kerrighed["caps_requested"],
            nlohmann::json({"CAN_MIGRATE", "DISTANT_FORK"}));
  // Two workers were migrated away from node 2, one to each other node.
  EXPECT_EQ(NodesOfPlacedProcesses(), (std::set<int>{5, 11}));
}

TEST_F(KerrighedTest, SchedulerPlacementGivesTheMasterDistantFork) {
  const fs::path out = root_ / "out";
  Ran r = Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
                   "--repeat", "1", "--placement", "scheduler", "--out",
                   out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  auto file = ReadResultFile(out / "run.json");
  ASSERT_TRUE(file.ok());
  // The forking process itself needs DISTANT_FORK effective (INTERFACE.md
  // 2.2), not only its children.
  const auto effective = file->system.kerrighed["capability_sets"]["effective"];
  EXPECT_NE(std::find(effective.begin(), effective.end(), "DISTANT_FORK"),
            effective.end())
      << effective;
  std::ifstream log(out / "krgdemo.log");
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_NE(text.find("placed by the scheduler on node"), std::string::npos)
      << text;
}

TEST_F(KerrighedTest, RefusesToStartWhenTheCapabilitiesAreNotEffective) {
  // A shell that may no longer hand CAN_MIGRATE to its children: krgcapset
  // -d +CAN_MIGRATE then fails, prints on stdout and still exits 0.
  Ran r = Run({"sh", "-c",
               "krgcapset -f -i -CAN_MIGRATE >/dev/null && exec " KRGDEMO_BIN
               " run mandelbrot --nodes 2 --size test --repeat 1 --out " +
                   (root_ / "out").string()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("krgdemo: error: capabilities: Kerrighed did not "
                        "make the capabilities effective",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("+CAN_MIGRATE"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(root_ / "out" / "run.json"));
}

TEST_F(KerrighedTest, WarnsAboutWorkersWhoseMigrationNeverLands) {
  std::ofstream(root_ / ".double" / "migrate_aborts") << "";
  Ran r = Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
                   "--repeat", "1", "--out", (root_ / "out").string()});
  EXPECT_EQ(r.code, 0) << r.err;  // the answer is still right, and verified
  EXPECT_NE(r.err.find("did not move to node 5 (still on node 2)"),
            std::string::npos)
      << r.err;
}

TEST_F(KerrighedTest, MigrateMovesAProcessThatMayMigrate) {
  // -e: the shell itself (then sleep, the same pid) gets CAN_MIGRATE; -d
  // would only give it to the shell's children.
  pid_t pid = Start("krgcapset -e +CAN_MIGRATE && exec sleep 60");
  Ran r;
  for (int i = 0; i < 20; ++i) {  // until the shell has run krgcapset
    r = Krgdemo({"migrate", std::to_string(pid), "5", "--timeout", "5"});
    if (r.code == 0) break;
    ::usleep(50000);
  }
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "process " + std::to_string(pid) + " now runs on node 5\n");
  Ran offline = Krgdemo({"migrate", std::to_string(pid), "7"});
  EXPECT_EQ(offline.code, 2);
  EXPECT_NE(offline.err.find("no node 7 (nodes: 2, 5, 11)"), std::string::npos)
      << offline.err;
}

TEST_F(KerrighedTest, MigrateRefusesAMultiThreadedProcess) {
  // CAN_MIGRATE, but three threads: Kerrighed never migrates it (EPERM).
  pid_t pid = Start(
      "krgcapset -e +CAN_MIGRATE && exec /usr/bin/python3 -c 'import "
      "threading, time\n"
      "for _ in range(2): threading.Thread(target=time.sleep, args=(60,), "
      "daemon=True).start()\n"
      "time.sleep(60)'");
  Ran r;
  for (int i = 0; i < 40; ++i) {  // until the threads exist
    r = Krgdemo({"migrate", std::to_string(pid), "5", "--timeout", "2"});
    if (r.err.find("multi-threaded") != std::string::npos) break;
    ::usleep(50000);
  }
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("Kerrighed never migrates a multi-threaded process"),
            std::string::npos)
      << r.err;
}

TEST_F(KerrighedTest, KerrighedThatIsNotRunningIsAClearError) {
  // A node's host outside the 3.0 container: /sys/kerrighed, no
  // /proc/nodes/self, krgcapset exits 255 (INTERFACE.md 0, 1.2).
  fs::remove(root_ / "proc/nodes/self");
  Ran r = Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
                   "--out", (root_ / "out").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("exit code 255"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Is Kerrighed running?"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("outside the Kerrighed 3.0 container"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("log into the cluster with `ssh -p 2222 root@<node>`"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  Ran info = Krgdemo({"info"});
  EXPECT_NE(info.code, 0);
  EXPECT_NE(info.err.find("ssh -p 2222"), std::string::npos) << info.err;
}

TEST_F(KerrighedTest, Kerrighed244IsNamedAndRefusedInOneLine) {
  // 2.4.4's krgcapset has no --version (it prints its usage), Linux
  // 2.6.20 has no kernel_max (INTERFACE.md 1.2, 5.1).
  auto made = platform::RunCommand(
      {KRG_DOUBLE_DIR "/make-sysroot", root_.string(), "--version", "2.4.4"});
  ASSERT_TRUE(made.ok() && made->exit.code == 0);
  Ran info = Krgdemo({"info"});
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("version 2.x (krgcapset has no --version"),
            std::string::npos)
      << info.out;
  // Never a word of the usage text (it ends with capability names).
  EXPECT_EQ(info.out.find("version SEE_LOCAL_PROC_STAT"), std::string::npos);
  EXPECT_EQ(info.out.find("version krgcapset"), std::string::npos);
  Ran r = Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
                   "--out", (root_ / "out").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("this is Kerrighed 2.x (krgcapset has no --version and "
                       "/sys/devices/system/cpu/kernel_max is missing, as on "
                       "2.4.4 with Linux 2.6.20): krgdemo needs Kerrighed 3.0"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(root_ / "out" / "run.json"));
}

TEST_F(KerrighedTest, SchedulerPlacementWithoutAPlacingSchedulerSaysSo) {
  // Only the mosix balancer left: it migrates, it places nothing at fork.
  fs::remove_all(root_ / "config/krg_scheduler/schedulers/rr");
  Ran r =
      Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
               "--placement", "scheduler", "--out", (root_ / "out").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--placement scheduler: no Kerrighed scheduler places "
                       "new processes"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("every worker would start on node 2"), std::string::npos)
      << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  // rr back, but handling no process: the same.
  fs::create_directories(root_ /
                         "config/krg_scheduler/schedulers/rr/"
                         "round_robin_balancer");
  fs::create_directories(root_ /
                         "config/krg_scheduler/schedulers/rr/process_set");
  std::ofstream(root_ /
                "config/krg_scheduler/schedulers/rr/process_set/"
                "handle_all")
      << "0\n";
  r = Krgdemo({"run", "mandelbrot", "--nodes", "2", "--size", "test",
               "--placement", "scheduler", "--out", (root_ / "out").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("no Kerrighed scheduler places new processes"),
            std::string::npos)
      << r.err;
}

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(KerrighedTest, AWorkerTheBalancerMovedOnIsReportedNotWarnedAbout) {
  // The double's mosix balancer, every 100 ms, over nodes 5 and 11 only.
  std::ofstream(root_ / ".double/balancer") << "100";
  std::ofstream(root_ / "config/krg_scheduler/schedulers/mosix/node_set")
      << "5,11\n";
  ScopedEnv sysroot("KRGDEMO_SYSROOT", root_.string());
  ScopedEnv path("PATH",
                 std::string(KRG_DOUBLE_DIR "/bin:") + std::getenv("PATH"));
  auto p = platform::MakeKerrighedPlatform();
  ASSERT_TRUE(p->ApplyCapabilities({"CAN_MIGRATE"}, {}).ok());
  auto layout = p->Partition(3);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  ASSERT_EQ(layout->nodes[1].id, 5);
  // Three CPU-bound workers, all sent to node 5: the balancer moves one on
  // to node 11 (3 loads against 0 + 1.3), then stops (2 against 1 + 1.3).
  std::vector<pid_t> workers;
  for (int i = 0; i < 3; ++i) {
    auto child =
        p->SpawnWorker(layout->nodes[1], platform::ChannelKind::kPipes,
                       [](platform::Channel&) {
                         const auto end = std::chrono::steady_clock::now() +
                                          std::chrono::seconds(20);
                         while (std::chrono::steady_clock::now() < end) {
                         }
                         return 0;
                       });
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    child->channel.Close();
    workers.push_back(child->pid);
    started_.push_back(child->pid);
  }
  std::multiset<int> nodes;
  for (int i = 0; i < 100; ++i) {  // until the balancer has moved one
    nodes.clear();
    for (pid_t w : workers) {
      auto at = p->NodeOf(w);
      nodes.insert(at.ok() ? *at : -1);
    }
    if (nodes == std::multiset<int>{5, 5, 11}) break;
    ::usleep(100000);
  }
  ASSERT_EQ(nodes, (std::multiset<int>{5, 5, 11}));
  const std::vector<std::string> lines = p->ConfirmPlacement(3000);
  ASSERT_EQ(lines.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_NE(lines[0].find(" was sent to node 5; Kerrighed's load balancer "
                          "moved it on to node 11"),
            std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find("did not move"), std::string::npos);
  fs::remove(root_ / ".double/balancer");  // the daemon stops
}

// Issue 21 item 5: `krgadm nodes status` / `krgadm nodes add -n ID`.
TEST_F(KerrighedTest, APresentNodeIsListedAndJoinsLive) {
  ScopedEnv sysroot("KRGDEMO_SYSROOT", root_.string());
  ScopedEnv path("PATH",
                 std::string(KRG_DOUBLE_DIR "/bin:") + std::getenv("PATH"));
  auto p = platform::MakeKerrighedPlatform();
  ASSERT_TRUE(p->traits().node_hotplug);
  auto present = p->PresentNodes();
  ASSERT_TRUE(present.ok()) << present.status().ToString();
  EXPECT_EQ(*present, std::vector<int>{7});
  for (int bad : {-1, 256}) {
    EXPECT_EQ(p->AddNode(bad).status().code(), Status::Code::kInvalidArgument);
  }
  auto join = p->AddNode(7);
  ASSERT_TRUE(join.ok()) << join.status().ToString();
  std::optional<platform::Node> node;
  for (int i = 0; i < 200 && !node; ++i) {  // krgadm in the background
    auto polled = (*join)->Poll();
    ASSERT_TRUE(polled.ok()) << polled.status().ToString();
    node = *polled;
    if (!node) ::usleep(50000);
  }
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->id, 7);
  EXPECT_EQ(node->cpus, (std::vector<int>{448, 449}));  // 7 * NR_CPUS + cpu
  EXPECT_TRUE(p->PresentNodes()->empty());
  auto layout = p->Partition(4);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  std::vector<int> ids;
  for (const auto& n : layout->nodes) ids.push_back(n.id);
  EXPECT_EQ(ids, (std::vector<int>{2, 5, 7, 11}));
  EXPECT_TRUE(layout->note.empty()) << layout->note;
}

TEST_F(KerrighedTest, MigrateExplainsWhyAProcessMayNotMove) {
  pid_t pid = Start("exec sleep 60");  // no CAN_MIGRATE
  Ran r = Krgdemo({"migrate", std::to_string(pid), "11"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("may not migrate: it lacks CAN_MIGRATE"),
            std::string::npos)
      << r.err;
}

// Waits for `pid` (started by Start()) and returns its exit code.
int WaitFor(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// checkpoints.json of `out` once it holds a checkpoint `ok` accepts (null
// if none came in 15 s).
nlohmann::json WaitForCheckpoint(
    const fs::path& out, const std::function<bool(const nlohmann::json&)>& ok) {
  for (int i = 0; i < 300; ++i) {
    std::ifstream in(out / "checkpoints.json");
    nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
    if (in && !record.is_discarded() && record.contains("checkpoints") &&
        !record["checkpoints"].empty() && ok(record["checkpoints"].back())) {
      return record;
    }
    ::usleep(50000);
  }
  return nullptr;
}

// checkpoints.json of `out` once a checkpoint saved the SPMD run's two
// System V objects (null if none came in 15 s).
nlohmann::json WaitForIpcCheckpoint(const fs::path& out) {
  return WaitForCheckpoint(
      out, [](const nlohmann::json& c) { return c["ipc"].size() == 2; });
}

// The kind of an object of checkpoints.json's "ipc" list.
platform::IpcKind IpcKindOf(const nlohmann::json& o) {
  return o["kind"] == "shm" ? platform::IpcKind::kShm : platform::IpcKind::kSem;
}

// Every user_info_<node>.txt of a checkpoint version, concatenated.
std::string UserInfo(const fs::path& version) {
  std::string all;
  for (const auto& e : fs::directory_iterator(version)) {
    if (e.path().filename().string().rfind("user_info_", 0) != 0) continue;
    std::ifstream in(e.path());
    all += std::string((std::istreambuf_iterator<char>(in)), {});
  }
  return all;
}

// Issue 21: the procs workers talked over socketpairs, which Kerrighed
// 3.0's checkpoint refuses (ENOSYS); the double refuses them too now.
TEST_F(KerrighedTest, CheckpointedRunIsResumedAfterItsRootIsKilled) {
  const fs::path out = root_ / "out";
  pid_t launcher = Start("exec " KRGDEMO_BIN
                         " run mandelbrot --size large --engine procs "
                         "--nodes 3 --repeat 2 --checkpoint-every 1 --out " +
                         out.string() + " 2>/dev/null");
  // Wait for the first checkpoint, then kill the application root.
  nlohmann::json record =
      WaitForCheckpoint(out, [](const nlohmann::json&) { return true; });
  ASSERT_FALSE(record.is_null()) << "no checkpoint was taken";
  const long appid = record["appid"];
  EXPECT_EQ(appid, record["root_pid"].get<long>());  // appid = root pid
  const int version = record["checkpoints"].back()["version"];
  const fs::path saved = root_ / "var/chkpt" / std::to_string(appid) /
                         ("v" + std::to_string(version));
  EXPECT_TRUE(fs::exists(saved / "description.txt"));
  // The workers' channels were saved as pipes; no socket was open.
  const std::string info = UserInfo(saved);
  EXPECT_NE(info.find("pipe    |"), std::string::npos) << info;
  EXPECT_EQ(info.find("socket"), std::string::npos) << info;
  EXPECT_TRUE(record["checkpoints"].back()["ipc"].empty());  // a farm: none
  ASSERT_EQ(::kill(static_cast<pid_t>(appid), SIGKILL), 0);
  started_.clear();  // the launcher is reaped here
  EXPECT_EQ(WaitFor(launcher), 1);
  EXPECT_FALSE(fs::exists(out / "run.json"));

  Ran resumed = ResumeWhenPidsAreFree(out);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("Application " + std::to_string(appid) +
                             " has been successfully restarted"),
            std::string::npos)
      << resumed.out;
  EXPECT_NE(resumed.out.find("resumed mandelbrot (large): verified"),
            std::string::npos)
      << resumed.out;
  auto file = ReadResultFile(out / "run.json");
  ASSERT_TRUE(file.ok());
  EXPECT_TRUE(file->runs[0].verified);
  const auto& caps = file->runs[0].caps;
  EXPECT_NE(std::find(caps.begin(), caps.end(), "CHECKPOINTABLE"), caps.end());
}

// Issue 21: the SPMD segment was marked IPC_RMID at once and vanished with
// the killed application, and Kerrighed does not save System V objects with
// it. Now both are found by key while the application is frozen, saved with
// ipccheckpoint, restored with ipcrestart before restart, and gone after.
TEST_F(KerrighedTest, SpmdRunIsResumedWithItsSystemVObjects) {
  const fs::path out = root_ / "out";
  pid_t launcher = StartCheckpointedPoisson(out, 3);
  nlohmann::json record = WaitForIpcCheckpoint(out);
  ASSERT_FALSE(record.is_null()) << "no checkpoint with the arena was taken";
  const long appid = record["appid"];
  const nlohmann::json last = record["checkpoints"].back();
  const fs::path ipc_dir =
      out / "ipc" / ("v" + std::to_string(last["version"].get<int>()));
  std::vector<platform::IpcObject> objects;
  for (const auto& o : last["ipc"]) {
    platform::IpcObject object{IpcKindOf(o), o["key"], o["id"]};
    EXPECT_TRUE(fs::exists(ipc_dir / platform::IpcFileName(object)))
        << platform::IpcFileName(object);
    objects.push_back(object);
  }
  ASSERT_EQ(objects[0].kind, platform::IpcKind::kShm);
  EXPECT_EQ(objects[1].key, objects[0].key + 1);  // the barrier's
  EXPECT_GE(fs::file_size(ipc_dir / platform::IpcFileName(objects[0])),
            600u * 600 * 8);  // the arena holds the grid
  ASSERT_EQ(::kill(static_cast<pid_t>(appid), SIGKILL), 0);
  started_.clear();
  EXPECT_EQ(WaitFor(launcher), 1);
  for (const platform::IpcObject& o : objects) {  // the launcher removed them
    EXPECT_LT(platform::FindIpc(o.kind, o.key), 0) << o.key;
  }

  Ran resumed = ResumeWhenPidsAreFree(out);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resumed poisson (small): verified"),
            std::string::npos)
      << resumed.out;
  for (const platform::IpcObject& o : objects) {  // restored, then removed
    EXPECT_LT(platform::FindIpc(o.kind, o.key), 0) << o.key;
    EXPECT_FALSE(o.kind == platform::IpcKind::kShm ? platform::ShmExists(o.id)
                                                   : platform::SemExists(o.id));
  }
  // Neither did the run the double restarted leave any (its own keys).
  std::ifstream in(out / "checkpoints.json");
  const nlohmann::json again = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(again.is_discarded());
  for (const auto& c : again["checkpoints"]) {
    for (const auto& o : c["ipc"]) {
      EXPECT_LT(platform::FindIpc(IpcKindOf(o), o["key"]), 0);
    }
  }
}

// A resume must not remove or replace the System V objects of an
// application that still runs.
TEST_F(KerrighedTest, ResumeRefusesWhileTheApplicationRuns) {
  const fs::path out = root_ / "out";
  pid_t launcher = StartCheckpointedPoisson(out, 2);
  nlohmann::json record = WaitForIpcCheckpoint(out);
  ASSERT_FALSE(record.is_null()) << "no checkpoint with the arena was taken";
  const int key = record["checkpoints"].back()["ipc"][0]["key"];
  const int id = platform::FindIpc(platform::IpcKind::kShm, key);
  Ran r = Krgdemo({"resume", out.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the application is still running; stop it first"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(platform::FindIpc(platform::IpcKind::kShm, key), id);  // intact
  ASSERT_EQ(::kill(record["appid"].get<pid_t>(), SIGKILL), 0);
  started_.clear();
  EXPECT_EQ(WaitFor(launcher), 1);
  EXPECT_LT(platform::FindIpc(platform::IpcKind::kShm, key), 0);
  EXPECT_LT(platform::FindIpc(platform::IpcKind::kSem, key + 1), 0);
}

TEST_F(KerrighedTest, CheckpointFailuresAreExplainedAndTheRunGoesOn) {
  fs::remove_all(root_ / "var/chkpt");
  Ran r = Krgdemo({"run", "mandelbrot", "--size", "large", "--nodes", "2",
                   "--repeat", "1", "--checkpoint-every", "1", "--out",
                   (root_ / "out").string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("/var/chkpt is missing"), std::string::npos) << r.err;
}

TEST_F(KerrighedTest, ResumeNeedsACheckpointedFolder) {
  fs::create_directories(root_ / "empty");
  Ran r = Krgdemo({"resume", (root_ / "empty").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("has no checkpoints.json"), std::string::npos) << r.err;
}

// Issue 4: on linux --checkpoint-every uses the runtime's journal; only the
// kernel mode needs Kerrighed's transparent checkpoint.
TEST(CheckpointOnLinuxTest, KernelModeNeedsKerrighed) {
  auto r = platform::RunCommand({KRGDEMO_BIN, "run", "mandelbrot", "--size",
                                 "test", "--checkpoint-every", "1",
                                 "--checkpoint-mode", "kernel"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit.code, 2);
  EXPECT_NE(r->err.find("needs Kerrighed's transparent checkpoint"),
            std::string::npos)
      << r->err;
}

TEST(CheckpointOnLinuxTest, CheckpointEveryUsesTheJournal) {
  const std::string out =
      ::testing::TempDir() + "/krg_linux_journal_" + std::to_string(::getpid());
  auto r =
      platform::RunCommand({KRGDEMO_BIN, "run", "mandelbrot", "--size", "test",
                            "--checkpoint-every", "1", "--out", out});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit.code, 0) << r->err;
  EXPECT_TRUE(std::filesystem::exists(out + "/checkpoint/farm.journal"));
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace krg
