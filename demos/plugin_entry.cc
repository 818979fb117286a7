// The one symbol a demo plug-in exports (registry.h): KRG_PLUGIN_LOOKUP is
// the domain's table, set per plug-in by demos/CMakeLists.txt.
#include "registry.h"

namespace krg::demos {
MakeFn KRG_PLUGIN_LOOKUP_NAME(const char* demo);
}

extern "C" __attribute__((visibility("default"))) krg::demos::MakeFn
krg_demo_lookup(const char* demo) {
  return krg::demos::KRG_PLUGIN_LOOKUP_NAME(demo);
}
