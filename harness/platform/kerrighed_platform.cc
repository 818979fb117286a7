// The `kerrighed` platform: a Kerrighed 2.x/3.0 single-system-image cluster,
// driven through its files (/proc/nodes, /sys/kerrighed, /config/krg_scheduler,
// /proc/<pid>/stat) and its tools (krgcapset, migrate), exactly as
// shared/kerrighed/INTERFACE.md describes them. Every path is taken under
// $KRGDEMO_SYSROOT and every tool from PATH, so a test double can stand in.
#include <dirent.h>
#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "fork_worker.h"
#include "krg/platform.h"
#include "krg/private_dir.h"
#include "krg/shared_arena.h"

namespace krg::platform {
namespace {

namespace fs = std::filesystem;

// The text of a file under the sysroot.
std::string Sys(const std::string& path) {
  return ReadSmallFile(SysPath(path));
}

int CountProcessors(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    n += line.rfind("processor", 0) == 0;
  }
  return n;
}

std::string ModelName(const std::string& cpuinfo) {
  std::istringstream in(cpuinfo);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) {
        return line.substr(colon + 2);
      }
    }
  }
  return "unknown";
}

// The "MemTotal:" (or `field`) line of a meminfo file, in MB.
std::int64_t MemTotalMb(const std::string& meminfo,
                        const std::string& field = "MemTotal:") {
  std::istringstream in(meminfo);
  std::string key;
  std::int64_t kb = 0;
  while (in >> key >> kb) {
    if (key == field) return kb / 1024;
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

// "ONLINE:3\nPRESENT:4\nPOSSIBLE:256\n" (INTERFACE.md 5.1).
void ParseNrNodes(const std::string& text, KerrighedInfo* info) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const int value = std::atoi(line.c_str() + colon + 1);
    if (key == "ONLINE") info->online = value;
    if (key == "PRESENT") info->present = value;
    if (key == "POSSIBLE") info->possible = value;
  }
}

// The 39th field of /proc/<pid>/stat: the CPU (global id) it runs on.
Result<int> ProcessorOf(pid_t pid) {
  const std::string stat = Sys("/proc/" + std::to_string(pid) + "/stat");
  auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return Status::NotFound("no /proc/" + std::to_string(pid) + "/stat");
  }
  std::istringstream in(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; in >> field; ++i) {
    if (i == 39) return std::atoi(field.c_str());
  }
  return Status::NotFound("short /proc/" + std::to_string(pid) + "/stat");
}

// NR_CPUS: global CPU ids are node * NR_CPUS + local cpu (INTERFACE.md 5.1).
int NrCpus() {
  const std::string max = Sys("/sys/devices/system/cpu/kernel_max");
  const int v = std::atoi(max.c_str());
  return v > 0 ? v + 1 : 64;
}

// Maps `migrate`'s stderr (perror) to what the user should do about it.
Status MigrateError(pid_t pid, int node, const CommandOutput& out) {
  const std::string err = out.err.empty() ? out.out : out.err;
  const std::string who = "process " + std::to_string(pid);
  if (err.find("Operation not permitted") != std::string::npos) {
    return Status::FailedPrecondition(
        who +
        " may not migrate: it lacks CAN_MIGRATE, or it is "
        "multi-threaded (Kerrighed never migrates a multi-threaded "
        "process)");
  }
  if (err.find("not on the network") != std::string::npos) {
    return Status::FailedPrecondition("node " + std::to_string(node) +
                                      " is not online");
  }
  if (err.find("No such process") != std::string::npos) {
    return Status::NotFound("no " + who);
  }
  if (err.find("Invalid argument") != std::string::npos) {
    return Status::InvalidArgument("node " + std::to_string(node) +
                                   " is out of range");
  }
  return Status::Internal("migrate " + std::to_string(pid) + " " +
                          std::to_string(node) + " failed: " + err);
}

// The policies that place a new process (a `new_task_node` operation in
// kernel/kerrighed/scheduler/policies/): rr's round_robin_balancer, and the
// rbt policy of later kernels. The mosix balancer only migrates.
bool PlacesNewProcesses(const SchedulerInfo& s) {
  if (!s.handle_all) return false;
  for (const std::string& p : s.policies) {
    if (p == "round_robin_balancer" || p == "rbt_policy") return true;
  }
  return false;
}

// A balancer that migrates processes on its own (mosix, rbt).
bool MovesProcesses(const SchedulerInfo& s) {
  if (!s.handle_all) return false;
  for (const std::string& p : s.policies) {
    if (p == "mosix_load_balancer" || p == "rbt_policy") return true;
  }
  return false;
}

std::vector<SchedulerInfo> ReadSchedulers();

class KerrighedPlatform final : public Platform {
 public:
  std::string name() const override { return "kerrighed"; }
  PlatformTraits traits() const override {
    PlatformTraits t;
    t.capabilities = true;
    t.distant_fork = true;
    t.kernel_migration = true;
    t.transparent_checkpoint = true;
    t.remote_memory = true;
    t.node_hotplug = true;
    return t;
  }

  Result<SystemInfo> Describe(bool sample_load) override;
  Result<Layout> Partition(int count) override;
  Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                            const WorkerBody& body) override;
  Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>& drop) override;
  Status MoveProcess(pid_t pid, const Node& node) override;
  Result<int> NodeOf(pid_t pid) override;
  std::vector<std::string> ConfirmPlacement(int timeout_ms) override;
  void SetPlacement(Placement placement) override { placement_ = placement; }
  Result<std::vector<int>> PresentNodes() override;
  Result<std::unique_ptr<NodeJoin>> AddNode(int id) override;
  Result<CheckpointId> Checkpoint(const CheckpointRequest& request) override;
  Status Restart(const CheckpointId& id,
                 const std::filesystem::path& ipc_dir) override;

 private:
  Result<std::vector<Node>> OnlineNodes();
  int SelfNode();
  Result<CapSets> ShowCaps();
  // Why krgdemo cannot use this Kerrighed, in one line: the host outside
  // the 3.0 container, or Kerrighed 2.x. Checked once.
  Status Usable();
  std::string Version();

  std::optional<Status> usable_;
  std::optional<std::string> version_;
  Placement placement_ = Placement::kExplicit;
  std::map<pid_t, int> sent_;       // worker -> node it was sent to
  std::vector<std::string> notes_;  // moves that failed outright
};

int KerrighedPlatform::SelfNode() {
  std::error_code ec;
  const fs::path link = fs::read_symlink(SysPath("/proc/nodes/self"), ec);
  if (!ec && link.filename().string().rfind("node", 0) == 0) {
    return std::atoi(link.filename().string().c_str() + 4);
  }
  const std::string id = Sys("/sys/kerrighed/node_id");
  return id.empty() ? -1 : std::atoi(id.c_str());
}

Result<std::vector<Node>> KerrighedPlatform::OnlineNodes() {
  std::vector<Node> nodes;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(SysPath("/proc/nodes"), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 5 || name.rfind("node", 0) != 0 || e.is_symlink() ||
        !std::all_of(name.begin() + 4, name.end(), ::isdigit)) {
      continue;
    }
    const std::string dir = "/proc/nodes/" + name + "/";
    Node n;
    const std::string id = Sys(dir + "nodeid");
    n.id = id.empty() ? std::atoi(name.c_str() + 4) : std::atoi(id.c_str());
    const int cpus = std::max(1, CountProcessors(Sys(dir + "cpuinfo")));
    for (int c = 0; c < cpus; ++c) n.cpus.push_back(n.id * NrCpus() + c);
    const std::string meminfo = Sys(dir + "meminfo");
    n.mem_mb = MemTotalMb(meminfo);
    n.mem_free_mb = MemTotalMb(meminfo, "MemFree:");
    n.load = std::atof(Sys(dir + "loadavg").c_str()) / cpus;
    nodes.push_back(n);
  }
  if (ec) {
    return Status::FailedPrecondition("cannot list " + SysPath("/proc/nodes") +
                                      ": " + ec.message());
  }
  if (nodes.empty()) {
    return Status::FailedPrecondition("no node under " +
                                      SysPath("/proc/nodes"));
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node& a, const Node& b) { return a.id < b.id; });
  return nodes;
}

Result<CapSets> KerrighedPlatform::ShowCaps() {
  // krgcapset acts on its parent: this process.
  KRG_ASSIGN_OR_RETURN(CommandOutput show, RunCommand({"krgcapset", "-s"}));
  if (!show.exit.exited || show.exit.code != 0) {
    return Status::FailedPrecondition(
        "krgcapset -s failed (" + show.exit.ToString() +
        "): " + (show.err.empty() ? show.out : show.err));
  }
  return ParseCapsetShow(show.out);
}

std::vector<SchedulerInfo> ReadSchedulers() {
  std::vector<SchedulerInfo> out;
  std::error_code ec;
  const fs::path root = SysPath("/config/krg_scheduler/schedulers");
  for (const auto& e : fs::directory_iterator(root, ec)) {
    if (!e.is_directory()) continue;
    SchedulerInfo s;
    s.name = e.path().filename().string();
    std::error_code ec2;
    for (const auto& p : fs::directory_iterator(e.path(), ec2)) {
      const std::string n = p.path().filename().string();
      if (p.is_directory() && n != "process_set") s.policies.push_back(n);
    }
    std::sort(s.policies.begin(), s.policies.end());
    s.handle_all =
        std::atoi(ReadSmallFile((e.path() / "process_set/handle_all").string())
                      .c_str()) == 1;
    out.push_back(s);
  }
  std::sort(out.begin(), out.end(),
            [](const SchedulerInfo& a, const SchedulerInfo& b) {
              return a.name < b.name;
            });
  return out;
}

// "krgcapset 3.0.0" (INTERFACE.md 1.2): the release, or "" when the first
// line is not the tool's name and a version (2.4.4's krgcapset has no
// --version: it prints its usage, whose last word is a capability name).
std::string ParseToolVersion(const CommandOutput& v) {
  if (!v.exit.exited || v.exit.code != 0) return "";
  const std::string first = v.out.substr(0, v.out.find('\n'));
  const auto space = first.find(' ');
  if (space == std::string::npos) return "";
  const std::string tool = first.substr(0, space);  // argv[0]: maybe a path
  if (fs::path(tool).filename() != "krgcapset") return "";
  const std::string version = first.substr(space + 1);
  const bool ok =
      !version.empty() &&
      std::isdigit(static_cast<unsigned char>(version[0])) &&
      version.find_first_not_of("0123456789.-_abcdefghijklmnopqrstuvwxyz") ==
          std::string::npos;
  return ok ? version : "";
}

constexpr char kTwoFourSigns[] =
    "krgcapset has no --version and /sys/devices/system/cpu/kernel_max is "
    "missing";

std::string KerrighedPlatform::Version() {
  if (version_) return *version_;
  std::string v;
  if (auto out = RunCommand({"krgcapset", "--version"}); out.ok()) {
    v = ParseToolVersion(*out);
  }
  const bool kernel_max =
      fs::exists(SysPath("/sys/devices/system/cpu/kernel_max"));
  // Kerrighed 2.x (Linux 2.6.20): no --version, no kernel_max (INTERFACE.md
  // 1.2, 5.1); node numbers computed from the CPU ids would be wrong.
  if (v.empty()) v = kernel_max ? "unknown" : "2.x";
  version_ = v;
  return v;
}

Status KerrighedPlatform::Usable() {
  if (usable_) return *usable_;
  usable_ = Status::Ok();
  // Kerrighed 3.0 runs inside a container: on a node's host system
  // /sys/kerrighed exists but /proc/nodes/self does not, and every tool
  // fails (krgcapset: "Is Kerrighed running?", exit 255; INTERFACE.md 0, 1.2).
  if (!fs::exists(SysPath("/proc/nodes/self")) &&
      fs::exists(SysPath("/sys/kerrighed"))) {
    auto show = RunCommand({"krgcapset", "-s"});
    if (show.ok() && show->exit.exited && show->exit.code == 255) {
      usable_ = Status::FailedPrecondition(
          "this looks like a node's host system outside the Kerrighed 3.0 "
          "container (/sys/kerrighed exists, /proc/nodes/self does not, "
          "krgcapset -s fails with exit code 255: Is Kerrighed running?): "
          "log into the cluster with `ssh -p 2222 root@<node>` and run "
          "krgdemo there");
      return *usable_;
    }
  }
  if (Version() == "2.x") {
    usable_ = Status::FailedPrecondition(
        std::string("this is Kerrighed 2.x (") + kTwoFourSigns +
        ", as on 2.4.4 with Linux 2.6.20): krgdemo needs Kerrighed 3.0");
  }
  return *usable_;
}

Result<SystemInfo> KerrighedPlatform::Describe(bool sample_load) {
  (void)sample_load;  // each node's loadavg is already an average
  if (Status s = Usable(); !s.ok() && Version() != "2.x") return s;
  SystemInfo info;
  info.platform = name();
  struct utsname u;
  if (::uname(&u) == 0) info.kernel = std::string(u.sysname) + " " + u.release;
  KRG_ASSIGN_OR_RETURN(info.nodes, OnlineNodes());
  KerrighedInfo k;
  k.self_node = SelfNode();
  ParseNrNodes(Sys("/proc/nodes/nrnodes"), &k);
  info.cpu_model = ModelName(Sys("/proc/nodes/self/cpuinfo"));
  for (const Node& n : info.nodes) {
    info.usable_cpus += static_cast<int>(n.cpus.size());
    info.mem_mb += n.mem_mb;
    info.cpu_load.push_back(n.load);
  }
  k.version = Version();
  if (k.version == "2.x") {
    k.version += std::string(" (") + kTwoFourSigns + "; krgdemo needs 3.0)";
  }
  if (auto caps = ShowCaps(); caps.ok()) k.caps = *caps;
  k.schedulers = ReadSchedulers();
  info.kerrighed = k;
  return info;
}

Result<Layout> KerrighedPlatform::Partition(int count) {
  KRG_CHECK(count >= 1) << "Partition(" << count << ")";
  KRG_RETURN_IF_ERROR(Usable());
  KRG_ASSIGN_OR_RETURN(std::vector<Node> online, OnlineNodes());
  // The node krgdemo runs on first: a run of 1 node stays home.
  const int self = SelfNode();
  std::stable_partition(online.begin(), online.end(),
                        [self](const Node& n) { return n.id == self; });
  Layout layout;
  for (int i = 0; i < count; ++i) {
    layout.nodes.push_back(online[i % online.size()]);
  }
  if (count > static_cast<int>(online.size())) {
    layout.cpus_shared = true;
    layout.note = std::to_string(count) + " workers on " +
                  std::to_string(online.size()) +
                  " online Kerrighed nodes: nodes run several workers each.";
  }
  return layout;
}

Result<Child> KerrighedPlatform::SpawnWorker(const Node& node, ChannelKind kind,
                                             const WorkerBody& body) {
  // No pinning: on Kerrighed placement is a node, not a CPU set.
  KRG_ASSIGN_OR_RETURN(Child child, ForkWorker({}, kind, body));
  if (placement_ == Placement::kScheduler) {
    sent_[child.pid] = -1;  // wherever the scheduler puts it
    return child;
  }
  sent_[child.pid] = node.id;
  if (node.id != SelfNode()) {
    Status moved = MoveProcess(child.pid, node);
    if (!moved.ok()) notes_.push_back(moved.message());
  }
  return child;
}

Result<CapsReport> KerrighedPlatform::ApplyCapabilities(
    const std::vector<std::string>& raise,
    const std::vector<std::string>& drop) {
  KRG_ASSIGN_OR_RETURN(int want, CapabilityMask(raise));
  KRG_ASSIGN_OR_RETURN(int unwanted, CapabilityMask(drop));
  if (!ProgramExists("krgcapset")) {
    return Status::Unavailable(
        "krgcapset not found on PATH: install the Kerrighed tools");
  }
  KRG_RETURN_IF_ERROR(Usable());
  // Scheduler placement spreads only if a scheduler places new processes
  // (INTERFACE.md 2.2): without one every fork is local.
  const int distant_fork = 1 << 2;
  if (placement_ == Placement::kScheduler && (want & distant_fork) != 0) {
    const auto schedulers = ReadSchedulers();
    if (std::none_of(schedulers.begin(), schedulers.end(),
                     PlacesNewProcesses)) {
      return Status::FailedPrecondition(
          "--placement scheduler: no Kerrighed scheduler places new "
          "processes (" +
          SysPath("/config/krg_scheduler/schedulers") +
          " has no round_robin_balancer or rbt_policy with "
          "process_set/handle_all = 1), so every worker would start on node " +
          std::to_string(SelfNode()) +
          "; run krg_legacy_scheduler, or use --placement explicit");
    }
  }
  std::string said;
  // -d: the inheritable effective set of krgcapset's parent (this process),
  // which is what the workers forked from now on get (INTERFACE.md 1.4).
  for (const auto& [sign, names] :
       {std::pair{'+', raise}, std::pair{'-', drop}}) {
    if (names.empty()) continue;
    std::string list(1, sign);
    for (const std::string& n : names) list += (list.size() > 1 ? "," : "") + n;
    KRG_ASSIGN_OR_RETURN(CommandOutput set,
                         RunCommand({"krgcapset", "-d", list}));
    if (!set.exit.exited || set.exit.code != 0) {
      return Status::FailedPrecondition("krgcapset -d " + list + " failed (" +
                                        set.exit.ToString() + "): " + set.err +
                                        set.out);
    }
    said += set.out + set.err;  // a failed set still exits 0
  }
  // Scheduler placement: a fork is distant only when the *forking* process
  // (the master, this one) has DISTANT_FORK effective (INTERFACE.md 2.2).
  const bool master_forks_remotely =
      placement_ == Placement::kScheduler && (want & distant_fork) != 0;
  if (master_forks_remotely) {
    KRG_ASSIGN_OR_RETURN(CommandOutput set,
                         RunCommand({"krgcapset", "-e", "+DISTANT_FORK"}));
    said += set.out + set.err;
  }
  KRG_ASSIGN_OR_RETURN(CapSets sets, ShowCaps());
  const int got = sets.ChildEffective();
  int missing = want & ~got;
  if (master_forks_remotely && (sets.effective & distant_fork) == 0) {
    missing |= distant_fork;
  }
  const int extra = unwanted & got;
  if (missing != 0 || extra != 0) {
    std::string what;
    for (const std::string& n : CapabilityList(missing)) what += " +" + n;
    for (const std::string& n : CapabilityList(extra)) what += " -" + n;
    while (!said.empty() && said.back() == '\n') said.pop_back();
    return Status::FailedPrecondition(
        "Kerrighed did not make the capabilities effective for the "
        "workers:" +
        what + " (krgcapset -s shows inheritable effective 0" +
        [](int v) {
          std::ostringstream o;
          o << std::oct << v;
          return o.str();
        }(sets.inheritable_effective) +
        ")" + (said.empty() ? "" : "; krgcapset said: " + said));
  }
  CapsReport report;
  report.applicable = true;
  report.requested = raise;
  report.effective = CapabilityList(got);
  return report;
}

Status KerrighedPlatform::MoveProcess(pid_t pid, const Node& node) {
  KRG_ASSIGN_OR_RETURN(
      CommandOutput out,
      RunCommand({"migrate", std::to_string(pid), std::to_string(node.id)}));
  if (out.exit.exited && out.exit.code == 0) return Status::Ok();
  return MigrateError(pid, node.id, out);
}

Result<int> KerrighedPlatform::NodeOf(pid_t pid) {
  auto psr = ProcessorOf(pid);
  // The double writes <root>/proc/<pid>/stat only for a process it moved; a
  // live process without one runs where it was forked, this node. (On a
  // real cluster the file exists for every live process.)
  if (!psr.ok() && ::kill(pid, 0) == 0) return SelfNode();
  if (!psr.ok()) return psr.status();
  return *psr / NrCpus();
}

// KERRIGHED_MAX_NODES with autonodeid: node ids are 0..255 (INTERFACE.md
// 4.3).
constexpr int kMaxNodeId = 255;
// `krgadm nodes add -n ID` polls once a second, with no end, until the node
// is present: bounded here; then the node must show under /proc/nodes.
constexpr int kNodesAddTimeoutMs = 30000;
constexpr int kOnlineTimeoutMs = 5000;

// The ids of the "N:present" lines of `krgadm nodes status` (INTERFACE.md
// 4.1), ascending; "N:online" lines and anything else are skipped.
std::vector<int> ParsePresentNodes(const std::string& text) {
  std::vector<int> ids;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == 0 || colon > 3 || line.substr(colon + 1) != "present" ||
        !std::all_of(line.begin(), line.begin() + colon, ::isdigit)) {
      continue;
    }
    const int id = std::atoi(line.c_str());
    if (id <= kMaxNodeId) ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

// What a tool printed, for a message: its last line that says something,
// without the backspaces krgadm redraws its counters with.
std::string LastWords(const std::string& text) {
  std::string clean;
  for (char c : text) {
    if (c == '\n' || std::isprint(static_cast<unsigned char>(c))) clean += c;
  }
  while (!clean.empty() && (clean.back() == '\n' || clean.back() == ' ')) {
    clean.pop_back();
  }
  return clean.substr(clean.rfind('\n') + 1);
}

Result<std::vector<int>> KerrighedPlatform::PresentNodes() {
  KRG_RETURN_IF_ERROR(Usable());
  if (!ProgramExists("krgadm")) {
    return Status::Unavailable(
        "krgadm not found on PATH (Kerrighed installs it in /usr/sbin)");
  }
  KRG_ASSIGN_OR_RETURN(CommandOutput out,
                       RunCommand({"krgadm", "nodes", "status"}));
  if (!out.exit.exited || out.exit.code != 0) {
    return Status::FailedPrecondition(
        "krgadm nodes status failed (" + out.exit.ToString() +
        "): " + LastWords(out.err.empty() ? out.out : out.err));
  }
  return ParsePresentNodes(out.out);
}

// `krgadm nodes add -n ID` in the background, then the wait for the node
// under /proc/nodes; each Poll looks once.
class KrgadmJoin final : public NodeJoin {
 public:
  using Clock = std::chrono::steady_clock;
  KrgadmJoin(int id, PrivateDir dir, pid_t pid,
             std::function<Result<std::vector<Node>>()> online)
      : id_(id),
        dir_(std::move(dir)),
        pid_(pid),
        online_(std::move(online)),
        deadline_(Clock::now() +
                  std::chrono::milliseconds(kNodesAddTimeoutMs)) {}
  ~KrgadmJoin() override {
    if (pid_ > 0) {
      (void)SendSignal(pid_, SIGKILL);
      (void)Reap(pid_, true);
    }
  }
  Result<std::optional<Node>> Poll() override;

 private:
  std::string Said() const {
    return LastWords(ReadSmallFile((dir_.path() / "krgadm.out").string()));
  }

  const int id_;
  PrivateDir dir_;
  pid_t pid_;  // krgadm while it runs, else -1
  std::function<Result<std::vector<Node>>()> online_;
  Clock::time_point deadline_;
};

Result<std::optional<Node>> KrgadmJoin::Poll() {
  const std::string node = std::to_string(id_);
  if (pid_ > 0) {
    auto reaped = Reap(pid_, false);
    if (!reaped.ok()) {
      pid_ = -1;  // no longer ours to kill
      return reaped.status();
    }
    const std::optional<ExitInfo>& done = *reaped;
    if (!done && Clock::now() < deadline_) return std::optional<Node>();
    if (!done) {
      return Status::FailedPrecondition(
          "krgadm nodes add -n " + node + " was still waiting for node " +
          node + " after " + std::to_string(kNodesAddTimeoutMs / 1000) +
          " s: it is not present (see krgadm nodes status)");
    }
    pid_ = -1;
    if (!done->exited || done->code != 0) {
      return Status::FailedPrecondition("krgadm nodes add -n " + node +
                                        " failed (" + done->ToString() +
                                        "): " + Said());
    }
    deadline_ = Clock::now() + std::chrono::milliseconds(kOnlineTimeoutMs);
  }
  // Online once /proc/nodes shows it.
  if (auto online = online_(); online.ok()) {
    for (const Node& n : *online) {
      if (n.id == id_) return std::optional<Node>(n);
    }
  }
  if (Clock::now() < deadline_) return std::optional<Node>();
  return Status::FailedPrecondition("node " + node +
                                    " is not online after krgadm nodes add "
                                    "(it said: " +
                                    Said() + ")");
}

Result<std::unique_ptr<NodeJoin>> KerrighedPlatform::AddNode(int id) {
  const std::string node = std::to_string(id);
  if (id < 0 || id > kMaxNodeId) {
    return Status::InvalidArgument("node " + node +
                                   " is out of range (Kerrighed node ids are "
                                   "0.." +
                                   std::to_string(kMaxNodeId) + ")");
  }
  KRG_RETURN_IF_ERROR(Usable());
  KRG_ASSIGN_OR_RETURN(PrivateDir dir, PrivateDir::Create("krgdemo-krgadm"));
  // krgadm waits, polling once a second with no end, until the node is
  // present; the join gives up after kNodesAddTimeoutMs.
  KRG_ASSIGN_OR_RETURN(pid_t pid,
                       StartCommand({"krgadm", "nodes", "add", "-n", node},
                                    (dir.path() / "krgadm.out").string()));
  return std::unique_ptr<NodeJoin>(std::make_unique<KrgadmJoin>(
      id, std::move(dir), pid, [this] { return OnlineNodes(); }));
}

std::vector<std::string> KerrighedPlatform::ConfirmPlacement(int timeout_ms) {
  std::vector<std::string> lines = std::move(notes_);
  notes_.clear();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const int self = SelfNode();
  // A balancer (the mosix one krg_legacy_scheduler sets up) migrates any
  // process with CAN_MIGRATE on its own: a worker found on a third node
  // was moved on by it, after or instead of our own move.
  const auto schedulers = ReadSchedulers();
  const bool balancer =
      std::any_of(schedulers.begin(), schedulers.end(), MovesProcesses);
  // Migration is asynchronous: poll where each worker runs.
  std::map<pid_t, int> where;
  std::set<pid_t> arrived;  // seen on the node it was sent to
  for (;;) {
    bool settled = true;
    for (const auto& [pid, node] : sent_) {
      auto at = NodeOf(pid);
      // The double (and a process not yet looked at) may have no stat
      // entry: such a process runs where it was forked, this node.
      where[pid] = at.ok() ? *at : self;
      if (node >= 0 && where[pid] == node) arrived.insert(pid);
      const bool moved_on =
          balancer && (arrived.count(pid) > 0 || where[pid] != self);
      if (node >= 0 && where[pid] != node && !moved_on) settled = false;
    }
    if (settled || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (const auto& [pid, node] : sent_) {
    const std::string at = std::to_string(where[pid]);
    if (node >= 0 && where[pid] != node && balancer &&
        (arrived.count(pid) > 0 || where[pid] != self)) {
      lines.push_back("worker " + std::to_string(pid) + " was sent to node " +
                      std::to_string(node) +
                      "; Kerrighed's load balancer moved it on to node " + at);
    } else if (node >= 0 && where[pid] != node) {
      lines.push_back("worker " + std::to_string(pid) +
                      " did not move to node " + std::to_string(node) +
                      " (still on node " + at + ")");
    } else if (node < 0) {
      lines.push_back("worker " + std::to_string(pid) +
                      " placed by the scheduler on node " + at);
    }
  }
  sent_.clear();
  return lines;
}

// What the checkpoint and restart tools print on stderr (INTERFACE.md 3.1,
// 3.2), turned into what the user should do about it.
Status CheckpointError(const std::string& what, const CommandOutput& out) {
  const std::string err = out.err.empty() ? out.out : out.err;
  struct Known {
    const char* text;
    const char* meaning;
  };
  static const Known kKnown[] = {
      {"Operation not permitted",
       "the application lacks CHECKPOINTABLE, or is frozen already"},
      {"not started", "Kerrighed is not started on this node"},
      {"/var/chkpt",
       "/var/chkpt is missing: create it on storage shared by "
       "all nodes (mkdir -p /var/chkpt; chmod 1777 /var/chkpt)"},
      {"dead/zombie", "the application has a dead or zombie process"},
      {"Function not implemented",
       "the application has open files Kerrighed cannot checkpoint "
       "(sockets, fifos, or pipes between processes on different nodes)"},
      {"No such process", "no such application"},
      {"already running", "the application is still running; stop it first"},
      {"already in use",
       "a process id of the application is in use again; the checkpoint "
       "cannot be restored until it is free"},
      {"invalid checkpoint files",
       "the checkpoint files are corrupted or from another kernel"},
  };
  for (const Known& k : kKnown) {
    if (err.find(k.text) != std::string::npos) {
      return Status::FailedPrecondition(what + ": " + k.meaning);
    }
  }
  std::string line = err.substr(0, err.find('\n'));
  return Status::Internal(what + " failed (" + out.exit.ToString() + ")" +
                          (line.empty() ? "" : ": " + line));
}

// "Identifier: 1234" and "Version: 2" from checkpoint's output block.
Result<CheckpointId> ParseCheckpointOutput(const std::string& text) {
  CheckpointId id;
  bool has_id = false, has_version = false;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Identifier: ", 0) == 0) {
      id.appid = std::atol(line.c_str() + 12);
      has_id = true;
    } else if (line.rfind("Version: ", 0) == 0) {
      id.version = std::atoi(line.c_str() + 9);
      has_version = true;
    }
  }
  if (!has_id || !has_version || id.version < 1) {
    return Status::Internal("checkpoint printed no Identifier/Version: " +
                            text.substr(0, 200));
  }
  return id;
}

// `checkpoint ARGS... PID`: ok, or what went wrong in the user's words.
Result<CommandOutput> CheckpointTool(const std::string& what, const char* flag,
                                     pid_t pid) {
  std::vector<std::string> argv = {"checkpoint"};
  if (flag != nullptr) argv.push_back(flag);
  argv.push_back(std::to_string(pid));
  KRG_ASSIGN_OR_RETURN(CommandOutput out, RunCommand(argv));
  if (!out.exit.exited || out.exit.code != 0) return CheckpointError(what, out);
  return out;
}

// `ipccheckpoint -m|-s ID FILE` or `ipcrestart -m|-s FILE` (INTERFACE.md
// 3.4); their one stderr line on failure.
Status IpcTool(const std::vector<std::string>& argv, const std::string& what) {
  KRG_ASSIGN_OR_RETURN(CommandOutput out, RunCommand(argv));
  if (out.exit.exited && out.exit.code == 0) return Status::Ok();
  const std::string err = out.err.empty() ? out.out : out.err;
  return Status::FailedPrecondition(what + " failed (" + out.exit.ToString() +
                                    "): " + err.substr(0, err.find('\n')));
}

const char* IpcFlag(IpcKind kind) {
  return kind == IpcKind::kShm ? "-m" : "-s";
}

// Freezes the application, saves the System V objects of `request` that
// exist, checkpoints it frozen and unfreezes it (INTERFACE.md 3.1: "For
// consistency, application should be frozen before saving state of System
// V IPC objects"). A failure after the freeze still unfreezes.
Result<CheckpointId> CheckpointWithIpc(const std::string& what,
                                       const CheckpointRequest& request) {
  const pid_t pid = request.root;
  KRG_RETURN_IF_ERROR(CheckpointTool(what, "-f", pid).status());
  std::vector<IpcObject> saved;
  Status failed;
  for (IpcObject object : request.ipc) {
    object.id = FindIpc(object.kind, object.key);
    if (object.id < 0) continue;  // not made yet, or gone already
    const std::string file = (request.ipc_dir / IpcFileName(object)).string();
    failed = IpcTool({"ipccheckpoint", IpcFlag(object.kind),
                      std::to_string(object.id), file},
                     what + ": saving System V " + IpcKindName(object.kind) +
                         " " + std::to_string(object.id));
    if (!failed.ok()) break;
    saved.push_back(object);
  }
  Result<CommandOutput> out = failed.ok() ? CheckpointTool(what, "-c", pid)
                                          : Result<CommandOutput>(failed);
  Result<CommandOutput> thawed = CheckpointTool(what, "-u", pid);
  if (!out.ok()) return out.status();
  if (!thawed.ok()) return thawed.status();
  KRG_ASSIGN_OR_RETURN(CheckpointId id, ParseCheckpointOutput(out->out));
  id.ipc = std::move(saved);
  return id;
}

Result<CheckpointId> KerrighedPlatform::Checkpoint(
    const CheckpointRequest& request) {
  const std::string what =
      "checkpoint of process " + std::to_string(request.root);
  if (!request.ipc.empty()) return CheckpointWithIpc(what, request);
  KRG_ASSIGN_OR_RETURN(CommandOutput out,
                       CheckpointTool(what, nullptr, request.root));
  return ParseCheckpointOutput(out.out);
}

Status KerrighedPlatform::Restart(const CheckpointId& id,
                                  const std::filesystem::path& ipc_dir) {
  const std::string what = "restart of application " +
                           std::to_string(id.appid) + " v" +
                           std::to_string(id.version);
  // System V objects first: the restored processes find them by id.
  for (const IpcObject& object : id.ipc) {
    KRG_RETURN_IF_ERROR(IpcTool({"ipcrestart", IpcFlag(object.kind),
                                 (ipc_dir / IpcFileName(object)).string()},
                                what + ": restoring System V " +
                                    IpcKindName(object.kind) + " " +
                                    std::to_string(object.id)));
  }
  // -f: in the foreground, waiting for the application (and relaying
  // Ctrl-C to it); exit 1 also when the application itself fails.
  KRG_ASSIGN_OR_RETURN(
      CommandOutput out,
      RunCommandPassingStdout({"restart", "-f", std::to_string(id.appid),
                               std::to_string(id.version)}));
  std::fputs(out.err.c_str(), stderr);  // the application's own stderr too
  if (out.exit.exited && out.exit.code == 0) return Status::Ok();
  if (out.err.find("restart:") == std::string::npos) {
    return Status::Internal(what + ": the restarted application failed (" +
                            out.exit.ToString() + ")");
  }
  return CheckpointError(what, out);
}

}  // namespace

std::unique_ptr<Platform> MakeKerrighedPlatform() {
  return std::make_unique<KerrighedPlatform>();
}

}  // namespace krg::platform
