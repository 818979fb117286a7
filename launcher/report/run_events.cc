#include "report/run_events.h"

#include <unistd.h>

namespace krg::cli {

std::string Base64(std::string_view bytes) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (unsigned char)bytes[i] << 16 |
                       (unsigned char)bytes[i + 1] << 8 |
                       (unsigned char)bytes[i + 2];
    for (int k = 18; k >= 0; k -= 6) out += kAlphabet[(v >> k) & 63];
  }
  if (i < bytes.size()) {
    unsigned v = (unsigned char)bytes[i] << 16;
    if (i + 1 < bytes.size()) v |= (unsigned char)bytes[i + 1] << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

RunEvents::RunEvents(const std::filesystem::path& path)
    : start_(std::chrono::steady_clock::now()) {
  if (!path.empty()) out_.open(path, std::ios::trunc);
}

RunEvents::~RunEvents() {
  if (enabled() && !ended_) {
    End({{"ok", false}, {"verified", false}, {"detail", "stopped early"}});
  }
}

void RunEvents::Write(nlohmann::json line) {
  if (!enabled()) return;
  line["t"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_)
          .count();
  out_ << line.dump() << "\n";
  out_.flush();
}

void RunEvents::Start(nlohmann::json fields, const Workload& w) {
  fields["ev"] = "start";
  fields["pid"] = ::getpid();
  std::pair<int, int> size{0, 0};
  if (w.shape() == Shape::kFarm) {
    const auto& farm = static_cast<const FarmWorkload&>(w);
    size = farm.preview_size();
    fields["units"] = farm.unit_count();
  }
  fields["preview"] = {size.first, size.second};
  Write(std::move(fields));
}

void RunEvents::Worker(pid_t pid) { Write({{"ev", "worker"}, {"pid", pid}}); }

void RunEvents::Unit(const Workload& w, int pass, std::size_t unit, int node,
                     std::string_view bytes) {
  if (!enabled()) return;
  nlohmann::json line = {
      {"ev", "unit"}, {"pass", pass}, {"unit", unit}, {"node", node}};
  if (w.shape() == Shape::kFarm) {
    const auto& farm = static_cast<const FarmWorkload&>(w);
    if (farm.preview_size().first > 0) {
      auto tile = farm.PreviewUnit(unit, bytes);
      if (tile.ok() && tile->height > 0) {
        line["tile"] = {{"x", tile->x},
                        {"y", tile->y},
                        {"w", tile->width},
                        {"h", tile->height},
                        {"rgb", Base64(tile->rgb)}};
      }
    }
  }
  Write(std::move(line));
}

void RunEvents::End(nlohmann::json fields) {
  fields["ev"] = "end";
  Write(std::move(fields));
  ended_ = true;
}

}  // namespace krg::cli
