#include "krg/significance.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace krg {
namespace {

// P(U <= u) by enumerating every way to pick which of the m + n ranked
// values belong to the first sample.
double BruteForceCdf(int m, int n, double u) {
  int hits = 0, total = 0;
  for (unsigned mask = 0; mask < (1u << (m + n)); ++mask) {
    if (__builtin_popcount(mask) != m) continue;
    // U = pairs (a, b) with a > b; bit k set: rank k is from the first.
    int pairs = 0, seen_second = 0;
    for (int k = 0; k < m + n; ++k) {
      if (mask & (1u << k)) {
        pairs += seen_second;
      } else {
        ++seen_second;
      }
    }
    ++total;
    if (pairs <= u) ++hits;
  }
  return double(hits) / total;
}

TEST(SignificanceTest, ExactDistributionMatchesHandCountedCases) {
  // 2 vs 2: U over the 6 arrangements is 0,1,2,2,3,4.
  EXPECT_NEAR(MannWhitneyExactCdf(2, 2, 1), 2.0 / 6, 1e-12);
  // 3 vs 2: counts 1,1,2,2,2,1,1 for U = 0..6.
  EXPECT_NEAR(MannWhitneyExactCdf(3, 2, 2), 4.0 / 10, 1e-12);
  EXPECT_NEAR(MannWhitneyExactCdf(3, 3, 0), 1.0 / 20, 1e-12);
  EXPECT_DOUBLE_EQ(MannWhitneyExactCdf(3, 3, 9), 1.0);
  EXPECT_DOUBLE_EQ(MannWhitneyExactCdf(3, 3, -1), 0.0);
}

TEST(SignificanceTest, ExactDistributionMatchesEnumeration) {
  for (int m = 1; m <= 6; ++m) {
    for (int n = 1; n <= 6; ++n) {
      for (int u = 0; u <= m * n; ++u) {
        EXPECT_NEAR(MannWhitneyExactCdf(m, n, u), BruteForceCdf(m, n, u), 1e-12)
            << m << " vs " << n << " at U=" << u;
      }
    }
  }
}

TEST(SignificanceTest, MannWhitneySeparatedSamplesUseTheExactTail) {
  // 5 vs 5, completely separated: U = 0, p = 2 / C(10, 5) = 2 / 252.
  TestOutcome t = MannWhitneyU({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(t.exact);
  EXPECT_TRUE(t.enough_samples);
  EXPECT_DOUBLE_EQ(t.statistic, 0);
  EXPECT_NEAR(t.p_value, 2.0 / 252, 1e-12);
  // Swapping the samples mirrors U and keeps p.
  TestOutcome s = MannWhitneyU({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5});
  EXPECT_DOUBLE_EQ(s.statistic, 25);
  EXPECT_NEAR(s.p_value, 2.0 / 252, 1e-12);
}

TEST(SignificanceTest, MannWhitneyInterleavedSamplesAreNotSignificant) {
  TestOutcome t = MannWhitneyU({1, 3, 5, 7, 9}, {2, 4, 6, 8, 10});
  EXPECT_DOUBLE_EQ(t.statistic, 10);  // 0+1+2+3+4
  EXPECT_GT(t.p_value, 0.5);
}

TEST(SignificanceTest, MannWhitneyWithTiesUsesTheCorrectedNormal) {
  // R: wilcox.test(c(1,2,2,3,3.5), c(2,3,4,5,6)) gives W = 4.5,
  // p-value = 0.1116 (normal approximation, tie and continuity correction).
  TestOutcome t = MannWhitneyU({1, 2, 2, 3, 3.5}, {2, 3, 4, 5, 6});
  EXPECT_FALSE(t.exact);
  EXPECT_DOUBLE_EQ(t.statistic, 4.5);
  EXPECT_NEAR(t.p_value, 0.111612, 1e-5);
  // Every value equal: no evidence at all.
  EXPECT_DOUBLE_EQ(MannWhitneyU({1, 1, 1, 1}, {1, 1, 1, 1}).p_value, 1.0);
}

TEST(SignificanceTest, TooFewSamplesAreSaidSo) {
  // 3 vs 3 can never go below p = 0.1; 4 vs 4 reaches 2/70 < 0.05.
  EXPECT_FALSE(MannWhitneyU({1, 2, 3}, {4, 5, 6}).enough_samples);
  EXPECT_TRUE(MannWhitneyU({1, 2, 3, 4}, {5, 6, 7, 8}).enough_samples);
  EXPECT_FALSE(MannWhitneyU({1}, {2}).enough_samples);
  EXPECT_FALSE(MannWhitneyU({}, {2}).enough_samples);
  EXPECT_FALSE(WelchT({1}, {2, 3}).enough_samples);
  EXPECT_TRUE(WelchT({1, 2}, {2, 3}).enough_samples);
}

TEST(SignificanceTest, WelchMatchesAPublishedExample) {
  // Wikipedia, "Welch's t-test", example 1: t = -2.46, df = 24.9, p = 0.021.
  const std::vector<double> a = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
                                 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
  const std::vector<double> b = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
                                 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
  TestOutcome t = WelchT(a, b);
  EXPECT_NEAR(t.statistic, -2.46, 0.005);
  EXPECT_NEAR(t.p_value, 0.021, 0.0015);
}

TEST(SignificanceTest, WelchWithoutSpread) {
  EXPECT_DOUBLE_EQ(WelchT({2, 2, 2}, {2, 2}).p_value, 1.0);
  EXPECT_DOUBLE_EQ(WelchT({2, 2, 2}, {3, 3}).p_value, 0.0);
}

TEST(SignificanceTest, NonFiniteSamplesGiveNoEvidence) {
  TestOutcome t = MannWhitneyU({1, 2, INFINITY, 4}, {5, 6, 7, 8});
  EXPECT_FALSE(t.enough_samples);
  EXPECT_DOUBLE_EQ(t.p_value, 1.0);
  EXPECT_FALSE(WelchT({1, NAN, 3}, {5, 6, 7}).enough_samples);
}

TEST(SignificanceTest, TestNamesRoundTrip) {
  EXPECT_EQ(TestName(*ParseTestName("welch")), "welch");
  EXPECT_EQ(TestName(*ParseTestName("mann-whitney")), "mann-whitney");
  EXPECT_FALSE(ParseTestName("z").ok());
}

}  // namespace
}  // namespace krg
