// The engine table: the one list of ways a workload runs (threads, procs,
// mpi), what each can run and its rules. `--help`, bash completion, the
// dashboard's catalogue, selftest and the run pipeline all read it, so a new
// engine is one row here plus its executor.
//
// Read-only after start-up: safe from any thread.
#ifndef KRG_ENGINE_H_
#define KRG_ENGINE_H_

#include <string>
#include <string_view>
#include <vector>

#include "krg/status.h"
#include "krg/workload.h"

namespace krg {

namespace platform {
class Platform;
}
struct RunSpec;
struct Measurement;

// How an engine measures a workload: Measure() (runner.h) calls its row's.
using MeasureFn = Result<Measurement> (*)(platform::Platform& platform,
                                          Workload& workload,
                                          const RunSpec& spec);

enum class Engine { kThreads, kProcs, kMpi };

struct EngineInfo {
  Engine engine;
  const char* name;     // as on the command line: "threads"
  const char* summary;  // one sentence for --help
  // The workload shapes it runs (a service runs on the supervisor of its own
  // demo, whatever the engine).
  std::vector<Shape> shapes;
  // Whether a worker may have several threads (--threads > 1). Kerrighed
  // never migrates a multi-threaded process, so engines that spread over
  // nodes keep their workers single-threaded.
  bool threaded_workers;
  // Whether the runtime's journal checkpoints (--checkpoint-every) apply.
  bool checkpoints;
  // Whether its workers run on the platform's nodes (Platform::Partition);
  // mpi's ranks go where mpirun puts them.
  bool platform_nodes;
  // threads, procs: the passes run in this process through the engine's
  // executor; mpi: an mpirun job whose rank 0 runs them (krg/mpi_engine.h).
  MeasureFn measure;
};

// Every engine, in the order --help lists them.
const std::vector<EngineInfo>& Engines();
const EngineInfo& InfoOf(Engine e);
std::string EngineName(Engine e);
// kInvalidArgument naming the engines when `name` is none of them.
Result<Engine> ParseEngine(std::string_view name);
// "threads|procs|mpi", for value names and messages.
std::string EngineNames(std::string_view separator = "|");
// The engine a run uses when none is named: threads on one node (the SMP
// baseline), procs on more (the shape that spreads over a cluster).
Engine DefaultEngine(int nodes);
// Ok when `engine` runs a workload of `shape`; kInvalidArgument otherwise
// ("DEMO does not run on the mpi engine").
Status EngineRuns(Engine engine, Shape shape, const std::string& demo);

}  // namespace krg

#endif  // KRG_ENGINE_H_
