#include "imaging/framepipe.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/background_segm.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <tuple>
#include <vector>

#include "imaging/dataset.h"
#include "imaging/imgpipe.h"
#include "krg/checksum.h"
#include "krg/params.h"

namespace krg::demos {
namespace {

namespace fs = std::filesystem;

struct Settings {
  std::string path;
  int api = cv::CAP_ANY;  // the reading backend
  int frames = 0;
  int chunk = 24;
  int warmup = 20;
  int min_area = 64;
  double fps = 25;
  cv::Size size;
};

// One analysed frame as it travels: its boxes and the annotated JPEG.
struct FrameResult {
  std::vector<cv::Rect> boxes;
  std::string jpeg;
};

// Unit bytes: per frame a line "N JPEGLEN x y w h ..." then JPEGLEN bytes.
void AppendFrame(const FrameResult& f, std::string* out) {
  std::ostringstream line;
  line << f.boxes.size() << ' ' << f.jpeg.size();
  for (const cv::Rect& r : f.boxes) {
    line << ' ' << r.x << ' ' << r.y << ' ' << r.width << ' ' << r.height;
  }
  line << '\n';
  *out += line.str();
  *out += f.jpeg;
}

// Parses AppendFrame's bytes; false when malformed.
bool ParseFrames(std::string_view bytes, std::vector<FrameResult>* frames) {
  while (!bytes.empty()) {
    const std::size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) return false;
    std::istringstream line{std::string(bytes.substr(0, nl))};
    std::size_t n = 0, len = 0;
    if (!(line >> n >> len)) return false;
    FrameResult f;
    for (std::size_t k = 0; k < n; ++k) {
      cv::Rect r;
      if (!(line >> r.x >> r.y >> r.width >> r.height)) return false;
      f.boxes.push_back(r);
    }
    if (bytes.size() < nl + 1 + len) return false;
    f.jpeg = std::string(bytes.substr(nl + 1, len));
    frames->push_back(std::move(f));
    bytes.remove_prefix(nl + 1 + len);
  }
  return true;
}

// Foreground boxes of one frame; `frame` gets them drawn.
std::vector<cv::Rect> Analyse(cv::BackgroundSubtractorMOG2& mog, cv::Mat& frame,
                              int min_area) {
  static const cv::Mat kOpen =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3});
  static const cv::Mat kClose =
      cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9});
  cv::Mat mask;
  mog.apply(frame, mask);
  cv::threshold(mask, mask, 200, 255, cv::THRESH_BINARY);  // drop shadows
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN, kOpen);
  cv::morphologyEx(mask, mask, cv::MORPH_CLOSE, kClose);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::vector<cv::Rect> boxes;
  for (const auto& c : contours) {
    if (cv::contourArea(c) >= min_area) boxes.push_back(cv::boundingRect(c));
  }
  std::sort(boxes.begin(), boxes.end(),
            [](const cv::Rect& a, const cv::Rect& b) {
              return std::tie(a.y, a.x, a.width, a.height) <
                     std::tie(b.y, b.x, b.width, b.height);
            });
  for (const cv::Rect& r : boxes) {
    cv::rectangle(frame, r, cv::Scalar(0, 255, 0), 2);
  }
  cv::putText(frame, std::to_string(boxes.size()) + " objects", {8, 24},
              cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(0, 255, 255), 2);
  return boxes;
}

class Framepipe final : public FarmWorkload {
 public:
  explicit Framepipe(Settings s) : s_(std::move(s)) {}

  std::size_t unit_count() const override {
    return std::size_t((s_.frames + s_.chunk - 1) / s_.chunk);
  }
  WorkAmount work() const override { return {double(s_.frames), "frame/s"}; }

  Status RunUnit(std::size_t i, std::string* out) const override {
    imaging::SerialOpenCV();
    try {
      return RunChunk(int(i), out);
    } catch (const cv::Exception& e) {
      return Status::Internal("chunk " + std::to_string(i) +
                              ": OpenCV: " + e.err);
    }
  }

  void BeginPass() override {
    chunks_.assign(unit_count(), {});
    merged_.assign(unit_count(), false);
  }
  Status Merge(std::size_t i, std::string_view bytes) override {
    std::vector<FrameResult> frames;
    if (!ParseFrames(bytes, &frames)) {
      return Status::Internal("malformed chunk " + std::to_string(i));
    }
    chunk_sums_.resize(unit_count());
    chunk_sums_[i] = ChecksumString(Fnv1a64(bytes.data(), bytes.size()));
    chunks_[i] = std::move(frames);
    merged_[i] = true;
    return Status::Ok();
  }
  Verification Verify() override;
  Status WriteArtifacts(const fs::path& dir) override;

 private:
  Status RunChunk(int i, std::string* out) const;

  Settings s_;
  std::vector<std::vector<FrameResult>> chunks_;
  std::vector<std::string> chunk_sums_;
  std::vector<bool> merged_;
};

Status Framepipe::RunChunk(int i, std::string* out) const {
  const int first = i * s_.chunk;
  const int end = std::min(s_.frames, first + s_.chunk);
  const int start = std::max(0, first - s_.warmup);
  cv::VideoCapture cap(s_.path, s_.api);
  if (!cap.isOpened()) return Status::IoError("cannot open " + s_.path);
  if (start > 0 && !cap.set(cv::CAP_PROP_POS_FRAMES, start)) {
    return Status::IoError("cannot seek to frame " + std::to_string(start));
  }
  // A fresh model per chunk: history covers the warm-up, fixed parameters.
  cv::Ptr<cv::BackgroundSubtractorMOG2> mog =
      cv::createBackgroundSubtractorMOG2(std::max(2 * s_.warmup, 20), 16, true);
  cv::Mat frame;
  for (int f = start; f < end; ++f) {
    if (!cap.read(frame) || frame.empty()) {
      return Status::IoError("cannot read frame " + std::to_string(f) + " of " +
                             s_.path);
    }
    if (f < first) {  // warm-up: learn the background only
      cv::Mat mask;
      mog->apply(frame, mask);
      continue;
    }
    FrameResult r;
    r.boxes = Analyse(*mog, frame, s_.min_area);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", frame, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85});
    r.jpeg.assign(jpeg.begin(), jpeg.end());
    AppendFrame(r, out);
  }
  return Status::Ok();
}

Verification Framepipe::Verify() {
  Verification v;
  std::uint64_t h = kFnvOffset;
  int frames = 0;
  long long objects = 0;
  for (std::size_t i = 0; i < chunks_.size(); ++i) {
    if (!merged_[i]) {
      v.detail = "chunk " + std::to_string(i) + " was never merged";
      return v;
    }
    h = Fnv1a64(chunk_sums_[i].data(), chunk_sums_[i].size(), h);
    frames += int(chunks_[i].size());
    for (const FrameResult& f : chunks_[i]) objects += f.boxes.size();
  }
  v.checksum = ChecksumString(h);
  if (frames != s_.frames) {
    v.detail = "analysed " + std::to_string(frames) + " frames of " +
               std::to_string(s_.frames);
    return v;
  }
  v.ok = true;
  char mean[32];
  std::snprintf(mean, sizeof(mean), "%.2f", double(objects) / frames);
  v.detail = std::to_string(frames) + " frames in " +
             std::to_string(chunks_.size()) + " independent chunks, " + mean +
             " objects per frame; per-chunk checksums in counts.json";
  return v;
}

Status Framepipe::WriteArtifacts(const fs::path& dir) {
  const std::string path = (dir / "annotated.avi").string();
  nlohmann::json counts = nlohmann::json::array();
  try {
    cv::VideoWriter writer = imaging::OpenMjpgWriter(path, s_.fps, s_.size);
    if (!writer.isOpened()) return Status::IoError("cannot write " + path);
    for (const auto& chunk : chunks_) {
      for (const FrameResult& f : chunk) {
        counts.push_back(f.boxes.size());
        cv::Mat img = cv::imdecode(cv::Mat(1, int(f.jpeg.size()), CV_8U,
                                           const_cast<char*>(f.jpeg.data())),
                                   cv::IMREAD_COLOR);
        if (img.size() == s_.size) writer.write(img);
      }
    }
  } catch (const cv::Exception& e) {
    return Status::IoError("cannot write " + path + ": " + e.what());
  }
  nlohmann::json j = {{"schema", "krgdemo.framepipe.counts/1"},
                      {"frames", s_.frames},
                      {"chunk", s_.chunk},
                      {"warmup", s_.warmup},
                      {"chunk_checksums", chunk_sums_},
                      {"objects_per_frame", counts}};
  std::ofstream out(dir / "counts.json");
  out << j.dump(1) << "\n";
  out.close();
  if (!out) return Status::IoError("cannot write counts.json");
  return Status::Ok();
}

Status Probe(Settings* s) {
  try {
    cv::VideoCapture cap(s->path, s->api);
    if (!cap.isOpened()) {
      return Status::InvalidArgument("--param input=" + s->path +
                                     ": OpenCV cannot open that video");
    }
    s->frames = int(cap.get(cv::CAP_PROP_FRAME_COUNT));
    s->fps = cap.get(cv::CAP_PROP_FPS);
    if (!(s->fps > 0)) s->fps = 25;
    cv::Mat frame;
    if (!cap.read(frame) || frame.empty() || s->frames <= 0) {
      return Status::InvalidArgument("--param input=" + s->path +
                                     ": no frames OpenCV can read");
    }
    s->size = frame.size();
  } catch (const cv::Exception& e) {
    return Status::InvalidArgument("--param input=" + s->path + ": " +
                                   e.what());
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Workload>> MakeFramepipe(const DemoConfig& config) {
  Params p(config.params);
  Settings s;
  KRG_ASSIGN_OR_RETURN(std::string input, p.String("input", ""));
  KRG_ASSIGN_OR_RETURN(long long chunk, p.Int("chunk", 24, 1, 100000));
  KRG_ASSIGN_OR_RETURN(long long warmup, p.Int("warmup", 20, 0, 10000));
  KRG_ASSIGN_OR_RETURN(long long min_area, p.Int("min_area", 64, 1, 1 << 30));
  KRG_ASSIGN_OR_RETURN(long long limit, p.Int("frames", 0, 0, 1 << 30));
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("framepipe"));
  s.chunk = int(chunk);
  s.warmup = int(warmup);
  s.min_area = int(min_area);
  imaging::SerialOpenCV();  // before any fork: workers inherit it
  if (input.empty()) {
    KRG_ASSIGN_OR_RETURN(fs::path clip, imaging::EnsureVideoClip(config.size));
    s.path = clip.string();
    s.api = cv::CAP_OPENCV_MJPEG;  // exact seeking, no decoder threads
    KRG_RETURN_IF_ERROR(Probe(&s));
  } else {
    // FFmpeg reads most containers; OpenCV's own reader is the fallback for
    // MJPG/AVI. Not CAP_ANY: GStreamer would print its own errors.
    s.path = input;
    s.api = cv::CAP_FFMPEG;
    if (!Probe(&s).ok()) s.api = cv::CAP_OPENCV_MJPEG;
    KRG_RETURN_IF_ERROR(Probe(&s));
  }
  if (limit > 0) s.frames = std::min(s.frames, int(limit));
  return std::unique_ptr<Workload>(std::make_unique<Framepipe>(std::move(s)));
}

}  // namespace krg::demos
