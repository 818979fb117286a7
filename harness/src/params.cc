#include "krg/params.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace krg {
namespace {

Status Bad(const std::string& key, const std::string& value,
           const std::string& want) {
  return Status::InvalidArgument("--param " + key + "=" + value +
                                 ": expected " + want);
}

}  // namespace

Result<long long> Params::Int(const std::string& key, long long def,
                              long long lo, long long hi) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  long long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const std::string want =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) {
    return Bad(key, s, want);
  }
  return v;
}

Result<double> Params::Double(const std::string& key, double def, double lo,
                              double hi) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  const std::string& s = it->second;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) ||
      v < lo || v > hi) {
    std::ostringstream want;
    want << "a number in [" << lo << ", " << hi << "]";
    return Bad(key, s, want.str());
  }
  return v;
}

Result<std::string> Params::String(const std::string& key,
                                   const std::string& def) {
  known_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? def : it->second;
}

Result<std::string> Params::Choice(const std::string& key,
                                   const std::string& def,
                                   const std::vector<std::string>& choices) {
  KRG_ASSIGN_OR_RETURN(std::string v, String(key, def));
  std::string list;
  for (const std::string& c : choices) {
    if (c == v) return v;
    list += (list.empty() ? "" : ", ") + c;
  }
  return Bad(key, v, "one of " + list);
}

Result<std::vector<double>> Params::Doubles(const std::string& key,
                                            std::vector<double> def,
                                            std::size_t count) {
  known_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return def;
  std::vector<double> out;
  std::string item;
  std::istringstream in(it->second);
  while (std::getline(in, item, ',')) {
    double v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || end != item.data() + item.size() ||
        !std::isfinite(v)) {
      break;
    }
    out.push_back(v);
  }
  std::size_t commas = 0;
  for (char c : it->second) commas += c == ',';
  if (out.size() != count || commas + 1 != count) {
    return Bad(key, it->second,
               std::to_string(count) + " comma-separated numbers");
  }
  return out;
}

Status Params::CheckAllUsed(const std::string& demo) const {
  for (const auto& [key, value] : values_) {
    if (known_.count(key) == 0) {
      std::string list;
      for (const std::string& k : known_)
        list += (list.empty() ? "" : ", ") + k;
      return Status::InvalidArgument("unknown --param '" + key + "' for " +
                                     demo + " (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<std::pair<std::string, std::string>> SplitParam(const std::string& kv) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--param '" + kv + "': expected KEY=VALUE");
  }
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

}  // namespace krg
