#include "servers/tile.h"

#include <cmath>
#include <cstdio>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "krg/checksum.h"
#include "scientific/mandelbrot_kernel.h"
#include "scientific/mandelbrot_palette.h"

namespace krg::demos::servers {
namespace {

namespace mb = krg::demos::mandelbrot;

constexpr double kLeft = -2.5, kTop = -2.0, kSpan = 4.0;

// Strictly a decimal number without sign, leading zeros or other junk.
bool ParseIndex(const std::string& s, long long* out) {
  if (s.empty() || s.size() > 13 || (s.size() > 1 && s[0] == '0')) {
    return false;
  }
  long long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// The View the mandelbrot demo builds for width = height = kTileSize and
// `region` (MakeMandelbrot's arithmetic, step for step).
mb::View TileViewOf(const std::vector<double>& region, int max_iter) {
  mb::View v;
  v.width = kTileSize;
  v.height = kTileSize;
  v.dx = (region[2] - region[0]) / double(kTileSize);
  v.dy = (region[3] - region[1]) / double(kTileSize);
  v.x0 = region[0] + v.dx / 2;
  v.y0 = region[1] + v.dy / 2;
  v.max_iter = max_iter;
  return v;
}

}  // namespace

Result<TileId> ParseTilePath(const std::string& rest) {
  const std::size_t a = rest.find('/');
  const std::size_t b = a == std::string::npos ? a : rest.find('/', a + 1);
  const std::string suffix = ".png";
  if (b == std::string::npos || rest.size() <= b + suffix.size() ||
      rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return Status::InvalidArgument("a tile is /tile/{z}/{x}/{y}.png");
  }
  long long z = 0, x = 0, y = 0;
  if (!ParseIndex(rest.substr(0, a), &z) ||
      !ParseIndex(rest.substr(a + 1, b - a - 1), &x) ||
      !ParseIndex(rest.substr(b + 1, rest.size() - suffix.size() - b - 1),
                  &y)) {
    return Status::InvalidArgument("a tile is /tile/{z}/{x}/{y}.png");
  }
  if (z > kMaxZoom || x >= (1LL << z) || y >= (1LL << z)) {
    return Status::NotFound("no such tile (z <= 40, x and y < 2^z)");
  }
  return TileId{static_cast<int>(z), static_cast<int>(x), static_cast<int>(y)};
}

std::vector<double> TileRegion(const TileId& t) {
  const double span = kSpan / double(1LL << t.z);  // exact: a power of two
  const double x0 = kLeft + span * t.x, y0 = kTop + span * t.y;
  return {x0, y0, x0 + span, y0 + span};
}

std::map<std::string, std::string> TileDemoParams(const TileId& t,
                                                  int max_iter) {
  const std::vector<double> r = TileRegion(t);
  char region[128];
  std::snprintf(region, sizeof region, "%.17g,%.17g,%.17g,%.17g", r[0], r[1],
                r[2], r[3]);
  return {{"width", std::to_string(kTileSize)},
          {"height", std::to_string(kTileSize)},
          {"max_iter", std::to_string(max_iter)},
          {"region", region}};
}

std::vector<float> RenderTile(const TileId& t, int max_iter) {
  const mb::View v = TileViewOf(TileRegion(t), max_iter);
  std::vector<float> px(std::size_t(kTileSize) * kTileSize);
  for (int r = 0; r < kTileSize; ++r) {
    mb::RenderSmoothRow(v, r, 0, kTileSize,
                        px.data() + std::size_t(r) * kTileSize);
  }
  return px;
}

std::string TileChecksum(const std::vector<float>& values) {
  return ChecksumString(Fnv1a64(values.data(), values.size() * sizeof(float)));
}

std::string EncodeTilePng(const std::vector<float>& values) {
  cv::Mat img(kTileSize, kTileSize, CV_8UC3);
  for (int r = 0; r < kTileSize; ++r) {
    auto* row = img.ptr<cv::Vec3b>(r);
    for (int c = 0; c < kTileSize; ++c) {
      const auto bgr = mb::SmoothColour(values[std::size_t(r) * kTileSize + c]);
      row[c] = cv::Vec3b(bgr[0], bgr[1], bgr[2]);
    }
  }
  std::vector<uchar> png;
  try {
    // Fast zlib level: tiles are rendered per request.
    if (!cv::imencode(".png", img, png, {cv::IMWRITE_PNG_COMPRESSION, 1})) {
      return "";
    }
  } catch (const cv::Exception&) {
    return "";
  }
  return std::string(png.begin(), png.end());
}

}  // namespace krg::demos::servers
