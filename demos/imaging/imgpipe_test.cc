#include "imaging/imgpipe.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "imaging/dataset.h"
#include "krg/runner.h"
#include "test_support.h"

namespace krg::demos {
namespace {

namespace fs = std::filesystem;

const auto* const kCacheEnv = ::testing::AddGlobalTestEnvironment(
    new test_support::PrivateDatasetCache("imaging"));

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("krg_imgpipe_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Result<std::unique_ptr<Workload>> Make(
    std::map<std::string, std::string> params) {
  return MakeImgpipe({"test", std::move(params)});
}

std::string ManifestText(Workload& w) {
  const fs::path dir = TempDir("manifest");
  EXPECT_TRUE(w.WriteArtifacts(dir).ok());
  std::ifstream in(dir / "manifest.json");
  std::stringstream s;
  s << in.rdbuf();
  fs::remove_all(dir);
  return s.str();
}

TEST(ImgpipeTest, SameManifestOnEveryEngineNodeCountAndForkPerImage) {
  auto w = Make({});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  Measurement first = test_support::MeasureOk(**w, Engine::kThreads, 1);
  ASSERT_TRUE(first.verification.ok) << first.verification.detail;
  const std::string manifest = ManifestText(**w);
  EXPECT_NE(manifest.find("\"photo004.png\""), std::string::npos) << manifest;
  for (int nodes : {1, 2, 3}) {
    Measurement m = test_support::MeasureOk(**w, Engine::kProcs, nodes);
    EXPECT_EQ(m.verification.checksum, first.verification.checksum) << nodes;
    EXPECT_EQ(ManifestText(**w), manifest) << "procs x" << nodes;
  }
  auto forked = Make({{"fork_per_image", "1"}});
  ASSERT_TRUE(forked.ok());
  for (Engine e : {Engine::kProcs, Engine::kThreads}) {  // threads ignore it
    Measurement m = test_support::MeasureOk(**forked, e, 2);
    EXPECT_TRUE(m.verification.ok) << m.verification.detail;
    EXPECT_EQ(m.verification.checksum, first.verification.checksum);
    EXPECT_EQ(ManifestText(**forked), manifest);
  }
}

TEST(ImgpipeTest, ForkPerImageAsksForAFreshProcessPerUnit) {
  auto plain = Make({});
  auto forked = Make({{"fork_per_image", "1"}});
  ASSERT_TRUE(plain.ok() && forked.ok());
  EXPECT_FALSE(static_cast<FarmWorkload&>(**plain).fresh_process_per_unit());
  EXPECT_TRUE(static_cast<FarmWorkload&>(**forked).fresh_process_per_unit());
}

TEST(ImgpipeTest, WritesImagesAndVerifiesAgainstAPreviousManifest) {
  auto w = Make({});
  ASSERT_TRUE(w.ok());
  test_support::MeasureOk(**w, Engine::kThreads, 1);
  const fs::path out = TempDir("out");
  ASSERT_TRUE((*w)->WriteArtifacts(out).ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(out / "images"),
                          fs::directory_iterator()),
            5);
  cv::Mat edges = cv::imread((out / "images" / "photo002.png").string(),
                             cv::IMREAD_UNCHANGED);
  EXPECT_EQ(edges.cols, 1024);  // 1280x960 fitted to 1024 on the long side
  EXPECT_EQ(edges.rows, 768);
  EXPECT_EQ(edges.channels(), 1);

  const std::string manifest = (out / "manifest.json").string();
  auto again = Make({{"verify", manifest}});
  ASSERT_TRUE(again.ok());
  Measurement m = test_support::MeasureOk(**again, Engine::kProcs, 2);
  EXPECT_TRUE(m.verification.ok) << m.verification.detail;

  // Another pipeline's outputs do not match that manifest.
  auto other = Make({{"verify", manifest}, {"long_side", "512"}});
  ASSERT_TRUE(other.ok());
  m = test_support::MeasureOk(**other, Engine::kThreads, 1);
  EXPECT_FALSE(m.verification.ok);
  // (The 320x320 photo is smaller than both, so its output is unchanged.)
  EXPECT_NE(m.verification.detail.find("4 of 5 outputs differ"),
            std::string::npos)
      << m.verification.detail;
  fs::remove_all(out);
}

void WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string Jpeg(int w, int h) {
  std::vector<uchar> buf;
  cv::imencode(".jpg", imaging::RenderScene(w, h, 1), buf);
  return std::string(buf.begin(), buf.end());
}

TEST(ImgpipeTest, BadInputsAreSkippedByNameWhileTheOthersAreProcessed) {
  const fs::path in = TempDir("bad");
  const std::string good = Jpeg(600, 400);
  WriteBytes(in / "good.jpg", good);
  WriteBytes(in / "truncated.jpg", good.substr(0, good.size() / 2));
  WriteBytes(in / "empty.jpg", "");
  WriteBytes(in / "text.png", "this is not a PNG\n");
  std::vector<uchar> png;
  cv::imencode(".png", cv::Mat(1, 100000, CV_8UC3, cv::Scalar(9, 99, 199)),
               png);
  WriteBytes(in / "wide.png", std::string(png.begin(), png.end()));
  WriteBytes(in / "cut.png", std::string(png.begin(), png.begin() + 40));
  WriteBytes(in / "notes.txt", "not an image name: ignored");

  for (Engine engine : {Engine::kThreads, Engine::kProcs}) {
    auto w = Make({{"input", in.string()}});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_EQ(static_cast<FarmWorkload&>(**w).unit_count(), 6u);
    Measurement m = test_support::MeasureOk(**w, engine, 2);
    const std::string& d = m.verification.detail;
    EXPECT_FALSE(m.verification.ok);
    EXPECT_NE(d.find("4 of 6 images skipped"), std::string::npos) << d;
    for (const char* name :
         {"truncated.jpg", "empty.jpg", "text.png", "cut.png"}) {
      EXPECT_NE(d.find(name), std::string::npos) << name << ": " << d;
    }
    EXPECT_EQ(d.find("good.jpg"), std::string::npos) << d;
    EXPECT_EQ(d.find("wide.png"), std::string::npos) << d;

    const fs::path out = TempDir("badout");
    ASSERT_TRUE((*w)->WriteArtifacts(out).ok());
    EXPECT_TRUE(fs::exists(out / "images" / "good.png"));
    cv::Mat wide = cv::imread((out / "images" / "wide.png").string(),
                              cv::IMREAD_UNCHANGED);
    EXPECT_EQ(wide.cols, 1024);
    EXPECT_EQ(wide.rows, 1);
    std::ifstream skipped(out / "skipped.txt");
    std::string line;
    int lines = 0;
    while (std::getline(skipped, line)) ++lines;
    EXPECT_EQ(lines, 4);
    fs::remove_all(out);
  }
  fs::remove_all(in);
}

TEST(ImgpipeTest, ReducedDecodingKeepsTheTargetSize) {
  // photo002 is 1280x960: long_side=320 lets libjpeg decode it at 1/4.
  auto fast = Make({{"long_side", "320"}});
  auto full = Make({{"long_side", "320"}, {"reduced_decode", "0"}});
  ASSERT_TRUE(fast.ok() && full.ok());
  test_support::MeasureOk(**fast, Engine::kThreads, 1);
  test_support::MeasureOk(**full, Engine::kThreads, 1);
  auto a = nlohmann::json::parse(ManifestText(**fast));
  auto b = nlohmann::json::parse(ManifestText(**full));
  ASSERT_EQ(a["images"].size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(a["images"][i]["width"], b["images"][i]["width"]) << i;
    EXPECT_EQ(a["images"][i]["height"], b["images"][i]["height"]) << i;
  }
  EXPECT_EQ(a["images"][2]["width"], 320);
}

TEST(ImgpipeTest, ResizeOnlyWritesJpeg) {
  auto w = Make({{"stages", "decode,resize,encode"}, {"format", "jpg"}});
  ASSERT_TRUE(w.ok());
  Measurement m = test_support::MeasureOk(**w, Engine::kProcs, 2);
  EXPECT_TRUE(m.verification.ok) << m.verification.detail;
  EXPECT_NE(ManifestText(**w).find("photo000.jpg"), std::string::npos);
}

TEST(ImgpipeTest, BadParamsAreUsageErrors) {
  const fs::path empty = TempDir("empty");
  const fs::path bogus = TempDir("bogus") / "manifest.json";
  WriteBytes(bogus, "{\"schema\": \"something else\"}");
  for (auto bad : std::vector<std::map<std::string, std::string>>{
           {{"stages", "decode,frobnicate,encode"}},
           {{"stages", "resize,encode"}},
           {{"stages", "decode,resize"}},
           {{"stages", "decode,blur,blur,encode"}},
           {{"format", "gif"}},
           {{"long_side", "0"}},
           {{"fork_per_image", "2"}},
           {{"colour", "red"}},
           {{"input", "/nonexistent/krgdemo"}},
           {{"input", empty.string()}},
           {{"verify", "/nonexistent/manifest.json"}},
           {{"verify", bogus.string()}}}) {
    auto w = Make(bad);
    ASSERT_FALSE(w.ok()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument)
        << w.status().ToString();
  }
  fs::remove_all(empty);
  fs::remove_all(bogus.parent_path());
}

TEST(DatasetTest, GenerationIsDeterministicAndAtomic) {
  auto dir = imaging::EnsureImageDataset("test");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const fs::path copy = TempDir("regen");
  const std::string saved = std::getenv("KRGDEMO_CACHE");
  ::setenv("KRGDEMO_CACHE", copy.c_str(), 1);
  auto again = imaging::EnsureImageDataset("test");
  ::setenv("KRGDEMO_CACHE", saved.c_str(), 1);
  ASSERT_TRUE(again.ok());
  ASSERT_NE(*dir, *again);
  int files = 0;
  for (const auto& e : fs::directory_iterator(*dir)) {
    std::ifstream a(e.path(), std::ios::binary);
    std::ifstream b(*again / e.path().filename(), std::ios::binary);
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    EXPECT_EQ(sa.str(), sb.str()) << e.path();
    ++files;
  }
  EXPECT_EQ(files, 5);
  for (const auto& e : fs::directory_iterator(again->parent_path())) {
    EXPECT_NE(e.path().filename().string()[0], '.') << "left " << e.path();
  }
  fs::remove_all(copy);
}

}  // namespace
}  // namespace krg::demos
