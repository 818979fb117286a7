#include "krg/stats.h"

#include <cmath>

#include "gtest/gtest.h"

namespace krg {
namespace {

TEST(StatsTest, SummarizesOddAndEvenCounts) {
  Summary s = Summarize({3, 1, 2, 10, 4});
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.mad, 1);  // |dev| = 0,2,1,7,1 -> median 1
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
}

TEST(StatsTest, CoefficientOfVariationIsSampleStddevOverMean) {
  Summary s = Summarize({9, 10, 11});
  EXPECT_NEAR(s.cov, 1.0 / 10.0, 1e-12);
  EXPECT_DOUBLE_EQ(Summarize({5}).cov, 0);
}

TEST(StatsTest, RepeatPolicyStopsOnLowSpreadOrCap) {
  RepeatPolicy p;
  EXPECT_TRUE(p.WantMore({}, 0));
  EXPECT_TRUE(p.WantMore({1.0, 1.0}, 0));          // under min_samples
  EXPECT_FALSE(p.WantMore({1.0, 1.0, 1.0}, 0));    // CoV 0
  EXPECT_TRUE(p.WantMore({1.0, 2.0, 1.0}, 0));     // noisy
  EXPECT_FALSE(p.WantMore({1.0, 2.0, 1.0}, 100));  // over budget
  std::vector<double> many(10, 1.0);
  many[0] = 5;
  EXPECT_FALSE(p.WantMore(many, 0));  // at max_samples
  RepeatPolicy fixed;
  fixed.fixed = 2;
  EXPECT_TRUE(fixed.WantMore({1.0}, 1000));
  EXPECT_FALSE(fixed.WantMore({1.0, 9.0}, 0));
}

TEST(StatsTest, AmdahlFitRecoversTheSerialFraction) {
  const double f = 0.1, t1 = 8.0;
  std::vector<double> nodes = {1, 2, 4, 8}, times;
  for (double n : nodes) times.push_back(t1 * (f + (1 - f) / n));
  AmdahlFit fit = FitAmdahl(nodes, times);
  EXPECT_NEAR(fit.serial_fraction, f, 1e-9);
  EXPECT_NEAR(fit.t1, t1, 1e-9);
  EXPECT_NEAR(fit.PredictSpeedup(16), 1 / (f + (1 - f) / 16), 1e-9);
}

TEST(StatsTest, AmdahlFitClampsSuperlinearToZero) {
  AmdahlFit fit = FitAmdahl({1, 2}, {10, 4});  // better than linear
  EXPECT_DOUBLE_EQ(fit.serial_fraction, 0);
  EXPECT_DOUBLE_EQ(fit.PredictSpeedup(4), 4);
}

}  // namespace
}  // namespace krg
