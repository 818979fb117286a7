// The krgdemo command line: shared pieces of the commands (ninja-style, one
// file per command: cmd_*.cc). Exit codes: 0 ok, 1 a run failed or did not
// verify, 2 usage error, 130 interrupted. Errors are one line on stderr:
// "krgdemo: error: <what went wrong and how to fix it>".
// Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_CLI_H_
#define KRG_LAUNCHER_CLI_H_

#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "krg/engine.h"
#include "krg/executor.h"
#include "krg/params.h"
#include "krg/platform.h"
#include "krg/progress_bar.h"
#include "krg/results.h"
#include "krg/runner.h"
#include "krg/session.h"
#include "registry.h"

namespace krg::cli {

namespace po = boost::program_options;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;
// Kerrighed addresses at most 256 nodes (KERRIGHED_MAX_NODES).
inline constexpr int kMaxNodes = 256;

// One subcommand: `krgdemo NAME ...`.
struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};
const std::vector<Command>& Commands();

int ListCommand(const std::vector<std::string>& args);
int InfoCommand(const std::vector<std::string>& args);
int RunDemoCommand(const std::vector<std::string>& args);
int ScaleCommand(const std::vector<std::string>& args);
int MigrateCommand(const std::vector<std::string>& args);
int ShowCommand(const std::vector<std::string>& args);
int ResumeCommand(const std::vector<std::string>& args);
int BenchCommand(const std::vector<std::string>& args);
int CompareCommand(const std::vector<std::string>& args);
int DashboardCommand(const std::vector<std::string>& args);
int SelftestCommand(const std::vector<std::string>& args);

// Prints "krgdemo: error: <message>" and returns the exit code for `s`.
int Fail(const Status& s);
// Prints the one-line error and returns kExitUsage.
int UsageError(const std::string& command, const std::string& message);
int ExitCodeFor(const Status& s);
void Warn(const std::string& message);

// The text of `krgdemo COMMAND --help`.
struct HelpText {
  std::string usage;    // "run DEMO [options]"
  std::string purpose;  // a sentence or two
  std::string epilog;   // after the options; may be empty
};

// Parses `args` against `visible` (to which it adds --help) and `hidden`
// (positionals). Prints help
// and returns kExitOk when --help was given; a usage error returns
// kExitUsage; nullopt means "go on".
std::optional<int> ParseArgs(const std::string& command, const HelpText& help,
                             po::options_description& visible,
                             const po::options_description& hidden,
                             const po::positional_options_description& pos,
                             const std::vector<std::string>& args,
                             po::variables_map* vm);

// ParseArgs for a command whose one positional is DEMO (run, scale).
std::optional<int> ParseDemoArgs(const std::string& command,
                                 const HelpText& help,
                                 po::options_description& visible,
                                 const std::vector<std::string>& args,
                                 po::variables_map* vm);

// The options `run` and `scale` share, as parsed and checked: the planned
// point (krg/session.h) and what the launcher does with its outcome.
struct RunRequest {
  const demos::Demo* demo = nullptr;
  RunPlan plan;  // id, caps, engine, threads, repeat, hostfile, cluster
  std::optional<std::filesystem::path> out;
  bool json = false;
  bool events = false;  // run --events: events.ndjson for the dashboard
  demos::DemoConfig config() const { return {plan.id.size, plan.id.params}; }
};

// The workload a demo's id names: the mpi engine's ranks rebuild theirs
// with it (main.cc).
Result<std::unique_ptr<Workload>> MakeDemoWorkload(const WorkloadId& id);

// `krgdemo run` of a service demo (webfarm): the sweep under wrk or
// serve_only, run.json and charts (commands/run_service.cc). `bind` is
// --bind.
int RunServiceDemo(RunRequest& req, const std::string& bind);

// --engine's help: every engine of the table with its summary, then `tail`
// (what the default is).
std::string EngineHelp(const std::string& tail);
// Adds --engine --threads --size --param --repeat --out --json --hostfile;
// --threads only with `threads` (scale's node count sets the thread count).
void AddRunOptions(po::options_description* desc, bool threads = true);
// Adds --cluster FILE (run, scale, info, bench, selftest, dashboard).
void AddClusterFileOption(po::options_description* desc);
// Makes DetectPlatform() use --cluster's file, when given; a file that does
// not parse is kInvalidArgument naming its line.
Status ApplyClusterFileOption(const po::variables_map& vm);
// The engine a run of `nodes` gets when --engine is not given: mpi on
// separate machines (the cluster platform), else DefaultEngine(nodes).
Engine DefaultEngineOn(const platform::Platform& platform, int nodes);
// Reads those options (and the DEMO positional) into `req`; applies
// --cluster first.
Status ReadRunOptions(const po::variables_map& vm, RunRequest* req);
// A positive integer, for --nodes and friends.
Result<int> ParsePositive(const std::string& option, const std::string& text,
                          int max);

// Creates `out` (or a fresh timestamped folder under ./krgdemo-results/
// named after `stem`) and checks that it is writable.
Result<std::filesystem::path> PrepareOutDir(
    const std::optional<std::filesystem::path>& out, const std::string& stem);

// Where a kernel-mode checkpoint of run folder `out` keeps its copies of the
// System V objects: <out>/ipc/v<version>/ (`run` saves them, `resume`
// restores them).
std::filesystem::path KernelIpcDir(const std::filesystem::path& out,
                                   int version);

// Load per CPU (1-minute load average / usable CPUs) above which a run says
// the machine is busy: half of every CPU already taken by other work makes
// timings slower and noisier than the machine is.
inline constexpr double kBusyLoadPerCpu = 0.5;
// The machine's load before a run, {"loadavg_1m", "cpus", "per_cpu",
// "busy"}, for run.json's "load"; warns when it is over kBusyLoadPerCpu.
// On the cluster platform, each machine's own (read over ssh):
// {"machines": [{"address", "loadavg_1m", "cpus", "per_cpu", "busy"}],
// "busy_over", "busy"}, and the warning names the busy machines. Null when
// the load cannot be read.
nlohmann::json MachineLoad(platform::Platform& platform);

// A run's progress on stderr (krg::ProgressBar): a bar with the share of
// the run done, "pass 2 of ≤10 · 123/256 units" (an SPMD run: "pass 1 of 3
// · iteration 420 · residual 3.1e-04"), the time so far and the time left;
// redrawn in place on a terminal, a plain line every 10 s elsewhere.
class ProgressLine {
 public:
  explicit ProgressLine(std::string label) : bar_(std::move(label)) {}
  void Update(const Progress& p);
  void Clear() { bar_.Clear(); }

 private:
  ProgressBar bar_;
};

// The process-wide interrupt flag (Ctrl-C, SIGTERM).
const std::atomic<bool>* InterruptFlag();

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_CLI_H_
