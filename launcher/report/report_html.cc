// The HTML report: one self-contained page (inline CSS, inline SVG charts
// drawn by gnuplot's svg terminal on stdout; no external asset, no script).
// The gnuplot scripts are fixed commands, numbers and GnuplotLabel()s: the
// inline data blocks hold numbers only, names go in as tic labels.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "krg/gnuplot.h"
#include "krg/platform.h"
#include "report/report.h"

namespace krg::cli {
namespace {

std::string Esc(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '&') {
      out += "&amp;";
    } else if (ch == '<') {
      out += "&lt;";
    } else if (ch == '>') {
      out += "&gt;";
    } else if (ch == '"') {
      out += "&quot;";
    } else {
      out += ch;
    }
  }
  return out;
}

// A fixed-size chart (not gnuplot's `dynamic`, which stretches a 480-px chart
// and its fonts to the page's width): the page's svg{max-width:100%} only
// shrinks a chart wider than the page, and charts are kept under 1000 px so
// that their 13-pt text stays readable.
const char* kTerminal =
    "set terminal svg size %d,%d noenhanced font 'sans,13' "
    "background '#ffffff'\nset output\n";

// Runs gnuplot on `script`; the <svg> element, or "" with *error set.
std::string Gnuplot(const std::string& script, std::string* error) {
  auto r = platform::RunCommand({"gnuplot"}, script);
  if (!r.ok()) {
    *error =
        "gnuplot not found, so this report has no charts (install "
        "gnuplot-nox and run compare again)";
    return "";
  }
  const auto start = r->out.find("<svg");
  if (!r->exit.exited || r->exit.code != 0 || start == std::string::npos) {
    *error =
        "gnuplot failed (" + r->exit.ToString() + "): " + r->err.substr(0, 200);
    return "";
  }
  return r->out.substr(start);
}

std::string Terminal(int w, int h) {
  char buf[200];
  std::snprintf(buf, sizeof buf, kTerminal, w, h);
  return buf;
}

// Per run of `rows` (numbered as in the runs table, `first` + 1 on), each
// file's round medians relative to the baseline's median (points) and each
// file's ratio with its 95% interval (bars), on a log scale so that one
// slow round cannot flatten the others; dashed lines at 1 and 1 +- the
// threshold. Only numbers and file letters enter the script: names from
// the result files stay in the HTML around it.
std::string RoundsScript(
    const Comparison& c,
    const std::vector<std::pair<std::size_t, const Row*>>& rows) {
  std::ostringstream gp;
  const std::size_t files = c.files.size();
  const int width = std::max<int>(480, 60 * int(rows.size() * files));
  gp << Terminal(std::min(width, 1000), 380)
     << "set logscale y 2\nset grid ytics\nset format y '%.2f'\n"
     << "set ylabel 'time / baseline median (log scale)'\n"
     << "set xrange [-0.6:" << double(rows.size()) - 0.4 << "]\n"
     << "set key outside top center horizontal\nset xtics (";
  for (std::size_t j = 0; j < rows.size(); ++j) {
    gp << (j ? ", " : "") << "'#" << rows[j].first + 1 << "' " << j;
  }
  gp << ") scale 0\n";
  for (std::size_t k = 0; k < files; ++k) {
    const double dx = (double(k) - double(files - 1) / 2) * 0.25;
    gp << "$r" << k << " << EOD\n";
    for (std::size_t j = 0; j < rows.size(); ++j) {
      const Row& r = *rows[j].second;
      if (!r.cells[0].present || !r.cells[k].present) continue;
      for (double m : r.cells[k].round_medians_s) {
        gp << GnuplotNumber(double(j) + dx) << " "
           << GnuplotNumber(m / r.cells[0].median_s) << "\n";
      }
    }
    gp << "EOD\n$c" << k << " << EOD\n";
    for (std::size_t j = 0; k > 0 && j < rows.size(); ++j) {
      const Cell& cell = rows[j].second->cells[k];
      if (!rows[j].second->cells[0].present || !cell.present) continue;
      gp << GnuplotNumber(double(j) + dx) << " " << GnuplotNumber(cell.ratio)
         << " " << GnuplotNumber(cell.ratio_ci.lo) << " "
         << GnuplotNumber(cell.ratio_ci.hi) << "\n";
    }
    gp << "EOD\n";
  }
  const double t = c.options.threshold_pct / 100;
  gp << "plot 1 with lines dt 2 lc 'gray' notitle, " << GnuplotNumber(1 + t)
     << " with lines dt 3 lc 'red' notitle, " << GnuplotNumber(1 - t)
     << " with lines dt 3 lc 'green' notitle";
  for (std::size_t k = 0; k < files; ++k) {
    const std::string letter = FileLetter(k);
    gp << ", $r" << k << " using 1:2 with points pt 6 ps 0.6 lc " << k + 1
       << " title '" << letter << " rounds'";
    if (k > 0) {
      gp << ", $c" << k << " using 1:2:3:4 with yerrorbars pt 7 lw 2 lc "
         << k + 1 << " title '" << letter << "/" << FileLetter(0)
         << ", 95% CI'";
    }
  }
  gp << "\n";
  return gp.str();
}

struct Curve {
  std::string title;
  std::vector<std::pair<int, double>> points;  // nodes, median
};

// Speedup T(n0) * n0 / T(n) against nodes, one line per file.
std::string SpeedupScript(const std::vector<Curve>& curves,
                          const std::string& title) {
  int max_nodes = 1;
  std::ostringstream gp;
  gp << Terminal(640, 400) << "set title " << GnuplotLabel(title) << "\n"
     << "set xlabel 'nodes'\nset ylabel 'speedup'\nset grid\n"
     << "set key left top\n";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    gp << "$c" << i << " << EOD\n";
    const auto& p = curves[i].points;
    for (const auto& [n, t] : p) {
      gp << n << " " << GnuplotNumber(p.front().second * p.front().first / t)
         << "\n";
      max_nodes = std::max(max_nodes, n);
    }
    gp << "EOD\n";
  }
  gp << "set xrange [0.5:" << max_nodes + 0.5
     << "]\nset yrange [0:" << max_nodes + 0.5 << "]\nplot ";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    gp << "$c" << i << " using 1:2 with linespoints lw 2 pt 7 title "
       << GnuplotLabel(curves[i].title) << ", ";
  }
  gp << "x with lines dt 2 lc 'gray' title 'ideal'\n";
  return gp.str();
}

struct Figure {
  std::string caption;  // from the result files: HTML-escaped, never gnuplot
  std::string svg;
};

// Per demo (and one for the microbenchmarks) a chart of its rounds.
std::vector<Figure> RoundCharts(const Comparison& c, std::string* error) {
  std::map<std::string, std::vector<std::pair<std::size_t, const Row*>>> groups;
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const Row& r = c.rows[i];
    groups[r.micro ? "microbenchmarks" : r.demo].push_back({i, &r});
  }
  std::vector<Figure> figures;
  for (const auto& [name, rows] : groups) {
    if (!error->empty()) break;
    std::string svg = Gnuplot(RoundsScript(c, rows), error);
    if (!svg.empty()) {
      figures.push_back({name + ": round medians and " + FileLetter(1) + "/" +
                             FileLetter(0) +
                             " with its 95% interval, by run number",
                         svg});
    }
  }
  return figures;
}

// Per demo/size/params/engine measured at two node counts or more, the
// speedup curve of each file.
std::vector<std::string> SpeedupCharts(const Comparison& c,
                                       std::string* error) {
  std::map<std::string, std::vector<const Row*>> groups;
  for (const Row& r : c.rows) {
    if (r.micro) continue;
    groups[r.demo + " " + r.size + (r.params.empty() ? "" : " " + r.params) +
           " " + r.engine]
        .push_back(&r);
  }
  std::vector<std::string> svgs;
  for (const auto& [name, rows] : groups) {
    std::vector<Curve> curves;
    for (std::size_t k = 0; k < c.files.size(); ++k) {
      Curve curve{FileLetter(k) + ": " + c.files[k].label, {}};
      for (const Row* r : rows) {
        if (r->cells[k].present) {
          curve.points.push_back({r->nodes, r->cells[k].median_s});
        }
      }
      std::sort(curve.points.begin(), curve.points.end());
      if (curve.points.size() >= 2) curves.push_back(std::move(curve));
    }
    if (curves.empty() || !error->empty()) continue;
    std::string svg = Gnuplot(SpeedupScript(curves, name), error);
    if (!svg.empty()) svgs.push_back(svg);
  }
  return svgs;
}

// The CSS class of a verdict ("few samples" and "too short" have spaces).
std::string VerdictClass(const std::string& v) {
  if (v == VerdictName(Verdict::kFewSamples) ||
      v == VerdictName(Verdict::kTooShort) ||
      v == VerdictName(Verdict::kNoisy)) {
    return "few";
  }
  return v;
}

const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}"
    ".REGRESSION{background:#fdd;font-weight:bold}.improvement{"
    "background:#dfd}.UNVERIFIED,.few{background:#ffd}"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}";

void FilesTable(const Comparison& c, std::ostringstream& out) {
  out << "<h2>Files</h2><table><tr><th>file</th><th>rounds</th>"
         "<th>label</th><th>path</th>"
         "<th>created</th><th>krgdemo</th><th>CPU</th><th>kernel</th>"
         "<th>distribution</th><th>compiler</th></tr>\n";
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    const FileInfo& f = c.files[k];
    out << "<tr><td>" << FileLetter(k) << (k ? "" : " (baseline)")
        << "</td><td>" << Esc(RoundsText(f)) << "</td><td>" << Esc(f.label)
        << "</td><td>" << Esc(f.path) << "</td><td>" << Esc(f.created)
        << "</td><td>" << Esc(f.version) << " " << Esc(f.git) << "</td><td>"
        << Esc(f.cpu_model) << "</td><td>" << Esc(f.kernel) << "</td><td>"
        << Esc(f.distribution) << "</td><td>" << Esc(f.compiler)
        << "</td></tr>\n";
  }
  out << "</table>\n";
}

// The numbers of the rows are what the charts' x axis shows.
void RunsTable(const Comparison& c, std::ostringstream& out) {
  out << "<h2>Runs</h2><table><tr><th>#</th><th>run</th><th>" << FileLetter(0)
      << " median</th>";
  for (std::size_t k = 1; k < c.files.size(); ++k) {
    out << "<th>" << FileLetter(k) << " median</th><th>" << FileLetter(k) << "/"
        << FileLetter(0) << " [95% CI]</th><th>p (Holm)</th><th>verdict</th>";
  }
  out << "</tr>\n";
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const Row& r = c.rows[i];
    out << "<tr><td>" << i + 1 << "</td><td>" << Esc(r.label) << "</td>";
    for (std::size_t k = 0; k < r.cells.size(); ++k) {
      const Cell& cell = r.cells[k];
      out << "<td>" << (cell.present ? FormatSeconds(cell.median_s) : "-")
          << "</td>";
      if (k == 0) continue;
      if (!cell.present || cell.verdict == Verdict::kMissing) {
        out << "<td></td><td></td><td>"
            << (cell.present ? "(no baseline)" : "missing") << "</td>";
        continue;
      }
      char p[32];
      std::snprintf(p, sizeof p, "%.4f", cell.p_adjusted);
      const std::string v = VerdictName(cell.verdict);
      const bool tested = cell.verdict != Verdict::kTooShort &&
                          cell.verdict != Verdict::kUnverified &&
                          cell.test.enough_samples;
      out << "<td>" << Esc(RatioText(cell)) << "</td><td>" << (tested ? p : "-")
          << "</td><td class=\"" << VerdictClass(v) << "\">" << Esc(v)
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</table>\n";
}

// Every round of every bench file: when, how long, how busy the machine was.
void RoundsTable(const Comparison& c, std::ostringstream& out) {
  bool any = false;
  for (const FileInfo& f : c.files) any = any || !f.round_info.empty();
  if (!any) return;
  out << "<h2>Rounds</h2><table><tr><th>file</th><th>round</th>"
         "<th>wall</th><th>load (1 min, mean)</th><th>CPUs</th>"
         "<th>steal</th><th></th></tr>\n";
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    for (const RoundInfo& r : c.files[k].round_info) {
      char row[200];
      std::snprintf(row, sizeof row,
                    "<td>%d</td><td>%.1f s</td><td>%.2f</td><td>%d</td>"
                    "<td>%.1f%%</td>",
                    r.round, r.wall_s, r.load1, r.cpus, r.steal_pct);
      out << "<tr><td>" << FileLetter(k) << "</td>" << row << "<td class=\""
          << (r.busy ? "few\">BUSY" : "\">") << "</td></tr>\n";
    }
  }
  out << "</table>\n";
}

}  // namespace

std::string RenderHtml(const Comparison& c, std::string* warning) {
  std::ostringstream out;
  std::string title = "krgdemo compare:";
  for (const FileInfo& f : c.files) title += " " + f.label;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<title>" << Esc(title) << "</title><style>" << kStyle
      << "</style></head>\n<body><h1>" << Esc(title) << "</h1>\n";
  FilesTable(c, out);
  out << "<h2>Summary</h2><p>" << Esc(TestLine(c)) << ".</p><ul>\n";
  for (const std::string& line : SummaryLines(c)) {
    out << "<li>" << Esc(line) << "</li>\n";
  }
  for (const std::string& n : c.notes)
    out << "<li>note: " << Esc(n) << "</li>\n";
  out << "</ul>\n";
  RunsTable(c, out);
  RoundsTable(c, out);
  std::string error;
  std::vector<Figure> rounds = RoundCharts(c, &error);
  std::vector<std::string> curves = SpeedupCharts(c, &error);
  out << "<h2>Charts</h2>\n";
  if (!error.empty()) {
    *warning = error;
    out << "<p><em>" << Esc(error) << ".</em></p>\n";
  }
  for (const Figure& f : rounds) {
    out << "<figure>" << f.svg << "<figcaption>" << Esc(f.caption)
        << "</figcaption></figure>\n";
  }
  for (const std::string& svg : curves) {
    out << "<figure>" << svg << "</figure>\n";
  }
  out << "<p>Generated by krgdemo compare.</p></body></html>\n";
  return out.str();
}

}  // namespace krg::cli
