// libFuzzer target for the result-file reader (issue 7): whatever bytes a
// result file holds, ParseResultFile returns a value or a Status, never
// crashes, and what it accepts survives a round trip through ToJson.
// Built only with clang (KRG_BUILD_FUZZ); run it as
//   build-fuzz/tests/result_reader_fuzz tests/fuzz/corpus -max_total_time=60
#include <cstddef>
#include <cstdint>
#include <string>

#include "krg/results.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = krg::ParseResultFile(text);
  if (!parsed.ok()) return 0;
  auto again = krg::ParseResultFile(krg::ToJson(*parsed).dump());
  if (!again.ok()) __builtin_trap();  // written files must read back
  return 0;
}
