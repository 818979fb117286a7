#include "krg/number_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace krg {
namespace {

// Issue 20: "6.554e+04 unknowns" and "1.02e+03 MiB" in summaries.
TEST(FormatNumberTest, PrintsLargeNumbersWithoutExponent) {
  EXPECT_EQ(FormatNumber(65536), "65,536");
  EXPECT_EQ(FormatNumber(1020), "1020");
  EXPECT_EQ(FormatNumber(1234567.8), "1,234,568");
  EXPECT_EQ(FormatNumber(-65536), "-65,536");
}

TEST(FormatNumberTest, KeepsSignificantDigitsOfSmallNumbers) {
  EXPECT_EQ(FormatNumber(3.14159), "3.14");
  EXPECT_EQ(FormatNumber(12.345), "12.3");
  EXPECT_EQ(FormatNumber(0.00042), "0.00042");
  EXPECT_EQ(FormatNumber(2.5), "2.5");
  EXPECT_EQ(FormatNumber(3.0), "3");
  EXPECT_EQ(FormatNumber(0.0), "0");
  EXPECT_EQ(FormatNumber(1.23456, 4), "1.235");
}

TEST(FormatNumberTest, FallsBackToExponentAtTheExtremes) {
  EXPECT_EQ(FormatNumber(1.5e-7), "1.5e-07");
  EXPECT_EQ(FormatNumber(2e20), "2e+20");
  EXPECT_EQ(FormatNumber(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(FormatNumber(std::nan("")), "nan");
}

}  // namespace
}  // namespace krg
