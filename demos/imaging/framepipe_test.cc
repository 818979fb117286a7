#include "imaging/framepipe.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/videoio.hpp>

#include "gtest/gtest.h"
#include "krg/runner.h"
#include "test_support.h"

// The cache environment is set up in imgpipe_test.cc (same binary).
namespace krg::demos {
namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<Workload>> Make(
    std::map<std::string, std::string> params) {
  return MakeFramepipe({"test", std::move(params)});
}

TEST(FramepipeTest, SameChecksumOnEveryEngineAndNodeCount) {
  auto w = Make({{"chunk", "8"}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  const std::string expected =
      test_support::VerifiedChecksum(**w, Engine::kThreads, 1);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(test_support::VerifiedChecksum(**w, Engine::kThreads, 2), expected);
  for (int nodes : {1, 2, 3}) {
    EXPECT_EQ(test_support::VerifiedChecksum(**w, Engine::kProcs, nodes),
              expected)
        << nodes;
  }
}

// A chunk's bytes depend on the video only: computed alone in a fresh
// workload, or after every other chunk in reverse order, they are the same.
TEST(FramepipeTest, ChunksAreIndependent) {
  auto a = Make({{"chunk", "8"}});
  auto b = Make({{"chunk", "8"}});
  ASSERT_TRUE(a.ok() && b.ok());
  auto& fa = static_cast<FarmWorkload&>(**a);
  auto& fb = static_cast<FarmWorkload&>(**b);
  ASSERT_EQ(fa.unit_count(), 6u);  // 48 frames
  std::vector<std::string> reverse(fa.unit_count());
  for (std::size_t i = fa.unit_count(); i-- > 0;) {
    ASSERT_TRUE(fa.RunUnit(i, &reverse[i]).ok());
  }
  for (std::size_t i : {3u, 0u, 5u}) {
    std::string alone;
    ASSERT_TRUE(fb.RunUnit(i, &alone).ok());
    EXPECT_EQ(alone, reverse[i]) << "chunk " << i;
  }
}

TEST(FramepipeTest, WritesTheAnnotatedVideoAndCounts) {
  auto w = Make({{"chunk", "12"}});
  ASSERT_TRUE(w.ok());
  test_support::VerifiedChecksum(**w, Engine::kProcs, 2);
  const fs::path out = fs::path(::testing::TempDir()) /
                       ("krg_framepipe_" + std::to_string(::getpid()));
  fs::create_directories(out);
  ASSERT_TRUE((*w)->WriteArtifacts(out).ok());
  cv::VideoCapture cap((out / "annotated.avi").string());
  ASSERT_TRUE(cap.isOpened());
  EXPECT_EQ(int(cap.get(cv::CAP_PROP_FRAME_COUNT)), 48);
  std::ifstream in(out / "counts.json");
  auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["objects_per_frame"].size(), 48u);
  EXPECT_EQ(j["chunk_checksums"].size(), 4u);
  // The clip has six moving objects: after the first chunk's cold start,
  // most frames see some of them.
  int seen = 0;
  for (int k = 24; k < 48; ++k) seen += j["objects_per_frame"][k] > 0;
  EXPECT_GT(seen, 20);
  fs::remove_all(out);
}

TEST(FramepipeTest, BadParamsAreUsageErrors) {
  const fs::path text =
      fs::path(::testing::TempDir()) /
      ("krg_not_video_" + std::to_string(::getpid()) + ".avi");
  std::ofstream(text) << "not a video\n";
  for (auto bad : std::vector<std::map<std::string, std::string>>{
           {{"chunk", "0"}},
           {{"warmup", "-1"}},
           {{"colour", "red"}},
           {{"input", "/nonexistent/clip.avi"}},
           {{"input", text.string()}}}) {
    auto w = Make(bad);
    ASSERT_FALSE(w.ok()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument)
        << w.status().ToString();
  }
  fs::remove(text);
}

}  // namespace
}  // namespace krg::demos
