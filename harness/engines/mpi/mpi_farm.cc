// The mpi engine's farm (see mpi_farm.h).
//
// Protocol on MPI_COMM_WORLD. rank 0 -> worker: kTagUnit with a uint64 unit
// index, or kTagStop. worker -> rank 0: kTagResult with a ResultHeader
// {unit, ok} followed by the unit's bytes (or the error message when !ok).
#include "engines/mpi/mpi_farm.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "engines/mpi/mpi_spmd.h"
#include "engines/mpi/mpi_wait.h"

namespace krg::mpi {
namespace {

using internal::Backoff;
using internal::kTagResult;
using internal::kTagStop;
using internal::kTagUnit;
using internal::Probe;
using internal::Receive;
using internal::WaitFor;

// Per worker rank: hides the round trip, and rank 0's polling delay.
constexpr std::size_t kUnitsInFlight = 3;

struct ResultHeader {
  std::uint64_t unit;
  std::uint64_t ok;
};

struct Sending {
  MPI_Request request = MPI_REQUEST_NULL;
  std::string buffer;
};

void SendIndex(int rank, int tag, std::uint64_t value) {
  MPI_Send(&value, 1, MPI_UINT64_T, rank, tag, MPI_COMM_WORLD);
}

// How long rank 0 may sleep between polls: a quarter of the mean time
// between results (each worker still has two units queued when it sends
// one), within 20 us..1 ms. Long units then cost rank 0 few wake-ups, each
// of which would preempt a worker sharing its CPU; short units are still
// handed out promptly.
class Pace {
 public:
  Backoff NextWait() const {
    const int cap = static_cast<int>(mean_us_ / 4);
    return Backoff(std::chrono::microseconds(20), std::clamp(cap, 20, 1000));
  }
  void Result() {
    const auto now = std::chrono::steady_clock::now();
    const double us =
        std::chrono::duration<double, std::micro>(now - last_).count();
    last_ = now;
    mean_us_ = 0.8 * mean_us_ + 0.2 * us;
  }

 private:
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now();
  double mean_us_ = 1000;  // 250 us until results arrive
};

class FarmMaster final : public Executor {
 public:
  Engine engine() const override { return Engine::kMpi; }
  Result<ExecReport> RunFarm(FarmWorkload& w, const ExecOptions& opts) override;
  // The SPMD pass: the ranks compute, this rank collects (mpi_spmd.h).
  Result<ExecReport> RunSpmd(SpmdWorkload& w,
                             const ExecOptions& opts) override {
    return RunSpmdMaster(w, opts);
  }
};

Result<ExecReport> FarmMaster::RunFarm(FarmWorkload& w,
                                       const ExecOptions& opts) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  KRG_CHECK(size >= 2) << "the mpi farm needs a worker rank";
  const std::size_t n = w.unit_count();
  w.BeginPass();
  std::vector<int> in_flight(static_cast<std::size_t>(size), 0);
  std::size_t next = 0, done = 0;
  int outstanding = 0;
  bool stop_handing_out = false;
  Status failure;
  auto dispatch = [&](int rank) {
    while (!stop_handing_out && next < n &&
           in_flight[static_cast<std::size_t>(rank)] < int(kUnitsInFlight)) {
      SendIndex(rank, kTagUnit, next++);
      ++in_flight[static_cast<std::size_t>(rank)];
      ++outstanding;
    }
  };
  for (int r = 1; r < size; ++r) dispatch(r);
  std::string buf;
  Pace pace;
  while (outstanding > 0) {  // also after a failure: drain what is in flight
    const MPI_Status st = Probe(MPI_ANY_SOURCE, kTagResult, pace.NextWait());
    pace.Result();
    Receive(st, &buf);
    --outstanding;
    --in_flight[static_cast<std::size_t>(st.MPI_SOURCE)];
    ResultHeader h{};
    if (buf.size() < sizeof h) {
      failure = Status::Internal("malformed result from rank " +
                                 std::to_string(st.MPI_SOURCE));
    } else if (failure.ok()) {
      std::memcpy(&h, buf.data(), sizeof h);
      const std::string_view bytes(buf.data() + sizeof h,
                                   buf.size() - sizeof h);
      const std::size_t unit = static_cast<std::size_t>(h.unit);
      Status s = h.ok != 0 ? w.Merge(unit, bytes)
                           : Status::Internal(std::string(bytes));
      if (s.ok() && opts.on_unit_done) {
        opts.on_unit_done(unit, st.MPI_SOURCE, bytes);
      }
      if (!s.ok()) {
        failure = s.WithContext("unit " + std::to_string(unit) + " (rank " +
                                std::to_string(st.MPI_SOURCE) + ")");
      }
      ++done;
      if (opts.progress) opts.progress(done, n);
    }
    const bool cancelled = opts.cancel != nullptr && opts.cancel->load();
    stop_handing_out = !failure.ok() || cancelled;
    dispatch(st.MPI_SOURCE);
  }
  if (opts.cancel != nullptr && opts.cancel->load()) {
    return Status::Cancelled("interrupted");
  }
  if (!failure.ok()) return failure;
  ExecReport report;
  report.units = n;
  return report;
}

}  // namespace

Session::Session(int* argc, char*** argv) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() { MPI_Finalize(); }

void Session::Barrier() const {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  WaitFor(&request);
}

std::vector<std::string> Session::GatherHostNames() const {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  std::vector<char> all(rank_ == 0 ? std::size_t(size_) * sizeof name : 0);
  MPI_Gather(name, sizeof name, MPI_CHAR, all.data(), sizeof name, MPI_CHAR, 0,
             MPI_COMM_WORLD);
  std::vector<std::string> hosts;
  for (int r = 0; rank_ == 0 && r < size_; ++r) {
    const char* at = all.data() + std::size_t(r) * sizeof name;
    hosts.emplace_back(at, strnlen(at, sizeof name));
  }
  return hosts;
}

void Session::Abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

std::unique_ptr<Executor> MakeFarmMaster() {
  return std::make_unique<FarmMaster>();
}

void StopWorkers() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  for (int r = 1; r < size; ++r) SendIndex(r, kTagStop, 0);
}

Status ServeFarm(const FarmWorkload& w) {
  // Results on their way to rank 0. A large one goes by MPI's rendezvous
  // protocol, which completes only once rank 0 receives it: meanwhile this
  // rank computes its next unit (std::deque keeps the buffers in place).
  std::deque<Sending> sending;
  std::string in, bytes;
  for (;;) {
    const MPI_Status st = Probe(0, MPI_ANY_TAG);
    Receive(st, &in);
    if (st.MPI_TAG == kTagStop) break;
    std::uint64_t unit = 0;
    if (st.MPI_TAG != kTagUnit || in.size() != sizeof unit) {
      return Status::Internal("unexpected message from rank 0 (tag " +
                              std::to_string(st.MPI_TAG) + ")");
    }
    std::memcpy(&unit, in.data(), sizeof unit);
    bytes.clear();
    Status s = unit < w.unit_count()
                   ? w.RunUnit(static_cast<std::size_t>(unit), &bytes)
                   : Status::Internal("unit index out of range");
    if (!s.ok()) bytes = s.message();
    if (sending.size() >= kUnitsInFlight) {
      WaitFor(&sending.front().request);
      sending.pop_front();
    }
    const ResultHeader h{unit, s.ok() ? 1u : 0u};
    Sending& out = sending.emplace_back();
    out.buffer.assign(reinterpret_cast<const char*>(&h), sizeof h);
    out.buffer += bytes;
    MPI_Isend(out.buffer.data(), static_cast<int>(out.buffer.size()), MPI_BYTE,
              0, kTagResult, MPI_COMM_WORLD, &out.request);
  }
  for (Sending& out : sending) WaitFor(&out.request);
  return Status::Ok();
}

}  // namespace krg::mpi
