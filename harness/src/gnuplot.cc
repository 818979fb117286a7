#include "krg/gnuplot.h"

#include <cmath>
#include <cstdio>
#include <cstring>

namespace krg {

std::string GnuplotLabel(std::string_view s) {
  static constexpr char kPunctuation[] = " -_.,:;=+/()[]%#*<>!?|~^&{}";
  constexpr std::size_t kMaxLength = 200;
  std::string out = "'";
  for (char c : s.substr(0, kMaxLength)) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9');
    // strchr would match the terminating NUL: test it apart.
    const bool safe = alnum || (c != '\0' && std::strchr(kPunctuation, c));
    out += safe ? c : '?';
  }
  return out + "'";
}

std::string GnuplotNumber(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

Result<platform::CommandOutput> RunGnuplotIn(
    const std::filesystem::path& dir, const std::vector<std::string>& args,
    const std::string& script) {
  std::vector<std::string> argv = {"gnuplot"};
  argv.insert(argv.end(), args.begin(), args.end());
  return platform::RunCommandIn(dir, argv, script);
}

}  // namespace krg
