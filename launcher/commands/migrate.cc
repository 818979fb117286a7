// `krgdemo migrate PID NODE`: moves a process to a node and confirms it.
// Kerrighed: the `migrate` tool (asynchronous; confirmed by polling where the
// process runs). linux: the CPU set of every thread of the process, with the
// CPUs split into virtual nodes as `run --nodes N` splits them.
#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/cli.h"

namespace krg::cli {

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
  if (!vm.count("pid") || !vm.count("node")) {
    return UsageError("migrate", "expected PID NODE");
  }
  auto pid = ParsePositive("PID", vm["pid"].as<std::string>(), 1 << 30);
  if (!pid.ok()) return UsageError("migrate", pid.status().message());
  auto timeout =
      ParsePositive("--timeout", vm["timeout"].as<std::string>(), 3600);
  if (!timeout.ok()) return UsageError("migrate", timeout.status().message());
  const std::string node_text = vm["node"].as<std::string>();
  auto node_id =
      node_text == "0" ? Result<int>(0) : ParsePositive("NODE", node_text, 255);
  if (!node_id.ok()) return UsageError("migrate", node_id.status().message());

  auto platform = platform::DetectPlatform();
  int count = 0;
  if (vm.count("nodes")) {
    auto n = ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes);
    if (!n.ok()) return UsageError("migrate", n.status().message());
    count = *n;
  } else {
    auto info = platform->Describe(/*sample_load=*/false);
    if (!info.ok()) return Fail(info.status());
    count = platform->DefaultNodeCount(*info);
  }
  auto layout = platform->Partition(count);
  if (!layout.ok()) return Fail(layout.status());
  const platform::Node* target = nullptr;
  std::string ids;
  for (const platform::Node& n : layout->nodes) {
    if (n.id == *node_id) target = &n;
    ids += (ids.empty() ? "" : ", ") + std::to_string(n.id);
  }
  if (target == nullptr) {
    return UsageError("migrate",
                      "no node " + node_text + " (nodes: " + ids + ")");
  }
  if (Status s = platform->MoveProcess(*pid, *target); !s.ok()) return Fail(s);
  // Kerrighed migrates asynchronously: the move is done when it shows.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(*timeout);
  Result<int> at = platform->NodeOf(*pid);
  while (!(at.ok() && *at == target->id) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    at = platform->NodeOf(*pid);
  }
  if (!at.ok() || *at != target->id) {
    return Fail(Status::Internal(
        "process " + std::to_string(*pid) + " did not move to node " +
        node_text + " within " + std::to_string(*timeout) + " s (" +
        (at.ok() ? "still on node " + std::to_string(*at)
                 : at.status().message()) +
        ")"));
  }
  std::printf("process %d now runs on node %d\n", *pid, target->id);
  return kExitOk;
}

}  // namespace krg::cli
