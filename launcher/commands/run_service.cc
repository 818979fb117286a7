// `krgdemo run webfarm`: a service demo. The farm runs under wrk for each
// point of a sweep (nodes x connections), or until Ctrl-C with
// --param serve_only=1; the points go to run.json (one run record each, plus
// a "service" section with latencies and errors) and to charts.
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/cli.h"
#include "krg/service.h"
#include "report/charts.h"
#include "servers/net.h"

namespace krg::cli {
namespace {

nlohmann::json PointJson(const ServicePoint& p) {
  return {{"nodes", p.nodes},
          {"connections", p.connections},
          {"duration_s", p.duration_s},
          {"requests", p.requests},
          {"errors", p.errors},
          {"error_rate", p.error_rate()},
          {"requests_per_s", p.requests_per_s},
          {"latency_ms",
           {{"p50", p.p50_ms},
            {"p90", p.p90_ms},
            {"p99", p.p99_ms},
            {"max", p.max_ms}}},
          {"restarts", p.restarts},
          {"kills", p.kills},
          {"checks", p.checks},
          {"server_cpu_s", p.server_cpu_s},
          {"server_wait_s", p.server_wait_s},
          {"requests_per_cpu_s",
           p.server_cpu_s > 0 ? p.requests / p.server_cpu_s : 0.0}};
}

RunRecord PointRecord(const RunRequest& req,
                      const std::map<std::string, std::string>& params,
                      int threads, const ServicePoint& p, bool verified) {
  RunRecord r;
  r.demo = req.demo->name;
  r.size = req.config.size;
  r.params = params;
  r.params["connections"] = std::to_string(p.connections);
  r.engine = EngineName(Engine::kProcs);
  r.nodes = p.nodes;
  r.threads = threads > 0 ? threads : 1;
  r.samples_s = {p.duration_s};
  r.median_s = r.min_s = p.duration_s;
  r.throughput = p.requests_per_s;
  r.throughput_unit = "req/s";
  r.verified = verified;
  return r;
}

std::string Table(const ServiceReport& report) {
  std::string s =
      "  nodes  conns      req/s    p50 ms    p90 ms    p99 ms   errors  "
      "restarts  CPU s  wait s\n";
  char line[160];
  for (const ServicePoint& p : report.points) {
    std::snprintf(
        line, sizeof line,
        "  %5d  %5d  %9.1f  %8.2f  %8.2f  %8.2f  %7lld  %8d  %5.1f  %6.1f\n",
        p.nodes, p.connections, p.requests_per_s, p.p50_ms, p.p90_ms, p.p99_ms,
        p.errors, p.restarts, p.server_cpu_s, p.server_wait_s);
    s += line;
  }
  return s;
}

int WriteResults(const RunRequest& req, ServiceWorkload& w, int threads,
                 const ServiceReport& report, const std::filesystem::path& out,
                 std::ofstream& log) {
  auto platform = platform::DetectPlatform();
  ResultFile file = NewResultFile(*platform, req.demo->name);
  nlohmann::json points = nlohmann::json::array();
  std::vector<ServiceChartPoint> chart;
  for (const ServicePoint& p : report.points) {
    file.runs.push_back(PointRecord(req, w.RecordedParams(), threads, p,
                                    report.verification.ok));
    points.push_back(PointJson(p));
    chart.push_back({p.nodes, p.connections, p.requests_per_s, p.p99_ms});
  }
  file.extensions["service"] = {{"points", points},
                                {"verified", report.verification.ok},
                                {"detail", report.verification.detail}};
  Status wrote = WriteResultFile(out / "run.json", file);
  if (!wrote.ok()) return Fail(wrote);
  auto charts = DrawServiceCharts(out, chart, "krgdemo webfarm");
  std::string summary = req.demo->name + " (" + req.config.size + ") on " +
                        platform->name() + "\n" + Table(report);
  summary += std::string("  verified  ") +
             (report.verification.ok ? "yes" : "NO") + ": " +
             report.verification.detail + "\n";
  summary += "  results   " + out.string() + "/\n";
  log << summary;
  if (req.json) {
    std::cout << ToJson(file).dump(2) << "\n";
  } else {
    std::cout << summary;
    if (charts.ok() && charts->drawn && report.points.size() > 1) {
      std::cout << charts->text_chart;
    }
  }
  if (charts.ok() && !charts->warning.empty()) Warn(charts->warning);
  if (!report.verification.ok) {
    std::fprintf(stderr, "krgdemo: error: %s did not verify: %s\n",
                 req.demo->name.c_str(), report.verification.detail.c_str());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

int RunServiceDemo(RunRequest& req, int nodes, const std::string& bind) {
  if (req.engine == Engine::kThreads) {
    return UsageError("run",
                      req.demo->name +
                          " always runs one server process per node; use "
                          "--threads T for a thread pool in each");
  }
  if (!bind.empty()) {
    req.config.params["bind"] = bind;
    if (!demos::servers::IsLoopback(bind)) {
      Warn("--bind " + bind +
           " is not a loopback address: the farm is reachable from other "
           "machines; it has no authentication");
    }
  }
  auto made = req.demo->make(req.config);
  if (!made.ok()) return UsageError("run", made.status().message());
  auto* w = dynamic_cast<ServiceWorkload*>(made->get());
  KRG_CHECK(w != nullptr) << req.demo->name << " is not a service";
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  std::ofstream log(*out / "krgdemo.log");
  auto platform = platform::DetectPlatform();
  auto layout = platform->Partition(nodes);
  if (layout.ok() && !layout->note.empty()) Warn(layout->note);

  ServiceSpec spec;
  spec.nodes = nodes;
  spec.threads = req.threads;
  spec.out_dir = *out;
  spec.cancel = InterruptFlag();
  spec.say = [&log](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    log << line << "\n";
    log.flush();
  };
  auto report = w->Serve(*platform, spec);
  if (!report.ok()) {
    log << "run failed: " << report.status().ToString() << "\n";
    if (report.status().code() == Status::Code::kCancelled) {
      std::fprintf(stderr,
                   "krgdemo: interrupted; servers and wrk stopped, nothing "
                   "left running\n");
      return kExitInterrupted;
    }
    return Fail(report.status().WithContext(req.demo->name));
  }
  for (const std::string& e : report->events) log << "event: " << e << "\n";
  if (report->served_only) {
    spec.say("webfarm: stopped: " + report->verification.detail);
    return kExitOk;
  }
  return WriteResults(req, *w, req.threads, *report, *out, log);
}

}  // namespace krg::cli
