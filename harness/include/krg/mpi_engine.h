// The mpi engine (Open MPI) as the rest of krgdemo sees it. Measure()
// (runner.h) runs it like any engine of the table (engine.h): one measured
// point is one mpirun job of --nodes + 1 ranks that krgdemo starts on itself
// (`krgdemo __mpi-rank REQUEST`); rank 0 is the master, measures, writes the
// artifacts and sends its Measurement back. The code is in
// harness/engines/mpi/; this header holds what the launcher needs besides
// Measure(): whether the engine is there, which workloads it takes, and the
// entry point of its ranks.
//
// Thread-safety: MpiEngineAvailable() and MpiEngineRuns() are safe from any
// thread; MpiRankMain() is a process's main().
#ifndef KRG_MPI_ENGINE_H_
#define KRG_MPI_ENGINE_H_

#include <functional>
#include <memory>
#include <string>

#include "krg/runner.h"
#include "krg/status.h"
#include "krg/workload.h"

namespace krg {

// The hidden subcommand every rank of a job runs.
inline constexpr const char* kMpiRankCommand = "__mpi-rank";

// Ok when this build has the mpi engine and mpirun is found; otherwise a
// kInvalidArgument saying why and what to install (the CLI exits 2).
Status MpiEngineAvailable();
// The program that starts jobs: $KRGDEMO_MPIRUN, else "mpirun".
std::string MpirunProgram();

// Ok when the mpi engine can run `w`: a farm, or an SPMD workload that says
// which bytes of its arena make its answer (SpmdWorkload::ResultRanges),
// since its ranks share no memory. Otherwise kInvalidArgument, "DEMO does
// not run on the mpi engine ...". Measure() checks it too; the CLI calls it
// first to make it a usage error before anything starts.
Status MpiEngineRuns(const Workload& w, const std::string& demo);

// Builds the workload a RunSpec::id names; every rank rebuilds its own copy
// (the harness cannot see the demo table, so the launcher passes this).
using WorkloadFactory =
    std::function<Result<std::unique_ptr<Workload>>(const WorkloadId& id)>;

// `krgdemo __mpi-rank REQUEST`: what every rank of a job runs. Returns the
// process's exit code (2 when run by hand, or in a build without the engine).
int MpiRankMain(int argc, char** argv, const WorkloadFactory& make);

}  // namespace krg

#endif  // KRG_MPI_ENGINE_H_
