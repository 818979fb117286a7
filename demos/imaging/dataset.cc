#include "imaging/dataset.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <system_error>
#include <vector>

#include "krg/private_dir.h"
#include "krg/progress_bar.h"

namespace krg::demos::imaging {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Reports progress on stderr, only when it is a terminal and only once the
// work has taken more than a second.
// Generating a dataset takes a while the first time: a ProgressBar with
// the items done and the time left, at the pace so far.
class GenProgress {
 public:
  explicit GenProgress(const std::string& what)
      : bar_("generating " + what + " (cached for next time)") {}
  void Update(int done, int total) {
    const double elapsed =
        std::chrono::duration<double>(Clock::now() - start_).count();
    const double left = done > 0 ? elapsed * (total - done) / done : -1;
    bar_.Show(elapsed, total > 0 ? double(done) / total : -1,
              std::to_string(done) + "/" + std::to_string(total), left);
  }

 private:
  ProgressBar bar_;
  Clock::time_point start_ = Clock::now();
};

struct ImageSpec {
  int width, height;
};

// Camera-like sizes: landscape and portrait, 4:3, 3:2, 16:9 and square.
std::vector<ImageSpec> ImageSpecs(const std::string& size) {
  std::vector<ImageSpec> base;
  int count = 0;
  if (size == "test") {
    base = {{640, 480}, {480, 640}, {1280, 960}, {800, 533}, {320, 320}};
    count = 5;
  } else if (size == "small") {
    base = {{1600, 1200}, {1200, 1600}, {2048, 1365}, {1920, 1080},
            {1440, 1440}, {1080, 1920}, {2000, 1500}, {1280, 960}};
    count = 16;
  } else if (size == "medium") {
    base = {{3264, 2448}, {2448, 3264}, {3000, 2000}, {2560, 1440},
            {2048, 1536}, {2000, 2000}, {3840, 2160}, {2400, 1600}};
    count = 32;
  } else {  // large
    base = {{4000, 3000}, {3000, 4000}, {4608, 3456}, {5184, 3456},
            {4032, 3024}, {3840, 2160}, {3456, 3456}, {6000, 3000}};
    count = 48;
  }
  std::vector<ImageSpec> specs;
  for (int i = 0; i < count; ++i) specs.push_back(base[i % base.size()]);
  return specs;
}

cv::Scalar RandomColour(cv::RNG& rng) {
  return cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256),
                    rng.uniform(0, 256));
}

// Sky-to-horizon and ground gradients, one colour per row.
void PaintGradients(cv::Mat& img, cv::RNG& rng) {
  const int horizon = img.rows * rng.uniform(35, 65) / 100;
  const cv::Vec3d sky_top(rng.uniform(150, 255), rng.uniform(90, 180),
                          rng.uniform(20, 90));
  const cv::Vec3d sky_low(rng.uniform(200, 255), rng.uniform(180, 240),
                          rng.uniform(150, 230));
  const cv::Vec3d ground_top(rng.uniform(30, 120), rng.uniform(80, 160),
                             rng.uniform(40, 120));
  const cv::Vec3d ground_low(rng.uniform(10, 60), rng.uniform(30, 90),
                             rng.uniform(20, 70));
  for (int r = 0; r < img.rows; ++r) {
    cv::Vec3d c;
    if (r < horizon) {
      const double t = double(r) / std::max(1, horizon);
      c = sky_top * (1 - t) + sky_low * t;
    } else {
      const double t = double(r - horizon) / std::max(1, img.rows - horizon);
      c = ground_top * (1 - t) + ground_low * t;
    }
    img.row(r).setTo(cv::Scalar(c[0], c[1], c[2]));
  }
}

// Low-frequency texture (clouds, terrain): coarse noise, smoothly enlarged.
void AddTexture(cv::Mat& img, cv::RNG& rng) {
  cv::Mat coarse(std::max(2, img.rows / 48), std::max(2, img.cols / 48),
                 CV_16SC3);
  rng.fill(coarse, cv::RNG::NORMAL, 0, 18);
  cv::Mat fine;
  cv::resize(coarse, fine, img.size(), 0, 0, cv::INTER_CUBIC);
  cv::add(img, fine, img, cv::noArray(), CV_8UC3);
}

void DrawShapes(cv::Mat& img, cv::RNG& rng) {
  const int side = std::min(img.rows, img.cols);
  const int shapes = 12 + rng.uniform(0, 20);
  for (int k = 0; k < shapes; ++k) {
    const cv::Point c(rng.uniform(0, img.cols), rng.uniform(0, img.rows));
    const int s = std::max(2, side * rng.uniform(3, 25) / 100);
    const cv::Scalar colour = RandomColour(rng);
    switch (rng.uniform(0, 4)) {
      case 0:
        cv::circle(img, c, s / 2, colour, cv::FILLED, cv::LINE_AA);
        break;
      case 1:
        cv::rectangle(img, cv::Rect(c.x, c.y, s, s * rng.uniform(5, 20) / 10),
                      colour, cv::FILLED);
        break;
      case 2:
        cv::ellipse(img, c, cv::Size(s, s / 3), rng.uniform(0, 180), 0, 360,
                    colour, cv::FILLED, cv::LINE_AA);
        break;
      default: {
        std::vector<cv::Point> poly;
        for (int v = 0; v < 5; ++v) {
          poly.emplace_back(c.x + rng.uniform(-s, s), c.y + rng.uniform(-s, s));
        }
        cv::fillPoly(img, std::vector<std::vector<cv::Point>>{poly}, colour,
                     cv::LINE_AA);
      }
    }
  }
}

void DrawText(cv::Mat& img, cv::RNG& rng) {
  static const char* kWords[] = {"KERRIGHED",   "krgdemo",   "SSI cluster",
                                 "Rennes 2010", "node 42",   "migrate",
                                 "Open CV",     "checkpoint"};
  const double scale = std::max(0.5, std::min(img.rows, img.cols) / 400.0);
  for (int k = 0; k < 4; ++k) {
    const cv::Point at(rng.uniform(0, std::max(1, img.cols * 3 / 4)),
                       rng.uniform(img.rows / 8, img.rows));
    cv::putText(img, kWords[rng.uniform(0, 8)], at, rng.uniform(0, 8),
                scale * rng.uniform(5, 20) / 10, RandomColour(rng),
                std::max(1, int(scale * 2)), cv::LINE_AA);
  }
}

// The cache when there is no home: one per user, checked before each use.
fs::path SharedCacheRoot() {
  return fs::temp_directory_path() /
         ("krgdemo-cache-" + std::to_string(::getuid()));
}

// Writes `bytes` to `path`; false on failure.
bool WriteFile(const fs::path& path, const std::vector<uchar>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out.close();
  return bool(out);
}

// Makes `final_dir` by running `fill` on a fresh temporary folder and
// renaming it into place. If another process won the race, its copy is used.
Result<fs::path> Materialize(
    const fs::path& final_dir,
    const std::function<Status(const fs::path&)>& fill) {
  if (final_dir.parent_path() == SharedCacheRoot()) {
    // Under /tmp: another user could have made it, and filled it.
    KRG_RETURN_IF_ERROR(platform::EnsureOwnedDir(SharedCacheRoot()));
  }
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) return final_dir;
  fs::create_directories(final_dir.parent_path(), ec);
  if (ec) {
    return Status::IoError("cannot create cache folder " +
                           final_dir.parent_path().string() + ": " +
                           ec.message() + " (set KRGDEMO_CACHE to elsewhere)");
  }
  std::string tmp_name = ".";  // hidden, and never a finished dataset
  tmp_name += final_dir.filename().string();
  tmp_name += ".tmp-" + std::to_string(::getpid());
  const fs::path tmp = final_dir.parent_path() / tmp_name;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IoError("cannot create " + tmp.string());
  Status s = fill(tmp);
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    fs::remove_all(tmp, ec);
    if (!fs::is_directory(final_dir)) {
      return Status::IoError("cannot move the new dataset to " +
                             final_dir.string());
    }
  }
  return final_dir;
}

fs::path VersionDir(const std::string& demo, int version = kDatasetVersion) {
  return CacheRoot() / (demo + "-v" + std::to_string(version));
}

bool KnownSize(const std::string& size) {
  return size == "test" || size == "small" || size == "medium" ||
         size == "large";
}

}  // namespace

fs::path CacheRoot() {
  if (const char* v = std::getenv("KRGDEMO_CACHE"); v != nullptr && *v) {
    return v;
  }
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v != nullptr && *v) {
    return fs::path(v) / "krgdemo";
  }
  if (const char* v = std::getenv("HOME"); v != nullptr && *v) {
    return fs::path(v) / ".cache" / "krgdemo";
  }
  return SharedCacheRoot();
}

cv::Mat RenderScene(int width, int height, unsigned seed) {
  cv::RNG rng(0x9E3779B97F4A7C15ULL ^ seed);
  cv::Mat img(height, width, CV_8UC3);
  PaintGradients(img, rng);
  AddTexture(img, rng);
  DrawShapes(img, rng);
  DrawText(img, rng);
  cv::GaussianBlur(img, img, cv::Size(3, 3), 0.8);  // lens softness
  cv::Mat noise(img.size(), CV_16SC3);
  rng.fill(noise, cv::RNG::NORMAL, 0, 3);  // sensor noise
  cv::add(img, noise, img, cv::noArray(), CV_8UC3);
  return img;
}

Result<fs::path> EnsureImageDataset(const std::string& size) {
  if (!KnownSize(size)) return Status::InvalidArgument("unknown size " + size);
  return Materialize(VersionDir("imgpipe") / size, [&](const fs::path& dir) {
    const std::vector<ImageSpec> specs = ImageSpecs(size);
    GenProgress progress("the " + size + " imgpipe photos");
    for (std::size_t i = 0; i < specs.size(); ++i) {
      progress.Update(int(i), int(specs.size()));
      try {
        cv::Mat img = RenderScene(specs[i].width, specs[i].height,
                                  unsigned(i * 7919 + specs.size()));
        std::vector<uchar> jpeg;
        cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
        char name[32];
        std::snprintf(name, sizeof(name), "photo%03zu.jpg", i);
        if (!WriteFile(dir / name, jpeg)) {
          return Status::IoError("cannot write " + (dir / name).string());
        }
      } catch (const cv::Exception& e) {
        return Status::Internal(std::string("generating photos: ") + e.what());
      }
    }
    return Status::Ok();
  });
}

namespace {

struct ClipSpec {
  int width, height, frames;
};

ClipSpec ClipFor(const std::string& size) {
  if (size == "test") return {320, 240, 48};
  if (size == "small") return {640, 360, 240};
  if (size == "medium") return {1280, 720, 480};
  return {1920, 1080, 900};
}

// Objects that bounce around the frame at constant speeds.
struct Mover {
  cv::Point2d pos, vel;
  int radius;
  cv::Scalar colour;
  bool square;
};

}  // namespace

cv::VideoWriter OpenMjpgWriter(const std::string& path, double fps,
                               cv::Size size) {
  const int fourcc = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  for (int api : {cv::CAP_FFMPEG, cv::CAP_OPENCV_MJPEG}) {
    cv::VideoWriter writer;
    try {
      if (writer.open(path, api, fourcc, fps, size)) return writer;
    } catch (const cv::Exception&) {
    }
  }
  return cv::VideoWriter();
}

namespace {

Status WriteClip(const fs::path& path, const ClipSpec& spec) {
  cv::RNG rng(20100426);
  cv::Mat background = RenderScene(spec.width, spec.height, 77);
  std::vector<Mover> movers;
  const int side = std::min(spec.width, spec.height);
  for (int k = 0; k < 6; ++k) {
    Mover m;
    m.radius = std::max(4, side * rng.uniform(4, 9) / 100);
    m.pos = {double(rng.uniform(m.radius, spec.width - m.radius)),
             double(rng.uniform(m.radius, spec.height - m.radius))};
    const double speed = side / 100.0 * rng.uniform(8, 20) / 10;
    const double angle = rng.uniform(0.0, 2 * CV_PI);
    m.vel = {speed * std::cos(angle), speed * std::sin(angle)};
    m.colour = RandomColour(rng);
    m.square = k % 2 == 1;
    movers.push_back(m);
  }
  cv::VideoWriter writer =
      OpenMjpgWriter(path.string(), 25, cv::Size(spec.width, spec.height));
  if (!writer.isOpened()) {
    return Status::Unavailable("OpenCV cannot write MJPG/AVI to " +
                               path.string());
  }
  GenProgress progress("the framepipe clip");
  cv::Mat frame, noise(background.size(), CV_16SC3);
  for (int f = 0; f < spec.frames; ++f) {
    progress.Update(f, spec.frames);
    background.copyTo(frame);
    for (Mover& m : movers) {
      const cv::Point c(int(m.pos.x), int(m.pos.y));
      if (m.square) {
        cv::rectangle(frame,
                      cv::Rect(c.x - m.radius, c.y - m.radius, 2 * m.radius,
                               2 * m.radius),
                      m.colour, cv::FILLED);
      } else {
        cv::circle(frame, c, m.radius, m.colour, cv::FILLED, cv::LINE_AA);
      }
      m.pos += m.vel;
      if (m.pos.x < m.radius || m.pos.x > spec.width - m.radius) m.vel.x *= -1;
      if (m.pos.y < m.radius || m.pos.y > spec.height - m.radius) m.vel.y *= -1;
    }
    rng.fill(noise, cv::RNG::NORMAL, 0, 2);
    cv::add(frame, noise, frame, cv::noArray(), CV_8UC3);
    writer.write(frame);
  }
  writer.release();
  return Status::Ok();
}

}  // namespace

Result<fs::path> EnsureVideoClip(const std::string& size) {
  if (!KnownSize(size)) return Status::InvalidArgument("unknown size " + size);
  KRG_ASSIGN_OR_RETURN(
      fs::path dir,
      Materialize(VersionDir("framepipe", kClipVersion) / size,
                  [&](const fs::path& tmp) {
                    try {
                      return WriteClip(tmp / "clip.avi", ClipFor(size));
                    } catch (const cv::Exception& e) {
                      return Status::Internal(
                          std::string("generating the clip: ") + e.what());
                    }
                  }));
  return dir / "clip.avi";
}

}  // namespace krg::demos::imaging
