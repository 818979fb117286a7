#include "scientific/linsolve.h"

#include <algorithm>
#include <set>

#include "gtest/gtest.h"
#include "krg/runner.h"
#include "scientific/linsolve_kernel.h"
#include "test_support.h"

namespace krg::demos {
namespace {

namespace ls = krg::demos::linsolve;

std::unique_ptr<Workload> Make(std::map<std::string, std::string> params) {
  auto w = MakeLinsolve({"test", std::move(params)});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

TEST(LinsolveKernelTest, ResidualIsSmallAndTheExactSolutionIsRecovered) {
  for (int n : {1, 2, 7, 64, 257}) {
    for (std::uint64_t index : {0, 1, 2}) {
      const std::uint64_t seed = ls::SystemSeed(1, index);
      const ls::Solved s = ls::SolveSystem(seed, n);
      EXPECT_FALSE(s.singular) << "n=" << n;
      EXPECT_LT(s.scaled_residual, ls::kResidualBound) << "n=" << n;
      EXPECT_GE(s.scaled_residual, 0.0) << "n=" << n;
      EXPECT_TRUE(s.exact) << "n=" << n;
      EXPECT_EQ(s.solution_sum, ls::ExactSolutionSum(seed, n)) << "n=" << n;
    }
  }
}

TEST(LinsolveKernelTest, MatricesComeFromTheSeedAlone) {
  const std::uint64_t a = ls::SystemSeed(1, 0), b = ls::SystemSeed(1, 1);
  EXPECT_NE(a, b);
  EXPECT_NE(a, ls::SystemSeed(2, 0));
  double lo = 1, hi = -1;
  std::set<int> xs;
  for (int i = 0; i < 200; ++i) {
    const double v = ls::MatrixEntry(a, 200, i, 3);
    EXPECT_EQ(v, ls::MatrixEntry(a, 200, i, 3));
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    xs.insert(ls::ExactSolution(a, i));
  }
  EXPECT_GE(lo, -0.5);
  EXPECT_LT(hi, 0.5);
  EXPECT_LT(lo, -0.4);  // spread over the interval, not stuck
  EXPECT_GT(hi, 0.4);
  EXPECT_EQ(*xs.begin(), -8);
  EXPECT_EQ(*xs.rbegin(), 8);
  EXPECT_NE(ls::MatrixEntry(a, 200, 0, 0), ls::MatrixEntry(b, 200, 0, 0));
}

TEST(LinsolveTest, SameChecksumOnThreadsAndProcsAndEveryNodeCount) {
  auto w = Make({});
  ASSERT_NE(w, nullptr);
  const Verification first =
      test_support::MeasureOk(*w, Engine::kThreads, 1).verification;
  ASSERT_TRUE(first.ok) << first.detail;
  EXPECT_NE(first.detail.find("6 systems of order 96"), std::string::npos)
      << first.detail;
  for (int nodes : {1, 2, 3}) {
    for (Engine e : {Engine::kThreads, Engine::kProcs}) {
      const Verification v = test_support::MeasureOk(*w, e, nodes).verification;
      EXPECT_TRUE(v.ok) << EngineName(e) << " x" << nodes << ": " << v.detail;
      EXPECT_EQ(v.checksum, first.checksum) << EngineName(e) << " x" << nodes;
    }
  }
  // Another seed or order is another answer.
  auto other = Make({{"seed", "2"}});
  ASSERT_NE(other, nullptr);
  EXPECT_NE(test_support::MeasureOk(*other, Engine::kThreads, 1)
                .verification.checksum,
            first.checksum);
}

TEST(LinsolveTest, ACorruptedUnitDoesNotVerify) {
  auto w = Make({{"systems", "2"}, {"n", "16"}});
  ASSERT_NE(w, nullptr);
  auto& farm = static_cast<FarmWorkload&>(*w);
  farm.BeginPass();
  for (std::size_t i = 0; i < 2; ++i) {
    std::string bytes;
    ASSERT_TRUE(farm.RunUnit(i, &bytes).ok());
    if (i == 1) bytes[28] = 0;  // residual_ok: "the residual was too big"
    ASSERT_TRUE(farm.Merge(i, bytes).ok());
  }
  Verification v = farm.Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.detail.find("system 1"), std::string::npos) << v.detail;
  // A unit missing, or bytes of the wrong length.
  farm.BeginPass();
  std::string bytes;
  ASSERT_TRUE(farm.RunUnit(0, &bytes).ok());
  ASSERT_TRUE(farm.Merge(0, bytes).ok());
  EXPECT_FALSE(farm.Merge(1, "short").ok());
  v = farm.Verify();
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.detail.find("never merged"), std::string::npos) << v.detail;
}

TEST(LinsolveTest, WorkIsTheHplFlopCount) {
  auto w = Make({{"n", "1000"}, {"systems", "3"}});
  ASSERT_NE(w, nullptr);
  EXPECT_DOUBLE_EQ(w->work().amount, 3 * (2.0 / 3 * 1e9 + 2e6) / 1e9);
  EXPECT_EQ(w->work().unit, "GFLOP/s");
}

TEST(LinsolveTest, BadParamsAreInvalidArguments) {
  for (auto bad :
       std::vector<std::map<std::string, std::string>>{{{"n", "0"}},
                                                       {{"n", "-1"}},
                                                       {{"n", "abc"}},
                                                       {{"n", "20001"}},
                                                       {{"systems", "0"}},
                                                       {{"seed", "-3"}},
                                                       {{"order", "10"}}}) {
    auto w = MakeLinsolve({"test", bad});
    ASSERT_FALSE(w.ok()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace krg::demos
