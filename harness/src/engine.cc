#include "krg/engine.h"

#include <memory>

#include "engines/mpi/mpi_job.h"
#include "krg/check.h"
#include "krg/executor.h"
#include "krg/runner.h"

namespace krg {
namespace {

// Measure() through an executor of this process.
Result<Measurement> MeasureWith(std::unique_ptr<Executor> executor,
                                platform::Platform& platform, Workload& w,
                                const RunSpec& spec) {
  RunSpec own = spec;
  own.executor = executor.get();
  return Measure(platform, w, own);
}

Result<Measurement> MeasureOnThreads(platform::Platform& platform, Workload& w,
                                     const RunSpec& spec) {
  return MeasureWith(MakeThreadExecutor(), platform, w, spec);
}

Result<Measurement> MeasureOnProcs(platform::Platform& platform, Workload& w,
                                   const RunSpec& spec) {
  return MeasureWith(MakeProcessExecutor(platform), platform, w, spec);
}

}  // namespace

const std::vector<EngineInfo>& Engines() {
  static const std::vector<EngineInfo> kEngines = {
      {Engine::kThreads,
       "threads",
       "OpenMP threads in one process (one node): the SMP baseline",
       {Shape::kFarm, Shape::kSpmd},
       /*threaded_workers=*/true,
       /*checkpoints=*/true,
       /*platform_nodes=*/true,
       MeasureOnThreads},
      {Engine::kProcs,
       "procs",
       "one single-threaded worker process per node, the shape that spreads "
       "over a cluster and migrates",
       {Shape::kFarm, Shape::kSpmd},
       /*threaded_workers=*/false,
       /*checkpoints=*/true,
       /*platform_nodes=*/true,
       MeasureOnProcs},
      {Engine::kMpi,
       "mpi",
       "one MPI rank per node plus a master rank, started by mpirun, for a "
       "cluster without an SSI",
       {Shape::kFarm, Shape::kSpmd},
       /*threaded_workers=*/false,
       /*checkpoints=*/false,
       /*platform_nodes=*/false,
       mpi::MeasureOnMpi},
  };
  return kEngines;
}

const EngineInfo& InfoOf(Engine e) {
  for (const EngineInfo& info : Engines()) {
    if (info.engine == e) return info;
  }
  KRG_CHECK(false) << "engine " << static_cast<int>(e) << " not in the table";
  return Engines().front();
}

std::string EngineName(Engine e) { return InfoOf(e).name; }

std::string EngineNames(std::string_view separator) {
  std::string text;
  for (const EngineInfo& info : Engines()) {
    if (!text.empty()) text += separator;
    text += info.name;
  }
  return text;
}

Result<Engine> ParseEngine(std::string_view name) {
  for (const EngineInfo& info : Engines()) {
    if (name == info.name) return info.engine;
  }
  std::string expected;
  for (std::size_t i = 0; i < Engines().size(); ++i) {
    if (i > 0) expected += i + 1 == Engines().size() ? " or " : ", ";
    expected += Engines()[i].name;
  }
  return Status::InvalidArgument("unknown engine '" + std::string(name) +
                                 "' (expected " + expected + ")");
}

Engine DefaultEngine(int nodes) {
  return nodes > 1 ? Engine::kProcs : Engine::kThreads;
}

Status EngineRuns(Engine engine, Shape shape, const std::string& demo) {
  for (Shape s : InfoOf(engine).shapes) {
    if (s == shape) return Status::Ok();
  }
  return Status::InvalidArgument(demo + " does not run on the " +
                                 EngineName(engine) + " engine");
}

}  // namespace krg
