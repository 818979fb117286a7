// Text that goes into gnuplot scripts. gnuplot runs what it reads (system(),
// backquotes, a data block ended by a newline), and chart labels come from
// result files written by other people, so every script the project writes
// is fixed commands plus what these helpers return: numbers, and labels
// reduced to a whitelist of characters inside single quotes. File names in
// scripts are relative (gnuplot runs in the chart's folder), never a path
// taken from the user. Stateless; safe from any thread.
//
// Example: gp << "set title " << GnuplotLabel(demo + " " + params) << "\n";
#ifndef KRG_GNUPLOT_H_
#define KRG_GNUPLOT_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "krg/platform.h"
#include "krg/status.h"

namespace krg {

// `s` as a gnuplot single-quoted string holding only letters, digits, space
// and -_.,:;=+/()[]%#*<>!?|~^&{} (any other byte, quotes, backslash, $, @,
// backquote, control characters and non-ASCII included, becomes '?'), at
// most 200 characters. The result can never end the string or the line.
std::string GnuplotLabel(std::string_view s);

// `v` printed for a gnuplot script or data block ("%.6g"; NaN when not
// finite).
std::string GnuplotNumber(double v);

// Runs gnuplot in `dir` (scripts name their files relative to it) with
// `args`, `script` on stdin. Fails with kUnavailable when gnuplot is missing.
Result<platform::CommandOutput> RunGnuplotIn(
    const std::filesystem::path& dir, const std::vector<std::string>& args,
    const std::string& script = "");

}  // namespace krg

#endif  // KRG_GNUPLOT_H_
