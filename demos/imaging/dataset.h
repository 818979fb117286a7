// Generated inputs for the imaging demos: a folder of photo-like JPEG scenes
// (imgpipe) and a synthetic video clip (framepipe), made deterministically
// (fixed seeds) on first use and cached per size and generator version.
//
// The cache lives in $KRGDEMO_CACHE, else $XDG_CACHE_HOME/krgdemo, else
// ~/.cache/krgdemo. A dataset is generated into a temporary folder and renamed
// into place, so an interrupted generation never leaves half a dataset and
// two processes generating at once both end with the same complete one.
//
// Thread-safety: the functions are safe to call from several processes; from
// several threads of one process only if they do not race on the same size.
//
//   KRG_ASSIGN_OR_RETURN(std::filesystem::path dir,
//   EnsureImageDataset("test"));
#ifndef KRG_DEMOS_IMAGING_DATASET_H_
#define KRG_DEMOS_IMAGING_DATASET_H_

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <string>

#include "krg/status.h"

namespace krg::demos::imaging {

// Bump when the generators change what they make (a new cache folder).
inline constexpr int kDatasetVersion = 1;
// The clip's own version. v2: written by FFmpeg's MJPG encoder; OpenCV's
// built-in one (CAP_OPENCV_MJPEG) wrote frames whose JPEG data ends early
// ("Corrupt JPEG data: premature end of data segment" on reading).
inline constexpr int kClipVersion = 2;

// The cache root (see above); not created.
std::filesystem::path CacheRoot();

// The folder of generated JPEG photos for `size` (test|small|medium|large),
// generated on first use. Sizes: test 5 images up to 1.2 MP (well under a
// second), small 16 of 1-3 MP, medium 32 of 3-8 MP, large 48 of 8-18 MP.
Result<std::filesystem::path> EnsureImageDataset(const std::string& size);

// The generated clip (MJPG in AVI) for `size`: moving objects over a
// textured background. test 320x240x48 frames, small 640x360x240,
// medium 1280x720x480, large 1920x1080x900.
Result<std::filesystem::path> EnsureVideoClip(const std::string& size);

// One photo-like scene (gradient sky and ground, textured shapes, text,
// sensor noise), BGR 8-bit; the same pixels for the same arguments.
// Exposed for tests and benchmarks.
cv::Mat RenderScene(int width, int height, unsigned seed);

// An MJPG/AVI writer: FFmpeg's encoder when OpenCV has it, else OpenCV's
// built-in one (which writes some frames corrupt). Not opened on failure.
cv::VideoWriter OpenMjpgWriter(const std::string& path, double fps,
                               cv::Size size);

}  // namespace krg::demos::imaging

#endif  // KRG_DEMOS_IMAGING_DATASET_H_
