#include "krg/results.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace krg {
namespace {

ResultFile Sample() {
  ResultFile f;
  f.tool = ThisTool();
  f.label = "test";
  // A fixed time: two samples made across a second boundary must be equal.
  f.created = "2026-12-02T08:17:17Z";
  f.system.platform = "linux";
  f.system.kernel = "Linux 6.1";
  f.system.cpu_model = "CPU";
  f.system.nodes = {{0, 2, 1024}};
  RunRecord r;
  r.demo = "mandelbrot";
  r.size = "test";
  r.params = {{"variant", "classic"}};
  r.engine = "procs";
  r.nodes = 2;
  r.samples_s = {0.5, 0.25, 0.75};
  r.median_s = 0.5;
  r.min_s = 0.25;
  r.mad_s = 0.25;
  r.throughput = 2;
  r.throughput_unit = "Mpixel/s";
  r.verified = true;
  r.checksum = "fnv1a64:0123456789abcdef";
  f.runs.push_back(r);
  f.extensions["scale"] = {{"serial_fraction", 0.1}};
  return f;
}

TEST(ResultsTest, RoundTripsThroughAFile) {
  const auto path = std::filesystem::path(::testing::TempDir()) /
                    ("krg_rt_" + std::to_string(::getpid()) + ".json");
  ASSERT_TRUE(WriteResultFile(path, Sample()).ok());
  auto back = ReadResultFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(Sample()));
  EXPECT_EQ(back->runs[0].samples_s.size(), 3u);
  EXPECT_EQ(back->extensions["scale"]["serial_fraction"], 0.1);
  EXPECT_TRUE(back->system.kerrighed.is_null());
  std::filesystem::remove(path);
}

TEST(ResultsTest, AtomicWriteLeavesNoTemporaryAndReplaces) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("krg_atomic_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "a.json", "old").ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "a.json", "new").ok());
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    (void)e;
  }
  EXPECT_EQ(files, 1);
  std::ifstream in(dir / "a.json");
  std::string text;
  in >> text;
  EXPECT_EQ(text, "new");
  EXPECT_FALSE(WriteFileAtomic(dir / "missing" / "a.json", "x").ok());
  std::filesystem::remove_all(dir);
}

TEST(ResultsTest, RejectsMalformedJson) {
  auto r = ParseResultFile("{\"schema\": ");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("malformed JSON"), std::string::npos);
  EXPECT_FALSE(ParseResultFile("[1,2]").ok());
  EXPECT_FALSE(ParseResultFile("").ok());
}

TEST(ResultsTest, RejectsNewerSchemaWithAClearMessage) {
  nlohmann::json j = ToJson(Sample());
  j["schema"] = "krgdemo.result/2";
  auto r = ResultFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("newer"), std::string::npos);
  j["schema"] = "something.else/1";
  EXPECT_FALSE(ResultFromJson(j).ok());
}

TEST(ResultsTest, NamesTheMissingOrMistypedField) {
  nlohmann::json j = ToJson(Sample());
  j["runs"][0].erase("median_s");
  auto r = ResultFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("runs[0].median_s"), std::string::npos)
      << r.status().message();
  j = ToJson(Sample());
  j["runs"][0]["nodes"] = "two";
  r = ResultFromJson(j);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("runs[0].nodes"), std::string::npos);
  j = ToJson(Sample());
  j["runs"][0]["samples_s"] = nlohmann::json::array();
  EXPECT_FALSE(ResultFromJson(j).ok());
  j = ToJson(Sample());
  j.erase("system");
  EXPECT_FALSE(ResultFromJson(j).ok());
}

}  // namespace
}  // namespace krg
