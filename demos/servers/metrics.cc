#include "servers/metrics.h"

#include <sys/mman.h>

#include <cerrno>
#include <new>
#include <sstream>

namespace krg::demos::servers {

const char* EndpointName(Endpoint e) {
  static const char* kNames[kEndpointCount] = {
      "root", "tile", "thumb", "static", "healthz", "metrics", "other"};
  return kNames[static_cast<int>(e)];
}

void SlotCounters::RecordRequest(Endpoint e, int status, double seconds) {
  int cls = status / 100 - 1;
  if (cls < 0 || cls >= kStatusClasses) cls = kStatusClasses - 1;
  requests[static_cast<int>(e)][cls].fetch_add(1, std::memory_order_relaxed);
  int b = 0;
  while (b < kLatencyBuckets - 1 && seconds > kLatencyBounds[b]) ++b;
  latency[b].fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(static_cast<std::int64_t>(seconds * 1e6),
                           std::memory_order_relaxed);
}

std::int64_t SlotCounters::TotalRequests() const {
  std::int64_t n = 0;
  for (const auto& by_class : requests) {
    for (const auto& c : by_class) n += c.load(std::memory_order_relaxed);
  }
  return n;
}

Result<std::unique_ptr<FarmMetrics>> FarmMetrics::Create(int slots) {
  const std::size_t bytes = sizeof(SlotCounters) * std::size_t(slots);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return Status::FromErrno("mmap metrics", errno);
  auto* c = static_cast<SlotCounters*>(p);
  for (int i = 0; i < slots; ++i) new (&c[i]) SlotCounters();
  return std::unique_ptr<FarmMetrics>(new FarmMetrics(c, slots));
}

FarmMetrics::~FarmMetrics() {
  ::munmap(counters_, sizeof(SlotCounters) * std::size_t(slots_));
}

std::int64_t FarmMetrics::TotalRestarts() const {
  std::int64_t n = 0;
  for (int i = 0; i < slots_; ++i) n += counters_[i].restarts.load();
  return n;
}

std::string FarmMetrics::RenderPrometheus() const {
  std::ostringstream o;
  o << "# HELP webfarm_requests_total Requests answered, by endpoint, status "
       "class and server slot.\n# TYPE webfarm_requests_total counter\n";
  for (int s = 0; s < slots_; ++s) {
    for (int e = 0; e < kEndpointCount; ++e) {
      for (int c = 0; c < kStatusClasses; ++c) {
        const std::int64_t n = counters_[s].requests[e][c].load();
        if (n == 0) continue;
        o << "webfarm_requests_total{endpoint=\""
          << EndpointName(static_cast<Endpoint>(e)) << "\",code=\"" << c + 1
          << "xx\",server=\"" << s << "\"} " << n << "\n";
      }
    }
  }
  o << "# HELP webfarm_request_duration_seconds Time from request line to "
       "response completion.\n"
       "# TYPE webfarm_request_duration_seconds histogram\n";
  std::int64_t cumulative = 0, sum_us = 0;
  for (int b = 0; b < kLatencyBuckets; ++b) {
    for (int s = 0; s < slots_; ++s) cumulative += counters_[s].latency[b];
    o << "webfarm_request_duration_seconds_bucket{le=\"";
    if (b < kLatencyBuckets - 1) {
      o << kLatencyBounds[b];
    } else {
      o << "+Inf";
    }
    o << "\"} " << cumulative << "\n";
  }
  for (int s = 0; s < slots_; ++s) sum_us += counters_[s].latency_sum_us;
  o << "webfarm_request_duration_seconds_sum " << double(sum_us) / 1e6 << "\n"
    << "webfarm_request_duration_seconds_count " << cumulative << "\n";
  o << "# HELP webfarm_restarts_total Server processes restarted by the "
       "supervisor.\n# TYPE webfarm_restarts_total counter\n"
    << "webfarm_restarts_total " << TotalRestarts() << "\n";
  o << "# HELP webfarm_tile_rejected_total Tile requests refused (503) at "
       "the concurrent-render limit.\n# TYPE webfarm_tile_rejected_total "
       "counter\n";
  std::int64_t rejected = 0;
  for (int s = 0; s < slots_; ++s) rejected += counters_[s].rejected_renders;
  o << "webfarm_tile_rejected_total " << rejected << "\n";
  o << "# HELP webfarm_server_requests_total Requests per server process.\n"
       "# TYPE webfarm_server_requests_total counter\n";
  for (int s = 0; s < slots_; ++s) {
    o << "webfarm_server_requests_total{server=\"" << s << "\",pid=\""
      << counters_[s].pid.load() << "\"} " << counters_[s].TotalRequests()
      << "\n";
  }
  o << "# HELP webfarm_server_resident_bytes Resident memory per server "
       "process.\n# TYPE webfarm_server_resident_bytes gauge\n";
  for (int s = 0; s < slots_; ++s) {
    o << "webfarm_server_resident_bytes{server=\"" << s << "\"} "
      << counters_[s].resident_bytes.load() << "\n";
  }
  return o.str();
}

}  // namespace krg::demos::servers
