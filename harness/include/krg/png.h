// A PNG writer for the pictures demos leave in their results folder
// (8-bit RGB, no interlace, zlib's default compression), so that writing a
// picture needs zlib only, not an image library that loads a hundred
// shared libraries at start-up (issue 22).
//
//   std::vector<std::uint8_t> rgb(width * height * 3);
//   KRG_RETURN_IF_ERROR(krg::WritePngRgb(dir / "a.png", width, height, rgb));
#ifndef KRG_PNG_H_
#define KRG_PNG_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "krg/status.h"

namespace krg {

// The PNG file of a `width` x `height` picture whose rows of R, G, B bytes
// follow one another in `rgb` (width * height * 3 bytes).
Result<std::string> EncodePngRgb(int width, int height,
                                 const std::vector<std::uint8_t>& rgb);

// A 1-bit greyscale PNG of a two-level picture (an edge map): a pixel of
// `rows` (row r at rows + r * stride) is white when not 0. Decoders expand
// it to 0 and 255, so it decodes to the same 8-bit picture in an eighth of
// the bytes, and compresses (zlib level `level`, 1 to 9) as much faster.
Result<std::string> EncodePngBilevel(int width, int height,
                                     const std::uint8_t* rows,
                                     std::size_t stride, int level = 1);

// The same, written to `path` (replaced atomically).
Status WritePngRgb(const std::filesystem::path& path, int width, int height,
                   const std::vector<std::uint8_t>& rgb);

}  // namespace krg

#endif  // KRG_PNG_H_
