// The `mpi` engine's farm, inside an MPI job (Open MPI): rank 0 is the master
// (an Executor that hands units out dynamically to ranks 1..size-1 and merges
// their results), every other rank serves units until rank 0 says stop. The
// same master runs SPMD passes (mpi_spmd.h).
// Built only when CMake finds MPI (KRG_MPI); Measure() starts the job
// (mpi_job.h) and the ranks run these from `krgdemo __mpi-rank`.
//
// Waiting ranks poll with a growing sleep instead of MPI's busy wait, so an
// idle master or a worker between units leaves its CPU to the others (the
// ranks of one machine are usually oversubscribed: the master is one more).
//
// A rank that dies takes the whole job down (mpirun aborts it): unlike
// `procs`, MPI cannot replace a worker, so there is no requeueing here.
//
// Thread-safety: MPI is initialised for one thread (MPI_THREAD_SINGLE); every
// call comes from the main thread of the rank.
#ifndef KRG_ENGINES_MPI_MPI_FARM_H_
#define KRG_ENGINES_MPI_MPI_FARM_H_

#include <memory>
#include <string>
#include <vector>

#include "krg/executor.h"
#include "krg/status.h"
#include "krg/workload.h"

namespace krg::mpi {

// MPI_Init on construction, MPI_Finalize on destruction.
class Session {
 public:
  Session(int* argc, char*** argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // Every rank waits here until all arrived (polling, see above).
  void Barrier() const;
  // Every rank's host name (MPI_Get_processor_name), rank i's at index i,
  // on rank 0; empty on the other ranks. Collective.
  std::vector<std::string> GatherHostNames() const;
  // Ends the whole job now with `code` (mpirun kills every rank).
  [[noreturn]] void Abort(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Rank 0's executor: units go to ranks 1..size-1, three in flight per rank.
// RunFarm returns only once no unit is in flight (after a failure or a
// cancel too), so the next pass or StopWorkers() finds quiet channels.
// RunSpmd: ranks 1..size-1 are the SPMD ranks (ServeSpmd), rank 0 collects
// the answer (mpi_spmd.h).
// REQUIRES: a Session exists, this is rank 0 and size >= 2.
std::unique_ptr<Executor> MakeFarmMaster();

// Rank 0: tells every other rank to leave ServeFarm() or ServeSpmd().
void StopWorkers();

// Ranks >= 1: computes the units rank 0 sends, until StopWorkers().
// REQUIRES: `w` is the same workload (demo, size, params) as rank 0's.
Status ServeFarm(const FarmWorkload& w);

}  // namespace krg::mpi

#endif  // KRG_ENGINES_MPI_MPI_FARM_H_
