// RunEvents: the events file of a run (`krgdemo run --events`), which the
// dashboard tails to show a run as it happens. One JSON object per line
// (NDJSON), flushed line by line, so a reader never sees half a line:
//
//   {"ev":"start","demo":"mandelbrot","size":"small","engine":"procs",
//    "nodes":2,"units":90,"pid":4242,"preview":[640,360],"t":0}
//   {"ev":"worker","pid":4243,"t":0.01}
//   {"ev":"unit","pass":1,"unit":7,"node":1,"t":0.2,
//    "tile":{"x":0,"y":28,"w":640,"h":4,"rgb":"<base64 RGB bytes>"}}
//   {"ev":"end","ok":true,"verified":true,"median_s":0.41,"detail":"...","t":0.5}
//
// "preview" is [0,0] and "tile" is absent for demos without a picture. A run
// that stops early (error, Ctrl-C) still ends with an "end" line, ok false.
// Documented in docs/dashboard.md. Single-threaded: the run's main thread.
#ifndef KRG_LAUNCHER_RUN_EVENTS_H_
#define KRG_LAUNCHER_RUN_EVENTS_H_

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "krg/workload.h"

namespace krg::cli {

// Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

class RunEvents {
 public:
  // Does nothing when `path` is empty (a run without --events).
  explicit RunEvents(const std::filesystem::path& path);
  // Writes an "end" line (ok false, "stopped early") unless End() was called.
  ~RunEvents();
  RunEvents(const RunEvents&) = delete;
  RunEvents& operator=(const RunEvents&) = delete;

  bool enabled() const { return out_.is_open(); }
  void Start(nlohmann::json fields, const Workload& w);
  void Worker(pid_t pid);
  // `w` gives the tile when it has a preview.
  void Unit(const Workload& w, int pass, std::size_t unit, int node,
            std::string_view bytes);
  void End(nlohmann::json fields);

 private:
  void Write(nlohmann::json line);

  std::ofstream out_;
  std::chrono::steady_clock::time_point start_;
  bool ended_ = false;
};

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_RUN_EVENTS_H_
