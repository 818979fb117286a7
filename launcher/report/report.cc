#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "krg/platform.h"

namespace krg::cli {
namespace {

std::string Printf(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string Percent(double pct) { return Printf("%+.1f%%", pct); }

std::string PValue(const Cell& c) {
  if (!c.test.enough_samples || c.verdict == Verdict::kTooShort ||
      c.verdict == Verdict::kUnverified) {
    return "-";
  }
  return c.p_adjusted < 0.0001 ? "<0.0001" : Printf("%.4f", c.p_adjusted);
}

// The columns of one file's cell: median, and (not for the baseline) the
// ratio to the baseline with its interval, Holm's p and the verdict.
std::vector<std::string> CellColumns(const Cell& c, bool baseline) {
  if (baseline) return {c.present ? FormatSeconds(c.median_s) : "-"};
  if (!c.present) return {"-", "", "", "missing"};
  if (c.verdict == Verdict::kMissing) {
    return {FormatSeconds(c.median_s), "", "", "(no baseline)"};
  }
  return {FormatSeconds(c.median_s), RatioText(c), PValue(c),
          VerdictName(c.verdict)};
}

std::vector<std::string> Header(const Comparison& c) {
  std::vector<std::string> h = {"run", FileLetter(0) + " median"};
  for (std::size_t k = 1; k < c.files.size(); ++k) {
    h.insert(h.end(), {FileLetter(k) + " median",
                       FileLetter(k) + "/" + FileLetter(0) + " [95% CI]",
                       "p (Holm)", "verdict"});
  }
  return h;
}

std::vector<std::vector<std::string>> Body(const Comparison& c) {
  std::vector<std::vector<std::string>> rows;
  for (const Row& r : c.rows) {
    std::vector<std::string> line = {r.label};
    for (std::size_t k = 0; k < r.cells.size(); ++k) {
      for (std::string& col : CellColumns(r.cells[k], k == 0)) {
        line.push_back(std::move(col));
      }
    }
    rows.push_back(std::move(line));
  }
  return rows;
}

const char* ColourOf(const std::string& verdict) {
  if (verdict == VerdictName(Verdict::kRegression)) return "\033[1;31m";
  if (verdict == VerdictName(Verdict::kImprovement)) return "\033[32m";
  if (verdict == VerdictName(Verdict::kUnverified) ||
      verdict == VerdictName(Verdict::kFewSamples) ||
      verdict == VerdictName(Verdict::kNoisy)) {
    return "\033[33m";
  }
  return nullptr;
}

// "0.101;0.099;0.102": a cell's round medians for CSV.
std::string RoundMedians(const Cell& c) {
  std::string out;
  for (double m : c.round_medians_s) {
    out += (out.empty() ? "" : ";") + Printf("%.9g", m);
  }
  return out;
}

// How a cell was judged: over rounds (bootstrap) or its samples (the test).
std::string TestLabel(const Comparison& c, const Cell& cell) {
  return cell.one_round ? TestName(c.options.test) : "bootstrap-rounds";
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

std::string MarkdownCell(const std::string& s) {
  std::string out;
  for (char ch : s) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string Legend(const FileInfo& f, std::size_t k) {
  return FileLetter(k) + " = " + f.label + " (" + f.path + "; krgdemo " +
         f.version + " " + f.git + ", " + f.created + "; " + RoundsText(f) +
         ")";
}

// "B is 1.07 ± 0.02 times slower than A" (hyperfine's words), the ± being
// the larger half of the geometric mean's interval.
std::string Headline(const FileSummary& s, std::size_t k) {
  const double g = s.geomean_ratio;
  const bool slower = g >= 1;
  const double v = slower ? g : 1 / g;
  const double lo = slower ? s.geomean_ci.lo : 1 / s.geomean_ci.hi;
  const double hi = slower ? s.geomean_ci.hi : 1 / s.geomean_ci.lo;
  const double pm = std::max(hi - v, v - lo);
  return FileLetter(k) + " is " + Printf("%.2f", v) + " \u00b1 " +
         Printf("%.2f", std::max(pm, 0.0)) + " times " +
         (slower ? "slower" : "faster") + " than " + FileLetter(0);
}

}  // namespace

std::vector<std::string> SummaryLines(const Comparison& c) {
  std::vector<std::string> lines;
  for (std::size_t k = 1; k < c.files.size(); ++k) {
    const FileSummary& s = c.summaries[k];
    const double g = s.geomean_ratio;
    int only_here = 0, only_base = 0;
    for (const Row& r : c.rows) {
      only_here += r.cells[k].present && !r.cells[0].present;
      only_base += !r.cells[k].present && r.cells[0].present;
    }
    // No run long enough to judge: no ratio to state (a "1.00 +- 1.00" made
    // of nothing would read as a verdict).
    std::string line =
        s.judged == 0
            ? FileLetter(k) + " against " + FileLetter(0) +
                  ": no run to judge (" + std::to_string(s.judged) + " runs"
            : Headline(s, k) + " (geometric mean of median ratios " +
                  Printf("%.3f", g) + ", " + Percent((g - 1) * 100) +
                  ", 95% CI [" + Printf("%.3f", s.geomean_ci.lo) + ", " +
                  Printf("%.3f", s.geomean_ci.hi) + "], over " +
                  std::to_string(s.judged) + " runs";
    line += "); " + std::to_string(s.regressions) + " regressed, " +
            std::to_string(s.improvements) + " improved, " +
            std::to_string(s.noisy) + " noisy";
    if (s.few_samples > 0) {
      line += ", " + std::to_string(s.few_samples) + " with too few samples";
    }
    if (s.too_short > 0) {
      line += ", " + std::to_string(s.too_short) + " too short to judge (" +
              FormatSeconds(c.options.min_time_s) + " or less, left out)";
    }
    if (only_here + only_base > 0) {
      line += "; " + std::to_string(only_base) + " only in " + FileLetter(0) +
              ", " + std::to_string(only_here) + " only in " + FileLetter(k);
    }
    lines.push_back(line);
  }
  return lines;
}

std::string TestLine(const Comparison& c) {
  const std::string t = Printf("%g", c.options.threshold_pct);
  std::string line =
      "verdicts: the ratio of medians of round medians, 95% bootstrap "
      "interval over rounds; a regression when it lies wholly above 1+" +
      t + "% (improvement: below 1-" + t + "%) and Holm-corrected p < " +
      Printf("%g", c.options.alpha) + " (of no change) over " +
      std::to_string(c.family) + " runs; unchanged when it lies within +-" + t +
      "%, noisy when it reaches past that without a verdict; runs under " +
      FormatSeconds(c.options.min_time_s) + " not judged";
  bool one_round = false;
  for (const FileInfo& f : c.files) one_round = one_round || f.rounds < 2;
  if (one_round) {
    line += "; * a one-round file: judged on its samples (" +
            TestName(c.options.test) +
            ", samples of one batch: this understates the noise between "
            "runs; rerun with bench --rounds)";
  }
  return line;
}

std::string RoundsText(const FileInfo& f) {
  if (f.rounds < 2) return "one round";
  std::string text = std::to_string(f.rounds) + " rounds";
  if (f.round_info.empty()) return text;
  double lo = 1e300, hi = -1, steal = 0;
  int cpus = 0;
  for (const RoundInfo& r : f.round_info) {
    if (r.load1 < 0) continue;  // not recorded: /proc unreadable
    lo = std::min(lo, r.load1);
    hi = std::max(hi, r.load1);
    steal = std::max(steal, r.steal_pct);
    cpus = std::max(cpus, r.cpus);
  }
  if (hi < 0) return text;
  text += ", load " + Printf("%.1f", lo) + ".." + Printf("%.1f", hi) + " on " +
          std::to_string(cpus) + " CPUs, steal up to " + Printf("%.1f", steal) +
          "%";
  if (f.busy_rounds > 0) {
    text += "; " + std::to_string(f.busy_rounds) + " BUSY round(s)";
  }
  return text;
}

std::string RatioText(const Cell& c) {
  return Printf("%.3f", c.ratio) + " [" + Printf("%.3f", c.ratio_ci.lo) + ", " +
         Printf("%.3f", c.ratio_ci.hi) + "]" + (c.one_round ? "*" : "");
}

std::string FileLetter(std::size_t k) {
  std::string s;
  for (std::size_t n = k + 1; n > 0; n = (n - 1) / 26) {
    s.insert(s.begin(), char('A' + (n - 1) % 26));
  }
  return s;
}

std::string FormatSeconds(double s) {
  if (s >= 1) return Printf("%.3f s", s);
  if (s >= 1e-3) return Printf("%.2f ms", s * 1e3);
  if (s >= 1e-6) return Printf("%.1f us", s * 1e6);
  return Printf("%.1f ns", s * 1e9);
}

Result<ReportFormat> ParseReportFormat(const std::string& name) {
  if (name == "table") return ReportFormat::kTable;
  if (name == "markdown" || name == "md") return ReportFormat::kMarkdown;
  if (name == "csv") return ReportFormat::kCsv;
  if (name == "html") return ReportFormat::kHtml;
  return Status::InvalidArgument("--format " + name +
                                 ": expected table, markdown, csv or html");
}

std::string RenderTable(const Comparison& c, bool colour) {
  const std::vector<std::string> header = Header(c);
  const auto body = Body(c);
  std::vector<std::size_t> width(header.size(), 0);
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& line : body) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      width[i] = std::max(width[i], line[i].size());
    }
  }
  std::ostringstream out;
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    out << Legend(c.files[k], k) << "\n";
  }
  out << TestLine(c) << "\n\n";
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      std::string cell = line[i];
      cell.resize(width[i], ' ');
      if (i > 0 && i < line.size()) text += "  ";
      const char* code = colour ? ColourOf(line[i]) : nullptr;
      text += code ? code + cell + "\033[0m" : cell;
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out << text << "\n";
  };
  emit(header);
  for (const auto& line : body) emit(line);
  out << "\n";
  for (const std::string& s : SummaryLines(c)) out << s << "\n";
  for (const std::string& n : c.notes) out << "note: " << n << "\n";
  return out.str();
}

std::string RenderMarkdown(const Comparison& c) {
  std::ostringstream out;
  out << "## Benchmark comparison\n\n";
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    const FileInfo& f = c.files[k];
    out << "- **" << FileLetter(k) << "** " << (k == 0 ? "(baseline) " : "")
        << "`" << MarkdownCell(f.label) << "`: " << MarkdownCell(f.path)
        << ", krgdemo " << f.version << " (" << f.git << "), " << f.created
        << ", " << MarkdownCell(f.cpu_model) << ", " << f.kernel << "\n";
  }
  out << "\n" << TestLine(c) << ".\n\n";
  const std::vector<std::string> header = Header(c);
  out << "|";
  for (const std::string& h : header) out << " " << h << " |";
  out << "\n|";
  for (std::size_t i = 0; i < header.size(); ++i) out << (i ? "---:|" : "---|");
  out << "\n";
  for (const auto& line : Body(c)) {
    out << "|";
    for (const std::string& cell : line) {
      const bool flag = cell == VerdictName(Verdict::kRegression) ||
                        cell == VerdictName(Verdict::kImprovement);
      out << " " << (flag ? "**" + cell + "**" : MarkdownCell(cell)) << " |";
    }
    out << "\n";
  }
  out << "\n";
  for (const std::string& s : SummaryLines(c)) out << "- " << s << "\n";
  for (const std::string& n : c.notes) out << "- note: " << n << "\n";
  return out.str();
}

std::string RenderCsv(const Comparison& c) {
  std::ostringstream out;
  out << "run,demo,size,params,engine,nodes,microbenchmark,file,label,"
         "samples,median_s,min_s,max_s,change_pct,p_value,test,verdict,"
         "rounds,round_medians_s,ratio,ci_low,ci_high,p_holm,"
         "baseline_spread_pct,busy_rounds\n";
  for (const Row& r : c.rows) {
    for (std::size_t k = 0; k < r.cells.size(); ++k) {
      const Cell& cell = r.cells[k];
      if (!cell.present) continue;
      const bool judged = k > 0 && cell.verdict != Verdict::kMissing;
      out << CsvField(r.label) << "," << CsvField(r.demo) << ","
          << CsvField(r.size) << "," << CsvField(r.params) << ","
          << CsvField(r.engine) << ","
          << (r.micro ? "" : std::to_string(r.nodes)) << ","
          << CsvField(r.micro ? r.micro_binary + " " + r.micro_name : "") << ","
          << CsvField(c.files[k].path) << "," << CsvField(c.files[k].label)
          << "," << cell.samples_s.size() << ","
          << Printf("%.9g", cell.median_s) << "," << Printf("%.9g", cell.min_s)
          << "," << Printf("%.9g", cell.max_s) << ","
          << (judged ? Printf("%.3f", cell.change_pct) : "") << ","
          << (judged && cell.test.enough_samples
                  ? Printf("%.6g", cell.test.p_value)
                  : "")
          << "," << (judged ? TestLabel(c, cell) : "") << ","
          << VerdictName(cell.verdict) << "," << cell.rounds_s.size() << ","
          << RoundMedians(cell) << ","
          << (judged ? Printf("%.6g", cell.ratio) + "," +
                           Printf("%.6g", cell.ratio_ci.lo) + "," +
                           Printf("%.6g", cell.ratio_ci.hi) + "," +
                           Printf("%.6g", cell.p_adjusted) + "," +
                           Printf("%.3f", cell.baseline_spread_pct)
                     : ",,,,")
          << "," << c.files[k].busy_rounds << "\n";
    }
  }
  return out.str();
}

}  // namespace krg::cli
