// Platform: where a run executes, behind one interface (leveldb's Env).
//
// A Platform answers which nodes exist and how a worker process is placed on
// one. Everything that talks to the OS or to the cluster OS (fork, exec,
// waitpid, sched_setaffinity, /proc) lives behind it, in harness/platform/.
// Implementations: `linux` (an SMP split into virtual nodes by CPU sets) and,
// later, `kerrighed` and `mpi`.
//
// Thread-safety: a Platform is created once by the launcher and used from the
// thread that runs executors; its methods are not meant for concurrent calls.
// The process helpers at the end are free functions, safe from any thread.
#ifndef KRG_PLATFORM_H_
#define KRG_PLATFORM_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krg/status.h"

namespace krg::platform {

// One node a run can use. On linux a virtual node: a group of CPUs.
struct Node {
  int id = 0;
  std::vector<int> cpus;  // CPU numbers a worker on this node may run on
  std::int64_t mem_mb = 0;
  double load = 0;  // busy fraction of its CPUs, 0..1 (per-CPU mean)
};

// How `nodes` were laid out for a run, with anything the user should know.
struct Layout {
  std::vector<Node> nodes;
  bool cpus_shared = false;  // more nodes than CPUs: nodes share CPUs
  std::string note;          // one sentence, shown once, when not empty
};

// What `krgdemo info` and result files say about the machine.
struct SystemInfo {
  std::string platform;  // "linux" | "kerrighed"
  std::string kernel;    // uname -sr
  std::string cpu_model;
  int usable_cpus = 0;
  std::int64_t mem_mb = 0;
  std::vector<Node> nodes;       // physical nodes (linux: one, with every CPU)
  std::vector<double> cpu_load;  // per usable CPU, 0..1, sampled briefly
};

// A worker process and the master's end of its bidirectional channel.
struct Child {
  pid_t pid = -1;
  int fd = -1;  // a socketpair end: messages both ways; closed by the owner
};

// How a process ended.
struct ExitInfo {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  int signal = 0;  // killed by this signal when !exited
  std::string ToString()
      const;  // "exit code 3" | "killed by signal 9 (Killed)"
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual std::string name() const = 0;
  // With `sample_load`, also measures per-CPU load over a short interval.
  virtual Result<SystemInfo> Describe(bool sample_load) = 0;
  // Lays out `count` nodes for a run.
  // REQUIRES: count >= 1
  virtual Result<Layout> Partition(int count) = 0;
  // Starts a single-threaded worker process on `node` that runs body(fd) and
  // exits with its return value. The child never returns into the caller.
  virtual Result<Child> SpawnWorker(const Node& node,
                                    const std::function<int(int fd)>& body) = 0;
};

// The platform this machine runs: kerrighed when detected, else linux.
std::unique_ptr<Platform> DetectPlatform();
std::unique_ptr<Platform> MakeLinuxPlatform();

// Process helpers (POSIX), safe from any thread.
Status SendSignal(pid_t pid, int sig);
// Waits for `pid` to end. With `block` false, returns nullopt if it still runs.
Result<std::optional<ExitInfo>> Reap(pid_t pid, bool block);

// Runs argv[0] (looked up on PATH) with `argv`, no shell; captures stdout and
// stderr. Fails with kUnavailable when the program is not found.
struct CommandOutput {
  ExitInfo exit;
  std::string out;
  std::string err;
};
Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 const std::string& stdin_data = "");
// True when `program` is found on PATH (or is an executable path).
bool ProgramExists(const std::string& program);

// Installs handlers so that SIGINT, SIGTERM and SIGHUP set the returned flag
// instead of killing the process (workers get default dispositions back), and
// ignores SIGPIPE. Call once, early, from the main thread.
const std::atomic<bool>* InstallInterruptFlag();
// The signal that set the flag (0 if none).
int InterruptSignal();

}  // namespace krg::platform

#endif  // KRG_PLATFORM_H_
