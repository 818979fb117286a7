// Params: a demo's `--param KEY=VALUE` settings, read with types and ranges.
//
// Every getter records the key as known, so that after a demo has read what
// it understands, CheckAllUsed() turns a typo into a usage error that lists
// the known keys. Not thread-safe; used while a demo is being configured.
//
//   Params p(config.params);
//   KRG_ASSIGN_OR_RETURN(int width, p.Int("width", 1920, 16, 65536));
//   KRG_RETURN_IF_ERROR(p.CheckAllUsed("mandelbrot"));
#ifndef KRG_PARAMS_H_
#define KRG_PARAMS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "krg/status.h"

namespace krg {

class Params {
 public:
  explicit Params(std::map<std::string, std::string> values)
      : values_(std::move(values)) {}

  bool Has(const std::string& key) const { return values_.count(key) > 0; }
  // Each returns the default when the key is absent; a value that does not
  // parse or is out of [lo, hi] is kInvalidArgument naming the key.
  Result<long long> Int(const std::string& key, long long def, long long lo,
                        long long hi);
  Result<double> Double(const std::string& key, double def, double lo,
                        double hi);
  Result<std::string> String(const std::string& key, const std::string& def);
  // A value out of `choices`.
  Result<std::string> Choice(const std::string& key, const std::string& def,
                             const std::vector<std::string>& choices);
  // A comma-separated list of exactly `count` numbers.
  Result<std::vector<double>> Doubles(const std::string& key,
                                      std::vector<double> def,
                                      std::size_t count);

  // kInvalidArgument naming the first key no getter asked for.
  Status CheckAllUsed(const std::string& demo) const;

 private:
  std::map<std::string, std::string> values_;
  std::set<std::string> known_;
};

// Splits "KEY=VALUE"; kInvalidArgument when there is no '=' or no key.
Result<std::pair<std::string, std::string>> SplitParam(const std::string& kv);

}  // namespace krg

#endif  // KRG_PARAMS_H_
