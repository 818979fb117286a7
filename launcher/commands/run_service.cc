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

int WriteResults(const RunRequest& req, Session& session,
                 const ServiceOutcome& o, std::ofstream& log) {
  const ServiceReport& report = o.report;
  const std::filesystem::path& out = req.plan.out;
  ResultFile file = session.NewResultFile(req.demo->name);
  file.runs = o.records;
  nlohmann::json points = nlohmann::json::array();
  std::vector<ServiceChartPoint> chart;
  for (const ServicePoint& p : report.points) {
    points.push_back(PointJson(p));
    chart.push_back({p.nodes, p.connections, p.requests_per_s, p.p99_ms});
  }
  file.extensions["service"] = {{"points", points},
                                {"verified", report.verification.ok},
                                {"detail", report.verification.detail}};
  Status wrote = WriteResultFile(out / "run.json", file);
  if (!wrote.ok()) return Fail(wrote);
  auto charts = DrawServiceCharts(out, chart, "krgdemo webfarm");
  std::string summary = req.demo->name + " (" + req.plan.id.size + ") on " +
                        session.platform().name() + "\n" + Table(report);
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

int RunServiceDemo(RunRequest& req, const std::string& bind) {
  if (auto e = CheckPlan(req.plan, Shape::kService); !e.ok()) {
    return UsageError("run", e.status().message());
  }
  if (!bind.empty()) req.plan.id.params["bind"] = bind;
  auto made = req.demo->make(req.config());
  if (!made.ok()) return UsageError("run", made.status().message());
  // --bind and --param bind=: the same address, the same warning, once the
  // address is known to be valid.
  if (auto b = req.plan.id.params.find("bind");
      b != req.plan.id.params.end() && !demos::servers::IsLoopback(b->second)) {
    Warn("--bind " + b->second +
         " is not a loopback address: the farm is reachable from other "
         "machines; it has no authentication");
  }
  auto* w = dynamic_cast<ServiceWorkload*>(made->get());
  KRG_CHECK(w != nullptr) << req.demo->name << " is not a service";
  auto out = PrepareOutDir(req.out, req.demo->name);
  if (!out.ok()) return Fail(out.status());
  req.plan.out = *out;
  std::ofstream log(*out / "krgdemo.log");
  auto say = [&log](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    log << line << "\n";
    log.flush();
  };
  auto platform = platform::DetectPlatform();
  Session session(*platform);
  RunHooks hooks;
  hooks.cancel = InterruptFlag();
  hooks.warn = [](const std::string& text) { Warn(text); };
  auto o = session.Serve(req.plan, *w, hooks, say);
  if (!o.ok()) {
    log << "run failed: " << o.status().ToString() << "\n";
    if (o.status().code() == Status::Code::kCancelled) {
      std::fprintf(stderr,
                   "krgdemo: interrupted; servers and wrk stopped, nothing "
                   "left running\n");
      return kExitInterrupted;
    }
    return Fail(o.status().WithContext(req.demo->name));
  }
  for (const std::string& e : o->report.events) log << "event: " << e << "\n";
  if (o->report.served_only) {
    say("webfarm: stopped: " + o->report.verification.detail);
    return kExitOk;
  }
  return WriteResults(req, session, *o, log);
}

}  // namespace krg::cli
