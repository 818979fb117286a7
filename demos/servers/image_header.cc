#include "servers/image_header.h"

#include <cstddef>

namespace krg::demos::servers {
namespace {

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

std::uint32_t Byte(std::string_view b, std::size_t at) {
  return static_cast<unsigned char>(b[at]);
}
std::uint32_t Be16(std::string_view b, std::size_t at) {
  return Byte(b, at) << 8 | Byte(b, at + 1);
}
std::uint32_t Be32(std::string_view b, std::size_t at) {
  return Be16(b, at) << 16 | Be16(b, at + 2);
}

Status Bad(std::string what) {
  return Status::InvalidArgument("not a readable PNG or JPEG: " + what);
}

Result<ImageHeader> Checked(ImageHeader h) {
  if (h.width == 0 || h.height == 0) return Bad("an image side is 0");
  return h;
}

// libpng insists that IHDR (13 bytes) is the first chunk.
Result<ImageHeader> ReadPng(std::string_view b) {
  if (b.size() < 24 || Be32(b, 8) != 13 || b.substr(12, 4) != "IHDR") {
    return Bad("no IHDR chunk after the PNG signature");
  }
  return Checked({"png", Be32(b, 16), Be32(b, 20)});
}

// Start-of-frame markers: C0-CF except DHT (C4), JPG (C8) and DAC (CC).
bool IsSof(std::uint32_t m) {
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

// Walks the marker segments as libjpeg does, up to the first SOF. Stricter
// than libjpeg (no garbage between segments): an unusual file is refused,
// never read with other dimensions than the decoder would use.
Result<ImageHeader> ReadJpeg(std::string_view b) {
  std::size_t at = 2;  // after SOI
  while (at < b.size()) {
    if (Byte(b, at) != 0xFF) return Bad("bytes between JPEG markers");
    while (at < b.size() && Byte(b, at) == 0xFF) ++at;  // fill bytes
    if (at >= b.size()) break;
    const std::uint32_t m = Byte(b, at++);
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length
    if (m == 0xD8 || m == 0xD9 || m == 0xDA) {
      return Bad("no JPEG frame header before the scan");
    }
    if (at + 2 > b.size()) break;
    const std::uint32_t length = Be16(b, at);
    if (length < 2) return Bad("a JPEG marker segment shorter than 2 bytes");
    if (IsSof(m)) {
      if (length < 8 || at + 7 > b.size()) break;
      // Segment: length(2) precision(1) height(2) width(2) ...
      return Checked({"jpeg", Be16(b, at + 5), Be16(b, at + 3)});
    }
    at += length;
  }
  return Bad("the JPEG header is truncated");
}

}  // namespace

Result<ImageHeader> ReadImageHeader(std::string_view bytes) {
  if (bytes.substr(0, kPngSignature.size()) == kPngSignature) {
    return ReadPng(bytes);
  }
  if (bytes.size() >= 3 && Byte(bytes, 0) == 0xFF && Byte(bytes, 1) == 0xD8 &&
      Byte(bytes, 2) == 0xFF) {
    return ReadJpeg(bytes);
  }
  return Bad("only PNG and JPEG images are accepted");
}

}  // namespace krg::demos::servers
