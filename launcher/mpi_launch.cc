// The launcher's side of the mpi engine (see mpi_launch.h).
#include "mpi_launch.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "krg/metadata.h"

namespace krg::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kKillGrace = std::chrono::seconds(10);
constexpr int kOrphanGraceMs = 5000;  // for ranks to die of mpirun's SIGTERM

// Reads what mpirun appended to its log since the last call, line by line.
class LogTail {
 public:
  explicit LogTail(fs::path path) : path_(std::move(path)) {}
  // Calls on_line for every complete new line.
  template <typename F>
  void Poll(F on_line) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    offset_ += chunk.size();
    pending_ += chunk;
    std::size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      on_line(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
  }

 private:
  fs::path path_;
  std::size_t offset_ = 0;
  std::string pending_;
};

bool StartsWith(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

// What the job printed that matters: rank 0's result, its progress, errors.
struct JobOutput {
  std::optional<json> result;
  std::string text;  // everything else, for the failure message and the log
  platform::ExitInfo exit;
};

void OnLine(const std::string& line, const RunSpec& spec,
            Clock::time_point start, JobOutput* out) {
  if (StartsWith(line, kMpiResultMarker)) {
    json j = json::parse(line.substr(std::strlen(kMpiResultMarker)), nullptr,
                         /*allow_exceptions=*/false);
    if (!j.is_discarded()) out->result = std::move(j);
    return;
  }
  if (StartsWith(line, kMpiProgressMarker)) {
    Progress p;
    if (spec.progress &&
        std::sscanf(line.c_str() + std::strlen(kMpiProgressMarker),
                    "%d %zu %zu", &p.pass, &p.done, &p.total) == 3) {
      p.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
      spec.progress(p);
    }
    return;
  }
  out->text += line + "\n";
}

// Ends mpirun (which kills its ranks): SIGTERM, then SIGKILL after a grace.
void EndJob(pid_t pid) {
  (void)platform::SendSignal(pid, SIGTERM);
  const auto deadline = Clock::now() + kKillGrace;
  while (Clock::now() < deadline) {
    auto r = platform::Reap(pid, /*block=*/false);
    if (!r.ok() || r->has_value()) return;
    std::this_thread::sleep_for(kPollInterval);
  }
  (void)platform::SendSignal(pid, SIGKILL);
  (void)platform::Reap(pid, /*block=*/true);
}

Result<fs::path> MakeJobDir() {
  std::string templ = (fs::temp_directory_path() / "krgdemo-mpi-XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::FromErrno("mkdtemp " + templ, errno);
  }
  return fs::path(templ);
}

Result<Measurement> ReadResult(const json& result) {
  if (result.contains("error")) {
    return Status::Internal(result["error"].get<std::string>());
  }
  return MeasurementFromJson(result.value("measurement", json()));
}

}  // namespace

std::string MpirunProgram() {
  const char* env = std::getenv("KRGDEMO_MPIRUN");
  return env != nullptr && *env != '\0' ? env : "mpirun";
}

#ifndef KRG_HAVE_MPI
int MpiRankMain(int, char**) {
  std::fprintf(stderr, "krgdemo: error: %s\n",
               MpiEngineAvailable().message().c_str());
  return kExitUsage;
}
#endif

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

std::vector<std::string> MpirunArgv(const MpiJob& job, const std::string& self,
                                    bool as_root) {
  std::vector<std::string> argv = {MpirunProgram()};
  if (as_root) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"-np", std::to_string(job.nodes + 1)});
  if (job.hostfile) {
    argv.insert(argv.end(), {"--hostfile", *job.hostfile});
  } else {
    argv.push_back("--oversubscribe");
  }
  // The kernel places the ranks, as it does procs workers' when nodes share
  // CPUs; Open MPI's default would pin the sleeping master to a core.
  argv.insert(argv.end(), {"--bind-to", "none"});
  // Waiting ranks sleep between polls (harness/mpi/mpi_farm.h); Open MPI's
  // sched_yield() on every idle poll of an oversubscribed job only hands
  // the CPU away under load (measured: 2 workers took 2-3x longer).
  argv.insert(argv.end(), {"--mca", "mpi_yield_when_idle", "0"});
  argv.insert(argv.end(), {self, kMpiRankCommand, ToJson(job).dump()});
  return argv;
}

json ToJson(const MpiJob& job) {
  const RepeatPolicy& r = job.repeat;
  return {{"demo", job.demo},
          {"size", job.config.size},
          {"params", job.config.params},
          {"nodes", job.nodes},
          {"repeat",
           {{"fixed", r.fixed},
            {"target_cov", r.target_cov},
            {"min_samples", r.min_samples},
            {"max_samples", r.max_samples},
            {"budget_s", r.budget_s},
            {"warmups", r.warmups}}},
          {"artifacts_dir", job.artifacts_dir.string()}};
}

Result<MpiJob> MpiJobFromJson(const json& j) {
  MpiJob job;
  try {
    job.demo = j.at("demo").get<std::string>();
    job.config.size = j.at("size").get<std::string>();
    job.config.params =
        j.at("params").get<std::map<std::string, std::string>>();
    job.nodes = j.at("nodes").get<int>();
    const json& r = j.at("repeat");
    job.repeat.fixed = r.at("fixed").get<int>();
    job.repeat.target_cov = r.at("target_cov").get<double>();
    job.repeat.min_samples = r.at("min_samples").get<int>();
    job.repeat.max_samples = r.at("max_samples").get<int>();
    job.repeat.budget_s = r.at("budget_s").get<double>();
    job.repeat.warmups = r.at("warmups").get<int>();
    job.artifacts_dir = j.at("artifacts_dir").get<std::string>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("bad mpi job request: ") +
                                   e.what());
  }
  return job;
}

json MeasurementToJson(const Measurement& m) {
  json metrics = json::array();
  for (const Workload::Metric& x : m.metrics) {
    metrics.push_back({{"name", x.name}, {"value", x.value}, {"unit", x.unit}});
  }
  return {{"samples_s", m.samples_s},
          {"verification",
           {{"ok", m.verification.ok},
            {"checksum", m.verification.checksum},
            {"detail", m.verification.detail}}},
          {"threads", m.threads},
          {"workers", m.workers},
          {"worker_restarts", m.worker_restarts},
          {"events", m.events},
          {"artifacts_written", m.artifacts_written},
          {"work", {{"amount", m.work.amount}, {"unit", m.work.unit}}},
          {"metrics", metrics}};
}

Result<Measurement> MeasurementFromJson(const json& j) {
  Measurement m;
  try {
    m.samples_s = j.at("samples_s").get<std::vector<double>>();
    const json& v = j.at("verification");
    m.verification.ok = v.at("ok").get<bool>();
    m.verification.checksum = v.at("checksum").get<std::string>();
    m.verification.detail = v.at("detail").get<std::string>();
    m.threads = j.at("threads").get<int>();
    m.workers = j.at("workers").get<int>();
    m.worker_restarts = j.at("worker_restarts").get<int>();
    m.events = j.at("events").get<std::vector<std::string>>();
    m.artifacts_written = j.at("artifacts_written").get<bool>();
    m.work.amount = j.at("work").at("amount").get<double>();
    m.work.unit = j.at("work").at("unit").get<std::string>();
    for (const json& x : j.at("metrics")) {
      m.metrics.push_back({x.at("name").get<std::string>(),
                           x.at("value").get<double>(),
                           x.at("unit").get<std::string>()});
    }
  } catch (const json::exception& e) {
    return Status::Internal(std::string("bad measurement from rank 0: ") +
                            e.what());
  }
  if (m.samples_s.empty()) {
    return Status::Internal("rank 0 sent a measurement without samples");
  }
  m.summary = Summarize(m.samples_s);
  return m;
}

std::string DescribeMpiFailure(const std::string& output,
                               const platform::ExitInfo& exit) {
  std::smatch match;
  // Our own ranks' errors first: they say what went wrong in words.
  static const std::regex ours(std::string(kMpiErrorMarker) + "(.*)");
  if (std::regex_search(output, match, ours)) return match[1];
  static const std::regex signalled(
      R"(process rank (\d+) with PID \d+ on node (\S+) exited on signal )"
      R"((\d+) \(([^)]*)\))");
  if (std::regex_search(output, match, signalled)) {
    return "rank " + match[1].str() + " on node " + match[2].str() +
           " was killed by signal " + match[3].str() + " (" + match[4].str() +
           "); an MPI job cannot replace a rank, so mpirun ended the job";
  }
  static const std::regex exited(
      R"(Process name: \[\[\d+,\d+\],(\d+)\]\s+Exit code:\s+(\d+))");
  if (std::regex_search(output, match, exited)) {
    return "rank " + match[1].str() + " exited with code " + match[2].str() +
           "; mpirun ended the job";
  }
  if (output.find("not enough slots available") != std::string::npos) {
    return "the hostfile has fewer slots than the ranks asked for (--nodes "
           "N needs N + 1: the master, rank 0, takes a slot too)";
  }
  if (output.find("could not access\nor execute an executable") !=
      std::string::npos) {
    return "mpirun could not start krgdemo on every host (is it installed "
           "at the same path on each?)";
  }
  // Anything else: mpirun's first line of text, without its banners.
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.find("-----") == 0) continue;
    return "mpirun " + exit.ToString() + ": " + line;
  }
  return "mpirun " + exit.ToString() + " without a result from rank 0";
}

std::string OversubscriptionNote(const MpiJob& job, int cpus) {
  if (job.hostfile || job.nodes + 1 <= cpus) return "";
  return std::to_string(job.nodes + 1) + " MPI ranks (the master and " +
         std::to_string(job.nodes) + " worker" + (job.nodes == 1 ? "" : "s") +
         ") on this machine's " + std::to_string(cpus) +
         " CPUs: oversubscribed (mpirun --oversubscribe); the master sleeps "
         "while it waits" +
         (job.nodes > cpus ? ", but workers share CPUs, so speedup stops at " +
                                 std::to_string(cpus)
                           : "");
}

// Waits for mpirun to end, following its output; on a cancel ends the job.
Result<JobOutput> WaitForJob(pid_t pid, const RunSpec& spec,
                             const fs::path& log) {
  const Clock::time_point start = Clock::now();
  LogTail tail(log);
  JobOutput out;
  auto on_line = [&](const std::string& line) {
    OnLine(line, spec, start, &out);
  };
  for (;;) {
    auto ended = platform::Reap(pid, /*block=*/false);
    if (!ended.ok()) return ended.status();
    tail.Poll(on_line);
    if (ended->has_value()) {
      out.exit = **ended;
      break;
    }
    if (spec.cancel != nullptr && spec.cancel->load()) {
      EndJob(pid);
      return Status::Cancelled("interrupted");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  tail.Poll(on_line);
  // Ctrl-C on a terminal reaches mpirun too, which may end the job first.
  if (spec.cancel != nullptr && spec.cancel->load()) {
    return Status::Cancelled("interrupted");
  }
  return out;
}

Result<Measurement> MeasureOnMpi(const MpiJob& job, const RunSpec& spec) {
  KRG_RETURN_IF_ERROR(MpiEngineAvailable());
  const fs::path self = platform::ExecutablePath();
  if (self.empty()) {
    return Status::Unavailable("cannot find this krgdemo's executable");
  }
  KRG_ASSIGN_OR_RETURN(fs::path dir, MakeJobDir());
  const fs::path log = dir / "mpirun.log";
  // When a job aborts, mpirun exits before its ranks are gone: adopt them,
  // so that nothing outlives this call (ReapChildrenExcept below).
  const std::vector<pid_t> before = platform::ChildPids();
  KRG_RETURN_IF_ERROR(platform::AdoptOrphans(true));
  auto pid = platform::StartCommand(
      MpirunArgv(job, self.string(), ::geteuid() == 0), log.string());
  Result<JobOutput> out =
      pid.ok() ? WaitForJob(*pid, spec, log) : Result<JobOutput>(pid.status());
  platform::ReapChildrenExcept(before, kOrphanGraceMs);
  (void)platform::AdoptOrphans(false);
  if (out.ok() && !out->result) {  // keep mpirun's output for the user
    return Status::Internal(
        "the mpi job failed: " + DescribeMpiFailure(out->text, out->exit) +
        " (mpirun's output: " + log.string() + ")");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!out.ok()) return out.status();
  return ReadResult(*out->result);
}

Status MpiRuns(std::optional<Engine> engine, const std::string& demo,
               const Workload& w) {
  if (engine != Engine::kMpi || w.shape() == Shape::kFarm) return Status::Ok();
  if (w.shape() == Shape::kSpmd &&
      static_cast<const SpmdWorkload&>(w).ResultRanges(0, 1).has_value()) {
    return Status::Ok();
  }
  return Status::InvalidArgument(
      demo +
      " does not run on the mpi engine (it runs the farm demos and poisson; "
      "use --engine procs or threads)");
}

}  // namespace krg::cli
