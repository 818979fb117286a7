// Speedup charts drawn by gnuplot (PNG, SVG and the `dumb` terminal for a
// text chart): the data and the .gp script are always written, so a machine
// without gnuplot still has everything needed to draw them later.
// Single-threaded; runs gnuplot as a child process (no shell).
#ifndef KRG_LAUNCHER_CHARTS_H_
#define KRG_LAUNCHER_CHARTS_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "krg/stats.h"
#include "krg/status.h"

namespace krg::cli {

struct SpeedupPoint {
  int nodes = 1;
  double median_s = 0;
  double speedup = 1;
  double efficiency = 1;
};

struct Charts {
  bool drawn = false;      // speedup.png and speedup.svg exist
  std::string text_chart;  // gnuplot's dumb rendering, when drawn
  std::string warning;     // why not drawn, when !drawn
};

// Writes speedup.dat and speedup.gp into `dir` and runs gnuplot on them.
// Fails only when the data cannot be written; a missing or failing gnuplot
// is reported in Charts::warning.
Result<Charts> DrawSpeedupCharts(const std::filesystem::path& dir,
                                 const std::vector<SpeedupPoint>& points,
                                 const std::optional<AmdahlFit>& fit,
                                 const std::string& title);

// One point of a service sweep (webfarm): req/s and p99 latency.
struct ServiceChartPoint {
  int nodes = 1;
  int connections = 1;
  double requests_per_s = 0;
  double p99_ms = 0;
};

// Writes service.dat and service.gp into `dir` and draws service_rps.png/.svg
// (req/s vs nodes) and service_p99.png/.svg (p99 vs nodes), one line per
// connection count; Charts::text_chart is the req/s chart. Same failure
// rules as DrawSpeedupCharts.
Result<Charts> DrawServiceCharts(const std::filesystem::path& dir,
                                 const std::vector<ServiceChartPoint>& points,
                                 const std::string& title);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_CHARTS_H_
