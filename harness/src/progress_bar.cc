#include "krg/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace krg {
namespace {

constexpr int kBarWidth = 20;
// A terminal redraw at most this often; a plain line at most this often.
constexpr auto kRedraw = std::chrono::milliseconds(100);
constexpr auto kPlainEvery = std::chrono::seconds(10);

}  // namespace

std::string FormatDuration(double seconds) {
  char buf[48];
  const double s = std::max(0.0, seconds);
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  } else if (s < 3600) {
    const int whole = static_cast<int>(std::lround(s));
    std::snprintf(buf, sizeof buf, "%d min %02d s", whole / 60, whole % 60);
  } else {
    const int minutes = static_cast<int>(std::lround(s / 60));
    std::snprintf(buf, sizeof buf, "%d h %02d min", minutes / 60, minutes % 60);
  }
  return buf;
}

ProgressBar::ProgressBar(std::string label)
    : ProgressBar(std::move(label), ::isatty(STDERR_FILENO) == 1, stderr) {}

ProgressBar::ProgressBar(std::string label, bool terminal, std::FILE* to)
    : label_(std::move(label)), terminal_(terminal), to_(to) {}

std::string ProgressBar::Render(const std::string& label, double elapsed_s,
                                double fraction, const std::string& detail,
                                double eta_s, bool bar) {
  std::string line = label;
  if (fraction >= 0) {
    const double f = std::clamp(fraction, 0.0, 1.0);
    if (bar) {
      const int full = static_cast<int>(f * kBarWidth);
      line += " [" + std::string(full, '#') +
              std::string(kBarWidth - full, '-') + "]";
    }
    char pct[16];
    std::snprintf(pct, sizeof pct, " %3d%%", static_cast<int>(f * 100));
    line += pct;
  }
  if (!detail.empty()) line += " · " + detail;
  line += " · " + FormatDuration(elapsed_s);
  if (eta_s >= 0) line += " · ~" + FormatDuration(eta_s) + " left";
  return line;
}

void ProgressBar::Show(double elapsed_s, double fraction,
                       const std::string& detail, double eta_s) {
  if (elapsed_s < 1.0) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < (terminal_ ? kRedraw : kPlainEvery)) return;
  last_ = now;
  shown_ = true;
  const std::string text =
      Render(label_, elapsed_s, fraction, detail, eta_s, terminal_);
  if (terminal_) {
    std::fprintf(to_, "\r\033[K  %s", text.c_str());
  } else {
    std::fprintf(to_, "krgdemo: %s\n", text.c_str());
  }
  std::fflush(to_);
}

void ProgressBar::Clear() {
  if (!shown_) return;
  if (terminal_) {
    std::fprintf(to_, "\r\033[K");
    std::fflush(to_);
  }
  shown_ = false;
}

}  // namespace krg
