// Reports of a Comparison (compare.h): a terminal table (colour only when
// asked, i.e. on a tty), Markdown for a release note, CSV (one line per run
// and file) and a self-contained HTML page whose SVG charts gnuplot draws
// (per-demo bars with their spread, speedup curves per file). Without
// gnuplot the HTML page still has every table, and says why it has no chart.
// Single-threaded; RenderHtml runs gnuplot as a child process (no shell).
#ifndef KRG_LAUNCHER_REPORT_H_
#define KRG_LAUNCHER_REPORT_H_

#include <string>
#include <vector>

#include "krg/comparison.h"
#include "krg/status.h"

namespace krg::cli {

enum class ReportFormat { kTable, kMarkdown, kCsv, kHtml };
Result<ReportFormat> ParseReportFormat(const std::string& name);

std::string RenderTable(const Comparison& c, bool colour);
std::string RenderMarkdown(const Comparison& c);
std::string RenderCsv(const Comparison& c);
// `*warning` is set when charts could not be drawn (e.g. no gnuplot).
std::string RenderHtml(const Comparison& c, std::string* warning);

// Per file after the first: "B is 1.08 ± 0.02 times slower than A
// (geometric mean of median ratios 1.083, +8.3%, 95% CI [...], over 12
// runs); 1 regressed, 0 improved, 0 noisy ..."; no notes.
std::vector<std::string> SummaryLines(const Comparison& c);
// How verdicts were reached (interval, threshold, Holm, minimum time).
std::string TestLine(const Comparison& c);
// "3 rounds, load 1.2..9.0 on 2 CPUs, steal up to 0.0%; 2 BUSY round(s)".
std::string RoundsText(const FileInfo& f);
// "1.071 [1.052, 1.090]" (and "*" when judged on one round's samples).
std::string RatioText(const Cell& c);

// "1.234 s", "16.20 ms", "850.0 us", "12.0 ns".
std::string FormatSeconds(double s);
// "A", "B", ... "Z", "AA", ...: how reports name the files.
std::string FileLetter(std::size_t k);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_REPORT_H_
