// `krgdemo migrate PID NODE`: moves a process to a node and confirms it.
// Kerrighed: the `migrate` tool (asynchronous; confirmed by polling where the
// process runs). linux: the CPU set of every thread of the process, with the
// CPUs split into virtual nodes as `run --nodes N` splits them.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/cli.h"

namespace krg::cli {
namespace {

// PID, NODE and --timeout, checked.
struct MigrateArgs {
  int pid = 0;
  int node = 0;
  std::string node_text;  // as typed, for messages
  int timeout_s = 10;
};

// kInvalidArgument (a usage error) for a value that is not a number in range.
Result<MigrateArgs> ReadMigrateArgs(const po::variables_map& vm) {
  if (!vm.count("pid") || !vm.count("node")) {
    return Status::InvalidArgument("expected PID NODE");
  }
  MigrateArgs a;
  KRG_ASSIGN_OR_RETURN(
      a.pid, ParsePositive("PID", vm["pid"].as<std::string>(), 1 << 30));
  KRG_ASSIGN_OR_RETURN(
      a.timeout_s,
      ParsePositive("--timeout", vm["timeout"].as<std::string>(), 3600));
  a.node_text = vm["node"].as<std::string>();
  if (a.node_text != "0") {
    KRG_ASSIGN_OR_RETURN(a.node, ParsePositive("NODE", a.node_text, 255));
  }
  return a;
}

// The node called `id` among the nodes --nodes (or the default) lays out;
// kInvalidArgument naming the nodes there are when there is none.
Result<platform::Node> FindNode(const po::variables_map& vm,
                                platform::Platform& p, const MigrateArgs& a) {
  int count = 0;
  if (vm.count("nodes")) {
    KRG_ASSIGN_OR_RETURN(
        count,
        ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes));
  } else {
    KRG_ASSIGN_OR_RETURN(platform::SystemInfo info,
                         p.Describe(/*sample_load=*/false));
    count = p.DefaultNodeCount(info);
  }
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, p.Partition(count));
  std::string ids;
  for (const platform::Node& n : layout.nodes) {
    if (n.id == a.node) return n;
    ids += (ids.empty() ? "" : ", ") + std::to_string(n.id);
  }
  return Status::InvalidArgument("no node " + a.node_text + " (nodes: " + ids +
                                 ")");
}

// Moves the process and waits until it shows on `target`: Kerrighed
// migrates asynchronously.
Status MoveAndConfirm(platform::Platform& p, const MigrateArgs& a,
                      const platform::Node& target) {
  KRG_RETURN_IF_ERROR(p.MoveProcess(a.pid, target));
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(a.timeout_s);
  Result<int> at = p.NodeOf(a.pid);
  while (!(at.ok() && *at == target.id) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    at = p.NodeOf(a.pid);
  }
  if (at.ok() && *at == target.id) return Status::Ok();
  return Status::Internal("process " + std::to_string(a.pid) +
                          " did not move to node " + a.node_text + " within " +
                          std::to_string(a.timeout_s) + " s (" +
                          (at.ok() ? "still on node " + std::to_string(*at)
                                   : at.status().message()) +
                          ")");
}

}  // namespace

int MigrateCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()(
      "nodes", po::value<std::string>()->value_name("N"),
      "linux: use this to say how the CPUs are split into virtual nodes, as "
      "for 'run --nodes N' (default: one node per CPU)")(
      "timeout",
      po::value<std::string>()->value_name("SECONDS")->default_value("10"),
      "use this to change how long to wait for the move to be visible");
  po::options_description hidden;
  hidden.add_options()("pid", po::value<std::string>())(
      "node", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("pid", 1).add("node", 1);
  po::variables_map vm;
  const HelpText help{
      "migrate PID NODE [options]",
      "Moves process PID to node NODE and waits until it runs there. On "
      "Kerrighed this is the `migrate` tool (the process needs CAN_MIGRATE "
      "and a single thread); on linux the process's threads are moved to the "
      "node's CPU set.",
      "Exit codes: 0 moved, 1 the move failed or was not confirmed, 2 usage "
      "error."};
  if (auto r = ParseArgs("migrate", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  auto a = ReadMigrateArgs(vm);
  if (!a.ok()) return UsageError("migrate", a.status().message());
  auto platform = platform::DetectPlatform();
  auto target = FindNode(vm, *platform, *a);
  if (!target.ok()) {
    return target.status().code() == Status::Code::kInvalidArgument
               ? UsageError("migrate", target.status().message())
               : Fail(target.status());
  }
  if (Status s = MoveAndConfirm(*platform, *a, *target); !s.ok()) {
    Fail(s);  // no such process included: the move failed (exit 1)
    return kExitFailed;
  }
  std::printf("process %d now runs on node %d\n", a->pid, target->id);
  return kExitOk;
}

}  // namespace krg::cli
