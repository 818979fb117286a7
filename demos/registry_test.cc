#include "registry.h"

#include <string>

#include "gtest/gtest.h"
#include "test_support.h"

namespace krg::demos {
namespace {

const auto* const kCacheEnv = ::testing::AddGlobalTestEnvironment(
    new test_support::PrivateDatasetCache("registry"));

// The table's shape is what callers trust without building the workload, so
// it must be the shape the factory actually builds.
TEST(RegistryTest, DeclaredShapeIsTheShapeOfTheBuiltWorkload) {
  for (const Demo& d : AllDemos()) {
    auto w = d.make(DemoConfig{"test", {}});
    ASSERT_TRUE(w.ok()) << d.name << ": " << w.status().ToString();
    EXPECT_EQ((*w)->shape(), d.shape) << d.name;
  }
}

TEST(RegistryTest, FindsDemosByName) {
  ASSERT_NE(FindDemo("webfarm"), nullptr);
  EXPECT_EQ(FindDemo("webfarm")->shape, Shape::kService);
  EXPECT_EQ(FindDemo("poisson")->shape, Shape::kSpmd);
  EXPECT_EQ(FindDemo("no-such-demo"), nullptr);
}

}  // namespace
}  // namespace krg::demos
