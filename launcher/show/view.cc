#include "show/view.h"

#include <algorithm>
#include <cmath>

namespace krg::cli::show {
namespace {

constexpr int kBarWidth = 30;
constexpr int kSnapshotBarWidth = 10;
constexpr double kSnapshotEvery = 1.0;  // seconds, when not a terminal

std::string Percent(double busy) {
  char text[8];
  std::snprintf(
      text, sizeof text, "%3d%%",
      static_cast<int>(std::lround(100 * std::clamp(busy, 0.0, 1.0))));
  return text;
}

std::string Bar(double busy, int width) {
  const int full =
      static_cast<int>(std::lround(width * std::clamp(busy, 0.0, 1.0)));
  std::string bar = "[";
  bar.append(full, '#').append(width - full, '.').push_back(']');
  return bar;
}

std::string Stamp(double seconds) {
  char text[24];
  std::snprintf(text, sizeof text, "[%5.1f s] ", seconds);
  return text;
}

}  // namespace

std::string BarLine(int node, double busy, const std::string& note, int width) {
  char label[16];
  std::snprintf(label, sizeof label, "node %3d ", node);
  return std::string("  ") + label + Bar(busy, width) + " " + Percent(busy) +
         (note.empty() ? "" : "  " + note);
}

std::string SnapshotLine(double seconds, const std::vector<int>& nodes,
                         const std::vector<double>& busy,
                         const std::vector<std::string>& notes) {
  std::string line = Stamp(seconds) + "load ";
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    line += (i == 0 ? " " : " | ") + std::string("node ") +
            std::to_string(nodes[i]) + " " +
            Bar(i < busy.size() ? busy[i] : 0, kSnapshotBarWidth) + " " +
            Percent(i < busy.size() ? busy[i] : 0);
    if (i < notes.size() && !notes[i].empty()) line += " " + notes[i];
  }
  return line;
}

ShowView::ShowView(std::FILE* out, bool terminal)
    : out_(out),
      terminal_(terminal),
      start_(std::chrono::steady_clock::now()) {}

ShowView::~ShowView() { std::fflush(out_); }

double ShowView::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start_)
      .count();
}

void ShowView::SetNodes(const std::vector<int>& ids) {
  drawn_lines_ = 0;  // the old bars stay on screen as history
  nodes_ = ids;
  busy_.assign(ids.size(), 0.0);
  notes_.assign(ids.size(), "");
  have_load_ = false;
  last_snapshot_ = -1;
}

void ShowView::EraseBars() {
  if (!terminal_ || drawn_lines_ == 0) return;
  // Up to the first bar line, then clear to the end of the screen.
  std::fprintf(out_, "\033[%dA\r\033[J", drawn_lines_);
  drawn_lines_ = 0;
}

void ShowView::DrawBars() {
  if (!terminal_ || !have_load_) return;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    std::fprintf(out_, "%s\n",
                 BarLine(nodes_[i], busy_[i], notes_[i], kBarWidth).c_str());
  }
  drawn_lines_ = static_cast<int>(nodes_.size());
  std::fflush(out_);
}

void ShowView::Print(const std::string& text) {
  EraseBars();
  std::fprintf(out_, "%s\n", text.c_str());
  DrawBars();
  std::fflush(out_);
}

void ShowView::Say(const std::string& text) { Print(text); }

void ShowView::Event(const std::string& text) {
  Print(Stamp(Elapsed()) + text);
}

void ShowView::Load(const std::vector<double>& busy,
                    const std::vector<std::string>& notes) {
  busy_ = busy;
  notes_ = notes;
  busy_.resize(nodes_.size(), 0.0);
  notes_.resize(nodes_.size());
  have_load_ = true;
  if (terminal_) {
    EraseBars();
    DrawBars();
    return;
  }
  const double now = Elapsed();
  if (last_snapshot_ < 0 || now - last_snapshot_ >= kSnapshotEvery) {
    Snapshot();
  }
}

void ShowView::Snapshot() {
  if (terminal_ || !have_load_) return;
  const double now = Elapsed();
  if (last_snapshot_ >= 0 && now - last_snapshot_ < 0.3) return;  // just did
  last_snapshot_ = now;
  std::fprintf(out_, "%s\n",
               SnapshotLine(last_snapshot_, nodes_, busy_, notes_).c_str());
  std::fflush(out_);
}

void ShowView::Verdict(const std::string& text) {
  drawn_lines_ = 0;  // the final bars stay above the verdict
  std::fprintf(out_, "verdict: %s\n", text.c_str());
  std::fflush(out_);
}

}  // namespace krg::cli::show
