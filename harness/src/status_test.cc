#include "krg/status.h"

#include "gtest/gtest.h"

namespace krg {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::InvalidArgument("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KRG_ASSIGN_OR_RETURN(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, PropagatesByEarlyReturn) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(r.status().ToString(), "invalid argument: odd");
  EXPECT_EQ(r.status().WithContext("quarter").message(), "quarter: odd");
}

TEST(StatusDeathTest, ValueOfAnErrorAborts) {
  Result<int> r = Status::Internal("no");
  EXPECT_DEATH((void)r.value(), "check failed");
}

}  // namespace
}  // namespace krg
