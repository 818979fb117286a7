// The framepipe demo: a video pipeline on OpenCV, chunks of frames as units.
//
// Per frame: MOG2 background subtraction, morphology (open, then close),
// external contours, their boxes drawn on the frame. A chunk starts its own
// MOG2 model `warmup` frames before its first frame, so every chunk depends on
// the video only, never on another chunk: chunks run anywhere, in any order,
// with the same bytes. The master writes <out>/annotated.avi (MJPG) and
// <out>/counts.json (objects per frame, per-chunk checksums).
//
// Input: --param input=FILE (any container/codec OpenCV's backends read;
// frame seeking must be exact, as it is for MJPG/AVI), or a generated clip
// (moving objects over a textured background), cached per size.
#ifndef KRG_DEMOS_IMAGING_FRAMEPIPE_H_
#define KRG_DEMOS_IMAGING_FRAMEPIPE_H_

#include <memory>
#include <string>

#include "../registry.h"

namespace krg::demos {

Result<std::unique_ptr<Workload>> MakeFramepipe(const DemoConfig& config);
std::string FramepipeParamsHelp();

}  // namespace krg::demos

#endif  // KRG_DEMOS_IMAGING_FRAMEPIPE_H_
