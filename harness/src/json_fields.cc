#include "krg/json_fields.h"

#include <algorithm>
#include <new>

namespace krg {
namespace {

// The deepest nesting of arrays and objects in `text`, brackets inside
// strings not counted; stops counting past kMaxJsonDepth.
int NestingDepth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxJsonDepth) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text) {
  if (NestingDepth(text) > kMaxJsonDepth) {
    return Status::InvalidArgument("JSON nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    nlohmann::json j =
        nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return Status::InvalidArgument("malformed JSON");
    return j;
  } catch (const std::bad_alloc&) {
    return Status::InvalidArgument("JSON too big for the memory available");
  }
}

}  // namespace krg
