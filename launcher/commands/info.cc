// `krgdemo info`: the platform, its nodes (CPUs, memory, load) and versions.
#include <cstdio>
#include <iostream>
#include <opencv2/core/version.hpp>

#include "build_info.h"
#include "cli/cli.h"
#include "krg/mpi_engine.h"
#include "scientific/mandelbrot_kernel.h"

namespace krg::cli {
namespace {

// The instruction sets of the run-time dispatched kernels.
std::vector<std::string> SupportedIsaNames() {
  std::vector<std::string> names;
  for (auto isa : demos::mandelbrot::SupportedIsas()) {
    names.push_back(demos::mandelbrot::IsaName(isa));
  }
  return names;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

void PrintKerrighed(const platform::KerrighedInfo& k) {
  std::printf("kerrighed  version %s, this is node %d; %d online, %d present\n",
              k.version.c_str(), k.self_node, k.online, k.present);
  if (k.caps) {
    using platform::CapabilityList;
    std::printf("caps       effective: %s\n",
                Join(CapabilityList(k.caps->effective)).c_str());
    std::printf("           inheritable effective (what children get): %s\n",
                Join(CapabilityList(k.caps->ChildEffective())).c_str());
    std::printf("           permitted: %s\n",
                Join(CapabilityList(k.caps->permitted)).c_str());
  } else {
    std::printf("caps       unknown (krgcapset -s failed or is missing)\n");
  }
  if (k.schedulers.empty()) {
    std::printf("scheduler  none configured under /config/krg_scheduler\n");
  }
  for (const platform::SchedulerInfo& s : k.schedulers) {
    std::printf("scheduler  %s: %s%s\n", s.name.c_str(),
                Join(s.policies).c_str(),
                s.handle_all ? " (handles all processes)" : "");
  }
}

// What `info` says beyond the platform: this build and its tools.
struct Tools {
  ToolInfo tool = ThisTool();
  bool gnuplot = platform::ProgramExists("gnuplot");
  Status mpi = MpiEngineAvailable();
  std::string mpi_text =
      mpi.ok() ? "the mpi engine is available (" + MpirunProgram() + ")"
               : mpi.message();
};

nlohmann::json InfoJson(const platform::SystemInfo& info, const Tools& t) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const platform::Node& n : info.nodes) {
    nodes.push_back({{"id", n.id},
                     {"cpus", n.cpus},
                     {"mem_mb", n.mem_mb},
                     {"load", n.load}});
    if (!n.address.empty()) {  // a machine of the cluster platform
      nodes.back()["address"] = n.address;
      nodes.back()["reachable"] = n.unreachable.empty();
      if (!n.unreachable.empty()) nodes.back()["problem"] = n.unreachable;
      if (n.loadavg_1m >= 0) {  // its own kernel's view
        nodes.back()["loadavg_1m"] = n.loadavg_1m;
        nodes.back()["machine_cpus"] = n.machine_cpus;
        nodes.back()["mem_used"] = n.mem_used;
      }
    }
  }
  return {{"platform", info.platform},
          {"kernel", info.kernel},
          {"cpu_model", info.cpu_model},
          {"usable_cpus", info.usable_cpus},
          {"mem_mb", info.mem_mb},
          {"cpu_load", info.cpu_load},
          {"loadavg_1m", info.loadavg_1m},
          {"nodes", nodes},
          {"kerrighed", KerrighedRecord(info, {})},
          {"krgdemo",
           {{"version", t.tool.version},
            {"git", t.tool.git},
            {"build_type", t.tool.build_type},
            {"compiler", t.tool.compiler},
            {"native", KRG_NATIVE_BUILD == 1}}},
          {"isa",
           {{"mandelbrot",
             demos::mandelbrot::IsaName(demos::mandelbrot::ActiveIsa())},
            {"supported", SupportedIsaNames()}}},
          {"opencv", CV_VERSION},
          {"gnuplot", t.gnuplot},
          {"mpi", {{"available", t.mpi.ok()}, {"detail", t.mpi_text}}}};
}

void PrintInfo(const platform::SystemInfo& info, const Tools& t) {
  std::printf("platform   %s\nkernel     %s\ncpu        %s\n",
              info.platform.c_str(), info.kernel.c_str(),
              info.cpu_model.c_str());
  std::printf("cpus       %d usable, memory %lld MiB\n", info.usable_cpus,
              static_cast<long long>(info.mem_mb));
  if (info.loadavg_1m >= 0) {  // linux
    std::printf("load       %.2f (1-minute average) on %d CPUs\n",
                info.loadavg_1m, info.usable_cpus);
  }
  if (!info.cpu_load.empty()) {  // a load per CPU
    std::printf("load       ");
    for (std::size_t i = 0; i < info.cpu_load.size(); ++i) {
      std::printf("cpu%d %3.0f%%  ", info.nodes[0].cpus[i],
                  100 * info.cpu_load[i]);
    }
    std::printf("\n");
  }
  std::printf("nodes\n");
  for (const platform::Node& n : info.nodes) {
    std::printf("  node %-3d %s%zu CPUs, %lld MiB, ", n.id,
                n.address.empty() ? "" : (n.address + "  ").c_str(),
                n.cpus.size(), static_cast<long long>(n.mem_mb));
    if (!n.unreachable.empty()) {
      std::printf("UNREACHABLE: %s\n", n.unreachable.c_str());
    } else {
      std::printf("load %.0f%%", 100 * n.load);
      if (n.loadavg_1m >= 0) {
        std::printf(" (load average %.2f on its %d CPUs)", n.loadavg_1m,
                    n.machine_cpus);
      }
      std::printf("%s\n", n.address.empty() ? "" : ", reachable");
    }
  }
  if (info.kerrighed) PrintKerrighed(*info.kerrighed);
  std::printf("krgdemo    %s (git %s, %s, %s%s)\n", t.tool.version.c_str(),
              t.tool.git.c_str(), t.tool.build_type.c_str(),
              t.tool.compiler.c_str(),
              KRG_NATIVE_BUILD ? ", -march=native" : "");
  std::printf("isa        mandelbrot kernel: %s (this CPU runs: %s)\n",
              demos::mandelbrot::IsaName(demos::mandelbrot::ActiveIsa()),
              Join(SupportedIsaNames()).c_str());
  std::printf("opencv     %s\ngnuplot    %s\n", CV_VERSION,
              t.gnuplot ? "found"
                        : "not found (charts are written as .gp "
                          "scripts only)");
  std::printf("mpi        %s\n", t.mpi_text.c_str());
}

}  // namespace

int InfoCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("json", po::bool_switch(),
                     "use this to get the information as JSON (for scripts)");
  AddClusterFileOption(&desc);
  po::variables_map vm;
  const HelpText help{
      "info [--json]",
      "Shows the platform krgdemo runs on (linux, kerrighed, or cluster: "
      "the machines of a cluster file), its nodes with CPUs, memory and "
      "current load (on a cluster: each machine's address, load read over "
      "ssh, and whether it is reachable), and the versions of krgdemo and "
      "its tools.",
      "On linux, 'run --nodes N' splits these CPUs into N virtual nodes; on "
      "a cluster it runs MPI ranks on the first N machines.\n"
      "Exit codes: 0 ok; 1 a machine of the cluster is unreachable (it is "
      "listed as UNREACHABLE with the reason, the others as usual); 2 usage "
      "error."};
  if (auto r = ParseArgs("info", help, desc, {}, {}, args, &vm)) return *r;
  if (Status c = ApplyClusterFileOption(vm); !c.ok()) {
    return UsageError("info", c.message());
  }
  auto platform = platform::DetectPlatform();
  auto info = platform->Describe(/*sample_load=*/true);
  if (!info.ok()) return Fail(info.status());
  const Tools tools;
  if (vm["json"].as<bool>()) {
    std::cout << InfoJson(*info, tools).dump(2) << "\n";
  } else {
    PrintInfo(*info, tools);
  }
  // A cluster with a machine that does not answer cannot run across all
  // of its machines: say so in the exit code too, for scripts.
  for (const platform::Node& n : info->nodes) {
    if (!n.unreachable.empty()) return kExitFailed;
  }
  return kExitOk;
}

}  // namespace krg::cli
