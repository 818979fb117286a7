// The imaging domain's table for the registry (registry.h): the plug-in
// krgdemo-imaging.so exports it, krg::demos links it.
#include <cstring>

#include "imaging/framepipe.h"
#include "imaging/imgpipe.h"

namespace krg::demos {

MakeFn ImagingLookup(const char* demo) {
  if (std::strcmp(demo, "imgpipe") == 0) return MakeImgpipe;
  if (std::strcmp(demo, "framepipe") == 0) return MakeFramepipe;
  return nullptr;
}

}  // namespace krg::demos
