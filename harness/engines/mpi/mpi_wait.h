// Waiting inside the mpi engine's ranks, and the tags of its messages on
// MPI_COMM_WORLD. Private to harness/engines/mpi.
//
// Open MPI's blocking calls busy-poll: a waiting rank keeps its CPU at 100%.
// The ranks of one machine are oversubscribed (the master is one more rank
// than --nodes N asks for, and tests run more ranks than CPUs), so a wait
// here polls a little and then sleeps between polls, leaving the CPU to the
// rank that is computing.
//
// Thread-safety: MPI_THREAD_SINGLE; the main thread of a rank only.
#ifndef KRG_ENGINES_MPI_MPI_WAIT_H_
#define KRG_ENGINES_MPI_MPI_WAIT_H_

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <span>
#include <string>
#include <thread>

namespace krg::mpi::internal {

// rank 0 -> worker: a farm unit (uint64 index), stop, an SPMD pass.
inline constexpr int kTagUnit = 1;
inline constexpr int kTagStop = 2;
// worker -> rank 0: a farm unit's result; an SPMD rank's end of pass
// (uint64 byte count) and its result bytes (SpmdWorkload::ResultRanges).
inline constexpr int kTagResult = 3;
inline constexpr int kTagSpmdPass = 4;
inline constexpr int kTagSpmdDone = 5;
inline constexpr int kTagSpmdData = 6;

// Polls without burning a CPU: `spin` of back-to-back polls, then sleeps
// that grow from 20 us to `max_sleep`. The master waits with a long
// max_sleep (it only collects), computing ranks with a short one.
class Backoff {
 public:
  Backoff() : Backoff(std::chrono::microseconds(20), 250) {}
  Backoff(std::chrono::microseconds spin, int max_sleep_us)
      : until_(std::chrono::steady_clock::now() + spin),
        max_sleep_us_(max_sleep_us) {}
  void Wait() {
    if (sleep_us_ == 0) {
      if (std::chrono::steady_clock::now() < until_) return;
      sleep_us_ = 20;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
    sleep_us_ = std::min(max_sleep_us_, 2 * sleep_us_);
  }

 private:
  std::chrono::steady_clock::time_point until_;
  int max_sleep_us_;
  int sleep_us_ = 0;
};

// Waits until every request completes.
inline void WaitAll(std::span<MPI_Request> requests,
                    Backoff backoff = Backoff()) {
  for (;;) {
    int done = 0;
    MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done,
                MPI_STATUSES_IGNORE);
    if (done) return;
    backoff.Wait();
  }
}

inline void WaitFor(MPI_Request* request, Backoff backoff = Backoff()) {
  WaitAll(std::span<MPI_Request>(request, 1), backoff);
}

// Waits for a message from `source` with `tag` (either may be MPI_ANY_*).
inline MPI_Status Probe(int source, int tag, Backoff backoff = Backoff()) {
  for (;;) {
    int found = 0;
    MPI_Status st;
    MPI_Iprobe(source, tag, MPI_COMM_WORLD, &found, &st);
    if (found) return st;
    backoff.Wait();
  }
}

// Receives the probed message `st` into `*buf`.
// Not MPI_Recv: Open MPI's blocking receive polls its progress engine
// without a pause until the last byte is in, and a unit's result crossing
// TCP between machines takes long enough that rank 0 sat at 94% of a CPU
// (mandelbrot large on the cluster test bed, where that CPU is a worker's).
inline void Receive(const MPI_Status& st, std::string* buf,
                    Backoff backoff = Backoff()) {
  int count = 0;
  MPI_Get_count(&st, MPI_BYTE, &count);
  buf->resize(static_cast<std::size_t>(count));
  MPI_Request request;
  MPI_Irecv(buf->data(), count, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG,
            MPI_COMM_WORLD, &request);
  WaitFor(&request, backoff);
}

}  // namespace krg::mpi::internal

#endif  // KRG_ENGINES_MPI_MPI_WAIT_H_
