#include "registry.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace krg::demos {
namespace {

namespace fs = std::filesystem;

// Building the imaging demos generates their datasets: into a private cache.
class CacheEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("krg_registry_cache_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    ::setenv("KRGDEMO_CACHE", dir_.c_str(), 1);
  }
  void TearDown() override { fs::remove_all(dir_); }

 private:
  fs::path dir_;
};
const auto* const kCacheEnv =
    ::testing::AddGlobalTestEnvironment(new CacheEnvironment);

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
