#include "report/charts.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "krg/gnuplot.h"
#include "krg/results.h"

namespace krg::cli {
namespace {

// Node axes: [0.5, max + 0.5] so no point sits on a border, tics on whole
// node counts only (gnuplot's own would fall at 0.5, 1.5 ...).
std::string NodeAxis(int max_nodes) {
  const int step = std::max(1, (max_nodes + 7) / 8);
  std::ostringstream gp;
  gp << "set xrange [0.5:" << max_nodes + 0.5 << "]\n"
     << "set xtics " << (step == 1 ? 1 : 0) << ", " << step << "\n";
  return gp.str();
}

// The plot commands shared by every terminal.
std::string PlotBody(const std::vector<SpeedupPoint>& points,
                     const std::optional<AmdahlFit>& fit,
                     const std::string& title) {
  int max_nodes = 1;
  for (const SpeedupPoint& p : points) max_nodes = std::max(max_nodes, p.nodes);
  std::ostringstream gp;
  gp << "set title " << GnuplotLabel(title) << "\n"
     << "set xlabel 'nodes'\nset ylabel 'speedup'\n"
     << "set key left top\nset grid\n"
     << NodeAxis(max_nodes) << "set yrange [0:" << max_nodes + 0.5 << "]\n";
  std::string curves =
      "'speedup.dat' using 1:3 with linespoints lw 2 pt 7 title 'measured', "
      "x with lines dt 2 title 'ideal'";
  if (fit) {
    char label[96];
    std::snprintf(label, sizeof label, "Amdahl fit (serial %.1f%%)",
                  100 * fit->serial_fraction);
    gp << "f = " << GnuplotNumber(fit->serial_fraction)
       << "\namdahl(x) = 1 / (f + (1 - f) / x)\n";
    curves += ", amdahl(x) with lines title " + GnuplotLabel(label);
  }
  gp << "plot " << curves << "\n";
  return gp.str();
}

// The gnuplot commands that draw `body` into NAME.png and NAME.svg. `name`
// is one of this file's constants.
std::string PngAndSvg(const std::string& name, const std::string& body) {
  std::ostringstream gp;
  gp << "set terminal pngcairo size 960,640 font 'DejaVu Sans,13'\n"
     << "set output '" << name << ".png'\n"
     << body << "set terminal svg size 960,640 dynamic font 'DejaVu Sans,13'\n"
     << "set output '" << name << ".svg'\nreplot\nset output\n";
  return gp.str();
}

// Runs gnuplot on `script` in `dir`; then draws `text_body` with the dumb
// terminal for the shell. `missing` is the warning when gnuplot is missing.
Charts RunGnuplot(const std::filesystem::path& dir, const std::string& script,
                  const std::string& missing, const std::string& text_body) {
  Charts charts;
  auto files = RunGnuplotIn(dir, {script});
  if (!files.ok()) {
    charts.warning = missing;
    return charts;
  }
  if (!files->exit.exited || files->exit.code != 0) {
    charts.warning = "gnuplot failed (" + files->exit.ToString() +
                     "): " + files->err.substr(0, 200);
    return charts;
  }
  charts.drawn = true;
  auto text = RunGnuplotIn(
      dir, {}, "set terminal dumb size 72,22\nset output\n" + text_body);
  if (text.ok() && text->exit.exited && text->exit.code == 0) {
    charts.text_chart = text->out;
  }
  return charts;
}

}  // namespace

Result<Charts> DrawSpeedupCharts(const std::filesystem::path& dir,
                                 const std::vector<SpeedupPoint>& points,
                                 const std::optional<AmdahlFit>& fit,
                                 const std::string& title) {
  const auto abs = std::filesystem::absolute(dir);
  std::ostringstream dat;
  dat << "# nodes median_s speedup efficiency\n";
  for (const SpeedupPoint& p : points) {
    dat << p.nodes << " " << p.median_s << " " << p.speedup << " "
        << p.efficiency << "\n";
  }
  KRG_RETURN_IF_ERROR(WriteFileAtomic(abs / "speedup.dat", dat.str()));
  const std::string body = PlotBody(points, fit, title);
  KRG_RETURN_IF_ERROR(WriteFileAtomic(
      abs / "speedup.gp",
      "# Draws speedup.png and speedup.svg: gnuplot speedup.gp\n" +
          PngAndSvg("speedup", body)));
  return RunGnuplot(abs, "speedup.gp",
                    "gnuplot not found: wrote speedup.dat and speedup.gp "
                    "but no chart (install gnuplot-nox, then run "
                    "'gnuplot speedup.gp' in the results folder)",
                    body);
}

namespace {

// One plot of service.dat: column `col` against nodes, a line per
// connection count (gnuplot data blocks separated by two blank lines).
std::string ServicePlot(const std::vector<int>& conns, int col,
                        const std::string& ylabel, const std::string& title,
                        int max_nodes) {
  std::ostringstream gp;
  gp << "set title " << GnuplotLabel(title) << "\n"
     << "set xlabel 'nodes'\nset ylabel " << GnuplotLabel(ylabel) << "\n"
     << "set key left top\nset grid\nset yrange [0:*]\n"
     // Room above the highest point, which autoscale puts on the border.
     << "set offsets 0, 0, graph 0.12, 0\n"
     << NodeAxis(max_nodes) << "plot ";
  for (std::size_t i = 0; i < conns.size(); ++i) {
    gp << (i ? ", " : "") << "'service.dat' index " << i << " using 1:" << col
       << " with linespoints lw 2 pt 7 title '" << conns[i] << " connections'";
  }
  gp << "\n";
  return gp.str();
}

}  // namespace

Result<Charts> DrawServiceCharts(const std::filesystem::path& dir,
                                 const std::vector<ServiceChartPoint>& points,
                                 const std::string& title) {
  const auto abs = std::filesystem::absolute(dir);
  std::vector<int> conns;
  int max_nodes = 1;
  for (const ServiceChartPoint& p : points) {
    if (std::find(conns.begin(), conns.end(), p.connections) == conns.end()) {
      conns.push_back(p.connections);
    }
    max_nodes = std::max(max_nodes, p.nodes);
  }
  std::ostringstream dat;
  dat << "# nodes connections req_per_s p99_ms (a block per connection "
         "count)\n";
  for (std::size_t i = 0; i < conns.size(); ++i) {
    if (i) dat << "\n\n";
    for (const ServiceChartPoint& p : points) {
      if (p.connections != conns[i]) continue;
      dat << p.nodes << " " << p.connections << " " << p.requests_per_s << " "
          << p.p99_ms << "\n";
    }
  }
  KRG_RETURN_IF_ERROR(WriteFileAtomic(abs / "service.dat", dat.str()));
  const std::string rps =
      ServicePlot(conns, 3, "requests/s", title + ": requests/s", max_nodes);
  const std::string p99 = ServicePlot(conns, 4, "p99 latency (ms)",
                                      title + ": p99 latency", max_nodes);
  std::ostringstream gp;
  gp << "# Draws service_rps and service_p99 (.png, .svg): gnuplot "
        "service.gp\n";
  gp << PngAndSvg("service_rps", rps) << PngAndSvg("service_p99", p99);
  KRG_RETURN_IF_ERROR(WriteFileAtomic(abs / "service.gp", gp.str()));
  return RunGnuplot(abs, "service.gp",
                    "gnuplot not found: wrote service.dat and service.gp but "
                    "no chart (install gnuplot-nox)",
                    rps);
}

}  // namespace krg::cli
