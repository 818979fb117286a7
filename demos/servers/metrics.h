// FarmMetrics: the counters of every server process of a farm in one shared
// anonymous mapping, created by the supervisor before it forks the servers
// (so a restarted server inherits it) and rendered by any server as
// Prometheus text for /metrics. Counters are lock-free std::atomic in shared
// memory: safe from any thread of any process of the farm.
//
//   auto m = FarmMetrics::Create(4);
//   m->slot(0).RecordRequest(Endpoint::kTile, 200, 0.004);
//   std::string text = m->RenderPrometheus();
#ifndef KRG_DEMOS_SERVERS_METRICS_H_
#define KRG_DEMOS_SERVERS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "krg/status.h"

namespace krg::demos::servers {

enum class Endpoint {
  kRoot,
  kTile,
  kThumb,
  kStatic,
  kHealthz,
  kMetrics,
  kOther
};
inline constexpr int kEndpointCount = 7;
inline constexpr int kStatusClasses = 5;  // 1xx .. 5xx
inline constexpr double kLatencyBounds[] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
inline constexpr int kLatencyBuckets =
    sizeof kLatencyBounds / sizeof kLatencyBounds[0] + 1;  // + Inf

const char* EndpointName(Endpoint e);

// One server slot's counters (a slot is a node; a restarted server keeps its
// slot and its counts).
struct SlotCounters {
  std::atomic<std::int64_t> pid{0};
  std::atomic<std::int64_t> restarts{0};
  std::atomic<std::int64_t> resident_bytes{0};
  std::atomic<std::int64_t> requests[kEndpointCount][kStatusClasses]{};
  std::atomic<std::int64_t> latency[kLatencyBuckets]{};  // not cumulative
  std::atomic<std::int64_t> latency_sum_us{0};
  std::atomic<std::int64_t> rejected_renders{0};  // 503: too many renders

  void RecordRequest(Endpoint e, int status, double seconds);
  std::int64_t TotalRequests() const;
};

class FarmMetrics {
 public:
  // A MAP_SHARED | MAP_ANONYMOUS mapping of `slots` SlotCounters.
  static Result<std::unique_ptr<FarmMetrics>> Create(int slots);
  ~FarmMetrics();
  FarmMetrics(const FarmMetrics&) = delete;
  FarmMetrics& operator=(const FarmMetrics&) = delete;

  int slots() const { return slots_; }
  // REQUIRES: 0 <= i < slots()
  SlotCounters& slot(int i) { return counters_[i]; }
  const SlotCounters& slot(int i) const { return counters_[i]; }
  std::int64_t TotalRestarts() const;
  std::string RenderPrometheus() const;

 private:
  FarmMetrics(SlotCounters* c, int slots) : counters_(c), slots_(slots) {}
  SlotCounters* counters_;
  int slots_;
};

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_METRICS_H_
