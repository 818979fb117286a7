// Two-sample significance tests for timing samples: is release B's time
// really different from release A's, or is it noise? `compare` uses them to
// flag regressions.
//
// Mann-Whitney U (the default: rank-based, so robust to the long right tail
// of timing samples) uses the exact distribution of U for small samples
// without ties and the normal approximation with tie and continuity
// correction otherwise. Welch's t uses Student's t distribution (Boost.Math)
// with the Welch-Satterthwaite degrees of freedom. Both are two-sided.
// Pure functions of their arguments: safe from any thread.
//
//   TestOutcome t = MannWhitneyU({1.0, 1.1, 0.9, 1.0, 1.05},
//                                {1.2, 1.3, 1.25, 1.2, 1.22});
//   if (t.enough_samples && t.p_value < 0.05) { /* a real difference */ }
#ifndef KRG_SIGNIFICANCE_H_
#define KRG_SIGNIFICANCE_H_

#include <string>
#include <vector>

#include "krg/status.h"

namespace krg {

enum class SignificanceTest { kMannWhitney, kWelch };
std::string TestName(SignificanceTest t);  // "mann-whitney" | "welch"
Result<SignificanceTest> ParseTestName(const std::string& name);

struct TestOutcome {
  double statistic = 0;  // U of the first sample, or Welch's t
  double p_value = 1;    // two-sided
  // False when these sample sizes cannot reach p < alpha whatever the data
  // (e.g. 3 against 3 for Mann-Whitney, or a single sample): then the
  // p-value says nothing and no difference may be called significant.
  bool enough_samples = false;
  bool exact = false;  // Mann-Whitney: the exact distribution was used
};

// Two-sided Mann-Whitney U test of `a` against `b`. `alpha` only decides
// `enough_samples`. Empty inputs give p = 1 and !enough_samples.
TestOutcome MannWhitneyU(const std::vector<double>& a,
                         const std::vector<double>& b, double alpha = 0.05);

// Two-sided Welch's t test; needs two samples on each side.
TestOutcome WelchT(const std::vector<double>& a, const std::vector<double>& b);

TestOutcome RunSignificanceTest(SignificanceTest test,
                                const std::vector<double>& a,
                                const std::vector<double>& b,
                                double alpha = 0.05);

// P(U <= u) under the null hypothesis for sample sizes m and n (no ties),
// computed exactly. REQUIRES: m, n >= 0, and m * n small enough to tabulate
// (the tests use it up to 50 x 50).
double MannWhitneyExactCdf(int m, int n, double u);

}  // namespace krg

#endif  // KRG_SIGNIFICANCE_H_
