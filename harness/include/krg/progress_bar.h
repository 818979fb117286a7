// One line of progress for long work, on stderr. On a terminal, a bar
// redrawn in place at most ten times a second:
//   "  mandelbrot [########--------]  52% · pass 3 of ≤10 · 4.1 s · ~3.8 s
//   left"
// elsewhere (a log file, a pipe, CI) a plain line every ten seconds, so a
// log shows the work is alive without filling up. Nothing is shown for work
// that ends within a second. Single-threaded use (one owner).
//
//   ProgressBar bar("generating photos");
//   for (...) bar.Show(elapsed_s, done / double(total), "12/40 photos", eta);
#ifndef KRG_PROGRESS_BAR_H_
#define KRG_PROGRESS_BAR_H_

#include <chrono>
#include <cstdio>
#include <string>

namespace krg {

class ProgressBar {
 public:
  // `terminal` says how to draw; by default whether stderr is a terminal.
  explicit ProgressBar(std::string label);
  ProgressBar(std::string label, bool terminal, std::FILE* to);
  ~ProgressBar() { Clear(); }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `fraction` of the whole work done, in [0, 1] (negative: unknown);
  // `eta_s` the seconds left (negative: unknown).
  void Show(double elapsed_s, double fraction, const std::string& detail,
            double eta_s);
  // Erases the bar (terminal) so that the next output starts clean.
  void Clear();

  // The text of one line, without "\r" or newline (pure, for tests).
  static std::string Render(const std::string& label, double elapsed_s,
                            double fraction, const std::string& detail,
                            double eta_s, bool bar);

 private:
  std::string label_;
  bool terminal_;
  std::FILE* to_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// "3.8 s", "1 min 05 s", "1 h 02 min": a duration for people.
std::string FormatDuration(double seconds);

}  // namespace krg

#endif  // KRG_PROGRESS_BAR_H_
