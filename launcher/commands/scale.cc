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
#include "cli/cluster.h"
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
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
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

}  // namespace

int ScaleCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("nodes", po::value<std::string>()->value_name("LIST"),
                     "use this to choose the node counts to sweep, e.g. "
                     "1,2,4,8 (default: 1,2,4,... up to the CPU count)");
  AddRunOptions(&desc);
  AddClusterOptions(&desc);
  po::options_description hidden;
  hidden.add_options()("demo", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("demo", 1);
  po::variables_map vm;
  const HelpText help{
      "scale DEMO [--nodes 1,2,4,...] [options]",
      "Runs a demo at several node counts (procs engine unless --engine "
      "says otherwise; with threads, N nodes = N threads), and reports "
      "speedup and efficiency against the smallest count, an Amdahl fit, a "
      "table, a text chart, and speedup.png / speedup.svg drawn by gnuplot.",
      "Exit codes: 0 every point verified, 1 a point failed or did not "
      "verify, 2 usage error, 130 interrupted (finished points are kept)."};
  if (auto r = ParseArgs("scale", help, desc, hidden, pos, args, &vm))
    return *r;
  RunRequest req;
  if (Status s = ReadRunOptions(vm, &req); !s.ok()) {
    return s.code() == Status::Code::kNotFound
               ? Fail(s)
               : UsageError("scale", s.message());
  }
  if (req.threads > 0) {
    return UsageError("scale",
                      "--threads does not apply to scale: the node "
                      "count sets the thread count");
  }
  auto platform = platform::DetectPlatform();
  auto info = platform->Describe(/*sample_load=*/false);
  std::vector<int> nodes = DefaultNodeList(info.ok() ? info->usable_cpus : 1);
  if (vm.count("nodes")) {
    auto list = ParseNodeList(vm["nodes"].as<std::string>());
    if (!list.ok()) return UsageError("scale", list.status().message());
    nodes = *list;
  }
  ClusterRequest cluster;
  if (Status s = ReadClusterOptions(vm, &cluster); !s.ok()) {
    return UsageError("scale", s.message());
  }
  auto w = req.demo->make(req.config);
  if (!w.ok()) return UsageError("scale", w.status().message());
  if ((*w)->shape() == Shape::kService) {
    return UsageError("scale", req.demo->name + " is a service: 'krgdemo run " +
                                   req.demo->name +
                                   " --nodes N' sweeps 1, 2, 4 ... N nodes");
  }
  if (Status s = EngineRunsDemo(req.engine.value_or(Engine::kProcs),
                                req.demo->name, **w);
      !s.ok()) {
    return UsageError("scale", s.message());
  }
  auto out = PrepareOutDir(req.out, "scale-" + req.demo->name);
  if (!out.ok()) return Fail(out.status());
  const Engine engine = req.engine.value_or(Engine::kProcs);

  auto caps = PrepareCluster(*platform, *req.demo, cluster);
  if (!caps.ok()) return Fail(caps.status());
  ResultFile file = NewResultFile(*platform, "scale " + req.demo->name);
  if (file.system.kerrighed.is_object()) {
    file.system.kerrighed["caps_requested"] = caps->requested;
    file.system.kerrighed["caps_effective"] = caps->effective;
  }
  std::vector<SpeedupPoint> points;
  std::string first_checksum;
  bool all_ok = true;
  bool shared_noted = false;
  for (int n : nodes) {
    RunSpec spec;
    spec.id = WorkloadIdOf(req);
    spec.engine = engine;
    spec.nodes = n;
    spec.hostfile = req.hostfile.value_or("");
    spec.artifacts_dir = *out;
    spec.threads = engine == Engine::kThreads ? n : 0;
    spec.repeat = req.repeat;
    spec.cancel = InterruptFlag();
    ProgressLine progress(req.demo->name + " x" + std::to_string(n));
    spec.progress = [&progress](const Progress& p) { progress.Update(p); };
    if (!req.json) std::fprintf(stderr, "krgdemo: %d node(s)...\n", n);
    auto m = Measure(*platform, **w, spec);
    progress.Clear();
    if (!m.ok()) {
      if (m.status().code() == Status::Code::kCancelled) {
        std::fprintf(stderr,
                     "krgdemo: interrupted; %zu finished point(s) "
                     "kept in %s/run.json\n",
                     points.size(), out->c_str());
        return kExitInterrupted;
      }
      return Fail(m.status().WithContext(req.demo->name + " at " +
                                         std::to_string(n) + " nodes"));
    }
    if (!m->layout_note.empty() && !shared_noted) {
      Warn(m->layout_note);
      shared_noted = true;
    }
    const WorkAmount work = m->work;
    RunRecord rec = MakeRunRecord(req, engine, n, *m, work.amount, work.unit);
    rec.caps = caps->effective;
    if (first_checksum.empty()) first_checksum = rec.checksum;
    if (rec.checksum != first_checksum) rec.verified = false;
    all_ok = all_ok && rec.verified;
    file.runs.push_back(rec);
    const double base = file.runs.front().median_s * file.runs.front().nodes;
    const double speedup = base / rec.median_s;
    points.push_back({n, rec.median_s, speedup, speedup / n});
    if (Status s = WriteResultFile(*out / "run.json", file); !s.ok()) {
      return Fail(s);
    }
  }
  if (engine != Engine::kMpi) (void)(*w)->WriteArtifacts(*out);  // mpi: rank 0

  std::optional<AmdahlFit> fit;
  if (points.size() >= 2) {
    std::vector<double> xs, ts;
    for (const SpeedupPoint& p : points) {
      xs.push_back(p.nodes);
      ts.push_back(p.median_s);
    }
    fit = FitAmdahl(xs, ts);
    const int predict_at = 2 * points.back().nodes;
    file.extensions["scale"] = {
        {"baseline_nodes", points.front().nodes},
        {"speedup", nlohmann::json::array()},
        {"amdahl",
         {{"serial_fraction", fit->serial_fraction},
          {"predicted_nodes", predict_at},
          {"predicted_speedup", fit->PredictSpeedup(predict_at)}}}};
    for (const SpeedupPoint& p : points) {
      file.extensions["scale"]["speedup"].push_back(
          {{"nodes", p.nodes},
           {"speedup", p.speedup},
           {"efficiency", p.efficiency}});
    }
    if (Status s = WriteResultFile(*out / "run.json", file); !s.ok()) {
      return Fail(s);
    }
  }
  const std::string title = req.demo->name + " (" + req.config.size + ", " +
                            EngineName(engine) + ") on " + platform->name();
  auto charts = DrawSpeedupCharts(*out, points, fit, title);
  if (!charts.ok()) return Fail(charts.status());
  if (!charts->warning.empty()) Warn(charts->warning);

  if (req.json) {
    std::cout << ToJson(file).dump(2) << "\n";
  } else {
    std::cout << title << "\n" << Table(points, file.runs);
    if (fit) {
      std::printf(
          "Amdahl fit: serial fraction %.2f%%; predicted speedup at %d "
          "nodes: %.2fx\n",
          100 * fit->serial_fraction, 2 * points.back().nodes,
          fit->PredictSpeedup(2 * points.back().nodes));
    }
    std::cout << charts->text_chart;
    std::cout << "results: " << out->string() << "/ (run.json"
              << (charts->drawn ? ", speedup.png, speedup.svg" : "")
              << ", speedup.gp)\n";
  }
  if (!all_ok) {
    std::fprintf(stderr,
                 "krgdemo: error: a point did not verify or its "
                 "checksum differs from the first point's\n");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace krg::cli
