#include "krg/png.h"

#include <zlib.h>

#include <limits>

#include "krg/results.h"

namespace krg {
namespace {

void PutU32(std::string* out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

// One chunk: length, type, data, and the CRC of type and data.
void PutChunk(std::string* out, const char type[4], const std::string& data) {
  PutU32(out, static_cast<std::uint32_t>(data.size()));
  const std::size_t start = out->size();
  out->append(type, 4);
  out->append(data);
  const auto* p = reinterpret_cast<const Bytef*>(out->data() + start);
  PutU32(out, static_cast<std::uint32_t>(
                  crc32(0, p, static_cast<uInt>(out->size() - start))));
}

// The PNG of `raw` (each row behind its filter byte), IHDR `ihdr_tail`
// (bit depth, colour type, compression, filter, interlace).
Result<std::string> Assemble(int width, int height, const std::string& raw,
                             const char ihdr_tail[5], int level) {
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), level) != Z_OK) {
    return Status::Internal("PNG: zlib could not compress the picture");
  }
  packed.resize(packed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  PutU32(&header, static_cast<std::uint32_t>(width));
  PutU32(&header, static_cast<std::uint32_t>(height));
  header.append(ihdr_tail, 5);
  PutChunk(&png, "IHDR", header);
  PutChunk(&png, "IDAT", packed);
  PutChunk(&png, "IEND", "");
  return png;
}

Status CheckSize(int width, int height) {
  if (width <= 0 || height <= 0 ||
      static_cast<double>(width) * height * 3 > (1u << 30)) {
    return Status::InvalidArgument("PNG: picture size " +
                                   std::to_string(width) + "x" +
                                   std::to_string(height) + " out of range");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> EncodePngRgb(int width, int height,
                                 const std::vector<std::uint8_t>& rgb) {
  KRG_RETURN_IF_ERROR(CheckSize(width, height));
  const std::size_t row = std::size_t(width) * 3;
  if (rgb.size() != row * std::size_t(height)) {
    return Status::InvalidArgument("PNG: pixel data does not match the size");
  }
  // Each row behind filter byte 0 (none), as zlib then compresses it.
  std::string raw;
  raw.reserve((row + 1) * std::size_t(height));
  for (int r = 0; r < height; ++r) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(rgb.data()) + row * r, row);
  }
  return Assemble(width, height, raw, "\x08\x02\x00\x00\x00",
                  Z_DEFAULT_COMPRESSION);  // 8-bit RGB
}

Result<std::string> EncodePngBilevel(int width, int height,
                                     const std::uint8_t* rows,
                                     std::size_t stride, int level) {
  KRG_RETURN_IF_ERROR(CheckSize(width, height));
  if (level < 1 || level > 9) {
    return Status::InvalidArgument("PNG: zlib level out of 1..9");
  }
  const std::size_t packed_row = (std::size_t(width) + 7) / 8;
  std::string raw((packed_row + 1) * std::size_t(height), '\0');
  for (int r = 0; r < height; ++r) {
    const std::uint8_t* in = rows + stride * std::size_t(r);
    auto* out = reinterpret_cast<std::uint8_t*>(raw.data()) +
                (packed_row + 1) * std::size_t(r) + 1;  // behind filter 0
    for (int c = 0; c < width; ++c) {
      if (in[c] != 0) out[c >> 3] |= std::uint8_t(0x80u >> (c & 7));
    }
  }
  return Assemble(width, height, raw, "\x01\x00\x00\x00\x00", level);
}

Status WritePngRgb(const std::filesystem::path& path, int width, int height,
                   const std::vector<std::uint8_t>& rgb) {
  KRG_ASSIGN_OR_RETURN(std::string png, EncodePngRgb(width, height, rgb));
  return WriteFileAtomic(path, png);
}

}  // namespace krg
