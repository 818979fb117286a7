// ShowView: what `krgdemo show` prints for an audience. Narration (short
// sentences a presenter can read aloud), a log of timed events (migrations,
// starts), a per-node load view and the closing verdict.
//
// On a terminal the load view is one bar per node, redrawn in place with
// ANSI escapes about twice a second, below the narration and the log. Into a
// file or a pipe it becomes a plain snapshot line about once a second, with
// no escape sequence at all, so logs and tests stay readable.
//
// Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_SHOW_VIEW_H_
#define KRG_LAUNCHER_SHOW_VIEW_H_

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace krg::cli::show {

// "node 5 [##########..........]  52%  2 workers" (`width` bar cells).
std::string BarLine(int node, double busy, const std::string& note, int width);
// "[  3.0 s] load  node 0 [#########.]  94% 2 workers | node 1 ..."
std::string SnapshotLine(double seconds, const std::vector<int>& nodes,
                         const std::vector<double>& busy,
                         const std::vector<std::string>& notes);

class ShowView {
 public:
  // REQUIRES: `out` stays open while the view is used.
  ShowView(std::FILE* out, bool terminal);
  ~ShowView();

  bool terminal() const { return terminal_; }
  // Seconds since the view was made: the time of every event.
  double Elapsed() const;

  // The nodes the load view shows, in order (clears the previous view).
  void SetNodes(const std::vector<int>& ids);
  // Narration: printed as given, one paragraph.
  void Say(const std::string& text);
  // A log line: "[  3.2 s] text".
  void Event(const std::string& text);
  // The latest load (busy[i] and notes[i] for node i). A terminal redraws
  // at once; otherwise a snapshot line is printed when a second has passed.
  void Load(const std::vector<double>& busy,
            const std::vector<std::string>& notes);
  // Prints the current load as a snapshot line now (not on a terminal,
  // where the bars already show it).
  void Snapshot();
  // "verdict: <text>", the last line of a scenario.
  void Verdict(const std::string& text);

 private:
  void EraseBars();
  void DrawBars();
  void Print(const std::string& text);

  std::FILE* out_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  std::vector<int> nodes_;
  std::vector<double> busy_;
  std::vector<std::string> notes_;
  int drawn_lines_ = 0;  // bar lines on screen below the text
  double last_snapshot_ = -1;
  bool have_load_ = false;
};

}  // namespace krg::cli::show

#endif  // KRG_LAUNCHER_SHOW_VIEW_H_
