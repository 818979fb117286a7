// `krgdemo __mpi-rank REQUEST`: one rank of an mpi engine job (started by
// MeasureOnMpi, mpi_job.h). Every rank builds the same workload from the
// request through the launcher's factory; rank 0 measures it with the
// master executor (the same Measure(), Merge or Finish, and Verify as the
// other engines), writes the artifacts and sends its measurement on the
// channel; the other ranks serve units (farm) or are the SPMD ranks. A rank
// that cannot go on sends an error on the channel and aborts the job.
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engines/mpi/mpi_farm.h"
#include "engines/mpi/mpi_job.h"
#include "engines/mpi/mpi_spmd.h"
#include "krg/mpi_engine.h"

namespace krg {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 2;  // as the CLI's

// The channel to the launcher (mpi_job.h): this rank's stdout as mpirun set
// it up. Open() moves it aside and points fd 1 at stderr, so that whatever
// the workload or a library prints stays out of the channel.
class Channel {
 public:
  static Channel Open() {
    std::fflush(stdout);
    const int fd = ::dup(STDOUT_FILENO);
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    return Channel(fd);
  }
  // One message, whole: a message under PIPE_BUF bytes is one write(), so
  // errors from several ranks at once do not interleave.
  void Send(const std::string& message) const {
    std::size_t sent = 0;
    while (fd_ >= 0 && sent < message.size()) {
      const ssize_t n =
          ::write(fd_, message.data() + sent, message.size() - sent);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

 private:
  explicit Channel(int fd) : fd_(fd) {}
  int fd_;
};

[[noreturn]] void FailRank(const mpi::Session& session, const Channel& channel,
                           const Status& s) {
  std::string what =
      "rank " + std::to_string(session.rank()) + ": " + s.message();
  if (what.size() > PIPE_BUF / 2) what.resize(PIPE_BUF / 2);
  channel.Send(mpi::ErrorMessage(what));
  session.Abort(1);
}

// Rank 0's progress, at most five messages a second (and each pass's end).
std::function<void(const Progress&)> ProgressSender(const Channel& channel) {
  auto last = std::chrono::steady_clock::time_point();
  return [&channel, last](const Progress& p) mutable {
    const auto now = std::chrono::steady_clock::now();
    const bool pass_done = p.total > 0 && p.done == p.total;
    if (!pass_done && now - last < std::chrono::milliseconds(200)) return;
    last = now;
    channel.Send(mpi::ProgressMessage(p));
  };
}

// Rank 0: measures (farm or SPMD passes, through the same master executor),
// stops the workers, writes artifacts, sends the result.
int Master(const mpi::MpiJob& job, Workload& w, const Channel& channel,
           const std::vector<std::string>& hosts) {
  auto master = mpi::MakeFarmMaster();
  RunSpec spec;
  spec.id = job.id;
  spec.engine = Engine::kMpi;
  spec.nodes = job.nodes;
  spec.repeat = job.repeat;
  spec.executor = master.get();
  spec.progress = ProgressSender(channel);
  // This machine's CPUs as the layout rank 0 measures with: the workers'
  // machines are the job's, whatever platform the launcher runs on.
  auto platform = platform::MakeLinuxPlatform();
  auto m = Measure(*platform, w, spec);
  mpi::StopWorkers();
  if (!m.ok()) {
    channel.Send(mpi::ErrorMessage("rank 0: " + m.status().message()));
    return 0;
  }
  m->layout_note.clear();  // the launcher says how ranks share CPUs
  m->machines = mpi::CountRanks(hosts);
  if (!job.artifacts_dir.empty()) {
    Status art = w.WriteArtifacts(job.artifacts_dir);
    m->artifacts_written = art.ok();
    if (!art.ok()) m->events.push_back("artifacts: " + art.message());
  }
  channel.Send(mpi::ResultMessage(*m));
  return 0;
}

// Every rank's copy of the workload; rank 0 builds first, since it may
// generate a cached input that the others then reuse.
std::unique_ptr<Workload> BuildWorkload(const mpi::Session& session,
                                        const Channel& channel,
                                        const mpi::MpiJob& job,
                                        const WorkloadFactory& make) {
  Result<std::unique_ptr<Workload>> w = Status::Internal("not built");
  if (session.rank() == 0) w = make(job.id);
  session.Barrier();
  if (session.rank() != 0) w = make(job.id);
  if (!w.ok()) FailRank(session, channel, w.status());
  if (Status s = MpiEngineRuns(**w, job.id.name); !s.ok()) {
    FailRank(session, channel, s);
  }
  return std::move(*w);
}

}  // namespace

int MpiRankMain(int argc, char** argv, const WorkloadFactory& make) {
  if (argc != 3 || std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) {
    std::fprintf(stderr,
                 "krgdemo: error: %s is internal: mpirun starts it for "
                 "--engine mpi (see 'krgdemo run --help')\n",
                 kMpiRankCommand);
    return kExitUsage;
  }
  const Channel channel = Channel::Open();
  mpi::Session session(&argc, &argv);
  auto job = mpi::MpiJobFromJson(
      json::parse(argv[2], nullptr, /*allow_exceptions=*/false));
  if (!job.ok()) FailRank(session, channel, job.status());
  if (session.size() != job->nodes + 1) {
    FailRank(session, channel,
             Status::InvalidArgument(
                 "the job has " + std::to_string(session.size()) +
                 " ranks; expected " + std::to_string(job->nodes + 1)));
  }
  std::unique_ptr<Workload> w = BuildWorkload(session, channel, *job, make);
  const std::vector<std::string> hosts = session.GatherHostNames();
  if (session.rank() == 0) return Master(*job, *w, channel, hosts);
  Status served = w->shape() == Shape::kFarm
                      ? mpi::ServeFarm(static_cast<FarmWorkload&>(*w))
                      : mpi::ServeSpmd(static_cast<SpmdWorkload&>(*w));
  if (!served.ok()) FailRank(session, channel, served);
  return 0;
}

}  // namespace krg
