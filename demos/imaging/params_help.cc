// The --param help of the imaging demos, in the krgdemo binary itself:
// `krgdemo run --help` lists them without loading the imaging plug-in.
#include <string>

#include "imaging/framepipe.h"
#include "imaging/imgpipe.h"

namespace krg::demos {

std::string ImgpipeParamsHelp() {
  return "input=DIR               a folder of images (JPEG, PNG, TIFF, WebP); "
         "default: generated photos for --size, cached\n"
         "stages=S,S,...          decode,resize,blur,gray,canny,encode "
         "(default: all, in that order)\n"
         "long_side=PX            resize to fit PX on the long side, never "
         "enlarging (default 1024)\n"
         "format=png|jpg          output encoding (default png)\n"
         "quality=Q               JPEG quality for format=jpg (default 90)\n"
         "reduced_decode=1|0      decode JPEGs at 1/2..1/8 scale when the "
         "resize allows (default 1)\n"
         "fork_per_image=0|1      procs engine: a fresh process per image "
         "(the make -j pattern); threads ignore it\n"
         "verify=MANIFEST         compare every output with a previous "
         "run's manifest.json";
}

std::string FramepipeParamsHelp() {
  return "input=FILE              a video (AVI, MP4, MKV ... as OpenCV reads "
         "it); default: a generated clip for --size, cached\n"
         "chunk=N                 frames per unit (default 24)\n"
         "warmup=N                frames each chunk learns the background "
         "from before its first (default 20)\n"
         "min_area=PX             smallest object kept, in pixels "
         "(default 64)\n"
         "frames=N                analyse only the first N frames";
}

}  // namespace krg::demos
