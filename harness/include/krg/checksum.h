// Checksums of exact results (FNV-1a, 64-bit): the same bytes give the same
// string on every engine and node count. Pure functions: thread-safe.
//
//   std::string sum = krg::ChecksumString(krg::Fnv1a64(bytes));  //
//   "fnv1a64:..."
#ifndef KRG_CHECKSUM_H_
#define KRG_CHECKSUM_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace krg {

inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

// Continues a running FNV-1a hash `h` over `len` bytes.
std::uint64_t Fnv1a64(const void* data, std::size_t len,
                      std::uint64_t h = kFnvOffset);
// "fnv1a64:" and 16 lower-case hex digits.
std::string ChecksumString(std::uint64_t h);

}  // namespace krg

#endif  // KRG_CHECKSUM_H_
