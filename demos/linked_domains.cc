// Registers the imaging and servers demos, linked into this binary, with the
// registry before main (registry.h): what krg::demos gives the tests and
// tools that are not the krgdemo binary, which loads them as plug-ins.
#include "registry.h"

namespace krg::demos {
MakeFn ImagingLookup(const char* demo);
MakeFn ServersLookup(const char* demo);

namespace {
const bool kLinked = [] {
  LinkDomain("imaging", ImagingLookup);
  LinkDomain("servers", ServersLookup);
  return true;
}();
}  // namespace
}  // namespace krg::demos
