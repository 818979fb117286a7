#include "krg/number_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace krg {
namespace {

// "1234567" -> "1,234,567"; numbers under 10,000 stay as they are.
std::string GroupThousands(const std::string& digits) {
  if (digits.size() < 5) return digits;
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string FormatNumber(double v, int digits) {
  char buf[64];
  const double a = std::fabs(v);
  if (!std::isfinite(v) || (a != 0 && (a < 1e-4 || a >= 1e15))) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, v);
    return buf;
  }
  const std::string sign = v < 0 ? "-" : "";
  const int magnitude =
      a == 0 ? 0 : static_cast<int>(std::floor(std::log10(a)));
  const int decimals = std::max(0, digits - 1 - magnitude);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, a);
  std::string text = buf;
  if (decimals == 0) {
    if (text == "0") return "0";
    return sign + GroupThousands(text);
  }
  // 2.50 -> 2.5, 3.00 -> 3: the digits asked for are a ceiling.
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text == "0" ? "0" : sign + text;
}

}  // namespace krg
