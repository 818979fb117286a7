// Running a workload once on the linux platform, shared by the demo tests:
// the unit tests of demos/ build a workload, measure one pass on an engine
// and a node count, and compare what it verified.
#ifndef KRG_DEMOS_TEST_SUPPORT_H_
#define KRG_DEMOS_TEST_SUPPORT_H_

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/runner.h"
#include "krg/workload.h"

namespace krg::demos::test_support {

// Building an imaging demo generates its dataset: a test binary that builds
// one keeps them in a private cache (KRGDEMO_CACHE), removed at the end.
//   const auto* const kCache = ::testing::AddGlobalTestEnvironment(
//       new test_support::PrivateDatasetCache("imaging"));
class PrivateDatasetCache : public ::testing::Environment {
 public:
  explicit PrivateDatasetCache(const std::string& name)
      : dir_(std::filesystem::path(::testing::TempDir()) /
             ("krg_" + name + "_cache_" + std::to_string(::getpid()))) {}
  void SetUp() override {
    std::filesystem::remove_all(dir_);
    ::setenv("KRGDEMO_CACHE", dir_.c_str(), 1);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

 private:
  std::filesystem::path dir_;
};

// One measured pass of `w` on the linux platform with `nodes` virtual nodes
// (and `threads` threads on the threads engine; 0: every CPU of the nodes).
inline Result<Measurement> MeasureOnce(Workload& w, Engine engine, int nodes,
                                       int threads = 0) {
  auto platform = platform::MakeLinuxPlatform();
  RunSpec spec;
  spec.engine = engine;
  spec.nodes = nodes;
  spec.threads = threads;
  spec.repeat.fixed = 1;
  return Measure(*platform, w, spec);
}

// MeasureOnce, where a failed run is a test failure (and an empty Measurement).
inline Measurement MeasureOk(Workload& w, Engine engine, int nodes) {
  auto m = MeasureOnce(w, engine, nodes);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : Measurement{};
}

// The checksum of one pass; a failed or unverified pass is a test failure.
inline std::string VerifiedChecksum(Workload& w, Engine engine, int nodes) {
  const Measurement m = MeasureOk(w, engine, nodes);
  EXPECT_TRUE(m.verification.ok) << m.verification.detail;
  return m.verification.checksum;
}

}  // namespace krg::demos::test_support

#endif  // KRG_DEMOS_TEST_SUPPORT_H_
