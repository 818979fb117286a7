// The servers domain's table for the registry (registry.h): the plug-in
// krgdemo-servers.so exports it, krg::demos links it.
#include <cstring>

#include "servers/webfarm.h"

namespace krg::demos {

MakeFn ServersLookup(const char* demo) {
  if (std::strcmp(demo, "webfarm") == 0) return MakeWebfarm;
  return nullptr;
}

}  // namespace krg::demos
