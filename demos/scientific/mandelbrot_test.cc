#include "scientific/mandelbrot.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/runner.h"

namespace krg::demos {
namespace {

std::unique_ptr<Workload> Make(std::map<std::string, std::string> params,
                               const std::string& size = "test") {
  auto w = MakeMandelbrot({size, std::move(params)});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

std::string ChecksumOf(Workload& w, Engine engine, int nodes) {
  auto platform = platform::MakeLinuxPlatform();
  RunSpec spec;
  spec.engine = engine;
  spec.nodes = nodes;
  spec.repeat.fixed = 1;
  auto m = Measure(*platform, w, spec);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return "";
  EXPECT_TRUE(m->verification.ok) << m->verification.detail;
  return m->verification.checksum;
}

TEST(MandelbrotTest, SameChecksumOnEveryEngineAndNodeCount) {
  for (const char* variant : {"smooth", "classic"}) {
    auto w = Make({{"variant", variant}});
    ASSERT_NE(w, nullptr);
    const std::string expected = ChecksumOf(*w, Engine::kThreads, 1);
    ASSERT_FALSE(expected.empty());
    for (int nodes : {1, 2, 3}) {
      EXPECT_EQ(ChecksumOf(*w, Engine::kThreads, nodes), expected)
          << variant << " threads x" << nodes;
      EXPECT_EQ(ChecksumOf(*w, Engine::kProcs, nodes), expected)
          << variant << " procs x" << nodes;
    }
  }
}

TEST(MandelbrotTest, ParamsChangeTheAnswerAndBadOnesAreUsageErrors) {
  auto a = Make({{"width", "64"}, {"height", "48"}});
  auto b = Make({{"width", "64"}, {"height", "48"}, {"max_iter", "50"}});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(ChecksumOf(*a, Engine::kThreads, 1),
            ChecksumOf(*b, Engine::kThreads, 1));
  for (auto bad : std::vector<std::map<std::string, std::string>>{
           {{"colour", "red"}},
           {{"width", "0"}},
           {{"variant", "fast"}},
           {{"region", "1,0,-1,1"}},
           {{"variant", "classic"}, {"width", "10"}}}) {
    auto w = MakeMandelbrot({"test", bad});
    ASSERT_FALSE(w.ok()) << bad.begin()->first;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument);
  }
}

TEST(MandelbrotTest, WritesAPngAndAPbm) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("krg_mb_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* variant : {"smooth", "classic"}) {
    auto w = Make({{"variant", variant}});
    ASSERT_FALSE(ChecksumOf(*w, Engine::kThreads, 1).empty());
    ASSERT_TRUE(w->WriteArtifacts(dir).ok());
  }
  std::ifstream png(dir / "mandelbrot.png", std::ios::binary);
  char sig[8] = {};
  png.read(sig, 8);
  EXPECT_EQ(std::string(sig + 1, 3), "PNG");
  std::ifstream pbm(dir / "mandelbrot.pbm", std::ios::binary);
  std::string magic, dims;
  pbm >> magic;
  EXPECT_EQ(magic, "P4");
  EXPECT_EQ(std::filesystem::file_size(dir / "mandelbrot.pbm"),
            std::string("P4\n200 200\n").size() + 200 * 25);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace krg::demos
