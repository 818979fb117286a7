// The imgpipe demo: a batch photo pipeline on OpenCV, one image per unit.
//
// Stages (--param stages=...; default decode,resize,blur,gray,canny,encode):
// decode, resize to fit `long_side` (INTER_AREA, never enlarging; JPEGs are
// decoded at 1/2, 1/4 or 1/8 scale when the target allows), Gaussian blur 5x5
// sigma 1.5, grayscale, Canny 50/150, encode (PNG, or JPEG with format=jpg).
// Units are pure: a unit reads its input file and returns the encoded output,
// which the master writes to <out>/images/ with a manifest.json of checksums.
// A bad input (unreadable, truncated, not an image) is not an error of the
// unit: it is skipped, reported by name, and makes Verify fail after every
// other image was processed. With fork_per_image=1 the procs engine runs each
// image in its own short-lived process (the threads engine ignores it).
//
// Inside a worker OpenCV's own threading is off (cv::setNumThreads(0), once
// per process), so an engine's worker count is the parallelism it measures.
#ifndef KRG_DEMOS_IMAGING_IMGPIPE_H_
#define KRG_DEMOS_IMAGING_IMGPIPE_H_

#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeImgpipe(const DemoConfig& config);
std::string ImgpipeParamsHelp();

namespace imaging {
// Turns OpenCV's own worker threads off in this process (idempotent, cheap
// after the first call) and quiets its log below errors.
void SerialOpenCV();
}  // namespace imaging

}  // namespace krg::demos

#endif  // KRG_DEMOS_IMAGING_IMGPIPE_H_
