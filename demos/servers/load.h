// Load and checks for the webfarm: wrk (the Debian package) driven with a
// generated Lua script that rotates over a list of paths and reports its
// summary as one JSON line, and a Checker that fetches sample responses
// while wrk runs and verifies them (tiles against the mandelbrot demo's
// checksum, PNG/JPEG decoding, static bytes, /metrics, /healthz).
//
// Thread-safety: the functions are pure; a Checker runs on one thread of its
// own between Start() and Stop().
#ifndef KRG_DEMOS_SERVERS_LOAD_H_
#define KRG_DEMOS_SERVERS_LOAD_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "krg/status.h"
#include "servers/tile.h"

namespace krg::demos::servers {

// The Lua script: with more than one path, a request() that rotates over
// them (each wrk thread from its own offset); done() prints "WRKJSON {...}".
std::string WrkScript(bool rotate);

struct WrkResult {
  long long requests = 0;
  double duration_s = 0;
  long long connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0,
            status_errors = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  long long errors() const {
    return connect_errors + read_errors + write_errors + timeouts +
           status_errors;
  }
};
// Finds the WRKJSON line in wrk's output.
Result<WrkResult> ParseWrkOutput(const std::string& out);

// What the checker knows the answers to.
struct CheckPlan {
  int port = 0;
  int tile_max_iter = 500;
  std::vector<TileId> tiles;  // checked against the mandelbrot demo
  std::string static_path;    // "/static/..." and its bytes
  std::string static_bytes;
  bool thumbs = true;
};

// The mandelbrot demo's checksum for tile `t` (runs the demo's workload).
Result<std::string> DemoTileChecksum(const TileId& t, int max_iter);

class Checker {
 public:
  // Precomputes expected tile checksums with the mandelbrot demo.
  static Result<std::unique_ptr<Checker>> Create(const CheckPlan& plan);
  ~Checker() { Stop(); }
  void Start();
  void Stop();
  // One round of every check, on the calling thread.
  void CheckOnce();
  long long checks() const { return checks_.load(); }
  long long failures() const { return failures_.load(); }
  std::string first_failure() const;

 private:
  explicit Checker(CheckPlan plan) : plan_(std::move(plan)) {}
  // A request that may meet a server being killed: a socket error is tried
  // again a few times; a wrong answer is a failure at once.
  void Check(const std::string& what, const std::function<Status()>& f);
  Status CheckTile(std::size_t k);
  Status CheckThumb();

  CheckPlan plan_;
  std::vector<std::string> expected_;  // per plan_.tiles
  std::string thumb_input_;            // a PNG
  std::atomic<long long> checks_{0}, failures_{0};
  mutable std::mutex mu_;
  std::string first_failure_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::size_t next_tile_ = 0;
};

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_LOAD_H_
