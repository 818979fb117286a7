// Numbers for people: what a summary line, a verification detail or a
// chart label prints. Pure functions, thread-safe.
//
//   FormatNumber(65536)   -> "65,536"     (not 6.554e+04)
//   FormatNumber(1020)    -> "1020"       (not 1.02e+03)
//   FormatNumber(3.14159) -> "3.14"
//   FormatNumber(0.00042) -> "0.00042"
#ifndef KRG_NUMBER_FORMAT_H_
#define KRG_NUMBER_FORMAT_H_

#include <string>

namespace krg {

// `v` with `digits` significant digits and no exponent from 1e-4 to 1e15
// (an integer part longer than `digits` is kept whole, grouped by
// thousands from 10,000 up); outside that range, or for a value that is
// not finite, the %g form.
std::string FormatNumber(double v, int digits = 3);

}  // namespace krg

#endif  // KRG_NUMBER_FORMAT_H_
