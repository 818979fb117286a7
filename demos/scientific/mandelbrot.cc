#include "mandelbrot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <vector>

#include "krg/checksum.h"
#include "krg/params.h"
#include "krg/png.h"
#include "krg/result_buffer.h"
#include "scientific/mandelbrot_kernel.h"
#include "scientific/mandelbrot_palette.h"

namespace krg::demos {
namespace {

namespace mb = krg::demos::mandelbrot;

constexpr int kBandRows = 8;     // rows per unit
constexpr int kSampleRows = 16;  // rows the scalar reference recomputes

// The live preview's longest side, at most (the dashboard).
constexpr int kPreviewMax = 640;

// Rows the reference recomputes: first, last, and evenly spaced between.
std::vector<int> SampleRows(int height) {
  std::vector<int> rows = {0, height - 1};
  for (int k = 1; k <= kSampleRows; ++k) {
    rows.push_back(static_cast<int>((long long)height * k / (kSampleRows + 1)));
  }
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

// Shared by both variants: units are bands of kBandRows rows of `row_bytes`.
class BandFarm : public FarmWorkload {
 public:
  BandFarm(int rows, std::size_t row_bytes, int columns)
      : rows_(rows), row_bytes_(row_bytes), columns_(columns) {
    // A power of two, so a band maps onto whole preview rows (8 = 2^3).
    while ((columns_ + step_ - 1) / step_ > kPreviewMax ||
           (rows_ + step_ - 1) / step_ > kPreviewMax) {
      step_ *= 2;
    }
  }

  std::size_t unit_count() const override {
    return static_cast<std::size_t>((rows_ + kBandRows - 1) / kBandRows);
  }
  void BeginPass() override {
    data_.Clear(std::size_t(rows_) * row_bytes_);
    merged_.assign(unit_count(), false);
  }
  Status Merge(std::size_t i, std::string_view bytes) override {
    const int row0 = static_cast<int>(i) * kBandRows;
    const int n = std::min(kBandRows, rows_ - row0);
    if (bytes.size() != n * row_bytes_) {
      return Status::Internal("band has " + std::to_string(bytes.size()) +
                              " bytes, expected " +
                              std::to_string(n * row_bytes_));
    }
    std::memcpy(data_.data() + row0 * row_bytes_, bytes.data(), bytes.size());
    merged_[i] = true;
    return Status::Ok();
  }
  std::pair<int, int> preview_size() const override {
    return {(columns_ + step_ - 1) / step_, (rows_ + step_ - 1) / step_};
  }
  // Every step_-th pixel of every step_-th row of the band.
  Result<PreviewTile> PreviewUnit(std::size_t i,
                                  std::string_view bytes) const override {
    int row0 = 0;
    const int n = BandRows(i, &row0);
    if (bytes.size() != n * row_bytes_) {
      return Status::InvalidArgument("band " + std::to_string(i) +
                                     " has the wrong size");
    }
    PreviewTile t;
    t.width = preview_size().first;
    t.y = (row0 + step_ - 1) / step_;
    for (int r = t.y * step_; r < row0 + n; r += step_) {
      const auto* row = reinterpret_cast<const unsigned char*>(bytes.data()) +
                        (r - row0) * row_bytes_;
      for (int c = 0; c < columns_; c += step_) {
        const std::array<unsigned char, 3> rgb = PixelRgb(row, c);
        t.rgb.append(reinterpret_cast<const char*>(rgb.data()), 3);
      }
      ++t.height;
    }
    return t;
  }

 protected:
  int BandRows(std::size_t i, int* row0) const {
    *row0 = static_cast<int>(i) * kBandRows;
    return std::min(kBandRows, rows_ - *row0);
  }
  // Checksum, completeness and the reference on sample rows.
  Verification Check(const char* what) const {
    Verification v;
    if (merged_.empty()) {
      v.detail = "no pass ran";
      return v;
    }
    v.checksum = ChecksumString(Fnv1a64(data_.data(), data_.size()));
    auto missing = std::find(merged_.begin(), merged_.end(), false);
    if (missing != merged_.end()) {
      v.detail = "band " + std::to_string(missing - merged_.begin()) +
                 " was never merged";
      return v;
    }
    std::vector<unsigned char> ref(row_bytes_);
    std::vector<int> rows = SampleRows(rows_);
    for (int row : rows) {
      ReferenceRow(row, ref.data());
      if (std::memcmp(ref.data(), data_.data() + row * row_bytes_,
                      row_bytes_) != 0) {
        v.detail = std::string(what) + " row " + std::to_string(row) +
                   " differs from the scalar reference";
        return v;
      }
    }
    v.ok = true;
    v.detail = std::to_string(rows.size()) + " sample rows equal the " +
               "scalar reference bit for bit";
    return v;
  }
  virtual void ReferenceRow(int row, unsigned char* out) const = 0;
  // The colour of pixel `column` of a row of the result.
  virtual std::array<unsigned char, 3> PixelRgb(const unsigned char* row,
                                                int column) const = 0;

  const int rows_;
  const std::size_t row_bytes_;
  const int columns_;
  int step_ = 1;  // the preview keeps every step_-th pixel and row
  // Not inherited by the procs engine's workers (krg/result_buffer.h).
  ResultBuffer data_;
  std::vector<bool> merged_;
};

// Escape time with smooth colouring: a float per pixel, kInside inside.
class SmoothMandelbrot final : public BandFarm {
 public:
  explicit SmoothMandelbrot(const mb::View& v)
      : BandFarm(v.height, sizeof(float) * v.width, v.width), view_(v) {}

  WorkAmount work() const override {
    return {double(view_.width) * view_.height / 1e6, "Mpixel/s"};
  }
  Status RunUnit(std::size_t i, std::string* out) const override {
    int row0 = 0;
    const int n = BandRows(i, &row0);
    out->resize(n * row_bytes_);
    auto* px = reinterpret_cast<float*>(out->data());
    for (int r = 0; r < n; ++r) {
      mb::RenderSmoothRow(view_, row0 + r, 0, view_.width,
                          px + std::size_t(r) * view_.width);
    }
    return Status::Ok();
  }
  Verification Verify() override { return Check("smooth"); }
  Status WriteArtifacts(const std::filesystem::path& dir) override;

 private:
  void ReferenceRow(int row, unsigned char* out) const override {
    std::vector<float> px(view_.width);
    for (int c = 0; c < view_.width; ++c) {
      px[c] = mb::ReferenceSmooth(view_, row, c);
    }
    std::memcpy(out, px.data(), row_bytes_);
  }
  std::array<unsigned char, 3> PixelRgb(const unsigned char* row,
                                        int column) const override {
    float v;
    std::memcpy(&v, row + sizeof(float) * column, sizeof v);
    const auto bgr = mb::SmoothColour(v);
    return {bgr[2], bgr[1], bgr[0]};
  }

  mb::View view_;
};

Status SmoothMandelbrot::WriteArtifacts(const std::filesystem::path& dir) {
  if (data_.size() == 0) return Status::FailedPrecondition("no pass ran");
  std::vector<std::uint8_t> rgb(std::size_t(view_.width) * view_.height * 3);
  const auto* px = reinterpret_cast<const float*>(data_.data());
  for (std::size_t i = 0; i < std::size_t(view_.width) * view_.height; ++i) {
    const auto bgr = mb::SmoothColour(px[i]);
    rgb[3 * i] = bgr[2];
    rgb[3 * i + 1] = bgr[1];
    rgb[3 * i + 2] = bgr[0];
  }
  const std::filesystem::path path = dir / "mandelbrot.png";
  KRG_RETURN_IF_ERROR(WritePngRgb(path, view_.width, view_.height, rgb));
  return Status::Ok();
}

// The Benchmarks Game definition: one bit per pixel, P4 PBM.
class ClassicMandelbrot final : public BandFarm {
 public:
  explicit ClassicMandelbrot(int n) : BandFarm(n, (n + 7) / 8, n), n_(n) {}

  WorkAmount work() const override {
    return {double(n_) * n_ / 1e6, "Mpixel/s"};
  }
  Status RunUnit(std::size_t i, std::string* out) const override {
    int row0 = 0;
    const int n = BandRows(i, &row0);
    out->resize(n * row_bytes_);
    for (int r = 0; r < n; ++r) {
      mb::RenderClassicRow(
          n_, row0 + r,
          reinterpret_cast<unsigned char*>(out->data()) + r * row_bytes_);
    }
    return Status::Ok();
  }
  Verification Verify() override { return Check("classic"); }
  Status WriteArtifacts(const std::filesystem::path& dir) override {
    if (data_.size() == 0) return Status::FailedPrecondition("no pass ran");
    const auto path = dir / "mandelbrot.pbm";
    std::ofstream out(path, std::ios::binary);
    out << "P4\n" << n_ << " " << n_ << "\n";
    out.write(reinterpret_cast<const char*>(data_.data()), data_.size());
    out.close();
    if (!out) return Status::IoError("cannot write " + path.string());
    return Status::Ok();
  }

 private:
  void ReferenceRow(int row, unsigned char* out) const override {
    for (std::size_t b = 0; b < row_bytes_; ++b) {
      out[b] = mb::ReferenceClassicByte(n_, row, static_cast<int>(b));
    }
  }
  // A set bit is a point of the set: dark blue on pale.
  std::array<unsigned char, 3> PixelRgb(const unsigned char* row,
                                        int column) const override {
    const bool in = (row[column / 8] >> (7 - column % 8)) & 1;
    return in ? std::array<unsigned char, 3>{16, 32, 96}
              : std::array<unsigned char, 3>{240, 240, 230};
  }

  int n_;
};

struct SizePreset {
  int width, height, max_iter, classic_n;
};

SizePreset Preset(const std::string& size) {
  if (size == "test") return {320, 180, 256, 200};
  if (size == "medium") return {1920, 1080, 2000, 8000};
  if (size == "large") return {5120, 2880, 8000, 16000};
  return {1280, 720, 1000, 2000};  // small
}

}  // namespace

std::string MandelbrotParamsHelp() {
  return "variant=smooth|classic  smooth: escape time, PNG (default); "
         "classic: Benchmarks Game bitmap, PBM\n"
         "width=W height=H        image size in pixels (smooth)\n"
         "max_iter=N              iteration limit (smooth)\n"
         "region=X0,Y0,X1,Y1      the rectangle of the complex plane "
         "(smooth; default -2.5,-1.3125,1,1.3125 scaled to the aspect)\n"
         "n=N                     image side (classic)";
}

Result<std::unique_ptr<Workload>> MakeMandelbrot(const DemoConfig& config) {
  const SizePreset preset = Preset(config.size);
  Params p(config.params);
  KRG_ASSIGN_OR_RETURN(std::string variant,
                       p.Choice("variant", "smooth", {"smooth", "classic"}));
  std::unique_ptr<Workload> w;
  if (variant == "classic") {
    KRG_ASSIGN_OR_RETURN(long long n, p.Int("n", preset.classic_n, 1, 65536));
    w = std::make_unique<ClassicMandelbrot>(static_cast<int>(n));
  } else {
    KRG_ASSIGN_OR_RETURN(long long width,
                         p.Int("width", preset.width, 1, 65536));
    KRG_ASSIGN_OR_RETURN(long long height,
                         p.Int("height", preset.height, 1, 65536));
    KRG_ASSIGN_OR_RETURN(long long max_iter,
                         p.Int("max_iter", preset.max_iter, 1, 10000000));
    const double half_h = 1.75 * double(height) / double(width);
    KRG_ASSIGN_OR_RETURN(std::vector<double> region,
                         p.Doubles("region", {-2.5, -half_h, 1.0, half_h}, 4));
    if (!(region[2] > region[0]) || !(region[3] > region[1])) {
      return Status::InvalidArgument(
          "--param region=X0,Y0,X1,Y1 needs X1 > X0 and Y1 > Y0");
    }
    if (width * height > (1LL << 28)) {
      return Status::InvalidArgument(
          "--param width x height is over 268 million pixels");
    }
    mb::View v;
    v.width = static_cast<int>(width);
    v.height = static_cast<int>(height);
    v.dx = (region[2] - region[0]) / double(width);
    v.dy = (region[3] - region[1]) / double(height);
    v.x0 = region[0] + v.dx / 2;  // pixel centres
    v.y0 = region[1] + v.dy / 2;
    v.max_iter = static_cast<int>(max_iter);
    w = std::make_unique<SmoothMandelbrot>(v);
  }
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("mandelbrot"));
  return w;
}

}  // namespace krg::demos
