#include "krg/significance.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <utility>

namespace krg {
namespace {

// Exact tables grow as m * n * n; 50 x 50 is a few megabytes.
constexpr int kExactMax = 50;

// Ranks of a ++ b (1-based, ties get their average rank); returns the rank
// sum of `a` and sets `*tie_term` to the sum of t^3 - t over tie groups.
double RankSumOfFirst(const std::vector<double>& a,
                      const std::vector<double>& b, double* tie_term) {
  std::vector<std::pair<double, bool>> all;  // value, from a
  for (double x : a) all.push_back({x, true});
  for (double x : b) all.push_back({x, false});
  std::sort(all.begin(), all.end(),
            [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum = 0;
  *tie_term = 0;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double rank =
        (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second) rank_sum += rank;
    }
    *tie_term += t * t * t - t;
    i = j;
  }
  return rank_sum;
}

// The smallest two-sided p-value m against n samples can reach (complete
// separation): 2 / C(m + n, m).
double SmallestTwoSidedP(int m, int n) {
  const double log_c =
      std::lgamma(m + n + 1.0) - std::lgamma(m + 1.0) - std::lgamma(n + 1.0);
  return std::min(1.0, 2.0 * std::exp(-log_c));
}

bool AllFinite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(),
                     [](double x) { return std::isfinite(x); });
}

double NormalUpperTail(double z) {
  const boost::math::normal_distribution<double> normal;
  return boost::math::cdf(boost::math::complement(normal, z));
}

}  // namespace

std::string TestName(SignificanceTest t) {
  return t == SignificanceTest::kWelch ? "welch" : "mann-whitney";
}

Result<SignificanceTest> ParseTestName(const std::string& name) {
  if (name == "mann-whitney" || name == "u") {
    return SignificanceTest::kMannWhitney;
  }
  if (name == "welch" || name == "t") return SignificanceTest::kWelch;
  return Status::InvalidArgument("--test " + name +
                                 ": expected mann-whitney or welch");
}

double MannWhitneyExactCdf(int m, int n, double u) {
  KRG_CHECK(m >= 0 && n >= 0) << "m=" << m << " n=" << n;
  if (u < 0) return 0;
  if (u >= double(m) * n) return 1;
  // p[j][k] = P(U = k) for i values of the first sample and j of the second.
  // Adding the largest value of all: it is from the first sample with
  // probability i / (i + j), and then beats all j values of the second.
  std::vector<std::vector<double>> prev(n + 1, std::vector<double>{1.0});
  std::vector<std::vector<double>> cur(n + 1);
  for (int i = 1; i <= m; ++i) {
    cur[0] = {1.0};
    for (int j = 1; j <= n; ++j) {
      std::vector<double>& row = cur[j];
      row.assign(static_cast<std::size_t>(i) * j + 1, 0.0);
      const double from_first = double(i) / (i + j);
      const double from_second = double(j) / (i + j);
      for (std::size_t k = 0; k < row.size(); ++k) {
        if (k >= std::size_t(j) && k - j < prev[j].size()) {
          row[k] += from_first * prev[j][k - j];
        }
        if (k < cur[j - 1].size()) row[k] += from_second * cur[j - 1][k];
      }
    }
    std::swap(prev, cur);
  }
  const std::vector<double>& dist = prev[n];
  double cdf = 0;
  const auto last = static_cast<std::size_t>(std::floor(u));
  for (std::size_t k = 0; k <= last && k < dist.size(); ++k) cdf += dist[k];
  return std::min(1.0, cdf);
}

TestOutcome MannWhitneyU(const std::vector<double>& a,
                         const std::vector<double>& b, double alpha) {
  TestOutcome out;
  const int m = static_cast<int>(a.size());
  const int n = static_cast<int>(b.size());
  if (m == 0 || n == 0 || !AllFinite(a) || !AllFinite(b)) return out;
  out.enough_samples = SmallestTwoSidedP(m, n) < alpha;
  double tie_term = 0;
  const double rank_sum = RankSumOfFirst(a, b, &tie_term);
  const double u = rank_sum - m * (m + 1.0) / 2;
  const double mn = double(m) * n;
  out.statistic = u;
  if (tie_term == 0 && m <= kExactMax && n <= kExactMax) {
    out.exact = true;
    out.p_value =
        std::min(1.0, 2 * MannWhitneyExactCdf(m, n, std::min(u, mn - u)));
    return out;
  }
  const double total = m + n;
  const double variance =
      mn / 12 * ((total + 1) - tie_term / (total * (total - 1)));
  if (variance <= 0) return out;  // every value equal: p = 1
  const double z =
      std::max(0.0, std::fabs(u - mn / 2) - 0.5) / std::sqrt(variance);
  out.p_value = std::min(1.0, 2 * NormalUpperTail(z));
  return out;
}

TestOutcome WelchT(const std::vector<double>& a, const std::vector<double>& b) {
  TestOutcome out;
  const double m = static_cast<double>(a.size());
  const double n = static_cast<double>(b.size());
  if (m < 2 || n < 2 || !AllFinite(a) || !AllFinite(b)) return out;
  out.enough_samples = true;
  const double mean_a = std::accumulate(a.begin(), a.end(), 0.0) / m;
  const double mean_b = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double ss_a = 0, ss_b = 0;
  for (double x : a) ss_a += (x - mean_a) * (x - mean_a);
  for (double x : b) ss_b += (x - mean_b) * (x - mean_b);
  const double va = ss_a / (m - 1) / m;  // squared standard errors
  const double vb = ss_b / (n - 1) / n;
  const double se2 = va + vb;
  if (!(se2 > 0) || !std::isfinite(se2)) {
    // No spread at all: identical constants, or a difference without noise.
    out.p_value = mean_a == mean_b ? 1.0 : 0.0;
    out.statistic = mean_a == mean_b ? 0.0 : HUGE_VAL;
    return out;
  }
  out.statistic = (mean_a - mean_b) / std::sqrt(se2);
  const double df = se2 * se2 / (va * va / (m - 1) + vb * vb / (n - 1));
  try {
    const boost::math::students_t_distribution<double> t(df);
    out.p_value = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(
                                        t, std::fabs(out.statistic))));
  } catch (const std::exception&) {
    // Boost rejects a degenerate df (e.g. overflow); say "no evidence".
    out.p_value = 1;
  }
  return out;
}

TestOutcome RunSignificanceTest(SignificanceTest test,
                                const std::vector<double>& a,
                                const std::vector<double>& b, double alpha) {
  return test == SignificanceTest::kWelch ? WelchT(a, b)
                                          : MannWhitneyU(a, b, alpha);
}

}  // namespace krg
