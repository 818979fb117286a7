// The size an encoded image declares in its header, read before any pixel is
// decoded. The webfarm's /thumb checks it against its pixel limit before
// OpenCV allocates anything: OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, at
// its first use, so a limit put in the environment later does nothing, and a
// 400 KB PNG can declare 20000 x 20000 pixels (1.2 GB decoded).
//
// Only PNG and JPEG are read; any other format OpenCV could decode (BMP, TIFF,
// WebP, PNM, ...) is refused rather than decoded unchecked. Pure functions,
// safe from any thread.
//
//   auto h = ReadImageHeader(body);
//   if (!h.ok()) return 415;
//   if (h->pixels() > limit) return 413;
#ifndef KRG_DEMOS_SERVERS_IMAGE_HEADER_H_
#define KRG_DEMOS_SERVERS_IMAGE_HEADER_H_

#include <cstdint>
#include <string_view>

#include "krg/status.h"

namespace krg::demos::servers {

struct ImageHeader {
  const char* format = "";  // "png" or "jpeg"
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::uint64_t pixels() const { return std::uint64_t{width} * height; }
};

// The format and dimensions `bytes` declare: a PNG's IHDR, or a JPEG's first
// start-of-frame marker (the one libjpeg decodes; it refuses a second).
// InvalidArgument for anything else, a truncated header, or a zero side.
Result<ImageHeader> ReadImageHeader(std::string_view bytes);

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_IMAGE_HEADER_H_
