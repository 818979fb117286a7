#include "krg/bootstrap.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace krg {
namespace {

TEST(BootstrapTest, MedianOfRoundsIsTheMiddleRoundsMedian) {
  EXPECT_DOUBLE_EQ(MedianOfRounds({{1, 2, 3}, {10, 11, 12}, {5, 6, 7}}), 6);
  EXPECT_DOUBLE_EQ(MedianOfRounds({{4, 1, 9}}), 4);
}

TEST(BootstrapTest, DrawsStayWithinTheRoundsAndRepeatWithTheSeed) {
  const std::vector<std::vector<double>> rounds = {
      {1.0, 1.1, 0.9}, {2.0, 2.1, 1.9}, {3.0, 3.1, 2.9}};
  std::mt19937_64 rng(7), again(7);
  const auto draws = BootstrapMedians(rounds, 2000, rng);
  ASSERT_EQ(draws.size(), 2000u);
  EXPECT_EQ(draws, BootstrapMedians(rounds, 2000, again));
  EXPECT_GE(*std::min_element(draws.begin(), draws.end()), 0.9);
  EXPECT_LE(*std::max_element(draws.begin(), draws.end()), 3.1);
  // Rounds are the units: the interval spans the rounds, not one round's
  // spread around the middle one.
  const Interval i = PercentileInterval(draws, 0.95);
  EXPECT_LT(i.lo, 1.2);
  EXPECT_GT(i.hi, 2.8);
}

TEST(BootstrapTest, PercentileIntervalInterpolates) {
  std::vector<double> v;
  for (int i = 0; i <= 100; ++i) v.push_back(i);
  const Interval i = PercentileInterval(v, 0.9);
  EXPECT_DOUBLE_EQ(i.lo, 5);
  EXPECT_DOUBLE_EQ(i.hi, 95);
}

TEST(BootstrapTest, PValueCountsTheNullSide) {
  const std::vector<double> r = {1.0, 1.02, 1.06, 1.08, 1.1};
  EXPECT_DOUBLE_EQ(BootstrapPValue(r, 1.05, /*above=*/true), 3.0 / 6);
  EXPECT_DOUBLE_EQ(BootstrapPValue(r, 0.95, /*above=*/false), 6.0 / 6);
  EXPECT_DOUBLE_EQ(BootstrapPValue({1.2, 1.3}, 1.05, true), 1.0 / 3);
}

TEST(BootstrapTest, HolmMatchesAWorkedExample) {
  // Sorted 0.01, 0.02, 0.03, 0.04 times 4, 3, 2, 1, kept non-decreasing.
  const std::vector<double> adj = HolmAdjust({0.03, 0.01, 0.04, 0.02});
  EXPECT_DOUBLE_EQ(adj[1], 0.04);
  EXPECT_DOUBLE_EQ(adj[3], 0.06);
  EXPECT_DOUBLE_EQ(adj[0], 0.06);
  EXPECT_DOUBLE_EQ(adj[2], 0.06);
  EXPECT_DOUBLE_EQ(HolmAdjust({0.5, 0.9})[1], 1.0);
  EXPECT_TRUE(HolmAdjust({}).empty());
}

}  // namespace
}  // namespace krg
