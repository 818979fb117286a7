// `krgdemo __mpi-rank REQUEST`: one rank of an mpi engine job (started by
// MeasureOnMpi, mpi_launch.h). Every rank builds the same workload from the
// request; rank 0 measures it with the master executor (the same Measure(),
// Merge or Finish, and Verify as the other engines), writes the artifacts
// and prints its measurement as one marker line; the other ranks serve
// units (farm) or are the SPMD ranks. A rank that cannot go on prints an
// error marker and aborts the job.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/cli.h"
#include "mpi_farm.h"
#include "mpi_launch.h"
#include "mpi_spmd.h"

namespace krg::cli {
namespace {

using nlohmann::json;

// Prints one marker line at once (stdout reaches the launcher via mpirun).
void PrintMarker(const char* marker, const std::string& text) {
  std::fprintf(stdout, "%s%s\n", marker, text.c_str());
  std::fflush(stdout);
}

[[noreturn]] void FailRank(const mpi::Session& session, const Status& s) {
  PrintMarker(kMpiErrorMarker,
              "rank " + std::to_string(session.rank()) + ": " + s.message());
  session.Abort(1);
}

// Rank 0: measures (a farm or SPMD passes, through the same master
// executor), stops the workers, writes artifacts, prints the result.
int Master(const MpiJob& job, Workload& w) {
  auto master = mpi::MakeFarmMaster();
  RunSpec spec;
  spec.engine = Engine::kMpi;
  spec.nodes = job.nodes;
  spec.repeat = job.repeat;
  spec.executor = master.get();
  auto last = std::chrono::steady_clock::now();
  spec.progress = [&last](const Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.done != p.total && now - last < std::chrono::milliseconds(200)) {
      return;
    }
    last = now;
    PrintMarker(kMpiProgressMarker, std::to_string(p.pass) + " " +
                                        std::to_string(p.done) + " " +
                                        std::to_string(p.total));
  };
  auto platform = platform::DetectPlatform();
  auto m = Measure(*platform, w, spec);
  mpi::StopWorkers();
  if (!m.ok()) {
    PrintMarker(kMpiResultMarker, json{{"error", m.status().message()}}.dump());
    return 0;
  }
  m->layout_note.clear();  // the launcher says how ranks share CPUs
  if (!job.artifacts_dir.empty()) {
    Status art = w.WriteArtifacts(job.artifacts_dir);
    m->artifacts_written = art.ok();
    if (!art.ok()) m->events.push_back("artifacts: " + art.message());
  }
  PrintMarker(kMpiResultMarker,
              json{{"measurement", MeasurementToJson(*m)}}.dump());
  return 0;
}

}  // namespace

int MpiRankMain(int argc, char** argv) {
  if (argc != 3 || std::getenv("OMPI_COMM_WORLD_SIZE") == nullptr) {
    std::fprintf(stderr,
                 "krgdemo: error: %s is internal: mpirun starts it for "
                 "--engine mpi (see 'krgdemo run --help')\n",
                 kMpiRankCommand);
    return kExitUsage;
  }
  mpi::Session session(&argc, &argv);
  auto parsed = json::parse(argv[2], nullptr, /*allow_exceptions=*/false);
  auto job = MpiJobFromJson(parsed);
  if (!job.ok()) FailRank(session, job.status());
  if (session.size() != job->nodes + 1) {
    FailRank(session, Status::InvalidArgument("the job has " +
                                              std::to_string(session.size()) +
                                              " ranks; expected " +
                                              std::to_string(job->nodes + 1)));
  }
  const demos::Demo* demo = demos::FindDemo(job->demo);
  if (demo == nullptr) {
    FailRank(session, Status::NotFound("unknown demo '" + job->demo + "'"));
  }
  // Rank 0 builds first: it may generate a cached input the others reuse.
  Result<std::unique_ptr<Workload>> w = Status::Internal("not built");
  if (session.rank() == 0) w = demo->make(job->config);
  session.Barrier();
  if (session.rank() != 0) w = demo->make(job->config);
  if (!w.ok()) FailRank(session, w.status());
  if (Status s = MpiRuns(Engine::kMpi, job->demo, **w); !s.ok()) {
    FailRank(session, s);
  }
  if (session.rank() == 0) return Master(*job, **w);
  Status served = (*w)->shape() == Shape::kFarm
                      ? mpi::ServeFarm(static_cast<FarmWorkload&>(**w))
                      : mpi::ServeSpmd(static_cast<SpmdWorkload&>(**w));
  if (!served.ok()) FailRank(session, served);
  return 0;
}

}  // namespace krg::cli
