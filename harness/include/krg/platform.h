// Platform: where a run executes, behind one interface (leveldb's Env).
//
// A Platform answers which nodes exist and how a worker process is placed on
// one. Everything that talks to the OS or to the cluster OS (fork, exec,
// waitpid, sched_setaffinity, /proc) lives behind it, in harness/platform/.
// Implementations: `linux` (an SMP split into virtual nodes by CPU sets) and
// `kerrighed`; PlatformWrapper forwards to another for decorators. Callers
// tell platforms apart by traits(), never by name(), which is for display.
//
// Thread-safety: a Platform is created once by the launcher and used from the
// thread that runs executors; its methods are not meant for concurrent calls.
// The process helpers at the end are free functions, safe from any thread.
#ifndef KRG_PLATFORM_H_
#define KRG_PLATFORM_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krg/channel.h"
#include "krg/status.h"

namespace krg::platform {

// One node a run can use. On linux a virtual node: a group of CPUs.
struct Node {
  int id = 0;
  std::vector<int> cpus;  // CPU numbers a worker on this node may run on
  std::int64_t mem_mb = 0;
  double load = 0;  // busy fraction of its CPUs, 0..1 (per-CPU mean)
  // Free RAM (MemFree) when described: what other nodes' processes may
  // borrow (Kerrighed remote memory). 0 where not read (linux).
  std::int64_t mem_free_mb = 0;
  // cluster: the machine's address, and why it cannot be reached (empty
  // when it answered); empty on the other platforms.
  std::string address{};
  std::string unreachable{};
  // cluster, when sampled (Describe(true)): the machine's own 1-minute load
  // average, the CPUs its kernel counts and the used fraction of its memory
  // (MemAvailable); -1, 0 and -1 where not read.
  double loadavg_1m = -1;
  int machine_cpus = 0;
  double mem_used = -1;
};

// A machine of a cluster of separate hosts (the `cluster` platform), as its
// cluster file lists it (docs/cluster.md).
struct Machine {
  std::string address;  // a host name or IPv4 address, checked safe
  int cpus = 1;         // the MPI slots it offers
  std::int64_t mem_mb = 0;
};

// One machine's load before a run, judged on its own CPUs: busy when its
// load average per CPU is over `busy_over`.
struct MachineLoad {
  std::string address;
  double loadavg_1m = 0;
  int cpus = 0;
  double per_cpu = 0;
  bool busy = false;
};
// The machines of `nodes` (the cluster platform's Describe(true)) whose
// load was read (harness/platform/cluster_file.cc).
std::vector<MachineLoad> JudgeMachineLoads(const std::vector<Node>& nodes,
                                           double busy_over);
// "10.0.0.13 (load 2.1 on 1 CPU, 2.10 per CPU)" for each busy machine,
// joined by ", "; empty when none is busy.
std::string BusyMachinesText(const std::vector<MachineLoad>& loads);

// How `nodes` were laid out for a run, with anything the user should know.
struct Layout {
  std::vector<Node> nodes;
  bool cpus_shared = false;  // more nodes than CPUs: nodes share CPUs
  std::string note;          // one sentence, shown once, when not empty
};

// Kerrighed capability sets of one process, as bit masks (INTERFACE.md 1.3:
// bit 0 CHANGE_KERRIGHED_CAP, 1 CAN_MIGRATE, 2 DISTANT_FORK, ...).
struct CapSets {
  int permitted = 0;
  int effective = 0;
  int inheritable_permitted = 0;
  int inheritable_effective = 0;
  // What a child forked now gets in its effective set (INTERFACE.md 1.4).
  int ChildEffective() const {
    return inheritable_effective & inheritable_permitted;
  }
};

// The capability names, indexed by bit number.
const std::vector<std::string>& CapabilityNames();
// Bit mask of `names`; kInvalidArgument naming an unknown capability.
Result<int> CapabilityMask(const std::vector<std::string>& names);
// Names of the bits set in `mask`, in bit order.
std::vector<std::string> CapabilityList(int mask);
// Parses the four-block output of `krgcapset -s` (INTERFACE.md 1.5).
Result<CapSets> ParseCapsetShow(const std::string& text);

// What the platform did about a demo's capabilities.
struct CapsReport {
  bool applicable = false;  // false on linux: there are no capabilities
  std::vector<std::string> requested;
  std::vector<std::string> effective;  // what the workers get
};

// A scheduler configured under /config/krg_scheduler/schedulers.
struct SchedulerInfo {
  std::string name;
  std::vector<std::string> policies;  // e.g. round_robin_balancer
  bool handle_all = false;            // process_set/handle_all is 1
};

// What can be read of a Kerrighed cluster.
struct KerrighedInfo {
  std::string version;  // from `krgcapset --version`, or "unknown"
  int self_node = -1;
  int online = 0, present = 0, possible = 0;  // /proc/nodes/nrnodes
  std::optional<CapSets> caps;                // of this process
  std::vector<SchedulerInfo> schedulers;
};

// Where procs workers go on Kerrighed: fork locally then `migrate` them to
// chosen nodes, or let DISTANT_FORK and Kerrighed's scheduler place them.
enum class Placement { kExplicit, kScheduler };

// A System V object of an application. Kerrighed's checkpoint does not save
// System V IPC with the application (INTERFACE.md 3.1): `ipccheckpoint`
// saves each object while the application is frozen, `ipcrestart` brings it
// back (same key and id) before `restart`. The application names its
// objects by key, so that they can be found while it is frozen.
enum class IpcKind { kShm, kSem };
struct IpcObject {
  IpcKind kind = IpcKind::kShm;
  int key = 0;  // never IPC_PRIVATE (0)
  int id = -1;  // when it was saved
};
// "shm" | "sem".
const char* IpcKindName(IpcKind kind);
// The file an object is saved to in a checkpoint's IPC folder:
// "shm-<key>.bin" | "sem-<key>.bin".
std::string IpcFileName(const IpcObject& object);

// A checkpoint of an application: its id (the root pid) and version, and
// the System V objects saved with it.
struct CheckpointId {
  long appid = 0;
  int version = 0;
  std::vector<IpcObject> ipc;
};

// What to checkpoint: the application whose root process is `root`, and the
// System V objects in `ipc` that exist at that moment (found by key while it
// is frozen), saved into the folder `ipc_dir` (which exists), one file each
// (IpcFileName).
struct CheckpointRequest {
  pid_t root = -1;
  std::vector<IpcObject> ipc;
  std::filesystem::path ipc_dir;
};

// What `krgdemo info` and result files say about the machine.
struct SystemInfo {
  std::string platform;  // "linux" | "kerrighed" | "cluster"
  std::string kernel;    // uname -sr
  std::string cpu_model;
  int usable_cpus = 0;
  std::int64_t mem_mb = 0;
  std::vector<Node> nodes;       // physical nodes (linux: one, with every CPU)
  std::vector<double> cpu_load;  // per usable CPU, 0..1, sampled briefly
  double loadavg_1m = -1;        // linux: the kernel's 1-minute load average
  std::optional<KerrighedInfo> kerrighed;  // set on the kerrighed platform
};

// A worker process and the master's end of its channel (krg/channel.h).
struct Child {
  pid_t pid = -1;
  Channel channel;  // messages both ways; closing it tells the worker EOF
};

// What a worker process runs: its end of the channel in, its exit code out.
using WorkerBody = std::function<int(Channel& channel)>;

// How a process ended.
struct ExitInfo {
  bool exited = false;  // exited normally with `code`
  int code = 0;
  int signal = 0;  // killed by this signal when !exited
  std::string ToString()
      const;  // "exit code 3" | "killed by signal 9 (Killed)"
};

// What a platform can do, so that callers ask about a capability rather than
// test the platform's name. Plain data; the values never change for a given
// platform.
struct PlatformTraits {
  // Nodes are groups of this machine's CPUs, laid out per run in any number
  // (linux); else they are the cluster's machines, as many as are online.
  bool virtual_nodes = false;
  // Processes carry Kerrighed capability sets (ApplyCapabilities applies).
  bool capabilities = false;
  // fork() may place the child on another node (DISTANT_FORK): where a
  // worker started must be asked (NodeOf), not assumed from SpawnWorker.
  bool distant_fork = false;
  // The kernel moves a running process to another node (`migrate PID NODE`);
  // else a move only changes which CPUs it may use.
  bool kernel_migration = false;
  // Checkpoint and Restart work on a whole application (Kerrighed's
  // `checkpoint` / `restart`); else a run can only journal its own state.
  bool transparent_checkpoint = false;
  // Every node draws on one physical memory, so per-node memory figures are
  // shares of the same RAM.
  bool memory_shared_between_nodes = false;
  // A process may use other nodes' free RAM (USE_REMOTE_MEMORY).
  bool remote_memory = false;
  // Nodes are separate machines with kernels of their own, reached over
  // ssh (cluster): no worker can be forked onto them; runs across them
  // start their ranks with mpirun (RunMachines).
  bool separate_machines = false;
  // A node that is present but not online can join the running cluster
  // (Kerrighed 3.0's `krgadm nodes add`): PresentNodes and AddNode work.
  bool node_hotplug = false;
};

// A node joining the cluster (Platform::AddNode), polled from the thread
// that uses the platform. Destroying it before it is done stops the join's
// helper process (the node may still come online).
class NodeJoin {
 public:
  virtual ~NodeJoin() = default;
  // Never blocks: nullopt while the node is not online yet, the node once
  // it is; an error when the join failed or took too long.
  virtual Result<std::optional<Node>> Poll() = 0;
};

class Platform {
 public:
  virtual ~Platform() = default;
  virtual std::string name() const = 0;  // for people: text, JSON, results
  virtual PlatformTraits traits() const = 0;
  // How many nodes a run uses when the user names none: every usable CPU as
  // a node of its own on virtual nodes, else every node of the cluster.
  int DefaultNodeCount(const SystemInfo& info) const {
    return traits().virtual_nodes ? info.usable_cpus
                                  : static_cast<int>(info.nodes.size());
  }
  // With `sample_load`, also the load: linux the kernel's 1-minute load
  // average (read at once), kerrighed each node's load average, cluster
  // each machine's CPUs sampled over ssh (0.25 s apart).
  virtual Result<SystemInfo> Describe(bool sample_load) = 0;
  // Lays out `count` nodes for a run.
  // REQUIRES: count >= 1
  virtual Result<Layout> Partition(int count) = 0;
  // Starts a single-threaded worker process on `node`, connected to this
  // one by a channel of `kind`, that runs body(its end of the channel) and
  // exits with its return value. The child never returns into the caller.
  virtual Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                                    const WorkerBody& body) = 0;

  // Makes `caps` effective in the workers this process forks from now on;
  // fails (kFailedPrecondition) when the cluster does not grant them. On
  // linux there are no capabilities: returns a report with !applicable.
  virtual Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>& drop) = 0;
  // Moves process `pid` to `node` (kerrighed: `migrate`, asynchronous;
  // linux: the CPU set of every thread of the process).
  virtual Status MoveProcess(pid_t pid, const Node& node) = 0;
  // The node `pid` runs on now; kNotFound when that cannot be read.
  virtual Result<int> NodeOf(pid_t pid) = 0;
  // Where workers spawned since the last call ended up, waiting up to
  // `timeout_ms` for asynchronous moves to land: one line per worker that is
  // not where it was sent (empty when all are).
  virtual std::vector<std::string> ConfirmPlacement(int timeout_ms) {
    (void)timeout_ms;
    return {};
  }
  virtual void SetPlacement(Placement placement) { (void)placement; }

  // separate_machines: the machines of a run of `count` nodes, each checked
  // reachable over ssh first; kFailedPrecondition naming the machines that
  // are not, and why, in one line. kUnavailable elsewhere.
  virtual Result<std::vector<Machine>> RunMachines(int count) {
    (void)count;
    return Status::Unavailable(name() + " has no separate machines");
  }

  // node_hotplug: the ids of the nodes that are present but not online
  // (Kerrighed: `krgadm nodes status`, lines "N:present"), ascending; empty
  // elsewhere.
  virtual Result<std::vector<int>> PresentNodes() { return std::vector<int>{}; }
  // node_hotplug: starts adding node `id`, present but not online, to the
  // running cluster (Kerrighed: `krgadm nodes add -n ID`, in the background,
  // bounded in time); poll the join until the node is online. Returns at
  // once, so a run's master keeps handing out work meanwhile.
  // kInvalidArgument for an id out of range, kUnavailable where nodes cannot
  // join live.
  virtual Result<std::unique_ptr<NodeJoin>> AddNode(int id) {
    (void)id;
    return Status::Unavailable(name() + " cannot add a node live");
  }

  // Checkpoints an application (Kerrighed: `checkpoint PID`, which freezes,
  // saves and unfreezes it; with System V objects: `checkpoint -f`,
  // `ipccheckpoint` for each, `checkpoint -c`, `checkpoint -u`).
  // kUnavailable where the platform has no transparent checkpoint (linux).
  virtual Result<CheckpointId> Checkpoint(const CheckpointRequest& request) {
    (void)request;
    return Status::Unavailable(name() + " has no transparent checkpoint");
  }
  // Restarts a checkpointed application and waits until it ends (Kerrighed:
  // `ipcrestart` for each object of id.ipc, from `ipc_dir`, then
  // `restart -f APPID VERSION`); its output goes to this process's stdout.
  virtual Status Restart(const CheckpointId& id,
                         const std::filesystem::path& ipc_dir) {
    (void)id;
    (void)ipc_dir;
    return Status::Unavailable(name() + " has no transparent restart");
  }
};

// A Platform that forwards every call to another (leveldb's EnvWrapper): a
// subclass overrides only what it changes or observes, and the rest keeps
// working, Checkpoint and Restart included. `target` must outlive it.
//
//   class Logging : public PlatformWrapper {
//    public:
//     using PlatformWrapper::PlatformWrapper;
//     Status MoveProcess(pid_t pid, const Node& node) override { ... }
//   };
class PlatformWrapper : public Platform {
 public:
  explicit PlatformWrapper(Platform& target) : target_(target) {}
  Platform& target() const { return target_; }

  std::string name() const override { return target_.name(); }
  PlatformTraits traits() const override { return target_.traits(); }
  Result<SystemInfo> Describe(bool sample_load) override {
    return target_.Describe(sample_load);
  }
  Result<Layout> Partition(int count) override {
    return target_.Partition(count);
  }
  Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                            const WorkerBody& body) override {
    return target_.SpawnWorker(node, kind, body);
  }
  Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>& drop) override {
    return target_.ApplyCapabilities(raise, drop);
  }
  Status MoveProcess(pid_t pid, const Node& node) override {
    return target_.MoveProcess(pid, node);
  }
  Result<int> NodeOf(pid_t pid) override { return target_.NodeOf(pid); }
  std::vector<std::string> ConfirmPlacement(int timeout_ms) override {
    return target_.ConfirmPlacement(timeout_ms);
  }
  void SetPlacement(Placement placement) override {
    target_.SetPlacement(placement);
  }
  Result<std::vector<Machine>> RunMachines(int count) override {
    return target_.RunMachines(count);
  }
  Result<std::vector<int>> PresentNodes() override {
    return target_.PresentNodes();
  }
  Result<std::unique_ptr<NodeJoin>> AddNode(int id) override {
    return target_.AddNode(id);
  }
  Result<CheckpointId> Checkpoint(const CheckpointRequest& request) override {
    return target_.Checkpoint(request);
  }
  Status Restart(const CheckpointId& id,
                 const std::filesystem::path& ipc_dir) override {
    return target_.Restart(id, ipc_dir);
  }

 private:
  Platform& target_;
};

// The platform this machine runs: cluster when a cluster file is found
// (UseClusterFile, else $KRGDEMO_CLUSTER, else /etc/krgdemo/cluster), else
// kerrighed when detected, else linux. Every path is read under
// $KRGDEMO_SYSROOT (default /) and the Kerrighed tools are found on PATH, so
// a test double can stand in for a cluster.
std::unique_ptr<Platform> DetectPlatform();
// This machine's own platform, cluster file or not: kerrighed or linux.
std::unique_ptr<Platform> DetectLocalPlatform();
std::unique_ptr<Platform> MakeLinuxPlatform();
std::unique_ptr<Platform> MakeKerrighedPlatform();
// The cluster platform of the machines listed in `file`; a file that does
// not parse gives a platform whose every call returns that error.
std::unique_ptr<Platform> MakeClusterPlatform(const std::string& file);
// The cluster file --cluster named: DetectPlatform() uses it from now on.
// kInvalidArgument (one line, naming the file and line) when it does not
// parse.
Status UseClusterFile(const std::string& file);
// `path` (absolute) under $KRGDEMO_SYSROOT.
std::string SysPath(const std::string& path);
// The 1-minute load average of this machine (/proc/loadavg under the
// sysroot); kUnavailable when it cannot be read.
Result<double> LoadAverage();

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
// The same, run in the folder `dir` (so that what the program reads and
// writes can be named relative to it, with no path on its command line).
Result<CommandOutput> RunCommandIn(const std::filesystem::path& dir,
                                   const std::vector<std::string>& argv,
                                   const std::string& stdin_data = "");
// The same, but the program writes straight to this process's stdout (only
// stderr is captured): for long commands whose output the user should see.
Result<CommandOutput> RunCommandPassingStdout(
    const std::vector<std::string>& argv);
// Forks a child process that runs body() and exits with its return value;
// it keeps stdin/stdout/stderr and the signal dispositions of this process.
Result<pid_t> ForkChild(const std::function<int()>& body);
// True when `program` is found on PATH (or is an executable path).
bool ProgramExists(const std::string& program);

// Installs handlers so that SIGINT, SIGTERM and SIGHUP set the returned flag
// instead of killing the process (workers get default dispositions back), and
// ignores SIGPIPE. Call once, early, from the main thread.
const std::atomic<bool>* InstallInterruptFlag();
// The signal that set the flag (0 if none).
int InterruptSignal();

// Starts argv[0] (looked up on PATH) with `argv` in the background, no shell:
// stdin from /dev/null, stdout and stderr appended to the file `output`. The
// caller reaps it (Reap). kUnavailable when the program is not found.
Result<pid_t> StartCommand(const std::vector<std::string>& argv,
                           const std::string& output = "/dev/null");
// The same, but the command's stdout is a pipe whose read end (close-on-
// exec, closed by the caller) is `out_fd`, and only its stderr is appended
// to `errors`: a channel for what it prints, apart from its diagnostics.
struct PipedCommand {
  pid_t pid = -1;
  int out_fd = -1;
};
Result<PipedCommand> StartCommandPiped(const std::vector<std::string>& argv,
                                       const std::string& errors);
// How many threads process `pid` has now; kNotFound when it is gone.
Result<int> ThreadCount(pid_t pid);
// The processes of this user (owner = effective uid) whose name
// (/proc/PID/comm, the real /proc: on Kerrighed it is cluster-wide) is
// `comm`, in pid order; this process is left out.
std::vector<pid_t> ProcessesNamed(const std::string& comm);
// The path of this process's executable (/proc/self/exe).
Result<std::string> SelfExecutable();
// Resident memory of process `pid` (0: this process) in bytes, from
// /proc/PID/statm; kNotFound when it is gone.
Result<std::int64_t> ResidentBytes(pid_t pid);
// CPU time (user + system) process `pid` has used, in seconds, from
// /proc/PID/stat (a zombie's too, until it is reaped); kNotFound when gone.
Result<double> CpuSeconds(pid_t pid);
// Time process `pid` spent runnable but waiting for a CPU, in seconds, from
// /proc/PID/schedstat: how much the machine's other load held it back.
Result<double> RunqueueWaitSeconds(pid_t pid);

// While `on`, orphaned descendants of this process become its children
// (Linux PR_SET_CHILD_SUBREAPER): a launcher that exits before its own
// children (mpirun, when a job aborts) leaves them to be reaped here.
Status AdoptOrphans(bool on);
// This process's children now (from /proc), zombies included.
std::vector<pid_t> ChildPids();
// Waits up to `timeout_ms` for every child of this process that is not in
// `keep` to end, then kills (SIGKILL) and reaps those still running; bounded.
// Returns how many it reaped.
int ReapChildrenExcept(const std::vector<pid_t>& keep, int timeout_ms);

}  // namespace krg::platform

#endif  // KRG_PLATFORM_H_
