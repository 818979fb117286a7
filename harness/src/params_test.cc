#include "krg/params.h"

#include "gtest/gtest.h"

namespace krg {
namespace {

TEST(ParamsTest, ReadsTypedValuesWithDefaults) {
  Params p({{"width", "640"}, {"scale", "0.5"}, {"region", "-2,-1,1,1"}});
  EXPECT_EQ(*p.Int("width", 1, 1, 1000), 640);
  EXPECT_EQ(*p.Int("height", 480, 1, 1000), 480);
  EXPECT_DOUBLE_EQ(*p.Double("scale", 1, 0, 1), 0.5);
  auto region = p.Doubles("region", {}, 4);
  ASSERT_TRUE(region.ok());
  EXPECT_DOUBLE_EQ((*region)[1], -1);
  EXPECT_TRUE(p.CheckAllUsed("demo").ok());
}

TEST(ParamsTest, RejectsBadValuesNamingTheKey) {
  Params p({{"width", "12x"},
            {"n", "-5"},
            {"region", "1,2,3"},
            {"v", "fast"},
            {"d", "nan"}});
  auto w = p.Int("width", 1, 1, 100);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("width=12x"), std::string::npos);
  EXPECT_FALSE(p.Int("n", 1, 1, 100).ok());
  EXPECT_FALSE(p.Doubles("region", {}, 4).ok());
  EXPECT_FALSE(p.Choice("v", "a", {"a", "b"}).ok());
  EXPECT_FALSE(p.Double("d", 1, 0, 10).ok());
}

TEST(ParamsTest, UnknownKeyIsAnErrorListingTheKnownOnes) {
  Params p(std::map<std::string, std::string>{{"widht", "3"}});
  (void)p.Int("width", 1, 1, 10);
  Status s = p.CheckAllUsed("mandelbrot");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'widht'"), std::string::npos);
  EXPECT_NE(s.message().find("known: width"), std::string::npos);
}

TEST(ParamsTest, SplitsKeyValue) {
  auto kv = SplitParam("a=b=c");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "a");
  EXPECT_EQ(kv->second, "b=c");
  EXPECT_FALSE(SplitParam("novalue").ok());
  EXPECT_FALSE(SplitParam("=x").ok());
}

}  // namespace
}  // namespace krg
