// The one table of demos (ninja's tool table): name, domain, workload shape,
// summary, the Kerrighed capabilities each shows off, and a factory. Explicit
// on purpose: static self-registration silently drops out of static libraries.
// Read-only after start-up: safe from any thread.
#ifndef KRG_DEMOS_REGISTRY_H_
#define KRG_DEMOS_REGISTRY_H_

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "krg/status.h"
#include "krg/workload.h"

namespace krg::demos {

inline const std::vector<std::string> kSizes = {"test", "small", "medium",
                                                "large"};
// Whether `size` is one of kSizes.
inline bool IsSize(const std::string& size) {
  return std::find(kSizes.begin(), kSizes.end(), size) != kSizes.end();
}

// What a demo is built from: a size and its --param overrides.
struct DemoConfig {
  std::string size = "small";
  std::map<std::string, std::string> params;
};

struct Demo {
  std::string name;
  std::string domain;  // scientific | imaging | servers
  // The shape of the workload `make` builds, known without building it
  // (which for imaging generates a dataset): callers that treat services
  // apart ask this rather than the domain.
  Shape shape = Shape::kFarm;
  std::string summary;            // one line
  std::vector<std::string> caps;  // Kerrighed capabilities it shows off
  std::string params_help;        // the --param keys, one line each
  // Builds the workload; kInvalidArgument for a bad size or param.
  std::function<Result<std::unique_ptr<Workload>>(const DemoConfig&)> make;
};

const std::vector<Demo>& AllDemos();

// The demos of the imaging and servers domains live in plug-ins
// (krgdemo-imaging.so, krgdemo-servers.so), so that the krgdemo binary
// starts without OpenCV's hundred shared libraries. A plug-in exports
//   extern "C" MakeFn krg_demo_lookup(const char* demo);
// and the registry loads it the first time one of its demos is made, from
// lib/krgdemo/ next to the running binary or, installed, ../lib/krgdemo/.
// Binaries that link a domain's code instead (tests, microbenchmarks: they
// link krg::demos) register it before main with LinkDomain.
using MakeFn = Result<std::unique_ptr<Workload>> (*)(const DemoConfig&);
using LookupFn = MakeFn (*)(const char* demo);
void LinkDomain(const std::string& domain, LookupFn lookup);
// Sets *make to the factory of `demo` in `domain`'s plug-in, loading it if
// needed; kUnavailable naming the file and dlerror() when it cannot be
// loaded.
Status DomainMake(const std::string& domain, const std::string& demo,
                  MakeFn* make);
// Plug-ins loaded into this process so far (for tests: `--version` loads
// none).
std::vector<std::string> LoadedDomains();
// nullptr when there is no such demo.
const Demo* FindDemo(const std::string& name);
// The closest demo name to `name`, or "" when nothing is close.
std::string SuggestDemo(const std::string& name);
// The closest of `names` to `name` (a prefix counts as exact; at most a third
// of the letters wrong), or "" when nothing is close: for "did you mean".
std::string ClosestName(const std::string& name,
                        const std::vector<std::string>& names);

}  // namespace krg::demos

#endif  // KRG_DEMOS_REGISTRY_H_
