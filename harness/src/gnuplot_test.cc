// Issue 19: nothing a label holds can leave its gnuplot string.
#include "krg/gnuplot.h"

#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace krg {
namespace {

TEST(GnuplotTest, LabelIsOneSingleQuotedStringOfWhitelistedCharacters) {
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte += char(c);
  for (const std::string& s :
       {every_byte, std::string("a'\nsystem('touch x')\n'"),
        std::string("`id` @macro $d \\' \" \r EOD"), std::string(1000, '\'')}) {
    const std::string q = GnuplotLabel(s);
    ASSERT_GE(q.size(), 2u);
    EXPECT_EQ(q.front(), '\'');
    EXPECT_EQ(q.back(), '\'');
    const std::string inside = q.substr(1, q.size() - 2);
    EXPECT_LE(inside.size(), 200u);
    for (char c : inside) {
      EXPECT_EQ(std::string("'\"`\\$@\n\r\t").find(c), std::string::npos)
          << "byte " << int(static_cast<unsigned char>(c)) << " in " << q;
      EXPECT_GE(static_cast<unsigned char>(c), 0x20);
      EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
    }
  }
  EXPECT_EQ(GnuplotLabel("mandelbrot small variant=smooth (1/2) 90%"),
            "'mandelbrot small variant=smooth (1/2) 90%'");
  EXPECT_EQ(GnuplotLabel(std::string("a\0b", 3)), "'a?b'");
}

TEST(GnuplotTest, NumbersAreNumbers) {
  EXPECT_EQ(GnuplotNumber(1.5), "1.5");
  EXPECT_EQ(GnuplotNumber(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(GnuplotNumber(std::numeric_limits<double>::infinity()), "NaN");
}

}  // namespace
}  // namespace krg
