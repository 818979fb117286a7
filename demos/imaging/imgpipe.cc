#include "imaging/imgpipe.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

#include "imaging/dataset.h"
#include "krg/checksum.h"
#include "krg/json_fields.h"
#include "krg/params.h"
#include "krg/png.h"
#include "krg/results.h"

namespace krg::demos {

namespace imaging {
void SerialOpenCV() {
  static std::once_flag once;
  std::call_once(once, [] {
    cv::setNumThreads(0);
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  });
}
}  // namespace imaging

namespace {

namespace fs = std::filesystem;

enum class Stage { kDecode, kResize, kBlur, kGray, kCanny, kEncode };

const std::vector<std::pair<std::string, Stage>>& StageNames() {
  static const std::vector<std::pair<std::string, Stage>> kNames = {
      {"decode", Stage::kDecode}, {"resize", Stage::kResize},
      {"blur", Stage::kBlur},     {"gray", Stage::kGray},
      {"canny", Stage::kCanny},   {"encode", Stage::kEncode}};
  return kNames;
}

struct Pipeline {
  std::vector<Stage> stages;
  int long_side = 1024;
  bool jpeg_out = false;
  int quality = 90;
  bool reduced_decode = true;

  bool Has(Stage s) const {
    return std::find(stages.begin(), stages.end(), s) != stages.end();
  }
  const char* extension() const { return jpeg_out ? ".jpg" : ".png"; }
};

Result<std::vector<Stage>> ParseStages(const std::string& text) {
  std::vector<Stage> stages;
  std::stringstream in(text);
  std::string name;
  while (std::getline(in, name, ',')) {
    auto it = std::find_if(StageNames().begin(), StageNames().end(),
                           [&](const auto& p) { return p.first == name; });
    if (it == StageNames().end()) {
      return Status::InvalidArgument(
          "--param stages: unknown stage '" + name +
          "' (known: decode,resize,blur,gray,canny,encode)");
    }
    if (std::count(stages.begin(), stages.end(), it->second) > 0) {
      return Status::InvalidArgument("--param stages: '" + name +
                                     "' appears twice");
    }
    stages.push_back(it->second);
  }
  if (stages.size() < 2 || stages.front() != Stage::kDecode ||
      stages.back() != Stage::kEncode) {
    return Status::InvalidArgument("--param stages=" + text +
                                   " must start with decode and end with "
                                   "encode, e.g. decode,resize,encode");
  }
  return stages;
}

// Width and height from a JPEG's frame header, and the offset of its scan;
// false when the stream is not a well-formed JPEG header.
bool JpegHeader(std::string_view b, int* w, int* h, std::size_t* sos) {
  if (b.size() < 4 || uchar(b[0]) != 0xFF || uchar(b[1]) != 0xD8) return false;
  std::size_t p = 2;
  *w = *h = 0;
  while (p + 4 <= b.size()) {
    if (uchar(b[p]) != 0xFF) return false;
    const uchar m = uchar(b[p + 1]);
    if (m == 0xFF) {  // fill byte
      ++p;
      continue;
    }
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {
      p += 2;
      continue;
    }
    const std::size_t len = (uchar(b[p + 2]) << 8) | uchar(b[p + 3]);
    if (len < 2) return false;
    const bool sof =
        m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof && p + 9 <= b.size()) {
      *h = (uchar(b[p + 5]) << 8) | uchar(b[p + 6]);
      *w = (uchar(b[p + 7]) << 8) | uchar(b[p + 8]);
    }
    if (m == 0xDA) {
      *sos = p;
      return *w > 0 && *h > 0;
    }
    p += 2 + len;
  }
  return false;
}

cv::Size FitLongSide(int w, int h, int long_side) {
  if (std::max(w, h) <= long_side) return {w, h};
  const double s = double(long_side) / std::max(w, h);
  return {std::max(1, int(w * s + 0.5)), std::max(1, int(h * s + 0.5))};
}

// The largest libjpeg scale (1/2, 1/4, 1/8) that still decodes at least
// `target` pixels on each side: the decoder then does most of the shrinking.
int ReducedDecodeFlag(int w, int h, cv::Size target) {
  static const std::pair<int, int> kScales[] = {
      {8, cv::IMREAD_REDUCED_COLOR_8},
      {4, cv::IMREAD_REDUCED_COLOR_4},
      {2, cv::IMREAD_REDUCED_COLOR_2}};
  for (const auto& [f, flag] : kScales) {
    if ((w + f - 1) / f >= target.width && (h + f - 1) / f >= target.height) {
      return flag;
    }
  }
  return cv::IMREAD_COLOR;
}

// The last stage that changes pixels (decode and encode do not).
Stage LastProcessing(const Pipeline& pl) {
  for (auto it = pl.stages.rbegin(); it != pl.stages.rend(); ++it) {
    if (*it != Stage::kDecode && *it != Stage::kEncode) return *it;
  }
  return Stage::kDecode;
}

// Runs the pipeline on one encoded image. Returns "" and fills `*encoded`,
// or returns why the input was skipped.
std::string Process(const Pipeline& pl, std::string_view bytes,
                    std::vector<uchar>* encoded, cv::Size* out_size) {
  if (bytes.empty()) return "empty file";
  int flags = cv::IMREAD_COLOR;
  int w = 0, h = 0;
  std::size_t sos = 0;
  const bool jpeg =
      bytes.size() >= 2 && uchar(bytes[0]) == 0xFF && uchar(bytes[1]) == 0xD8;
  if (jpeg) {
    if (!JpegHeader(bytes, &w, &h, &sos)) return "corrupt JPEG header";
    // libjpeg pads a truncated scan with grey and only warns: catch it here.
    const std::size_t eoi = std::string_view(bytes).rfind("\xFF\xD9");
    if (eoi == std::string_view::npos || eoi < sos) {
      return "truncated JPEG (no end-of-image marker)";
    }
    if (pl.reduced_decode && pl.Has(Stage::kResize)) {
      flags = ReducedDecodeFlag(w, h, FitLongSide(w, h, pl.long_side));
    }
  }
  cv::Mat buf(1, int(bytes.size()), CV_8U,
              const_cast<char*>(bytes.data()));  // imdecode only reads it
  cv::Mat img = cv::imdecode(buf, flags);
  if (img.empty()) return "not a readable image";
  if (!jpeg) {
    w = img.cols;
    h = img.rows;
  }
  for (Stage s : pl.stages) {
    switch (s) {
      case Stage::kDecode:
      case Stage::kEncode:
        break;
      case Stage::kResize: {
        const cv::Size target = FitLongSide(w, h, pl.long_side);
        if (target != img.size()) {
          cv::resize(img, img, target, 0, 0, cv::INTER_AREA);
        }
        break;
      }
      case Stage::kBlur:
        cv::GaussianBlur(img, img, cv::Size(5, 5), 1.5);
        break;
      case Stage::kGray:
        if (img.channels() == 3) cv::cvtColor(img, img, cv::COLOR_BGR2GRAY);
        break;
      case Stage::kCanny:
        cv::Canny(img, img, 50, 150);
        break;
    }
  }
  // An edge map (Canny last, PNG out) is two-level: a 1-bit PNG decodes to
  // the same 0/255 picture and encodes several times faster than OpenCV's
  // 8-bit one (issue 22).
  if (!pl.jpeg_out && !pl.stages.empty() && img.type() == CV_8UC1 &&
      LastProcessing(pl) == Stage::kCanny) {
    auto png =
        EncodePngBilevel(img.cols, img.rows, img.ptr<uchar>(0), img.step[0]);
    if (!png.ok()) return "the encoder refused the result";
    encoded->assign(png->begin(), png->end());
    *out_size = img.size();
    return "";
  }
  std::vector<int> params;
  if (pl.jpeg_out) params = {cv::IMWRITE_JPEG_QUALITY, pl.quality};
  if (!cv::imencode(pl.extension(), img, *encoded, params)) {
    return "the encoder refused the result";
  }
  *out_size = img.size();
  return "";
}

Status ReadFile(const fs::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Status::IoError("read error");
  *out = std::move(s).str();
  return Status::Ok();
}

bool IsImageName(const fs::path& p) {
  static const std::set<std::string> kExt = {
      ".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp", ".bmp",
      ".pbm", ".pgm",  ".ppm", ".pnm", ".jp2", ".exr",  ".hdr",  ".pfm"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kExt.count(ext) > 0;
}

struct Entry {
  std::string input;   // file name in the input folder
  std::string output;  // file name in <out>/images/
};

// One image's outcome, as merged.
struct Outcome {
  bool merged = false;
  std::string skipped;  // why, when skipped
  std::string bytes;    // encoded output
  int width = 0, height = 0;
  std::string checksum;
};

class Imgpipe final : public FarmWorkload {
 public:
  Imgpipe(fs::path dir, std::vector<Entry> entries, Pipeline pl,
          bool fork_per_image, nlohmann::json expected, std::string verify_path)
      : dir_(std::move(dir)),
        entries_(std::move(entries)),
        pl_(std::move(pl)),
        fork_per_image_(fork_per_image),
        expected_(std::move(expected)),
        verify_path_(std::move(verify_path)) {}

  std::size_t unit_count() const override { return entries_.size(); }
  WorkAmount work() const override {
    return {double(entries_.size()), "image/s"};
  }
  bool fresh_process_per_unit() const override { return fork_per_image_; }

  // Result bytes: "ok WxH\n" and the encoded image, or "skip REASON\n".
  Status RunUnit(std::size_t i, std::string* out) const override {
    imaging::SerialOpenCV();
    std::string bytes;
    std::string why;
    std::vector<uchar> encoded;
    cv::Size size;
    if (Status s = ReadFile(dir_ / entries_[i].input, &bytes); !s.ok()) {
      why = s.message();
    } else {
      try {
        why = Process(pl_, bytes, &encoded, &size);
      } catch (const cv::Exception& e) {
        why = "OpenCV: " + e.err;
      } catch (const std::bad_alloc&) {
        why = "out of memory";
      }
    }
    if (!why.empty()) {
      std::replace(why.begin(), why.end(), '\n', ' ');
      *out = "skip " + why + "\n";
      return Status::Ok();
    }
    *out = "ok " + std::to_string(size.width) + "x" +
           std::to_string(size.height) + "\n";
    out->append(reinterpret_cast<const char*>(encoded.data()), encoded.size());
    return Status::Ok();
  }

  void BeginPass() override { outcomes_.assign(entries_.size(), Outcome{}); }

  Status Merge(std::size_t i, std::string_view bytes) override {
    const std::size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      return Status::Internal("malformed unit result");
    }
    Outcome& o = outcomes_[i];
    const std::string_view head = bytes.substr(0, nl);
    if (head.rfind("skip ", 0) == 0) {
      o.skipped = std::string(head.substr(5));
    } else if (std::sscanf(std::string(head).c_str(), "ok %dx%d", &o.width,
                           &o.height) == 2) {
      o.bytes = std::string(bytes.substr(nl + 1));
      o.checksum = ChecksumString(Fnv1a64(o.bytes.data(), o.bytes.size()));
    } else {
      return Status::Internal("malformed unit result header");
    }
    o.merged = true;
    return Status::Ok();
  }

  Verification Verify() override;
  Status WriteArtifacts(const fs::path& dir) override;

 private:
  nlohmann::json Manifest() const;
  std::string CompareWithExpected() const;

  fs::path dir_;
  std::vector<Entry> entries_;
  Pipeline pl_;
  bool fork_per_image_;
  nlohmann::json expected_;  // null unless verify=MANIFEST
  std::string verify_path_;
  std::vector<Outcome> outcomes_;
};

std::string StagesText(const Pipeline& pl) {
  std::string s;
  for (Stage st : pl.stages) {
    for (const auto& [name, v] : StageNames()) {
      if (v == st) s += (s.empty() ? "" : ",") + name;
    }
  }
  return s;
}

nlohmann::json Imgpipe::Manifest() const {
  nlohmann::json images = nlohmann::json::array();
  nlohmann::json skipped = nlohmann::json::array();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Outcome& o = outcomes_[i];
    if (!o.skipped.empty()) {
      skipped.push_back({{"input", entries_[i].input}, {"reason", o.skipped}});
    } else if (o.merged) {
      images.push_back({{"input", entries_[i].input},
                        {"output", entries_[i].output},
                        {"width", o.width},
                        {"height", o.height},
                        {"checksum", o.checksum}});
    }
  }
  return {{"schema", "krgdemo.imgpipe.manifest/1"},
          {"stages", StagesText(pl_)},
          {"long_side", pl_.long_side},
          {"reduced_decode", pl_.reduced_decode},
          {"images", images},
          {"skipped", skipped}};
}

// "" when every output equals the expected manifest's, else what differs.
std::string Imgpipe::CompareWithExpected() const {
  std::map<std::string, std::string> want;
  for (const auto& img : expected_.value("images", nlohmann::json::array())) {
    want[img.value("output", "")] = img.value("checksum", "");
  }
  int differ = 0, missing = 0;
  std::string first;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!outcomes_[i].skipped.empty()) continue;
    seen.insert(entries_[i].output);
    auto it = want.find(entries_[i].output);
    if (it == want.end() || it->second != outcomes_[i].checksum) {
      ++differ;
      if (first.empty()) first = entries_[i].output;
    }
  }
  for (const auto& [name, sum] : want) {
    if (seen.count(name) == 0) {
      ++missing;
      if (first.empty()) first = name;
    }
  }
  if (differ == 0 && missing == 0) return "";
  return std::to_string(differ) + " of " + std::to_string(seen.size()) +
         " outputs differ from " + verify_path_ + ", " +
         std::to_string(missing) +
         " of its images are missing (first: " + first + ")";
}

Verification Imgpipe::Verify() {
  Verification v;
  std::uint64_t h = kFnvOffset;
  std::vector<std::string> bad;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Outcome& o = outcomes_[i];
    if (!o.merged) {
      v.detail = "image " + entries_[i].input + " was never merged";
      return v;
    }
    const std::string line = entries_[i].output + " " +
                             (o.skipped.empty() ? o.checksum : "skipped") +
                             "\n";
    h = Fnv1a64(line.data(), line.size(), h);
    if (!o.skipped.empty()) {
      bad.push_back(entries_[i].input + " (" + o.skipped + ")");
    }
  }
  v.checksum = ChecksumString(h);
  if (!bad.empty()) {
    std::string list;
    for (const std::string& b : bad) list += (list.empty() ? "" : ", ") + b;
    v.detail = std::to_string(bad.size()) + " of " +
               std::to_string(entries_.size()) +
               " images skipped as unreadable or corrupt (the others were "
               "processed): " +
               list;
    return v;
  }
  if (!expected_.is_null()) {
    const std::string diff = CompareWithExpected();
    if (!diff.empty()) {
      v.detail = diff;
      return v;
    }
  }
  v.ok = true;
  v.detail = std::to_string(entries_.size()) + " images (" + StagesText(pl_) +
             ")" +
             (expected_.is_null() ? ", checksums in manifest.json"
                                  : ", every output equals " + verify_path_);
  return v;
}

Status Imgpipe::WriteArtifacts(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "images", ec);
  if (ec) return Status::IoError("cannot create " + (dir / "images").string());
  std::string skipped;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Outcome& o = outcomes_[i];
    if (!o.skipped.empty()) {
      skipped += entries_[i].input + ": " + o.skipped + "\n";
      continue;
    }
    if (!o.merged) continue;
    const fs::path path = dir / "images" / entries_[i].output;
    std::ofstream out(path, std::ios::binary);
    out.write(o.bytes.data(), std::streamsize(o.bytes.size()));
    out.close();
    if (!out) return Status::IoError("cannot write " + path.string());
  }
  std::ofstream manifest(dir / "manifest.json");
  manifest << Manifest().dump(2) << "\n";
  manifest.close();
  if (!manifest) return Status::IoError("cannot write manifest.json");
  if (!skipped.empty()) {
    std::ofstream list(dir / "skipped.txt");
    list << skipped;
    if (!list) return Status::IoError("cannot write skipped.txt");
  }
  return Status::Ok();
}

// The image files of `dir`, sorted, with output names: the same base name
// with the output extension ("a.png"; "a.tif.png" when two inputs share "a").
Result<std::vector<Entry>> ListInputs(const fs::path& dir, const char* ext) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::InvalidArgument("--param input=" + dir.string() +
                                   " is not a folder");
  }
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name[0] == '.' || !IsImageName(e.path())) continue;
    if (e.is_regular_file(ec)) names.push_back(name);
  }
  if (ec) return Status::IoError("cannot list " + dir.string());
  if (names.empty()) {
    return Status::InvalidArgument(
        "--param input=" + dir.string() +
        " holds no images (.jpg .png .tif .webp ...)");
  }
  std::sort(names.begin(), names.end());
  std::map<std::string, int> stems;
  for (const std::string& n : names) ++stems[fs::path(n).stem().string()];
  std::vector<Entry> entries;
  for (const std::string& n : names) {
    const std::string stem = fs::path(n).stem().string();
    entries.push_back({n, (stems[stem] > 1 ? n : stem) + ext});
  }
  return entries;
}

Result<nlohmann::json> ReadManifest(const std::string& path) {
  // Bounded: a regular file of at most 16 MiB, nested at most 64 deep.
  auto text = ReadTextFile(path);
  if (!text.ok()) {
    return Status::InvalidArgument("--param verify=" + path +
                                   ": cannot read that manifest (" +
                                   text.status().message() + ")");
  }
  auto parsed = ParseJson(*text);
  const nlohmann::json j = parsed.ok() ? *parsed : nlohmann::json();
  if (!parsed.ok() || !j.is_object() ||
      j.value("schema", "") != "krgdemo.imgpipe.manifest/1" ||
      !j.contains("images") || !j["images"].is_array()) {
    return Status::InvalidArgument(
        "--param verify=" + path +
        " is not an imgpipe manifest.json (schema krgdemo.imgpipe.manifest/1)");
  }
  return j;
}

}  // namespace

Result<std::unique_ptr<Workload>> MakeImgpipe(const DemoConfig& config) {
  Params p(config.params);
  KRG_ASSIGN_OR_RETURN(std::string input, p.String("input", ""));
  KRG_ASSIGN_OR_RETURN(
      std::string stages_text,
      p.String("stages", "decode,resize,blur,gray,canny,encode"));
  Pipeline pl;
  KRG_ASSIGN_OR_RETURN(pl.stages, ParseStages(stages_text));
  KRG_ASSIGN_OR_RETURN(long long long_side, p.Int("long_side", 1024, 1, 65536));
  KRG_ASSIGN_OR_RETURN(std::string format,
                       p.Choice("format", "png", {"png", "jpg"}));
  KRG_ASSIGN_OR_RETURN(long long quality, p.Int("quality", 90, 1, 100));
  KRG_ASSIGN_OR_RETURN(long long reduced, p.Int("reduced_decode", 1, 0, 1));
  KRG_ASSIGN_OR_RETURN(long long fork_per_image,
                       p.Int("fork_per_image", 0, 0, 1));
  KRG_ASSIGN_OR_RETURN(std::string verify, p.String("verify", ""));
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("imgpipe"));
  pl.long_side = int(long_side);
  pl.jpeg_out = format == "jpg";
  pl.quality = int(quality);
  pl.reduced_decode = reduced == 1;

  nlohmann::json expected;
  if (!verify.empty()) {
    KRG_ASSIGN_OR_RETURN(expected, ReadManifest(verify));
  }
  imaging::SerialOpenCV();  // before any fork: workers inherit it
  fs::path dir = input;
  if (input.empty()) {
    KRG_ASSIGN_OR_RETURN(dir, imaging::EnsureImageDataset(config.size));
  }
  KRG_ASSIGN_OR_RETURN(std::vector<Entry> entries,
                       ListInputs(dir, pl.extension()));
  return std::unique_ptr<Workload>(std::make_unique<Imgpipe>(
      dir, std::move(entries), pl, fork_per_image == 1, std::move(expected),
      verify));
}

}  // namespace krg::demos
