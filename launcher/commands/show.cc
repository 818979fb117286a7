// `krgdemo show SCENARIO`: narrated, timed live demos for a presenter (the
// scenarios are in show/scenarios.h). Exit codes: 0 the scenario showed what
// it claims (or was skipped, saying why), 1 it did not, 2 usage error, 130
// interrupted (workers stopped, nothing left running).
#include <unistd.h>

#include <cstdio>

#include "cli/cli.h"
#include "show/scenarios.h"
#include "show/view.h"

namespace krg::cli {
namespace {

std::string ScenarioHelp() {
  std::string text = "Scenarios:\n";
  for (const show::Scenario& s : show::Scenarios()) {
    text += "  " + std::string(s.name) + ": " + s.help + "\n";
  }
  return text +
         "\nEach scenario ends with 'verdict: ...'. Exit codes: 0 shown (or "
         "skipped, saying why), 1 not shown, 2 usage error, 130 interrupted.";
}

std::string ScenarioNames() {
  std::string names;
  for (const show::Scenario& s : show::Scenarios()) {
    names += (names.empty() ? "" : ", ") + std::string(s.name);
  }
  return names;
}

// --nodes, or the platform's default node count.
Result<int> NodeCount(const po::variables_map& vm, platform::Platform& p) {
  if (vm.count("nodes")) {
    return ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes);
  }
  KRG_ASSIGN_OR_RETURN(platform::SystemInfo info,
                       p.Describe(/*sample_load=*/false));
  return p.DefaultNodeCount(info);
}

int Finish(show::ShowView& view, const show::ScenarioResult& r) {
  switch (r.outcome) {
    case show::Outcome::kShown:
      view.Verdict("shown: " + r.verdict);
      return kExitOk;
    case show::Outcome::kSkipped:
      view.Verdict(r.verdict);
      return kExitOk;
    case show::Outcome::kNotShown:
      view.Verdict("NOT shown: " + r.verdict);
      return kExitFailed;
    case show::Outcome::kInterrupted:
      break;
  }
  view.Verdict("interrupted");
  std::fprintf(stderr,
               "krgdemo: interrupted; workers stopped, nothing left running\n");
  return kExitInterrupted;
}

po::options_description VisibleOptions() {
  po::options_description desc("Options");
  desc.add_options()(
      "nodes", po::value<std::string>()->value_name("N"),
      "use this to show the scenario on N nodes (default: every node on "
      "Kerrighed, one virtual node per CPU on linux)")(
      "size",
      po::value<std::string>()
          ->value_name("test|small|medium|large")
          ->default_value("small"),
      "use this to make the work last longer (small: about 6 s once spread; "
      "medium 15 s, large 30 s; test: for tests)")(
      "pace",
      po::value<std::string>()
          ->value_name("normal|fast")
          ->default_value("normal"),
      "use this to choose the rhythm: normal pauses a few seconds between "
      "steps for an audience; fast does not (rehearsals, tests)")(
      "add-node", po::bool_switch(),
      "show balance on Kerrighed: use this to add a node live (default: "
      "off): one worker more than the online nodes, and once the balancer "
      "has spread them, the first present node joins (`krgadm nodes add "
      "-n ID`) and takes its share; it stays in the cluster");
  return desc;
}

// The scenario called `name`; kNotFound with "did you mean" otherwise.
Result<const show::Scenario*> FindScenario(const std::string& name) {
  for (const show::Scenario& s : show::Scenarios()) {
    if (name == s.name) return &s;
  }
  const std::string hint = show::SuggestScenario(name);
  return Status::NotFound(
      "unknown scenario '" + name + "'" +
      (hint.empty() ? "" : "; did you mean '" + hint + "'?") +
      " (scenarios: " + ScenarioNames() + ")");
}

// --size and --pace into `opts`; kInvalidArgument for a value that is
// neither.
Status ReadSizeAndPace(const po::variables_map& vm, show::ShowOptions* opts) {
  opts->size = vm["size"].as<std::string>();
  if (opts->size != "test" && opts->size != "small" && opts->size != "medium" &&
      opts->size != "large") {
    return Status::InvalidArgument("--size " + opts->size +
                                   ": expected test, small, medium or large");
  }
  const std::string pace = vm["pace"].as<std::string>();
  if (pace != "normal" && pace != "fast") {
    return Status::InvalidArgument("--pace " + pace +
                                   ": expected normal or fast");
  }
  opts->pace = pace == "fast" ? show::Pace::Fast() : show::Pace::Normal();
  return Status::Ok();
}

// Runs `scenario` before the audience and ends it with its verdict.
int Present(const show::Scenario& scenario, platform::Platform& platform,
            const show::ShowOptions& opts, const std::string& pace) {
  show::ShowView view(stdout, ::isatty(STDOUT_FILENO) == 1);
  std::printf("krgdemo show %s: %s, %d %s, pace %s\n\n", scenario.name,
              platform.name().c_str(), opts.nodes,
              opts.nodes == 1 ? "node" : "nodes", pace.c_str());
  show::ShowContext ctx{platform, view, opts, InterruptFlag()};
  auto result = show::RunScenario(scenario, ctx);
  if (!result.ok()) {
    if (result.status().code() == Status::Code::kInvalidArgument) {
      return UsageError("show", result.status().message());
    }
    view.Verdict("NOT shown: " + result.status().message());
    return Fail(result.status());
  }
  return Finish(view, *result);
}

}  // namespace

int ShowCommand(const std::vector<std::string>& args) {
  po::options_description desc = VisibleOptions();
  po::options_description hidden;
  hidden.add_options()("scenario", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  const HelpText help{"show SCENARIO [options]",
                      "Runs a narrated, timed live demo: it says what it does "
                      "and why, shows the load of every node as it goes, logs "
                      "each migration, and ends with a verdict.",
                      ScenarioHelp()};
  if (auto r = ParseArgs("show", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  if (!vm.count("scenario")) {
    return UsageError("show", "which scenario? (" + ScenarioNames() + ")");
  }
  auto scenario = FindScenario(vm["scenario"].as<std::string>());
  if (!scenario.ok()) return Fail(scenario.status());
  show::ShowOptions opts;
  if (Status s = ReadSizeAndPace(vm, &opts); !s.ok()) {
    return UsageError("show", s.message());
  }
  opts.add_node = vm["add-node"].as<bool>();
  if (opts.add_node && std::string((*scenario)->name) != "balance") {
    return UsageError("show", "--add-node is an option of show balance only");
  }
  auto platform = platform::DetectPlatform();
  if (platform->traits().separate_machines) {
    // Nothing migrates between the machines of a plain cluster (no SSI):
    // the scenarios play on this machine, as they would without the file
    // (the LiveCD's head, once it serves other PCs, keeps its menu's shows).
    std::fputs(
        "krgdemo: note: show runs on this machine alone: processes cannot "
        "migrate between the machines of a cluster file ($KRGDEMO_CLUSTER or "
        "/etc/krgdemo/cluster)\n",
        stderr);
    platform = platform::DetectLocalPlatform();
  }
  auto nodes = NodeCount(vm, *platform);
  if (!nodes.ok()) {
    return nodes.status().code() == Status::Code::kInvalidArgument
               ? UsageError("show", nodes.status().message())
               : Fail(nodes.status());
  }
  opts.nodes = *nodes;
  return Present(**scenario, *platform, opts, vm["pace"].as<std::string>());
}

}  // namespace krg::cli
