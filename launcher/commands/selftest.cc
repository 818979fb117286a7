// `krgdemo selftest`: every demo of the registry at its smallest size, one
// verified pass each, and a closing line the LiveCD's boot check greps for:
//   krgdemo selftest: N passed, M failed
// It iterates demos/registry.h's table, so a new demo is tested with no
// change here.
//
// Every demo runs in a process of its own (a fork of this one), so a demo
// that dies by a signal (Debian's OpenBLAS on a CPU model it misreads died
// of SIGILL) is reported as "FAILED NAME: killed by signal N (...)" and the
// other demos still run. KRGDEMO_SELFTEST_WRAPPER="PROGRAM ARGS..." runs each
// demo as `PROGRAM ARGS krgdemo selftest --demo NAME --child` instead (the
// hidden --child flag: one demo, in this process, no header): under
// valgrind, qemu-x86_64 -cpu MODEL (the same checks on another CPU model),
// or a test's script.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "krg/mpi_engine.h"
#include "krg/private_dir.h"
#include "krg/service.h"

namespace krg::cli {
namespace {

// A demo the engine does not run is skipped (and says why), not failed.
enum class Verdict { kPassed, kFailed, kSkipped };
// How a --child process says "skipped" to the selftest that started it.
constexpr int kExitSkipped = 3;

struct SelftestOptions {
  Engine engine = Engine::kThreads;
  int nodes = 1;
  std::string cluster;  // --cluster FILE, passed on to wrapped children
  std::string only;     // empty: every demo
  bool child = false;   // --child: one demo, in this process, no header
};

// A service demo: one short verified load point (its `test` size) on a
// scratch folder. Returns what verified: "checksum X", or the check's text.
Result<std::string> SelftestService(Session& session, RunPlan plan,
                                    Workload& workload) {
  auto& service = static_cast<ServiceWorkload&>(workload);
  KRG_ASSIGN_OR_RETURN(platform::PrivateDir dir,
                       platform::PrivateDir::Create("krgdemo-selftest"));
  plan.out = dir.path();
  plan.engine.reset();  // servers are processes whatever the engine
  auto o = session.Serve(plan, service, {.cancel = InterruptFlag()},
                         [](const std::string&) {});
  if (!o.ok()) return o.status();
  const Verification& v = o->report.verification;
  if (!v.ok) return Status::Internal("did not verify: " + v.detail);
  return v.checksum.empty() ? v.detail
                            : std::string("checksum ").append(v.checksum);
}

// One pass of a farm or SPMD demo. Returns "checksum X".
Result<std::string> SelftestRun(Session& session, const RunPlan& plan,
                                Workload& workload) {
  KRG_ASSIGN_OR_RETURN(
      krg::Outcome o, session.Run(plan, workload, {.cancel = InterruptFlag()}));
  if (!o.record.verified) {
    return Status::Internal("did not verify: " +
                            o.measurement.verification.detail);
  }
  return "checksum " + o.record.checksum;
}

// Why `demo` is skipped with `plan` on `platform`; ok when it runs.
Status SkipReason(const platform::Platform& platform, const demos::Demo& demo,
                  const RunPlan& plan) {
  if (demo.shape != Shape::kService) {
    return CheckPlan(plan, demo.shape).status();
  }
  // Servers run on this machine whatever the engine: on a cluster that
  // would not test its machines.
  if (platform.traits().separate_machines) {
    return Status::FailedPrecondition(
        "a server farm runs on this machine, not on the cluster's machines "
        "(docs/cluster.md)");
  }
  return Status::Ok();
}

// Builds and runs one demo at the smallest size; prints one line.
Verdict SelftestDemo(platform::Platform& platform, const demos::Demo& demo,
                     const SelftestOptions& opt) {
  const auto start = std::chrono::steady_clock::now();
  demos::DemoConfig config;
  config.size = demos::kSizes.front();
  // Services (webfarm) listen on a port the kernel picks, so a selftest
  // never collides with a farm already serving on the default port.
  if (demo.shape == Shape::kService) {
    config.params.insert_or_assign("port", std::string("0"));
  }
  const RunPlan plan{.id = {demo.name, config.size, config.params},
                     .caps = demo.caps,
                     .engine = opt.engine,
                     .nodes = opt.nodes,
                     .repeat = RepeatPolicy{.fixed = 1, .warmups = 0}};
  Session session(platform);
  Result<std::string> verified = Status::Internal("not run");
  // A demo the engine does not run is skipped, not failed.
  const Status skipped = SkipReason(platform, demo, plan);
  if (skipped.ok()) {
    auto w = demo.make(config);
    verified = !w.ok() ? Result<std::string>(w.status())
               : demo.shape == Shape::kService
                   ? SelftestService(session, plan, **w)
                   : SelftestRun(session, plan, **w);
  }
  const double s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const char* mark = !skipped.ok() ? "skip" : verified.ok() ? "ok  " : "FAIL";
  const std::string text = !skipped.ok()   ? skipped.message()
                           : verified.ok() ? *verified
                                           : verified.status().message();
  std::printf("  %s  %-12s %6.2f s  %s\n", mark, demo.name.c_str(), s,
              text.c_str());
  std::fflush(stdout);
  if (!skipped.ok()) return Verdict::kSkipped;
  return verified.ok() ? Verdict::kPassed : Verdict::kFailed;
}

int ExitCodeOf(Verdict v) {
  return v == Verdict::kPassed    ? kExitOk
         : v == Verdict::kSkipped ? kExitSkipped
                                  : kExitFailed;
}

// The wrapper words of KRGDEMO_SELFTEST_WRAPPER (split on blanks), if any.
std::vector<std::string> SelftestWrapper() {
  std::vector<std::string> words;
  const char* env = std::getenv("KRGDEMO_SELFTEST_WRAPPER");
  std::istringstream in(env == nullptr ? "" : env);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Runs one demo in a process of its own and returns how it went; a
// process that died by a signal or exited oddly gets a FAILED line here.
// nullopt: interrupted (Ctrl-C reached the child too). The process is a
// fork of this one (ForkChild, as the procs engine's workers): it has every
// library loaded already, where a fresh `krgdemo` would load ~260 of them
// again (0.3 s here, ~5 s under qemu's software CPU, per demo). With
// KRGDEMO_SELFTEST_WRAPPER it is `WRAPPER krgdemo selftest --demo NAME
// --child` instead, whose line goes straight to stdout.
std::optional<Verdict> SelftestDemoInChild(platform::Platform& platform,
                                           const std::string& self,
                                           const demos::Demo& demo,
                                           const SelftestOptions& opt) {
  platform::ExitInfo exit;
  std::vector<std::string> argv = SelftestWrapper();
  if (argv.empty()) {
    auto pid = platform::ForkChild(
        [&] { return ExitCodeOf(SelftestDemo(platform, demo, opt)); });
    auto reaped = pid.ok()
                      ? platform::Reap(*pid, /*block=*/true)
                      : Result<std::optional<platform::ExitInfo>>(pid.status());
    if (InterruptFlag()->load()) return std::nullopt;
    if (!reaped.ok()) {
      std::printf("FAILED %s: %s\n", demo.name.c_str(),
                  reaped.status().message().c_str());
      std::fflush(stdout);
      return Verdict::kFailed;
    }
    exit = **reaped;
  } else {
    argv.insert(argv.end(), {self, "selftest", "--demo", demo.name, "--engine",
                             EngineName(opt.engine), "--nodes",
                             std::to_string(opt.nodes), "--child"});
    if (!opt.cluster.empty())
      argv.insert(argv.end(), {"--cluster", opt.cluster});
    auto ran = platform::RunCommandPassingStdout(argv);
    if (InterruptFlag()->load()) return std::nullopt;
    if (!ran.ok()) {
      std::printf("FAILED %s: %s\n", demo.name.c_str(),
                  ran.status().message().c_str());
      std::fflush(stdout);
      return Verdict::kFailed;
    }
    std::fputs(ran->err.c_str(), stderr);
    exit = ran->exit;
  }
  if (exit.exited && exit.code == kExitOk) return Verdict::kPassed;
  if (exit.exited && exit.code == kExitSkipped) return Verdict::kSkipped;
  // Exit 1 is a demo that failed and said so on its own line.
  if (exit.exited && exit.code == kExitFailed) return Verdict::kFailed;
  std::printf("FAILED %s: %s\n", demo.name.c_str(), exit.ToString().c_str());
  std::fflush(stdout);
  return Verdict::kFailed;
}

// Every demo (or the one asked for), each in a process of its own, and the
// closing line.
int SelftestAll(platform::Platform& platform, const std::string& self,
                const SelftestOptions& opt) {
  std::printf("krgdemo selftest on %s: %s engine, %d %s, size '%s'\n",
              platform.name().c_str(), EngineName(opt.engine).c_str(),
              opt.nodes, opt.nodes == 1 ? "node" : "nodes",
              demos::kSizes.front().c_str());
  int passed = 0, failed = 0, skipped = 0;
  for (const demos::Demo& demo : demos::AllDemos()) {
    if (!opt.only.empty() && demo.name != opt.only) continue;
    if (InterruptFlag()->load()) return kExitInterrupted;
    const std::optional<Verdict> outcome =
        SelftestDemoInChild(platform, self, demo, opt);
    if (!outcome.has_value()) return kExitInterrupted;
    (*outcome == Verdict::kPassed    ? passed
     : *outcome == Verdict::kSkipped ? skipped
                                     : failed)++;
  }
  if (InterruptFlag()->load()) return kExitInterrupted;
  // The LiveCD greps "N passed, M failed": skips come after it.
  std::printf("krgdemo selftest: %d passed, %d failed%s\n", passed, failed,
              skipped == 0
                  ? ""
                  : (", " + std::to_string(skipped) + " skipped").c_str());
  return failed == 0 ? kExitOk : kExitFailed;
}

// --engine and --nodes. On a cluster: mpi across all its machines unless
// --nodes says fewer; threads or procs would test this machine only, so
// they are refused. Returns an exit code on a usage error.
std::optional<int> ReadEngineAndNodes(const po::variables_map& vm,
                                      platform::Platform& platform,
                                      SelftestOptions* opt) {
  const bool cluster = platform.traits().separate_machines;
  if (cluster) opt->engine = Engine::kMpi;
  if (vm.count("engine")) {
    auto e = ParseEngine(vm["engine"].as<std::string>());
    if (!e.ok()) return UsageError("selftest", e.status().message());
    if (cluster && *e != Engine::kMpi) {
      return UsageError(
          "selftest",
          "--engine " + EngineName(*e) +
              ": the cluster platform runs the mpi engine only (drop the "
              "cluster file, --cluster or $KRGDEMO_CLUSTER, to test this "
              "machine)");
    }
    opt->engine = *e;
  }
  if (opt->engine == Engine::kMpi) {
    if (Status s = MpiEngineAvailable(); !s.ok()) {
      return UsageError("selftest", s.message());
    }
  }
  if (cluster) {
    auto info = platform.Describe(/*sample_load=*/false);
    if (!info.ok()) return UsageError("selftest", info.status().message());
    opt->nodes = static_cast<int>(info->nodes.size());
  }
  if (vm.count("nodes")) {
    auto n = ParsePositive("--nodes", vm["nodes"].as<std::string>(),
                           cluster ? opt->nodes : kMaxNodes);
    if (!n.ok()) return UsageError("selftest", n.status().message());
    opt->nodes = *n;
  }
  return std::nullopt;
}

}  // namespace

int SelftestCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()(
      "engine", po::value<std::string>()->value_name(EngineNames()),
      EngineHelp("(demos the engine does not run are skipped; default: "
                 "threads)")
          .c_str())(
      "nodes", po::value<std::string>()->value_name("N"),
      "use this to spread each demo over N nodes (default: 1; on a "
      "cluster: all its machines)")(
      "demo", po::value<std::string>()->value_name("NAME"),
      "use this to test one demo only (default: every demo)");
  AddClusterFileOption(&desc);
  // Internal: how the selftest runs each demo in a process of its own.
  po::options_description hidden;
  hidden.add_options()("child", po::bool_switch());
  po::variables_map vm;
  const HelpText help{
      "selftest [options]",
      "Runs every demo once at its smallest size ('" + demos::kSizes.front() +
          "') and verifies its answer: a quick check that this machine (or a "
          "freshly booted LiveCD) runs krgdemo correctly. Writes no results.",
      "The last line is 'krgdemo selftest: N passed, M failed' (then ', K "
      "skipped' when the engine does not run some demos); the LiveCD "
      "prints it on every console when booted with krgdemo.selftest=1.\n"
      "Each demo runs in a process of its own: one that dies by a signal is "
      "reported as 'FAILED NAME: killed by signal N (...)' and the others "
      "still run. KRGDEMO_SELFTEST_WRAPPER='PROGRAM ARGS' runs those "
      "processes under a wrapper (e.g. 'qemu-x86_64 -cpu Nehalem').\n"
      "On a cluster (--cluster FILE, $KRGDEMO_CLUSTER or "
      "/etc/krgdemo/cluster) the engine is mpi across the machines (default "
      "--nodes: all of them, each with a rank per CPU): every demo that "
      "runs on mpi is tested, the others (the server farm) are skipped.\n"
      "Exit codes: 0 all passed, 1 a demo failed, 2 usage error, 130 "
      "interrupted."};
  if (auto r = ParseArgs("selftest", help, desc, hidden, {}, args, &vm)) {
    return *r;
  }
  SelftestOptions opt;
  opt.child = vm["child"].as<bool>();
  if (Status c = ApplyClusterFileOption(vm); !c.ok()) {
    return UsageError("selftest", c.message());
  }
  if (vm.count("cluster")) opt.cluster = vm["cluster"].as<std::string>();
  auto platform = platform::DetectPlatform();
  if (auto r = ReadEngineAndNodes(vm, *platform, &opt)) return *r;
  if (vm.count("demo")) {
    opt.only = vm["demo"].as<std::string>();
    if (demos::FindDemo(opt.only) == nullptr) {
      const std::string near = demos::SuggestDemo(opt.only);
      return UsageError(
          "selftest",
          "no demo named '" + opt.only + "'" +
              (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  if (opt.child) {
    if (opt.only.empty()) return UsageError("selftest", "--child needs --demo");
    if (InterruptFlag()->load()) return kExitInterrupted;
    const Verdict outcome =
        SelftestDemo(*platform, *demos::FindDemo(opt.only), opt);
    if (InterruptFlag()->load()) return kExitInterrupted;
    return ExitCodeOf(outcome);
  }
  auto self = platform::SelfExecutable();
  if (!self.ok()) return Fail(self.status());
  return SelftestAll(*platform, *self, opt);
}

}  // namespace krg::cli
