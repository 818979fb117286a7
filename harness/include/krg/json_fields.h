// Parsing JSON that comes from files and requests, bounded (ParseJson), and
// reading fields of JSON objects that come from files (result files,
// checkpoint records, suites): typed, never throwing, and with an error that
// names the field ("missing field 'runs[0].demo'", "field 'nodes' has the
// wrong type (string)"). The one field reader of krgdemo.
//
//   int nodes = 1;
//   KRG_RETURN_IF_ERROR(ReadField(j, "nodes", "", &nodes));
//   KRG_RETURN_IF_ERROR(ReadFieldOr(j, "note", "", &note));  // may be absent
//
// Stateless: safe from any thread.
#ifndef KRG_JSON_FIELDS_H_
#define KRG_JSON_FIELDS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "krg/status.h"

namespace krg {

// Nesting deeper than this is refused before parsing: a "[[[[..." costs
// about 80 bytes of memory per byte once parsed, and the parser recurses.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; kInvalidArgument "malformed JSON" or "JSON nested deeper
// than 64 levels". Never throws, whatever the text (callers bound its size).
Result<nlohmann::json> ParseJson(std::string_view text);

// Reads j[key] as T into *out. `where` prefixes the field's name in errors
// ("runs[2]."). kInvalidArgument when the field is missing (or j is not an
// object) or has the wrong type.
template <typename T>
Status ReadField(const nlohmann::json& j, const char* key,
                 const std::string& where, T* out) {
  auto it = j.find(key);  // end() when j is not an object
  if (it == j.end()) {
    return Status::InvalidArgument("missing field '" + where + key + "'");
  }
  try {
    *out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    return Status::InvalidArgument("field '" + where + key +
                                   "' has the wrong type (" + it->type_name() +
                                   ")");
  }
  return Status::Ok();
}

// The same, but a missing field (or a non-object j) leaves *out as it is.
template <typename T>
Status ReadFieldOr(const nlohmann::json& j, const char* key,
                   const std::string& where, T* out) {
  if (!j.contains(key)) return Status::Ok();
  return ReadField(j, key, where, out);
}

}  // namespace krg

#endif  // KRG_JSON_FIELDS_H_
