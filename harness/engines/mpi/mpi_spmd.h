// The `mpi` engine's SPMD pass (poisson), inside an MPI job.
//
// With --nodes N the job has N + 1 ranks, as for the farm: ranks 1..N are
// the SPMD ranks 0..N-1 (a communicator of their own), rank 0 is the master,
// which never computes. Per pass, rank 0 tells the SPMD ranks to start;
// each maps a private copy of the arena (anonymous memory: the pages it
// never touches cost nothing, so a rank holds its slab and halo only), runs
// Setup() and RunRank(), and sends rank 0 the bytes that
// SpmdWorkload::ResultRanges() names; rank 0 copies them into its own copy
// of the arena, in rank order, and calls Finish(). Within the pass the ranks
// talk through SpmdRank: Barrier (MPI_Ibarrier), AllGather (MPI_Iallgatherv
// in place: no arithmetic, so the fixed-order sums that follow give the same
// bits as the shared-memory engines) and ExchangeHalo (MPI_Isend/Irecv of
// the neighbours' rows). Waits poll briefly, then sleep (mpi_wait.h).
//
// No checkpoints (the launcher refuses --checkpoint-every with mpi). A rank
// that fails aborts the job: the others are inside collectives and cannot
// go on without it.
//
// Thread-safety: the main thread of a rank only (MPI_THREAD_SINGLE).
#ifndef KRG_ENGINES_MPI_MPI_SPMD_H_
#define KRG_ENGINES_MPI_MPI_SPMD_H_

#include "krg/executor.h"
#include "krg/status.h"
#include "krg/workload.h"

namespace krg::mpi {

// Rank 0: one SPMD pass over ranks 1..size-1 (ranks that
// w.RanksFor(size - 1) leaves out stay idle).
// REQUIRES: a Session exists, this is rank 0 and size >= 2.
Result<ExecReport> RunSpmdMaster(SpmdWorkload& w, const ExecOptions& opts);

// Ranks >= 1: runs the passes rank 0 asks for, until StopWorkers().
// REQUIRES: `w` is the same workload (demo, size, params) as rank 0's, and
// has ResultRanges().
Status ServeSpmd(SpmdWorkload& w);

}  // namespace krg::mpi

#endif  // KRG_ENGINES_MPI_MPI_SPMD_H_
