// `krgdemo scale DEMO --nodes 1,2,4`: the same verified run at several node
// counts; speedup and efficiency against the smallest point, an Amdahl fit,
// a table, a text chart and speedup.png/.svg. run.json is rewritten after
// every point, so an interrupted sweep keeps the points it finished.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <sstream>

#include "cli/cli.h"
#include "report/charts.h"

namespace krg::cli {
namespace {

Result<std::vector<int>> ParseNodeList(const std::string& text) {
  std::vector<int> nodes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    KRG_ASSIGN_OR_RETURN(int n, ParsePositive("--nodes", item, kMaxNodes));
    nodes.push_back(n);
  }
  if (nodes.empty() || text.back() == ',') {
    return Status::InvalidArgument("--nodes " + text +
                                   ": expected a list such as 1,2,4");
  }
  std::sort(nodes.begin(), nodes.end());
  if (auto twice = std::adjacent_find(nodes.begin(), nodes.end());
      twice != nodes.end()) {
    return Status::InvalidArgument("--nodes " + text + ": " +
                                   std::to_string(*twice) +
                                   " is listed twice; list each count once");
  }
  return nodes;
}

// 1, 2, 4, ... up to the CPU count (and at least 1,2).
std::vector<int> DefaultNodeList(int cpus) {
  std::vector<int> nodes = {1};
  for (int n = 2; n <= std::max(2, cpus); n *= 2) nodes.push_back(n);
  if (nodes.back() != std::max(2, cpus)) nodes.push_back(std::max(2, cpus));
  return nodes;
}

std::string Table(const std::vector<SpeedupPoint>& pts,
                  const std::vector<RunRecord>& runs) {
  std::ostringstream s;
  char line[160];
  std::snprintf(line, sizeof line, "%6s  %-7s  %10s  %8s  %10s  %8s\n", "nodes",
                "engine", "median_s", "speedup", "efficiency", "verified");
  s << line;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    std::snprintf(line, sizeof line,
                  "%6d  %-7s  %10.4f  %7.2fx  %9.0f%%  %8s\n", pts[i].nodes,
                  runs[i].engine.c_str(), pts[i].median_s, pts[i].speedup,
                  100 * pts[i].efficiency, runs[i].verified ? "yes" : "NO");
    s << line;
  }
  return s.str();
}

// The speedup analysis of run.json: the points and, from 3 points, the
// Amdahl fit.
nlohmann::json ScaleRecord(const std::vector<SpeedupPoint>& points,
                           const std::optional<AmdahlFit>& fit) {
  const int predict_at = 2 * points.back().nodes;
  nlohmann::json record = {{"baseline_nodes", points.front().nodes},
                           {"speedup", nlohmann::json::array()}};
  if (fit) {
    record["amdahl"] = {{"serial_fraction", fit->serial_fraction},
                        {"predicted_nodes", predict_at},
                        {"predicted_speedup", fit->PredictSpeedup(predict_at)}};
  }
  for (const SpeedupPoint& p : points) {
    record["speedup"].push_back({{"nodes", p.nodes},
                                 {"speedup", p.speedup},
                                 {"efficiency", p.efficiency}});
  }
  return record;
}

// One sweep: its plan, the points so far and where they go.
struct Sweep {
  RunRequest req;
  std::vector<int> nodes;
  std::filesystem::path out;
  ResultFile file;
  std::vector<SpeedupPoint> points;
  bool all_ok = true;
  int cpus = 1;  // usable CPUs: more nodes than this share them
};

// An Amdahl fit has one free parameter: two points always fit it exactly,
// so it says nothing until a third point can disagree with it.
constexpr std::size_t kFitPoints = 3;

// Why a point is slower than the baseline, when the reason is known.
void ExplainSlowdown(const Sweep& s) {
  for (const SpeedupPoint& p : s.points) {
    if (p.speedup >= 1 || p.nodes <= s.points.front().nodes) continue;
    char text[320];
    if (p.nodes > s.cpus) {
      std::snprintf(text, sizeof text,
                    "speedup %.2fx at %d nodes is under 1: the %d nodes share "
                    "%d CPU%s, so they take turns on the same CPUs and pay "
                    "for the hand-offs; on this machine try --nodes up to %d",
                    p.speedup, p.nodes, p.nodes, s.cpus, s.cpus == 1 ? "" : "s",
                    s.cpus);
    } else {
      std::snprintf(text, sizeof text,
                    "speedup %.2fx at %d nodes is under 1: each pass takes "
                    "%.3f s, too little to pay for starting and feeding the "
                    "workers (try a larger --size), or other work took the "
                    "CPUs (see the load in run.json)",
                    p.speedup, p.nodes, p.median_s);
    }
    Warn(text);
  }
}

// Runs every point of the sweep, rewriting run.json after each. Returns an
// exit code to stop with, or nullopt when every point ran.
std::optional<int> RunPoints(Session& session, Workload& w, Sweep& s) {
  std::set<std::string> warned;  // once per sweep
  for (int n : s.nodes) {
    RunPlan plan = s.req.plan;
    plan.nodes = n;
    if (n != s.nodes.back()) plan.out.clear();  // artifacts: the last point
    if (plan.engine == Engine::kThreads) plan.threads = n;
    ProgressLine progress(s.req.demo->name + " x" + std::to_string(n));
    RunHooks hooks;
    hooks.cancel = InterruptFlag();
    hooks.progress = [&](const Progress& p) { progress.Update(p); };
    hooks.warn = [&warned](const std::string& text) {
      if (warned.insert(text).second) Warn(text);
    };
    if (!s.req.json) std::fprintf(stderr, "krgdemo: %d node(s)...\n", n);
    auto o = session.Run(plan, w, hooks);
    progress.Clear();
    if (!o.ok() && o.status().code() == Status::Code::kCancelled) {
      std::fprintf(stderr,
                   "krgdemo: interrupted; %zu finished point(s) kept in "
                   "%s/run.json\n",
                   s.points.size(), s.out.c_str());
      return kExitInterrupted;
    }
    if (!o.ok()) {
      return Fail(o.status().WithContext(s.req.demo->name + " at " +
                                         std::to_string(n) + " nodes"));
    }
    RunRecord rec = o->record;
    if (!s.file.runs.empty() && rec.checksum != s.file.runs[0].checksum) {
      rec.verified = false;
    }
    s.all_ok = s.all_ok && rec.verified;
    s.file.runs.push_back(rec);
    const double base = s.file.runs[0].median_s * s.file.runs[0].nodes;
    s.points.push_back(
        {n, rec.median_s, base / rec.median_s, base / rec.median_s / n});
    if (Status st = WriteResultFile(s.out / "run.json", s.file); !st.ok()) {
      return Fail(st);
    }
  }
  return std::nullopt;
}

// The Amdahl fit (three points or more), the charts and the console report.
int ReportSweep(Sweep& s, const std::string& platform) {
  std::optional<AmdahlFit> fit;
  if (s.points.size() >= kFitPoints) {
    std::vector<double> xs, ts;
    for (const SpeedupPoint& p : s.points) {
      xs.push_back(p.nodes);
      ts.push_back(p.median_s);
    }
    fit = FitAmdahl(xs, ts);
  }
  if (s.points.size() >= 2) {
    s.file.extensions["scale"] = ScaleRecord(s.points, fit);
    if (Status st = WriteResultFile(s.out / "run.json", s.file); !st.ok()) {
      return Fail(st);
    }
  }
  const std::string title = s.req.demo->name + " (" + s.req.plan.id.size +
                            ", " + s.file.runs.front().engine + ") on " +
                            platform;
  auto charts = DrawSpeedupCharts(s.out, s.points, fit, title);
  if (!charts.ok()) return Fail(charts.status());
  if (!charts->warning.empty()) Warn(charts->warning);
  if (s.req.json) {
    std::cout << ToJson(s.file).dump(2) << "\n";
  } else {
    std::cout << title << "\n" << Table(s.points, s.file.runs);
    if (fit) {
      const int at = 2 * s.points.back().nodes;
      std::printf(
          "Amdahl fit: serial fraction %.2f%%; predicted speedup at %d "
          "nodes: %.2fx\n",
          100 * fit->serial_fraction, at, fit->PredictSpeedup(at));
    } else if (s.points.size() > 1) {
      std::printf(
          "Amdahl fit: needs %zu node counts (this sweep has %zu), e.g. "
          "--nodes 1,2,4\n",
          kFitPoints, s.points.size());
    }
    std::cout << charts->text_chart;
    std::cout << "results: " << s.out.string() << "/ (run.json"
              << (charts->drawn ? ", speedup.png, speedup.svg" : "")
              << ", speedup.gp)\n";
  }
  ExplainSlowdown(s);
  if (!s.all_ok) {
    std::fprintf(stderr,
                 "krgdemo: error: a point did not verify or its "
                 "checksum differs from the first point's\n");
    return kExitFailed;
  }
  return kExitOk;
}

// The sweep's node counts and plan from the command line; a usage error is
// an exit code.
std::optional<int> ReadSweep(const po::variables_map& vm,
                             platform::Platform& platform, Sweep* s) {
  if (Status st = ReadRunOptions(vm, &s->req); !st.ok()) {
    return st.code() == Status::Code::kNotFound
               ? Fail(st)
               : UsageError("scale", st.message());
  }
  const platform::Platform& p = platform;
  auto info = platform.Describe(/*sample_load=*/false);
  s->cpus = info.ok() ? std::max(1, info->usable_cpus) : 1;
  // Up to the CPUs of this machine, or to the machines of a cluster.
  const int most = info.ok() && p.traits().separate_machines
                       ? static_cast<int>(info->nodes.size())
                       : s->cpus;
  s->nodes = DefaultNodeList(most);
  if (vm.count("nodes")) {
    auto list = ParseNodeList(vm["nodes"].as<std::string>());
    if (!list.ok()) return UsageError("scale", list.status().message());
    s->nodes = *list;
  }
  if (s->req.demo->shape == Shape::kService) {
    const std::string& name = s->req.demo->name;
    return UsageError("scale", name + " is a service: 'krgdemo run " + name +
                                   " --nodes N' sweeps 1, 2, 4 ... N nodes");
  }
  // One engine for every point, so that the points compare: the default
  // of the largest (procs as soon as the sweep spreads).
  RunPlan& plan = s->req.plan;
  plan.engine = plan.engine.value_or(DefaultEngineOn(p, s->nodes.back()));
  plan.nodes = s->nodes.back();
  if (auto e = CheckPlan(plan, s->req.demo->shape, p.traits()); !e.ok()) {
    return UsageError("scale", e.status().message());
  }
  return std::nullopt;
}

}  // namespace

int ScaleCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("nodes", po::value<std::string>()->value_name("LIST"),
                     "use this to choose the node counts to sweep, e.g. "
                     "1,2,4,8 (default: 1,2,4,... up to the CPU count)");
  AddRunOptions(&desc, /*threads=*/false);
  po::variables_map vm;
  const HelpText help{
      "scale DEMO [--nodes 1,2,4,...] [options]",
      "Runs a demo at several node counts, on one engine for the whole sweep "
      "(procs unless --engine says otherwise, or the sweep is 1 node alone; "
      "with threads, N nodes = N threads), and reports "
      "speedup and efficiency against the smallest count, an Amdahl fit "
      "(from 3 node counts), a "
      "table, a text chart, and speedup.png / speedup.svg drawn by gnuplot.",
      "Exit codes: 0 every point verified, 1 a point failed or did not "
      "verify, 2 usage error, 130 interrupted (finished points are kept)."};
  for (const std::string& a : args) {  // say why, not just "unrecognised"
    if (a == "--threads" || a.rfind("--threads=", 0) == 0) {
      return UsageError("scale",
                        "--threads does not apply to scale: the node count "
                        "sets the thread count");
    }
  }
  if (auto r = ParseDemoArgs("scale", help, desc, args, &vm)) {
    return *r;
  }
  if (Status c = ApplyClusterFileOption(vm); !c.ok()) {
    return UsageError("scale", c.message());
  }
  auto platform = platform::DetectPlatform();
  Sweep s;
  if (auto r = ReadSweep(vm, *platform, &s)) return *r;
  auto w = s.req.demo->make(s.req.config());
  if (!w.ok()) return UsageError("scale", w.status().message());
  auto out = PrepareOutDir(s.req.out, "scale-" + s.req.demo->name);
  if (!out.ok()) return Fail(out.status());
  s.out = *out;
  s.req.plan.out = *out;
  Session session(*platform);
  if (auto caps = session.Prepare(s.req.plan); !caps.ok()) {
    return Fail(caps.status());
  }
  s.file = session.NewResultFile("scale " + s.req.demo->name);
  if (nlohmann::json load = MachineLoad(*platform); !load.is_null()) {
    s.file.extensions["load"] = load;
  }
  if (auto r = RunPoints(session, **w, s)) return *r;
  return ReportSweep(s, platform->name());
}

}  // namespace krg::cli
