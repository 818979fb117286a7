#include "servers/tile.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"
#include "servers/load.h"

namespace krg::demos::servers {
namespace {

TEST(TileTest, ParsesTilePaths) {
  auto t = ParseTilePath("3/5/7.png");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->z, 3);
  EXPECT_EQ(t->x, 5);
  EXPECT_EQ(t->y, 7);
  for (const char* bad :
       {"", "1/0", "1/0/0", "1/0/0.jpg", "a/0/0.png", "1/-1/0.png",
        "01/0/0.png", "1/0/0/0.png", "1/0/+1.png", "1/ 0/0.png"}) {
    EXPECT_EQ(ParseTilePath(bad).status().code(),
              Status::Code::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ParseTilePath("1/2/0.png").status().code(),
            Status::Code::kNotFound);
  EXPECT_EQ(ParseTilePath("41/0/0.png").status().code(),
            Status::Code::kNotFound);
}

TEST(TileTest, ChecksumEqualsTheMandelbrotDemosForTheSameRegion) {
  for (TileId t : {TileId{0, 0, 0}, TileId{2, 1, 2}, TileId{5, 9, 14}}) {
    const std::vector<float> px = RenderTile(t, 200);
    auto demo = DemoTileChecksum(t, 200);
    ASSERT_TRUE(demo.ok()) << demo.status().ToString();
    EXPECT_EQ(TileChecksum(px), *demo) << t.z << "/" << t.x << "/" << t.y;
  }
  // Different tiles differ.
  EXPECT_NE(TileChecksum(RenderTile({1, 0, 0}, 200)),
            TileChecksum(RenderTile({1, 1, 0}, 200)));
}

TEST(TileTest, EncodesA256PixelPng) {
  const std::string png = EncodeTilePng(RenderTile({1, 0, 1}, 100));
  ASSERT_FALSE(png.empty());
  cv::Mat img = cv::imdecode(cv::Mat(1, static_cast<int>(png.size()), CV_8UC1,
                                     const_cast<char*>(png.data())),
                             cv::IMREAD_COLOR);
  EXPECT_EQ(img.cols, kTileSize);
  EXPECT_EQ(img.rows, kTileSize);
}

TEST(TileTest, ParsesWrkSummaries) {
  auto r = ParseWrkOutput(
      "Running 1s test\nWRKJSON {\"requests\":100,\"duration_us\":2000000,"
      "\"connect\":1,\"read\":2,\"write\":0,\"status\":3,\"timeout\":4,"
      "\"p50_us\":1500,\"p90_us\":2500,\"p99_us\":9000,\"max_us\":12000}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->requests, 100);
  EXPECT_DOUBLE_EQ(r->duration_s, 2.0);
  EXPECT_EQ(r->errors(), 10);
  EXPECT_DOUBLE_EQ(r->p99_ms, 9.0);
  EXPECT_FALSE(ParseWrkOutput("no summary").ok());
  EXPECT_FALSE(ParseWrkOutput("WRKJSON {\"requests\":1}\n").ok());
}

}  // namespace
}  // namespace krg::demos::servers
