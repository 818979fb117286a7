// One job of the mpi engine and what travels between its two sides: the
// request on mpirun's command line (launcher -> every rank) and the messages
// of the channel (ranks -> launcher). Private to harness/engines/mpi; the
// rest of krgdemo uses krg/mpi_engine.h and Measure().
//
// The channel is mpirun's stdout, read by the launcher through a pipe. Every
// rank moves its own stdout aside at start (to a descriptor of its own) and
// points fd 1 at its stderr, so that nothing but messages reach it: rank 0's
// progress and result, and the error of any rank that cannot go on. A
// message is one JSON line ({"krgdemo_mpi": "progress" | "result" | "error",
// ...}). This works wherever the ranks run: mpirun forwards every rank's
// stdout, from other hosts too (--hostfile), which a local file or a unix
// socket that rank 0 writes would not reach. mpirun's own banners and the
// ranks' prints go to stderr, which the launcher keeps as the job's log, to
// describe a failure that sent no message (a rank killed by a signal).
// Lines on stdout that are not messages (from a library) go to that log too.
//
// Thread-safety: plain functions and values; MeasureOnMpi() is for one
// thread at a time (it adopts orphans of this process while it runs).
#ifndef KRG_ENGINES_MPI_MPI_JOB_H_
#define KRG_ENGINES_MPI_MPI_JOB_H_

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "krg/platform.h"
#include "krg/runner.h"
#include "krg/stats.h"
#include "krg/status.h"

namespace krg::mpi {

// One measured point: what the ranks build and how rank 0 measures it.
struct MpiJob {
  WorkloadId id;
  int nodes = 1;  // worker ranks; the job has nodes + 1 ranks
  RepeatPolicy repeat;
  std::string hostfile;                 // empty: this machine, oversubscribed
  std::filesystem::path artifacts_dir;  // empty: rank 0 writes none
  // How mpirun reaches the hosts (Open MPI's plm_rsh_agent, an ssh command
  // line); empty: Open MPI's default. Launcher side only.
  std::vector<std::string> rsh_agent;
};

// The job of `spec` (its artifacts folder made absolute: ranks may start
// elsewhere).
MpiJob JobFor(const RunSpec& spec);

// mpirun's command line for `job`, running `self` (this krgdemo) in every
// rank; `as_root` adds --allow-run-as-root.
std::vector<std::string> MpirunArgv(const MpiJob& job, const std::string& self,
                                    bool as_root);

nlohmann::json ToJson(const MpiJob& job);
// [{"host", "ranks", "master"}], as run.json keeps it.
nlohmann::json MachinesToJson(const std::vector<MachineRanks>& machines);
Result<MpiJob> MpiJobFromJson(const nlohmann::json& j);
// The measurement as rank 0 sends it (the summary is recomputed on reading).
nlohmann::json MeasurementToJson(const Measurement& m);
Result<Measurement> MeasurementFromJson(const nlohmann::json& j);

// The channel's messages, each one line ending in '\n'.
std::string ProgressMessage(const Progress& p);
std::string ResultMessage(const Measurement& m);
std::string ErrorMessage(const std::string& what);

// One line read from the channel.
struct MpiMessage {
  enum class Kind { kText, kProgress, kResult, kError };
  Kind kind = Kind::kText;
  Progress progress;        // kProgress
  Measurement measurement;  // kResult
  std::string text;         // kError: what went wrong; kText: the line
};
// A result that does not parse becomes a kError saying so.
MpiMessage ParseMessage(const std::string& line);

// Cuts a byte stream into lines (without their '\n').
class LineSplitter {
 public:
  template <typename F>
  void Feed(std::string_view bytes, F on_line) {
    pending_.append(bytes);
    std::size_t start = 0, nl;
    while ((nl = pending_.find('\n', start)) != std::string::npos) {
      on_line(pending_.substr(start, nl - start));
      start = nl + 1;
    }
    pending_.erase(0, start);
  }
  // What came after the last '\n' (a writer that died mid-line).
  const std::string& rest() const { return pending_; }

 private:
  std::string pending_;
};

// Where the ranks ran, from the host name each rank reported (rank i's at
// index i): one entry per host, in order of first appearance.
std::vector<MachineRanks> CountRanks(const std::vector<std::string>& hosts);

// One line saying why a job failed, from mpirun's log (its stderr) and its
// exit, when no rank said so on the channel.
std::string DescribeMpiFailure(const std::string& log,
                               const platform::ExitInfo& exit);
// A note when N + 1 ranks oversubscribe this machine's `cpus` (empty when
// they fit, or when a hostfile decides where ranks go).
std::string OversubscriptionNote(const MpiJob& job, int cpus);

// Measure() of the mpi engine (its row of the engine table): runs the job
// of `spec` under mpirun and returns rank 0's measurement. spec.progress and
// spec.cancel work as for the other engines; a cancel ends the job
// (kCancelled). REQUIRES: spec.id names the workload `w` is.
Result<Measurement> MeasureOnMpi(platform::Platform& platform, Workload& w,
                                 const RunSpec& spec);

}  // namespace krg::mpi

#endif  // KRG_ENGINES_MPI_MPI_JOB_H_
