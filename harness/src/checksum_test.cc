#include "krg/checksum.h"

#include "gtest/gtest.h"

namespace krg {
namespace {

TEST(ChecksumTest, MatchesPublishedFnv1a64Vectors) {
  EXPECT_EQ(Fnv1a64("", 0), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a", 1), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(Fnv1a64("foobar", 6), 0x85944171f73967e8ULL);
  EXPECT_EQ(Fnv1a64("bar", 3, Fnv1a64("foo", 3)), Fnv1a64("foobar", 6));
  EXPECT_EQ(ChecksumString(0xabcULL), "fnv1a64:0000000000000abc");
}

}  // namespace
}  // namespace krg
