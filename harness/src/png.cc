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

}  // namespace

Result<std::string> EncodePngRgb(int width, int height,
                                 const std::vector<std::uint8_t>& rgb) {
  if (width <= 0 || height <= 0 ||
      static_cast<double>(width) * height * 3 > (1u << 30)) {
    return Status::InvalidArgument("PNG: picture size " +
                                   std::to_string(width) + "x" +
                                   std::to_string(height) + " out of range");
  }
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
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    return Status::Internal("PNG: zlib could not compress the picture");
  }
  packed.resize(packed_size);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  PutU32(&header, static_cast<std::uint32_t>(width));
  PutU32(&header, static_cast<std::uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, no interlace
  PutChunk(&png, "IHDR", header);
  PutChunk(&png, "IDAT", packed);
  PutChunk(&png, "IEND", "");
  return png;
}

Status WritePngRgb(const std::filesystem::path& path, int width, int height,
                   const std::vector<std::uint8_t>& rgb) {
  KRG_ASSIGN_OR_RETURN(std::string png, EncodePngRgb(width, height, rgb));
  return WriteFileAtomic(path, png);
}

}  // namespace krg
