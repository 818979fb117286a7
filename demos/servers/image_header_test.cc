// The header reader that guards /thumb against decompression bombs: it must
// read the dimensions OpenCV would decode, and refuse what it cannot read.
#include "servers/image_header.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gtest/gtest.h"

namespace krg::demos::servers {
namespace {

std::string Encode(const char* ext, int cols, int rows) {
  std::vector<uchar> out;
  cv::imencode(ext, cv::Mat(rows, cols, CV_8UC3, cv::Scalar(1, 2, 3)), out);
  return std::string(out.begin(), out.end());
}

void PutBe32(std::string& s, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

TEST(ImageHeaderTest, ReadsWhatOpenCvEncoded) {
  for (const char* ext : {".png", ".jpg"}) {
    auto h = ReadImageHeader(Encode(ext, 300, 200));
    ASSERT_TRUE(h.ok()) << ext << ": " << h.status().ToString();
    EXPECT_EQ(h->width, 300u) << ext;
    EXPECT_EQ(h->height, 200u) << ext;
    EXPECT_EQ(h->pixels(), 60000u) << ext;
  }
}

TEST(ImageHeaderTest, ReadsTheDeclaredPngSizeNotTheData) {
  std::string png = Encode(".png", 4, 4);
  PutBe32(png, 16, 20000);  // IHDR width, height: a bomb's header
  PutBe32(png, 20, 20000);
  auto h = ReadImageHeader(png);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->pixels(), 400'000'000u);
}

TEST(ImageHeaderTest, SkipsJpegSegmentsBeforeTheFrame) {
  std::string jpg = Encode(".jpg", 64, 48);
  // An APP1 segment of 300 bytes right after SOI: the frame comes later.
  std::string app("\xFF\xE1\x01\x2C", 4);  // length 300
  app += std::string(300 - 2, 'x');
  jpg.insert(2, app);
  auto h = ReadImageHeader(jpg);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->width, 64u);
  EXPECT_EQ(h->height, 48u);
}

TEST(ImageHeaderTest, RefusesOtherFormatsAndTruncatedHeaders) {
  for (const char* ext : {".bmp", ".ppm", ".tiff"}) {
    EXPECT_FALSE(ReadImageHeader(Encode(ext, 8, 8)).ok()) << ext;
  }
  const std::string png = Encode(".png", 8, 8);
  const std::string jpg = Encode(".jpg", 8, 8);
  EXPECT_FALSE(ReadImageHeader(png.substr(0, 20)).ok());
  EXPECT_FALSE(ReadImageHeader(jpg.substr(0, 12)).ok());
  EXPECT_FALSE(ReadImageHeader("").ok());
  EXPECT_FALSE(ReadImageHeader("not an image").ok());
  std::string zero = png;
  PutBe32(zero, 16, 0);
  EXPECT_FALSE(ReadImageHeader(zero).ok());
  // A scan before any frame header: libjpeg would fail, so do we.
  EXPECT_FALSE(
      ReadImageHeader(std::string("\xFF\xD8\xFF\xDA\x00\x02", 6)).ok());
}

}  // namespace
}  // namespace krg::demos::servers
