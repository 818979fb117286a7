// The launcher's side of the `mpi` engine. One measured point (a demo at
// --nodes N) is one MPI job: krgdemo re-executes itself under mpirun as
// `krgdemo __mpi-rank REQUEST` with N + 1 ranks; rank 0 is the master (it
// runs Measure() with the master executor of harness/mpi/ and writes the
// demo's artifacts), ranks 1..N compute (farm units, or the SPMD ranks). Rank 0
// prints its measurement on stdout as one marker line, which this side reads
// back from mpirun's output, so `run`, `scale` and `bench` record mpi points
// like any other.
//
// Failures: a rank that dies makes mpirun abort the job; this side turns
// mpirun's banner into one line ("rank 1 on node vm was killed by signal 9").
// Ctrl-C: the launcher sends SIGTERM to mpirun (SIGKILL after 10 s), which
// kills every rank; nothing is left running.
//
// Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_MPI_LAUNCH_H_
#define KRG_LAUNCHER_MPI_LAUNCH_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "krg/platform.h"
#include "krg/runner.h"
#include "krg/stats.h"
#include "krg/status.h"
#include "registry.h"

namespace krg::cli {

struct RunRequest;

// The hidden subcommand the ranks run.
inline constexpr const char* kMpiRankCommand = "__mpi-rank";
// Lines rank 0 and failing ranks print among mpirun's output.
inline constexpr const char* kMpiResultMarker = "krgdemo-mpi-result ";
inline constexpr const char* kMpiProgressMarker = "krgdemo-mpi-progress ";
inline constexpr const char* kMpiErrorMarker = "krgdemo-mpi-error ";

// One mpi point: what the ranks build and how rank 0 measures it.
struct MpiJob {
  std::string demo;
  demos::DemoConfig config;
  int nodes = 1;  // worker ranks; the job has nodes + 1 ranks
  RepeatPolicy repeat;
  std::optional<std::string> hostfile;  // unset: this machine, oversubscribed
  std::filesystem::path artifacts_dir;  // empty: rank 0 writes none
};

// Ok when this build has the mpi engine and mpirun is found; otherwise a
// kInvalidArgument saying why and what to install (the CLI exits 2).
Status MpiEngineAvailable();
// The program that starts jobs: $KRGDEMO_MPIRUN, else "mpirun".
std::string MpirunProgram();

// mpirun's command line for `job`, running `self` (this krgdemo) in every
// rank; `as_root` adds --allow-run-as-root.
std::vector<std::string> MpirunArgv(const MpiJob& job, const std::string& self,
                                    bool as_root);

nlohmann::json ToJson(const MpiJob& job);
Result<MpiJob> MpiJobFromJson(const nlohmann::json& j);
// The measurement as rank 0 sends it (the summary is recomputed on reading).
nlohmann::json MeasurementToJson(const Measurement& m);
Result<Measurement> MeasurementFromJson(const nlohmann::json& j);

// One line saying why a job failed, from mpirun's output and its exit.
std::string DescribeMpiFailure(const std::string& output,
                               const platform::ExitInfo& exit);
// A note when N + 1 ranks oversubscribe this machine's `cpus` (empty when
// they fit, or when a hostfile decides where ranks go).
std::string OversubscriptionNote(const MpiJob& job, int cpus);

// Ok unless `engine` is mpi and `w` is neither a farm nor an SPMD workload
// with SpmdWorkload::ResultRanges (poisson has them): "DEMO does not run
// on the mpi engine" (kInvalidArgument).
Status MpiRuns(std::optional<Engine> engine, const std::string& demo,
               const Workload& w);

// Runs `job` under mpirun and returns rank 0's measurement. spec.progress
// and spec.cancel work as for Measure(); a cancel ends the job (kCancelled).
Result<Measurement> MeasureOnMpi(const MpiJob& job, const RunSpec& spec);

// `krgdemo __mpi-rank REQUEST`: what every rank of the job runs
// (launcher/mpi_rank.cc; in a build without the mpi engine, an error).
int MpiRankMain(int argc, char** argv);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_MPI_LAUNCH_H_
