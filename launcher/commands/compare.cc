// `krgdemo compare A.json B.json [C.json ...]`: the runs the files share,
// their medians, the change against the first file, a significance test,
// regression/improvement flags and a geometric-mean summary, as a table,
// Markdown, CSV or a self-contained HTML report.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/cli.h"
#include "krg/comparison.h"
#include "report/report.h"

namespace krg::cli {
namespace {

// A decimal `option` value from 0 to `max`; `expected` says what it is in
// the error ("a percentage", "seconds").
Result<double> ParseUpTo(const char* option, const std::string& text, int max,
                         const char* expected) {
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || !std::isfinite(v) || v < 0 || v > max) {
    return Status::InvalidArgument(std::string(option) + " " + text +
                                   ": expected " + expected + " from 0 to " +
                                   std::to_string(max));
  }
  return v;
}

struct CompareRequest {
  std::vector<std::string> paths;
  CompareOptions options;
  ReportFormat format = ReportFormat::kTable;
  std::string out;
  bool fail_on_regression = false;
};

Status ReadRequest(const po::variables_map& vm, CompareRequest* req) {
  if (vm.count("files")) {
    req->paths = vm["files"].as<std::vector<std::string>>();
  }
  if (req->paths.size() < 2) {
    return Status::InvalidArgument(
        "compare needs two result files or more (the first is the baseline)");
  }
  KRG_ASSIGN_OR_RETURN(
      req->options.threshold_pct,
      ParseUpTo("--threshold", vm["threshold"].as<std::string>(), 1000,
                "a percentage"));
  KRG_ASSIGN_OR_RETURN(req->options.min_time_s,
                       ParseUpTo("--min-time", vm["min-time"].as<std::string>(),
                                 3600, "seconds"));
  KRG_ASSIGN_OR_RETURN(req->options.test,
                       ParseTestName(vm["test"].as<std::string>()));
  KRG_ASSIGN_OR_RETURN(req->format,
                       ParseReportFormat(vm["format"].as<std::string>()));
  if (vm.count("out")) req->out = vm["out"].as<std::string>();
  req->fail_on_regression = vm["fail-on-regression"].as<bool>();
  return Status::Ok();
}

std::string Render(const Comparison& c, const CompareRequest& req) {
  switch (req.format) {
    case ReportFormat::kMarkdown:
      return RenderMarkdown(c);
    case ReportFormat::kCsv:
      return RenderCsv(c);
    case ReportFormat::kHtml: {
      std::string warning;
      std::string html = RenderHtml(c, &warning);
      if (!warning.empty()) Warn(warning);
      return html;
    }
    case ReportFormat::kTable:
      break;
  }
  const bool colour = req.out.empty() && ::isatty(STDOUT_FILENO) == 1 &&
                      std::getenv("NO_COLOR") == nullptr;
  return RenderTable(c, colour);
}

}  // namespace

int CompareCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()(
      "threshold",
      po::value<std::string>()->value_name("PCT")->default_value("5"),
      "use this to set how large a change must be to be flagged, in percent: "
      "the whole 95% interval of the ratio must lie beyond it")(
      "min-time",
      po::value<std::string>()->value_name("SECONDS")->default_value("0.05"),
      "use this to judge runs whose passes last less than 50 ms (which "
      "measure fork and cache noise more than the code), or to leave longer "
      "ones out; 0 judges every run")(
      "format",
      po::value<std::string>()
          ->value_name("table|markdown|csv|html")
          ->default_value("table"),
      "use this to pick the report: a terminal table, Markdown for a release "
      "note, CSV, or a self-contained HTML page with charts")(
      "test",
      po::value<std::string>()
          ->value_name("mann-whitney|welch")
          ->default_value("mann-whitney"),
      "use this to choose the significance test of one-round files (written "
      "before bench --rounds, or by run and scale), which are judged on "
      "their samples; files with rounds are judged by bootstrap over rounds")(
      "out", po::value<std::string>()->value_name("FILE"),
      "use this to write the report to FILE instead of stdout")(
      "fail-on-regression", po::bool_switch(),
      "exit 1 when anything regressed (for CI)");
  po::options_description hidden;
  hidden.add_options()("files", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  const HelpText help{
      "compare A.json B.json [C.json ...] [options]",
      "Compares result files of run, scale or bench against the first: runs "
      "match by demo, size, params, engine and nodes (microbenchmarks by "
      "name). Each run gets the ratio of medians of round medians with a 95% "
      "bootstrap interval over rounds and a verdict: REGRESSION or "
      "improvement only when the whole interval lies beyond the threshold "
      "and the Holm-corrected p < 0.05 (of no change at all), unchanged only "
      "when it lies wholly within the threshold, noisy when it reaches past "
      "the threshold without a verdict, too short under --min-time; each "
      "file a "
      "line like 'B is 1.07 +- 0.02 times slower than A' (geometric mean "
      "and its interval) and its rounds' load, busy rounds flagged.",
      "Exit codes: 0 compared, 1 a file is unreadable, malformed, of a newer "
      "schema or shares no run with the first (or, with "
      "--fail-on-regression, something regressed), 2 usage error."};
  if (auto r = ParseArgs("compare", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  CompareRequest req;
  if (Status s = ReadRequest(vm, &req); !s.ok()) {
    return UsageError("compare", s.message());
  }
  std::vector<NamedFile> files;
  for (const std::string& path : req.paths) {
    auto f = ReadResultFile(path);
    if (!f.ok()) {
      Fail(f.status());
      return kExitFailed;
    }
    files.push_back({path, std::move(*f)});
  }
  auto c = CompareFiles(files, req.options);
  if (!c.ok()) {
    Fail(c.status());
    return kExitFailed;
  }
  const std::string report = Render(*c, req);
  if (req.out.empty()) {
    std::cout << report;
  } else if (Status s = WriteFileAtomic(req.out, report); !s.ok()) {
    Fail(s);
    return kExitFailed;
  }
  if (req.fail_on_regression && c->regressions > 0) {
    std::fprintf(stderr,
                 "krgdemo: error: %d run(s) regressed (--fail-on-regression)\n",
                 c->regressions);
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace krg::cli
