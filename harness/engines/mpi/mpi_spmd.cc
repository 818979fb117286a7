// The mpi engine's SPMD pass (see mpi_spmd.h).
//
// Protocol on MPI_COMM_WORLD. rank 0 -> SPMD rank: kTagSpmdPass (a uint64,
// unused), or kTagStop. SPMD rank -> rank 0, after RunRank: kTagSpmdDone
// with a uint64 byte count, then the bytes of its ResultRanges() in order,
// as kTagSpmdData messages of at most 1 GiB each (MPI counts are ints), which
// rank 0 receives straight into its arena. Within a pass the SPMD ranks use
// a communicator of their own (MPI_Comm_create_group: rank 0 takes no part).
#include "engines/mpi/mpi_spmd.h"

#include <mpi.h>
#include <sys/mman.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "engines/mpi/mpi_wait.h"

namespace krg::mpi {
namespace {

using internal::Backoff;
using internal::kTagSpmdData;
using internal::kTagSpmdDone;
using internal::kTagSpmdPass;
using internal::kTagStop;
using internal::WaitAll;
using ArenaRange = SpmdWorkload::ArenaRange;

constexpr std::size_t kChunk = std::size_t{1} << 30;
constexpr int kTagHalo = 1;  // on the SPMD ranks' communicator

// A computing rank spins a little at a collective (the others are usually
// a few microseconds behind), then sleeps in short steps: when the ranks
// outnumber the CPUs, the rank it waits for needs this CPU.
Backoff Computing() { return Backoff(std::chrono::microseconds(50), 100); }
// Rank 0 and idle ranks wait for a whole pass: long sleeps, little CPU.
Backoff Idle() { return Backoff(std::chrono::microseconds(0), 1000); }

// A private, zero-filled copy of the arena. Pages never touched are never
// allocated, so a rank pays only for its slab and halo.
class PrivateArena {
 public:
  static Result<PrivateArena> Map(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
      return Status::FromErrno(
          "mmap of a " + std::to_string(bytes >> 20) + " MiB arena", errno);
    }
    return PrivateArena(static_cast<char*>(p), bytes);
  }
  PrivateArena(PrivateArena&& o) noexcept : p_(o.p_), bytes_(o.bytes_) {
    o.p_ = nullptr;
  }
  PrivateArena& operator=(PrivateArena&&) = delete;
  ~PrivateArena() {
    if (p_ != nullptr) ::munmap(p_, bytes_);
  }
  char* data() const { return p_; }
  std::size_t size() const { return bytes_; }

 private:
  PrivateArena(char* p, std::size_t bytes) : p_(p), bytes_(bytes) {}
  char* p_;
  std::size_t bytes_;
};

std::size_t ArenaSize(const SpmdWorkload& w, int ranks) {
  const std::size_t page = 4096;
  return std::max<std::size_t>(page,
                               (w.ArenaBytes(ranks) + page - 1) / page * page);
}

int WorldSize() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// Rank `rank`'s result ranges, checked against the arena.
Result<std::vector<ArenaRange>> RangesOf(const SpmdWorkload& w, int rank,
                                         int ranks, std::size_t arena) {
  std::optional<std::vector<ArenaRange>> ranges = w.ResultRanges(rank, ranks);
  if (!ranges) {
    return Status::InvalidArgument(
        "this SPMD workload needs shared memory (it has no ResultRanges)");
  }
  for (const ArenaRange& r : *ranges) {
    KRG_CHECK(r.offset <= arena && r.bytes <= arena - r.offset)
        << "result range " << r.offset << "+" << r.bytes << " of rank " << rank
        << " outside the " << arena << "-byte arena";
  }
  return *std::move(ranges);
}

std::uint64_t TotalBytes(const std::vector<ArenaRange>& ranges) {
  std::uint64_t total = 0;
  for (const ArenaRange& r : ranges) total += r.bytes;
  return total;
}

// Starts a send (or receive) of each range of `base`, in chunks.
template <typename Start>
void ForEachChunk(const std::vector<ArenaRange>& ranges, char* base,
                  std::vector<MPI_Request>* requests, Start start) {
  for (const ArenaRange& r : ranges) {
    for (std::size_t at = 0; at < r.bytes; at += kChunk) {
      const std::size_t n = std::min(kChunk, r.bytes - at);
      requests->emplace_back();
      start(base + r.offset + at, static_cast<int>(n), &requests->back());
    }
  }
}

// One SPMD rank inside a pass: a private arena, MPI in place of barriers
// on shared memory.
class MpiRank final : public SpmdRank {
 public:
  MpiRank(int rank, int ranks, MPI_Comm comm, void* arena)
      : rank_(rank), ranks_(ranks), comm_(comm), arena_(arena) {}
  int rank() const override { return rank_; }
  int ranks() const override { return ranks_; }
  void* arena() const override { return arena_; }
  Status Barrier() override {
    MPI_Request request;
    MPI_Ibarrier(comm_, &request);
    internal::WaitFor(&request, Computing());
    return Status::Ok();
  }
  bool SnapshotWanted() override { return false; }
  void* SnapshotSlab() override { NoCheckpoints(); }
  void SnapshotScalars(std::string_view) override { NoCheckpoints(); }
  void PublishSnapshot() override { NoCheckpoints(); }
  bool Restored() const override { return false; }
  std::string RestoredScalars() const override { return {}; }
  Status AllGather(std::span<double* const> arrays,
                   std::span<const long> bounds) override;
  Status ExchangeHalo(double* v, std::span<const long> bounds,
                      long width) override;

 private:
  [[noreturn]] static void NoCheckpoints() {
    KRG_CHECK(false) << "the mpi engine takes no checkpoints";
    std::abort();
  }
  const int rank_, ranks_;
  const MPI_Comm comm_;
  void* const arena_;
  std::vector<int> counts_, displs_;
  std::vector<MPI_Request> requests_;
};

Status MpiRank::AllGather(std::span<double* const> arrays,
                          std::span<const long> bounds) {
  KRG_CHECK(bounds.size() == static_cast<std::size_t>(ranks_) + 1);
  if (bounds[ranks_] > INT_MAX) {
    return Status::InvalidArgument("AllGather of more than INT_MAX elements");
  }
  counts_.resize(static_cast<std::size_t>(ranks_));
  displs_.resize(static_cast<std::size_t>(ranks_));
  for (int r = 0; r < ranks_; ++r) {
    counts_[r] = static_cast<int>(bounds[r + 1] - bounds[r]);
    displs_[r] = static_cast<int>(bounds[r]);
  }
  requests_.assign(arrays.size(), MPI_REQUEST_NULL);
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, arrays[i],
                    counts_.data(), displs_.data(), MPI_DOUBLE, comm_,
                    &requests_[i]);
  }
  WaitAll(requests_, Computing());
  return Status::Ok();
}

Status MpiRank::ExchangeHalo(double* v, std::span<const long> bounds,
                             long width) {
  KRG_CHECK(bounds.size() == static_cast<std::size_t>(ranks_) + 1);
  const long lo = bounds[rank_], hi = bounds[rank_ + 1];
  requests_.clear();
  for (int s = 0; s < ranks_; ++s) {
    if (s == rank_) continue;
    // Its elements within `width` of mine, and mine within `width` of its.
    const long a = std::max(bounds[s], lo - width);
    const long b = std::min(bounds[s + 1], hi + width);
    const long c = std::max(lo, bounds[s] - width);
    const long d = std::min(hi, bounds[s + 1] + width);
    if (b - a > INT_MAX || d - c > INT_MAX) {
      return Status::InvalidArgument("a halo of more than INT_MAX elements");
    }
    if (b > a) {
      requests_.emplace_back();
      MPI_Irecv(v + a, static_cast<int>(b - a), MPI_DOUBLE, s, kTagHalo, comm_,
                &requests_.back());
    }
    if (d > c) {
      requests_.emplace_back();
      MPI_Isend(v + c, static_cast<int>(d - c), MPI_DOUBLE, s, kTagHalo, comm_,
                &requests_.back());
    }
  }
  WaitAll(requests_, Computing());
  return Status::Ok();
}

// One pass on SPMD rank `me`: compute, then send rank 0 the result ranges.
Status RunPass(SpmdWorkload& w, int me, int ranks, MPI_Comm comm) {
  KRG_ASSIGN_OR_RETURN(PrivateArena arena,
                       PrivateArena::Map(ArenaSize(w, ranks)));
  KRG_ASSIGN_OR_RETURN(std::vector<ArenaRange> ranges,
                       RangesOf(w, me, ranks, arena.size()));
  KRG_RETURN_IF_ERROR(w.Setup(arena.data(), ranks));
  MpiRank rank(me, ranks, comm, arena.data());
  KRG_RETURN_IF_ERROR(w.RunRank(rank));
  std::uint64_t total = TotalBytes(ranges);
  MPI_Send(&total, 1, MPI_UINT64_T, 0, kTagSpmdDone, MPI_COMM_WORLD);
  std::vector<MPI_Request> requests;
  ForEachChunk(ranges, arena.data(), &requests,
               [](char* p, int n, MPI_Request* r) {
                 MPI_Isend(p, n, MPI_BYTE, 0, kTagSpmdData, MPI_COMM_WORLD, r);
               });
  WaitAll(requests, Idle());
  return Status::Ok();
}

// The SPMD ranks' communicator (world ranks 1..ranks), made by them alone.
MPI_Comm MakeRanksComm(int ranks) {
  MPI_Group world, group;
  MPI_Comm_group(MPI_COMM_WORLD, &world);
  int range[1][3] = {{1, ranks, 1}};
  MPI_Group_range_incl(world, 1, range, &group);
  MPI_Comm comm = MPI_COMM_NULL;
  MPI_Comm_create_group(MPI_COMM_WORLD, group, /*tag=*/0, &comm);
  MPI_Group_free(&group);
  MPI_Group_free(&world);
  return comm;
}

}  // namespace

Result<ExecReport> RunSpmdMaster(SpmdWorkload& w, const ExecOptions& opts) {
  const int size = WorldSize();
  KRG_CHECK(size >= 2) << "the mpi engine needs a computing rank";
  const int ranks = w.RanksFor(size - 1);
  KRG_ASSIGN_OR_RETURN(PrivateArena arena,
                       PrivateArena::Map(ArenaSize(w, ranks)));
  std::vector<std::vector<ArenaRange>> ranges;
  for (int r = 0; r < ranks; ++r) {
    KRG_ASSIGN_OR_RETURN(ranges.emplace_back(),
                         RangesOf(w, r, ranks, arena.size()));
  }
  KRG_RETURN_IF_ERROR(w.Setup(arena.data(), ranks));
  for (int r = 1; r <= ranks; ++r) {
    const std::uint64_t go = 0;
    MPI_Send(&go, 1, MPI_UINT64_T, r, kTagSpmdPass, MPI_COMM_WORLD);
  }
  // In rank order, so that a later rank's bytes win where ranges overlap.
  std::vector<MPI_Request> requests;
  for (int r = 0; r < ranks; ++r) {
    const MPI_Status st = internal::Probe(r + 1, kTagSpmdDone, Idle());
    std::uint64_t total = 0;
    MPI_Recv(&total, 1, MPI_UINT64_T, st.MPI_SOURCE, kTagSpmdDone,
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    KRG_CHECK(total == TotalBytes(ranges[r]))
        << "rank " << r << " sends " << total << " result bytes, expected "
        << TotalBytes(ranges[r]);
    requests.clear();
    ForEachChunk(ranges[r], arena.data(), &requests,
                 [r](char* p, int n, MPI_Request* req) {
                   MPI_Irecv(p, n, MPI_BYTE, r + 1, kTagSpmdData,
                             MPI_COMM_WORLD, req);
                 });
    WaitAll(requests, Idle());
    if (opts.progress) {
      opts.progress(static_cast<std::size_t>(r + 1),
                    static_cast<std::size_t>(ranks));
    }
  }
  KRG_RETURN_IF_ERROR(w.Finish(arena.data(), ranks));
  ExecReport report;
  report.units = static_cast<std::size_t>(ranks);
  return report;
}

Status ServeSpmd(SpmdWorkload& w) {
  int world = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &world);
  const int ranks = w.RanksFor(WorldSize() - 1);
  const int me = world - 1;
  MPI_Comm comm = me < ranks ? MakeRanksComm(ranks) : MPI_COMM_NULL;
  std::string in;
  Status status;
  for (;;) {
    const MPI_Status st = internal::Probe(0, MPI_ANY_TAG, Idle());
    internal::Receive(st, &in);
    if (st.MPI_TAG == kTagStop) break;
    if (st.MPI_TAG != kTagSpmdPass || comm == MPI_COMM_NULL) {
      status = Status::Internal("unexpected message from rank 0 (tag " +
                                std::to_string(st.MPI_TAG) + ")");
      break;
    }
    status = RunPass(w, me, ranks, comm);
    if (!status.ok()) break;
  }
  // After a failure the job is aborted: a collective free could hang.
  if (status.ok() && comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  return status;
}

}  // namespace krg::mpi
