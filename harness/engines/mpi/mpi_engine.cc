// The mpi engine, launcher side (krg/mpi_engine.h, mpi_job.h): is it there,
// does it take a workload, and MeasureOnMpi(), which starts mpirun with its
// stdout on a pipe (the channel) and its stderr in a log, and reads rank 0's
// result from the channel.
#include "krg/mpi_engine.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "engines/mpi/mpi_job.h"
#include "krg/metadata.h"
#include "krg/results.h"
#include "platform/cluster_file.h"

namespace krg {

std::string MpirunProgram() {
  const char* env = std::getenv("KRGDEMO_MPIRUN");
  return env != nullptr && *env != '\0' ? env : "mpirun";
}

Status MpiEngineAvailable() {
#ifndef KRG_HAVE_MPI
  return Status::InvalidArgument(
      "the mpi engine is unavailable: this krgdemo was built without Open "
      "MPI (install openmpi-bin and libopenmpi-dev, then rebuild)");
#else
  if (!platform::ProgramExists(MpirunProgram())) {
    return Status::InvalidArgument(
        "the mpi engine is unavailable: " + MpirunProgram() +
        " not found (install openmpi-bin, or set KRGDEMO_MPIRUN)");
  }
  return Status::Ok();
#endif
}

Status MpiEngineRuns(const Workload& w, const std::string& demo) {
  if (w.shape() == Shape::kFarm) return Status::Ok();
  if (w.shape() == Shape::kSpmd &&
      static_cast<const SpmdWorkload&>(w).ResultRanges(0, 1).has_value()) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      demo +
      " does not run on the mpi engine (it runs the farm demos and poisson; "
      "use --engine procs or threads)");
}

#ifndef KRG_HAVE_MPI
int MpiRankMain(int, char**, const WorkloadFactory&) {
  std::fprintf(stderr, "krgdemo: error: %s\n",
               MpiEngineAvailable().message().c_str());
  return 2;  // the CLI's usage error
}
#endif

}  // namespace krg

namespace krg::mpi {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// How long a read of the channel waits: how late a cancel, or the end of
// mpirun, is noticed while no message comes. Messages are read at once.
constexpr int kPollMs = 100;
constexpr auto kKillGrace = std::chrono::seconds(10);
constexpr int kOrphanGraceMs = 5000;  // for ranks to die of mpirun's SIGTERM

// What the job sent and how mpirun ended.
struct JobOutcome {
  std::optional<Measurement> result;
  std::string error;  // the first error a rank sent
  platform::ExitInfo exit;
};

// Reads the channel: messages go to the outcome or to spec.progress, other
// lines to the job's log.
class ChannelReader {
 public:
  ChannelReader(int fd, const RunSpec& spec, fs::path log)
      : fd_(fd), spec_(spec), log_(std::move(log)) {}

  // Waits up to `timeout_ms` for bytes and handles the lines they end.
  // False once the channel has closed (every writer is gone).
  bool Pump(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;  // quiet, or EINTR
    char buf[1 << 16];
    const ssize_t got = ::read(fd_, buf, sizeof buf);
    if (got < 0) return errno == EINTR || errno == EAGAIN;
    if (got == 0) return false;
    lines_.Feed(std::string_view(buf, static_cast<std::size_t>(got)),
                [this](const std::string& line) { OnLine(line); });
    return true;
  }
  // After mpirun has ended: what is still in the pipe.
  void Drain() {
    while (HasInput() && Pump(0)) {
    }
    if (!lines_.rest().empty()) OnLine(lines_.rest());
  }
  JobOutcome& outcome() { return outcome_; }

 private:
  bool HasInput() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }
  void OnLine(const std::string& line) {
    MpiMessage m = ParseMessage(line);
    switch (m.kind) {
      case MpiMessage::Kind::kProgress:
        if (spec_.progress) spec_.progress(m.progress);
        break;
      case MpiMessage::Kind::kResult:
        outcome_.result = std::move(m.measurement);
        break;
      case MpiMessage::Kind::kError:
        if (outcome_.error.empty()) outcome_.error = m.text;
        break;
      case MpiMessage::Kind::kText:
        std::ofstream(log_, std::ios::app) << m.text << "\n";
        break;
    }
  }

  int fd_;
  const RunSpec& spec_;
  fs::path log_;
  LineSplitter lines_;
  JobOutcome outcome_;
};

// Ends mpirun (which kills its ranks): SIGTERM, then SIGKILL after a grace.
void EndJob(pid_t pid) {
  (void)platform::SendSignal(pid, SIGTERM);
  const auto deadline = Clock::now() + kKillGrace;
  while (Clock::now() < deadline) {
    auto r = platform::Reap(pid, /*block=*/false);
    if (!r.ok() || r->has_value()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (void)platform::SendSignal(pid, SIGKILL);
  (void)platform::Reap(pid, /*block=*/true);
}

bool Cancelled(const RunSpec& spec) {
  return spec.cancel != nullptr && spec.cancel->load();
}

// Follows the job until mpirun ends; on a cancel ends the job.
Result<JobOutcome> WaitForJob(const platform::PipedCommand& job,
                              const RunSpec& spec, const fs::path& log) {
  ChannelReader channel(job.out_fd, spec, log);
  bool open = true;
  for (;;) {
    if (Cancelled(spec)) {
      EndJob(job.pid);
      return Status::Cancelled("interrupted");
    }
    if (open) {
      open = channel.Pump(kPollMs);
    } else {  // mpirun closed its stdout but has not exited yet
      std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
    auto ended = platform::Reap(job.pid, /*block=*/false);
    if (!ended.ok()) return ended.status();
    if (ended->has_value()) {
      channel.outcome().exit = **ended;
      break;
    }
  }
  channel.Drain();
  // Ctrl-C on a terminal reaches mpirun too, which may end the job first.
  if (Cancelled(spec)) return Status::Cancelled("interrupted");
  return std::move(channel.outcome());
}

Result<fs::path> MakeJobDir() {
  std::string templ = (fs::temp_directory_path() / "krgdemo-mpi-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::FromErrno("mkdtemp " + templ, errno);
  }
  return fs::path(templ);
}

// Runs `job` under mpirun, its log in `dir`, until it ends.
Result<JobOutcome> RunJob(const MpiJob& job, const RunSpec& spec,
                          const fs::path& dir) {
  const fs::path self = platform::ExecutablePath();
  if (self.empty()) {
    return Status::Unavailable("cannot find this krgdemo's executable");
  }
  // When a job aborts, mpirun exits before its ranks are gone: adopt them,
  // so that nothing outlives this call (ReapChildrenExcept below).
  const std::vector<pid_t> before = platform::ChildPids();
  KRG_RETURN_IF_ERROR(platform::AdoptOrphans(true));
  auto started = platform::StartCommandPiped(
      MpirunArgv(job, self.string(), ::geteuid() == 0),
      (dir / "mpirun.log").string());
  Result<JobOutcome> out = started.ok()
                               ? WaitForJob(*started, spec, dir / "mpirun.log")
                               : Result<JobOutcome>(started.status());
  if (started.ok()) ::close(started->out_fd);
  platform::ReapChildrenExcept(before, kOrphanGraceMs);
  (void)platform::AdoptOrphans(false);
  return out;
}

// On separate machines (the cluster platform) with no --hostfile: the
// first spec.nodes machines, checked reachable, as the job's hostfile in
// `dir`, and as many worker ranks as they have CPUs. With any hostfile,
// mpirun reaches the hosts with krgdemo's ssh command (BatchMode: never a
// password prompt that would hang the run).
Status PlaceJob(platform::Platform& platform, const fs::path& dir,
                MpiJob* job) {
  const bool cluster = platform.traits().separate_machines;
  if (cluster && job->hostfile.empty()) {
    KRG_ASSIGN_OR_RETURN(std::vector<platform::Machine> machines,
                         platform.RunMachines(job->nodes));
    job->hostfile = (dir / "hostfile").string();
    KRG_RETURN_IF_ERROR(WriteFileAtomic(
        job->hostfile,
        platform::MpiHostfile(machines, platform::LocalAddresses())));
    job->nodes = 0;
    for (const platform::Machine& m : machines) job->nodes += m.cpus;
  }
  if (!job->hostfile.empty()) {
    KRG_ASSIGN_OR_RETURN(job->rsh_agent, platform::SshCommand());
  }
  return Status::Ok();
}

}  // namespace

Result<Measurement> MeasureOnMpi(platform::Platform& platform, Workload& w,
                                 const RunSpec& spec) {
  KRG_RETURN_IF_ERROR(MpiEngineAvailable());
  if (spec.id.name.empty()) {
    return Status::FailedPrecondition(
        "the mpi engine rebuilds the workload in its ranks: RunSpec::id must "
        "name it");
  }
  KRG_RETURN_IF_ERROR(MpiEngineRuns(w, spec.id.name));
  MpiJob job = JobFor(spec);
  KRG_ASSIGN_OR_RETURN(fs::path dir, MakeJobDir());
  if (Status placed = PlaceJob(platform, dir, &job); !placed.ok()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    return placed;
  }
  Result<JobOutcome> out = RunJob(job, spec, dir);
  if (out.ok() && !out->result) {  // keep mpirun's output for the user
    const fs::path log = dir / "mpirun.log";
    const Result<std::string> text = ReadTextFile(log);
    std::string why =
        !out->error.empty()
            ? out->error
            : DescribeMpiFailure(text.ok() ? *text : "", out->exit);
    std::replace(why.begin(), why.end(), '\n', ' ');  // one line, always
    return Status::Internal("the mpi job failed: " + why +
                            " (mpirun's output: " + log.string() + ")");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!out.ok()) return out.status();
  Measurement m = std::move(*out->result);
  if (job.hostfile.empty()) {
    auto info = platform.Describe(/*sample_load=*/false);
    if (info.ok()) {
      m.layout_note = OversubscriptionNote(job, info->usable_cpus);
    }
  }
  return m;
}

}  // namespace krg::mpi
