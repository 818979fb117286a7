// The `cluster` platform: separate machines on one LAN with stock kernels,
// listed in a cluster file (cluster_file.h, docs/cluster.md). Nodes are the
// machines; their load is read from each machine's /proc/stat (with its
// /proc/loadavg and /proc/meminfo: the busy check, the dashboard's memory
// bar) over ssh, the channel mpirun uses too, so a machine `info` shows as
// reachable is one a run can start on (no agent to install; a probe costs
// one ssh login per machine, in parallel, bounded by ssh's ConnectTimeout).
// Workers are never forked here: runs across machines go through the mpi
// engine, which asks RunMachines() for its hostfile.
#include <sys/utsname.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <numeric>

#include "cluster_file.h"
#include "linux_platform.h"

namespace krg::platform {
namespace {

// Each machine's answer is bounded by ssh's ConnectTimeout and
// ServerAlive settings (SshCommand); this many probes run at once.
constexpr std::size_t kProbesAtOnce = 32;
// A machine that answered a load probe this recently is not asked again
// before a run starts on it: `run` samples every machine's load (the busy
// check) just before its start check, and one ssh login per machine is
// what a run's start costs.
constexpr std::chrono::seconds kAnswerFresh{10};

std::string& ClusterFileOption() {
  static std::string file;
  return file;
}

// What a machine said to a probe over ssh.
struct Probe {
  std::string unreachable;  // empty when it answered
  std::string out;
};

Probe ProbeMachine(const std::vector<std::string>& ssh, const Machine& m,
                   bool sample_load) {
  std::vector<std::string> argv = ssh;
  // A fixed command: nothing from the cluster file reaches the remote shell.
  const std::string command = sample_load ? MachineSampleCommand() : "true";
  argv.insert(argv.end(), {"--", m.address, command});
  Probe p;
  Result<CommandOutput> r = RunCommand(argv);
  if (!r.ok()) {
    p.unreachable = m.address + ": " + r.status().message();
  } else if (!r->exit.exited || r->exit.code != 0) {
    p.unreachable = DescribeSshFailure(m.address, r->exit, r->err);
  } else {
    p.out = std::move(r->out);
  }
  return p;
}

std::vector<Probe> ProbeAll(const std::vector<Machine>& machines,
                            bool sample_load) {
  std::vector<Probe> probes(machines.size());
  Result<std::vector<std::string>> ssh = SshCommand();
  if (!ssh.ok()) {
    for (Probe& p : probes) p.unreachable = ssh.status().message();
    return probes;
  }
  for (std::size_t start = 0; start < machines.size(); start += kProbesAtOnce) {
    std::vector<std::future<Probe>> batch;
    const std::size_t end = std::min(machines.size(), start + kProbesAtOnce);
    for (std::size_t i = start; i < end; ++i) {
      batch.push_back(std::async(std::launch::async, ProbeMachine,
                                 std::cref(*ssh), std::cref(machines[i]),
                                 sample_load));
    }
    for (std::size_t i = start; i < end; ++i) {
      probes[i] = batch[i - start].get();
    }
  }
  return probes;
}

Node NodeOfMachine(int id, const Machine& m) {
  Node n;
  n.id = id;
  n.cpus.resize(static_cast<std::size_t>(m.cpus));
  std::iota(n.cpus.begin(), n.cpus.end(), 0);
  n.mem_mb = m.mem_mb;
  n.address = m.address;
  return n;
}

class ClusterPlatform final : public Platform {
 public:
  ClusterPlatform(std::string file, Result<std::vector<Machine>> machines)
      : file_(std::move(file)), machines_(std::move(machines)) {}

  std::string name() const override { return "cluster"; }
  PlatformTraits traits() const override {
    PlatformTraits t;
    t.separate_machines = true;
    return t;
  }

  Result<SystemInfo> Describe(bool sample_load) override {
    if (!machines_.ok()) return machines_.status();
    // The kernel and CPU model are this machine's, where krgdemo runs.
    KRG_ASSIGN_OR_RETURN(SystemInfo info,
                         MakeLinuxPlatform()->Describe(/*sample_load=*/false));
    info.platform = name();
    info.nodes.clear();
    info.usable_cpus = 0;
    info.mem_mb = 0;
    // Only `info` and the dashboard sample: they say which machines answer.
    const std::vector<Probe> probes =
        sample_load ? ProbeAll(*machines_, true)
                    : std::vector<Probe>(machines_->size());
    for (std::size_t i = 0; i < machines_->size(); ++i) {
      const Machine& m = (*machines_)[i];
      Node n = NodeOfMachine(static_cast<int>(i), m);
      n.unreachable = probes[i].unreachable;
      if (sample_load && n.unreachable.empty()) {
        Answered(m.address);
        const MachineSample sample = ParseMachineSample(probes[i].out);
        n.load = sample.load;
        n.loadavg_1m = sample.loadavg_1m;
        n.machine_cpus = sample.cpus;
        n.mem_used = sample.mem_used;
      }
      info.nodes.push_back(std::move(n));
      info.usable_cpus += m.cpus;
      info.mem_mb += m.mem_mb;
    }
    return info;
  }

  Result<Layout> Partition(int count) override {
    KRG_ASSIGN_OR_RETURN(std::vector<Machine> machines, Take(count));
    Layout layout;
    for (std::size_t i = 0; i < machines.size(); ++i) {
      layout.nodes.push_back(NodeOfMachine(static_cast<int>(i), machines[i]));
    }
    return layout;
  }

  Result<Child> SpawnWorker(const Node&, ChannelKind,
                            const WorkerBody&) override {
    return Status::FailedPrecondition(
        "worker processes cannot be forked onto the machines of a cluster: "
        "use --engine mpi");
  }

  Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>&) override {
    CapsReport report;  // stock kernels: no cluster capabilities
    report.requested = raise;
    return report;
  }

  Status MoveProcess(pid_t, const Node&) override {
    return Status::Unavailable(
        "processes do not migrate between the machines of a cluster (no "
        "SSI)");
  }
  Result<int> NodeOf(pid_t pid) override {
    return Status::NotFound("process " + std::to_string(pid) +
                            " is not a worker on a cluster machine");
  }

  Result<std::vector<Machine>> RunMachines(int count) override {
    KRG_ASSIGN_OR_RETURN(std::vector<Machine> machines, Take(count));
    std::vector<Machine> ask;
    for (const Machine& m : machines) {
      if (!AnsweredRecently(m.address)) ask.push_back(m);
    }
    std::string missing;
    const std::vector<Probe> probes = ProbeAll(ask, false);
    for (const Probe& p : probes) {
      if (p.unreachable.empty()) continue;
      missing += (missing.empty() ? "" : "; ") + p.unreachable;
    }
    if (!missing.empty()) {
      return Status::FailedPrecondition("cannot start on the cluster: " +
                                        missing);
    }
    return machines;
  }

 private:
  // The first `count` machines of the file.
  Result<std::vector<Machine>> Take(int count) const {
    if (!machines_.ok()) return machines_.status();
    if (count < 1 || count > static_cast<int>(machines_->size())) {
      return Status::InvalidArgument(
          "--nodes " + std::to_string(count) + ": the cluster has " +
          std::to_string(machines_->size()) + " machine" +
          (machines_->size() == 1 ? "" : "s") + " (" + file_ + ")");
    }
    return std::vector<Machine>(machines_->begin(), machines_->begin() + count);
  }

  void Answered(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    answered_[address] = std::chrono::steady_clock::now();
  }
  bool AnsweredRecently(const std::string& address) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = answered_.find(address);
    return it != answered_.end() &&
           std::chrono::steady_clock::now() - it->second < kAnswerFresh;
  }

  std::string file_;
  Result<std::vector<Machine>> machines_;
  std::mutex mu_;  // answered_: the dashboard samples from its own thread
  std::map<std::string, std::chrono::steady_clock::time_point> answered_;
};

}  // namespace

std::unique_ptr<Platform> MakeClusterPlatform(const std::string& file) {
  return std::make_unique<ClusterPlatform>(file, ReadClusterFile(file));
}

Status UseClusterFile(const std::string& file) {
  KRG_RETURN_IF_ERROR(ReadClusterFile(file).status());
  ClusterFileOption() = file;
  return Status::Ok();
}

// The cluster file DetectPlatform() uses, or empty.
std::string ClusterFileInUse() { return FindClusterFile(ClusterFileOption()); }

}  // namespace krg::platform
