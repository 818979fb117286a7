#include "scientific/mandelbrot.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/runner.h"
#include "test_support.h"

namespace krg::demos {
namespace {

std::unique_ptr<Workload> Make(std::map<std::string, std::string> params,
                               const std::string& size = "test") {
  auto w = MakeMandelbrot({size, std::move(params)});
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(w).value() : nullptr;
}

TEST(MandelbrotTest, SameChecksumOnEveryEngineAndNodeCount) {
  for (const char* variant : {"smooth", "classic"}) {
    auto w = Make({{"variant", variant}});
    ASSERT_NE(w, nullptr);
    const std::string expected =
        test_support::VerifiedChecksum(*w, Engine::kThreads, 1);
    ASSERT_FALSE(expected.empty());
    for (int nodes : {1, 2, 3}) {
      EXPECT_EQ(test_support::VerifiedChecksum(*w, Engine::kThreads, nodes),
                expected)
          << variant << " threads x" << nodes;
      EXPECT_EQ(test_support::VerifiedChecksum(*w, Engine::kProcs, nodes),
                expected)
          << variant << " procs x" << nodes;
    }
  }
}

TEST(MandelbrotTest, ParamsChangeTheAnswerAndBadOnesAreUsageErrors) {
  auto a = Make({{"width", "64"}, {"height", "48"}});
  auto b = Make({{"width", "64"}, {"height", "48"}, {"max_iter", "50"}});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(test_support::VerifiedChecksum(*a, Engine::kThreads, 1),
            test_support::VerifiedChecksum(*b, Engine::kThreads, 1));
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
    ASSERT_FALSE(
        test_support::VerifiedChecksum(*w, Engine::kThreads, 1).empty());
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

// The dashboard's live picture (issue 8): every band of rows maps onto its
// own rows of a preview at most 640 pixels on a side, and the tiles of a
// whole pass, collected through RunSpec::on_unit_done, cover it exactly once.
TEST(MandelbrotTest, PreviewTilesCoverThePictureOnce) {
  struct Case {
    std::map<std::string, std::string> params;
    int width, height;
  };
  for (const Case& c :
       {Case{{}, 320, 180},                                          // step 1
        Case{{{"width", "1279"}, {"height", "97"}}, 640, 49},        // step 2
        Case{{{"variant", "classic"}, {"n", "2600"}}, 325, 325}}) {  // step 8
    auto w = Make(c.params);
    ASSERT_NE(w, nullptr);
    auto& farm = static_cast<FarmWorkload&>(*w);
    ASSERT_EQ(farm.preview_size(), std::make_pair(c.width, c.height));
    std::vector<int> covered(c.height, 0);
    std::set<int> nodes;
    auto platform = platform::MakeLinuxPlatform();
    RunSpec spec;
    spec.engine = Engine::kProcs;
    spec.nodes = 2;
    spec.repeat.fixed = 1;
    spec.on_unit_done = [&](int pass, std::size_t unit, int node,
                            std::string_view bytes) {
      EXPECT_EQ(pass, 1);
      nodes.insert(node);
      auto tile = farm.PreviewUnit(unit, bytes);
      ASSERT_TRUE(tile.ok()) << tile.status().ToString();
      EXPECT_EQ(tile->x, 0);
      EXPECT_EQ(tile->width, c.width);
      EXPECT_EQ(tile->rgb.size(), std::size_t(3) * tile->width * tile->height);
      for (int r = tile->y; r < tile->y + tile->height; ++r) {
        ASSERT_LT(r, c.height);
        ++covered[r];
      }
    };
    auto m = Measure(*platform, *w, spec);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(covered, std::vector<int>(c.height, 1));
    for (int node : nodes) EXPECT_TRUE(node == 0 || node == 1) << node;
    EXPECT_FALSE(farm.PreviewUnit(0, "short").ok());
  }
}

}  // namespace
}  // namespace krg::demos
