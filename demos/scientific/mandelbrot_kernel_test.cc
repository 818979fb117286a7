#include "scientific/mandelbrot_kernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace krg::demos::mandelbrot {
namespace {

// Bitwise float equality (distinguishes -0.0f and compares NaNs by payload).
::testing::AssertionResult SameBits(float a, float b) {
  std::uint32_t ua, ub;
  std::memcpy(&ua, &a, sizeof ua);
  std::memcpy(&ub, &b, sizeof ub);
  if (ua == ub) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << a << " != " << b;
}

View MakeView(int width, int height, double x_min, double x_max, double y_mid,
              int max_iter) {
  const double d = (x_max - x_min) / width;
  return View{width, height, x_min + 0.5 * d, y_mid - 0.5 * height * d,
              d,     d,      max_iter};
}

void ExpectSmoothMatchesReference(const View& v) {
  std::vector<float> row(v.width + 1, 123.0f);
  for (int r = 0; r < v.height; ++r) {
    RenderSmoothRow(v, r, 0, v.width, row.data());
    for (int c = 0; c < v.width; ++c) {
      ASSERT_TRUE(SameBits(row[c], ReferenceSmooth(v, r, c)))
          << "view " << v.width << "x" << v.height << " row " << r << " col "
          << c;
    }
    ASSERT_EQ(row[v.width], 123.0f) << "wrote past col1";
  }
}

std::vector<unsigned char> ClassicImage(int n) {
  const int bytes = (n + 7) / 8;
  std::vector<unsigned char> img(static_cast<size_t>(bytes) * n);
  for (int y = 0; y < n; ++y) RenderClassicRow(n, y, img.data() + y * bytes);
  return img;
}

TEST(MandelbrotKernelTest, SmoothMatchesReferenceOnSmallImages) {
  ExpectSmoothMatchesReference(MakeView(1, 1, -2.5, 1.0, 0.0, 100));
  ExpectSmoothMatchesReference(MakeView(7, 5, -2.5, 1.0, 0.0, 100));
  ExpectSmoothMatchesReference(MakeView(33, 19, -2.5, 1.0, 0.0, 300));
  ExpectSmoothMatchesReference(MakeView(97, 61, -2.0, 0.6, 0.1, 1000));
  // Near the boundary, where escape iterations vary a lot between neighbours.
  ExpectSmoothMatchesReference(MakeView(121, 40, -0.76, -0.74, 0.1, 2000));
}

TEST(MandelbrotKernelTest, SmoothMatchesReferenceForAnyIterationLimit) {
  for (int max_iter : {0, 1, 2, 7, 8, 9, 15, 16, 17, 63}) {
    ExpectSmoothMatchesReference(MakeView(41, 9, -2.5, 1.0, 0.0, max_iter));
  }
}

TEST(MandelbrotKernelTest, SmoothMatchesReferenceFarOutside) {
  // Huge |c| escapes at the first iteration or overflows to inf.
  ExpectSmoothMatchesReference(View{17, 3, -1e3, -1e3, 100.0, 1e3, 50});
  ExpectSmoothMatchesReference(View{17, 3, 1e160, 1e160, 1e161, 0.0, 50});
}

TEST(MandelbrotKernelTest, SmoothIsIndependentOfTiling) {
  const View v = MakeView(203, 7, -2.5, 1.0, 0.0, 500);
  std::vector<float> whole(v.width), tiled(v.width);
  for (int r = 0; r < v.height; ++r) {
    RenderSmoothRow(v, r, 0, v.width, whole.data());
    for (int tile : {1, 3, 8, 13, 64}) {
      for (int c = 0; c < v.width; c += tile) {
        const int end = c + tile < v.width ? c + tile : v.width;
        RenderSmoothRow(v, r, c, end, tiled.data() + c);
      }
      ASSERT_EQ(0, std::memcmp(whole.data(), tiled.data(),
                               whole.size() * sizeof(float)))
          << "row " << r << " tile " << tile;
    }
  }
}

TEST(MandelbrotKernelTest, SmoothEmptyRangeWritesNothing) {
  const View v = MakeView(16, 16, -2.5, 1.0, 0.0, 100);
  float sentinel = 5.0f;
  RenderSmoothRow(v, 3, 9, 9, &sentinel);
  EXPECT_EQ(sentinel, 5.0f);
}

TEST(MandelbrotKernelTest, SmoothKnownPixels) {
  // One pixel at c = re + im i.
  auto at = [](double re, double im) {
    return ReferenceSmooth(View{1, 1, re, im, 0.0, 0.0, 1000}, 0, 0);
  };
  EXPECT_EQ(at(0.0, 0.0), kInside);
  EXPECT_EQ(at(-1.0, 0.0), kInside);  // period-2 bulb
  // c = 300: |z_1|^2 = 90000 > 65536, so n = 1 and
  // value = 2 - log2(log2(90000) / 2) = 2 - log2(8.2287...) = -1.04068...
  EXPECT_NEAR(at(300.0, 0.0), -1.0406853, 1e-6);
  // c = 2 + 2i: z = 2+2i, 2+10i, -94+42i, then 7074-7894i escapes at n = 4.
  const double t4 = 7074.0 * 7074.0 + 7894.0 * 7894.0;
  EXPECT_NEAR(at(2.0, 2.0), 5.0 - std::log2(std::log2(t4) / 2), 1e-6);
  // Smoothness: the value is continuous across the n = 1 / n = 2 boundary.
  EXPECT_NEAR(at(256.0 + 1e-9, 0.0), at(256.0 - 1e-9, 0.0), 1e-3);
}

TEST(MandelbrotKernelTest, ClassicMatchesReferenceForSmallSizes) {
  for (int n = 1; n <= 72; ++n) {
    const int bytes = (n + 7) / 8;
    const std::vector<unsigned char> img = ClassicImage(n);
    for (int y = 0; y < n; ++y) {
      for (int b = 0; b < bytes; ++b) {
        ASSERT_EQ(img[y * bytes + b], ReferenceClassicByte(n, y, b))
            << "n " << n << " y " << y << " byte " << b;
      }
    }
  }
}

TEST(MandelbrotKernelTest, ClassicMatchesReferenceOnRowsOfN16000) {
  const int n = 16000, bytes = n / 8;
  std::vector<unsigned char> row(bytes + 1);
  for (int y : {0, 1, 3999, 4000, 7999, 8000, 8001, 11111, 15999}) {
    row[bytes] = 0xA5;
    RenderClassicRow(n, y, row.data());
    ASSERT_EQ(row[bytes], 0xA5) << "wrote past the row";
    for (int b = 0; b < bytes; ++b) {
      ASSERT_EQ(row[b], ReferenceClassicByte(n, y, b))
          << "y " << y << " byte " << b;
    }
  }
}

TEST(MandelbrotKernelTest, ClassicOddSizeRowsOfLargeImage) {
  for (int n : {16001, 16007, 999}) {
    const int bytes = (n + 7) / 8;
    std::vector<unsigned char> row(bytes + 1);
    for (int y : {n / 3, n / 2}) {
      row[bytes] = 0x5A;
      RenderClassicRow(n, y, row.data());
      ASSERT_EQ(row[bytes], 0x5A);
      for (int b = 0; b < bytes; ++b) {
        ASSERT_EQ(row[b], ReferenceClassicByte(n, y, b))
            << "n " << n << " y " << y << " byte " << b;
      }
    }
  }
}

TEST(MandelbrotKernelTest, ClassicKnownPixels) {
  // n = 200: c = -1.5 + 2x/n - i + 2yi/n. Pixel (150, 100) is c = 0: inside.
  // Pixel (0, 0) is c = -1.5 - i: outside.
  EXPECT_TRUE(ReferenceClassicByte(200, 100, 150 / 8) & (0x80 >> (150 % 8)));
  EXPECT_FALSE(ReferenceClassicByte(200, 0, 0) & 0x80);
  // Padding bits of a row whose width is not a multiple of 8 are zero.
  std::vector<unsigned char> img = ClassicImage(13);
  for (int y = 0; y < 13; ++y) EXPECT_EQ(img[y * 2 + 1] & 0x07, 0);
}

// The whole n = 200 body hashed with FNV-1a. The P4 file ("P4\n200 200\n" +
// body) of this image has md5 cc65e64bd553ed18896de1dfe7fae3e5, the same as
// the output of the Benchmarks Game's C and C++ programs (checked when this
// kernel was written).
constexpr std::uint64_t kClassicN200Fnv1a = 0x68d67161ed0df70f;

TEST(MandelbrotKernelTest, ClassicN200IsTheBenchmarksGameImage) {
  std::uint64_t h = 1469598103934665603u;
  for (unsigned char c : ClassicImage(200)) h = (h ^ c) * 1099511628211u;
  EXPECT_EQ(h, kClassicN200Fnv1a);
}

TEST(MandelbrotKernelTest, ActiveIsaIsSupportedAndBaselineAlwaysIs) {
  const std::vector<Isa> isas = SupportedIsas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.front(), Isa::kBaseline);
  bool active_listed = false;
  for (Isa isa : isas) active_listed |= isa == ActiveIsa();
  EXPECT_TRUE(active_listed) << IsaName(ActiveIsa());
  EXPECT_STREQ(IsaName(Isa::kAvx512), "avx512");
}

// Issue 10 (portable binaries): every instruction set this CPU runs renders
// the same bits as the scalar references, so results do not depend on the
// PC a LiveCD boots on.
TEST(MandelbrotKernelTest, EveryIsaGivesTheSameBits) {
  const View views[] = {MakeView(211, 23, -2.5, 1.0, 0.0, 700),
                        MakeView(121, 17, -0.76, -0.74, 0.1, 2000),
                        View{17, 3, 1e160, 1e160, 1e161, 0.0, 50}};
  for (Isa isa : SupportedIsas()) {
    SCOPED_TRACE(IsaName(isa));
    for (const View& v : views) {
      std::vector<float> row(v.width);
      for (int r = 0; r < v.height; ++r) {
        RenderSmoothRowOn(isa, v, r, 0, v.width, row.data());
        for (int c = 0; c < v.width; ++c) {
          ASSERT_TRUE(SameBits(row[c], ReferenceSmooth(v, r, c)))
              << "row " << r << " col " << c;
        }
      }
    }
    for (int n : {200, 1001}) {
      const int bytes = (n + 7) / 8;
      std::vector<unsigned char> img(static_cast<size_t>(bytes) * n);
      for (int y = 0; y < n; ++y) {
        RenderClassicRowOn(isa, n, y, img.data() + y * bytes);
      }
      for (int y = 0; y < n; y += n / 10) {
        for (int b = 0; b < bytes; ++b) {
          ASSERT_EQ(img[y * bytes + b], ReferenceClassicByte(n, y, b))
              << "n " << n << " y " << y << " byte " << b;
        }
      }
      if (n == 200) {
        std::uint64_t h = 1469598103934665603u;
        for (unsigned char c : img) h = (h ^ c) * 1099511628211u;
        EXPECT_EQ(h, kClassicN200Fnv1a);
      }
    }
  }
}

}  // namespace
}  // namespace krg::demos::mandelbrot
