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

// Fonts sized for the page: a wide chart is shown scaled down to the page's
// width (svg max-width 100%), so 11 pt came out at 6 pt.
const char* kTerminal =
    "set terminal svg size %d,%d dynamic noenhanced font 'sans,15' "
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

// Median time of every run of `rows` relative to the baseline's, with the
// min..max spread as error bars, one bar per file.
std::string BarsScript(const Comparison& c, const std::vector<const Row*>& rows,
                       const std::string& title) {
  std::ostringstream gp;
  const int width = std::max<int>(640, 90 * int(rows.size() * c.files.size()));
  gp << Terminal(std::min(width, 1600), 420) << "set title "
     << GnuplotLabel(title) << "\nset style data histogram\n"
     << "set style histogram errorbars gap 2 lw 1\n"
     << "set style fill solid 0.7 border -1\nset grid ytics\n"
     << "set ylabel 'median time / baseline median (bars: min..max)'\n"
     << "set yrange [0:*]\nset bmargin 7\n"
     << "set xtics rotate by 25 right scale 0 font ',13' (";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row* r = rows[i];
    // The chart is per demo: the label says the rest.
    gp << (i ? ", " : "")
       << GnuplotLabel(r->micro ? r->micro_name
                                : r->label.substr(r->demo.size() + 1))
       << " " << i;
  }
  gp << ")\nset key outside top center horizontal\n$d << EOD\n";
  for (const Row* r : rows) {
    const double base = r->cells[0].present ? r->cells[0].median_s : NAN;
    for (const Cell& cell : r->cells) {
      if (!cell.present) {
        gp << " NaN NaN NaN";
      } else {
        gp << " " << GnuplotNumber(cell.median_s / base) << " "
           << GnuplotNumber(cell.min_s / base) << " "
           << GnuplotNumber(cell.max_s / base);
      }
    }
    gp << "\n";
  }
  gp << "EOD\nplot ";
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    const int col = 1 + 3 * int(k);
    gp << (k ? ", '' " : "$d ") << "using " << col << ":" << col + 1 << ":"
       << col + 2 << " title "
       << GnuplotLabel(FileLetter(k) + ": " + c.files[k].label);
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

// Per demo (and one for the microbenchmarks) a bar chart.
std::vector<std::string> BarCharts(const Comparison& c, std::string* error) {
  std::map<std::string, std::vector<const Row*>> groups;
  for (const Row& r : c.rows) {
    groups[r.micro ? "microbenchmarks" : r.demo].push_back(&r);
  }
  std::vector<std::string> svgs;
  for (const auto& [name, rows] : groups) {
    if (!error->empty()) break;
    std::string svg = Gnuplot(BarsScript(c, rows, name), error);
    if (!svg.empty()) svgs.push_back(svg);
  }
  return svgs;
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

const char* kStyle =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}"
    ".REGRESSION{background:#fdd;font-weight:bold}.improvement{"
    "background:#dfd}.UNVERIFIED,.few{background:#ffd}"
    "figure{margin:1em 0}svg{max-width:100%;height:auto}";

void FilesTable(const Comparison& c, std::ostringstream& out) {
  out << "<h2>Files</h2><table><tr><th>file</th><th>label</th><th>path</th>"
         "<th>created</th><th>krgdemo</th><th>CPU</th><th>kernel</th>"
         "<th>distribution</th><th>compiler</th></tr>\n";
  for (std::size_t k = 0; k < c.files.size(); ++k) {
    const FileInfo& f = c.files[k];
    out << "<tr><td>" << FileLetter(k) << (k ? "" : " (baseline)")
        << "</td><td>" << Esc(f.label) << "</td><td>" << Esc(f.path)
        << "</td><td>" << Esc(f.created) << "</td><td>" << Esc(f.version) << " "
        << Esc(f.git) << "</td><td>" << Esc(f.cpu_model) << "</td><td>"
        << Esc(f.kernel) << "</td><td>" << Esc(f.distribution) << "</td><td>"
        << Esc(f.compiler) << "</td></tr>\n";
  }
  out << "</table>\n";
}

void RunsTable(const Comparison& c, std::ostringstream& out) {
  out << "<h2>Runs</h2><table><tr><th>run</th><th>" << FileLetter(0)
      << " median</th>";
  for (std::size_t k = 1; k < c.files.size(); ++k) {
    out << "<th>" << FileLetter(k)
        << " median</th><th>change</th><th>p</th><th>verdict</th>";
  }
  out << "</tr>\n";
  for (const Row& r : c.rows) {
    out << "<tr><td>" << Esc(r.label) << "</td>";
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
      char change[32], p[32];
      std::snprintf(change, sizeof change, "%+.1f%%", cell.change_pct);
      std::snprintf(p, sizeof p, "%.4f", cell.test.p_value);
      const std::string v = VerdictName(cell.verdict);
      out << "<td>" << change << "</td><td>"
          << (cell.test.enough_samples ? p : "-") << "</td><td class=\""
          << (cell.verdict == Verdict::kFewSamples ? "few" : v) << "\">" << v
          << "</td>";
    }
    out << "</tr>\n";
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
  std::string error;
  std::vector<std::string> bars = BarCharts(c, &error);
  std::vector<std::string> curves = SpeedupCharts(c, &error);
  out << "<h2>Charts</h2>\n";
  if (!error.empty()) {
    *warning = error;
    out << "<p><em>" << Esc(error) << ".</em></p>\n";
  }
  for (const std::string& svg : bars) out << "<figure>" << svg << "</figure>\n";
  for (const std::string& svg : curves) {
    out << "<figure>" << svg << "</figure>\n";
  }
  out << "<p>Generated by krgdemo compare.</p></body></html>\n";
  return out.str();
}

}  // namespace krg::cli
