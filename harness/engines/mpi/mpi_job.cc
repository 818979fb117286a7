// The mpi engine's job and channel formats (see mpi_job.h).
#include "engines/mpi/mpi_job.h"

#include <algorithm>
#include <regex>
#include <sstream>

#include "krg/mpi_engine.h"

namespace krg::mpi {
namespace {

using nlohmann::json;

constexpr const char* kKindKey = "krgdemo_mpi";

std::string Line(json message) { return message.dump() + "\n"; }

json RepeatToJson(const RepeatPolicy& r) {
  return {{"fixed", r.fixed},
          {"target_cov", r.target_cov},
          {"min_samples", r.min_samples},
          {"max_samples", r.max_samples},
          {"budget_s", r.budget_s},
          {"warmups", r.warmups}};
}

RepeatPolicy RepeatFromJson(const json& r) {
  RepeatPolicy p;
  p.fixed = r.at("fixed").get<int>();
  p.target_cov = r.at("target_cov").get<double>();
  p.min_samples = r.at("min_samples").get<int>();
  p.max_samples = r.at("max_samples").get<int>();
  p.budget_s = r.at("budget_s").get<double>();
  p.warmups = r.at("warmups").get<int>();
  return p;
}

MpiMessage ProgressFromJson(const json& j) {
  MpiMessage m;
  m.kind = MpiMessage::Kind::kProgress;
  m.progress.pass = j.at("pass").get<int>();
  m.progress.done = j.at("done").get<std::size_t>();
  m.progress.total = j.at("total").get<std::size_t>();
  m.progress.elapsed_s = j.at("elapsed_s").get<double>();
  m.progress.note = j.at("note").get<std::string>();
  // The time-left fields (optional: older ranks do not send them).
  m.progress.passes = j.value("passes", 0);
  m.progress.passes_fixed = j.value("passes_fixed", false);
  m.progress.budget_s = j.value("budget_s", 0.0);
  m.progress.pass_elapsed_s = j.value("pass_elapsed_s", 0.0);
  m.progress.last_pass_s = j.value("last_pass_s", 0.0);
  return m;
}

}  // namespace

json MachinesToJson(const std::vector<MachineRanks>& machines) {
  json out = json::array();
  for (const MachineRanks& m : machines) {
    out.push_back({{"host", m.host}, {"ranks", m.ranks}, {"master", m.master}});
  }
  return out;
}

std::vector<MachineRanks> CountRanks(const std::vector<std::string>& hosts) {
  std::vector<MachineRanks> out;
  for (std::size_t rank = 0; rank < hosts.size(); ++rank) {
    auto it = std::find_if(out.begin(), out.end(), [&](const MachineRanks& m) {
      return m.host == hosts[rank];
    });
    if (it == out.end()) it = out.insert(out.end(), {hosts[rank], 0, false});
    if (rank == 0) {
      it->master = true;
    } else {
      ++it->ranks;
    }
  }
  return out;
}

MpiJob JobFor(const RunSpec& spec) {
  MpiJob job;
  job.id = spec.id;
  job.nodes = spec.nodes;
  job.repeat = spec.repeat;
  job.hostfile = spec.hostfile;
  if (!spec.artifacts_dir.empty()) {
    job.artifacts_dir = std::filesystem::absolute(spec.artifacts_dir);
  }
  return job;
}

std::vector<std::string> MpirunArgv(const MpiJob& job, const std::string& self,
                                    bool as_root) {
  std::vector<std::string> argv = {MpirunProgram()};
  if (as_root) argv.push_back("--allow-run-as-root");
  argv.insert(argv.end(), {"-np", std::to_string(job.nodes + 1)});
  if (!job.hostfile.empty()) {
    argv.insert(argv.end(), {"--hostfile", job.hostfile});
  } else {
    argv.push_back("--oversubscribe");
  }
  // The kernel places the ranks, as it does procs workers' when nodes share
  // CPUs; Open MPI's default would pin the sleeping master to a core.
  argv.insert(argv.end(), {"--bind-to", "none"});
  if (!job.rsh_agent.empty()) {
    std::string agent;
    for (const std::string& word : job.rsh_agent) {
      agent += (agent.empty() ? "" : " ") + word;
    }
    argv.insert(argv.end(), {"--mca", "plm_rsh_agent", agent});
  }
  // Waiting ranks sleep between polls (mpi_farm.h); Open MPI's
  // sched_yield() on every idle poll of an oversubscribed job only hands
  // the CPU away under load (measured: 2 workers took 2-3x longer).
  argv.insert(argv.end(), {"--mca", "mpi_yield_when_idle", "0"});
  argv.insert(argv.end(), {self, kMpiRankCommand, ToJson(job).dump()});
  return argv;
}

json ToJson(const MpiJob& job) {
  return {{"demo", job.id.name},
          {"size", job.id.size},
          {"params", job.id.params},
          {"nodes", job.nodes},
          {"repeat", RepeatToJson(job.repeat)},
          {"artifacts_dir", job.artifacts_dir.string()}};
}

Result<MpiJob> MpiJobFromJson(const json& j) {
  MpiJob job;
  try {
    job.id.name = j.at("demo").get<std::string>();
    job.id.size = j.at("size").get<std::string>();
    job.id.params = j.at("params").get<std::map<std::string, std::string>>();
    job.nodes = j.at("nodes").get<int>();
    job.repeat = RepeatFromJson(j.at("repeat"));
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
          {"metrics", metrics},
          {"machines", MachinesToJson(m.machines)}};
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
    for (const json& x : j.at("machines")) {
      m.machines.push_back({x.at("host").get<std::string>(),
                            x.at("ranks").get<int>(),
                            x.at("master").get<bool>()});
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

std::string ProgressMessage(const Progress& p) {
  return Line({{kKindKey, "progress"},
               {"pass", p.pass},
               {"done", p.done},
               {"total", p.total},
               {"elapsed_s", p.elapsed_s},
               {"note", p.note},
               {"passes", p.passes},
               {"passes_fixed", p.passes_fixed},
               {"budget_s", p.budget_s},
               {"pass_elapsed_s", p.pass_elapsed_s},
               {"last_pass_s", p.last_pass_s}});
}

std::string ResultMessage(const Measurement& m) {
  return Line({{kKindKey, "result"}, {"measurement", MeasurementToJson(m)}});
}

std::string ErrorMessage(const std::string& what) {
  return Line({{kKindKey, "error"}, {"message", what}});
}

MpiMessage ParseMessage(const std::string& line) {
  MpiMessage m;
  m.text = line;
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains(kKindKey)) return m;  // not ours: text
  const json kind = j[kKindKey];
  try {
    if (kind == "progress") return ProgressFromJson(j);
    if (kind == "error") {
      m.kind = MpiMessage::Kind::kError;
      m.text = j.at("message").get<std::string>();
      return m;
    }
    if (kind == "result") {
      Result<Measurement> r = MeasurementFromJson(j.at("measurement"));
      m.kind = r.ok() ? MpiMessage::Kind::kResult : MpiMessage::Kind::kError;
      if (r.ok()) m.measurement = std::move(*r);
      m.text = r.ok() ? "" : r.status().message();
      return m;
    }
  } catch (const json::exception& e) {
    m.kind = MpiMessage::Kind::kError;
    m.text = std::string("bad message from a rank: ") + e.what();
  }
  return m;
}

std::string DescribeMpiFailure(const std::string& log,
                               const platform::ExitInfo& exit) {
  std::smatch match;
  // ssh's own keepalive (SshCommand) gave up on a machine: it vanished
  // (powered off, frozen, or its network is gone), whatever else broke.
  static const std::regex vanished(R"(Timeout, server (\S+) not responding)");
  if (std::regex_search(log, match, vanished)) {
    return "machine " + match[1].str() +
           " stopped answering (no reply to ssh keepalives: it died, froze "
           "or lost its network); an MPI job cannot replace a rank, so "
           "mpirun ended the job";
  }
  static const std::regex signalled(
      R"(process rank (\d+) with PID \d+ on node (\S+) exited on signal )"
      R"((\d+) \(([^)]*)\))");
  if (std::regex_search(log, match, signalled)) {
    return "rank " + match[1].str() + " on node " + match[2].str() +
           " was killed by signal " + match[3].str() + " (" + match[4].str() +
           "); an MPI job cannot replace a rank, so mpirun ended the job";
  }
  static const std::regex lost(
      R"(lost communication with a remote daemon[\s\S]*?Remote daemon:\s+\S+ )"
      R"(on node (\S+))");
  if (std::regex_search(log, match, lost)) {
    return "machine " + match[1].str() +
           " stopped answering (its MPI daemon and ranks are gone: the "
           "machine died, or its processes were killed); an MPI job cannot "
           "replace a rank, so mpirun ended the job";
  }
  // A machine whose processes were killed while mpirun was still starting
  // its daemons: ssh says the machine closed the connection, and mpirun
  // only that it could not start them (with, first, an unrelated rsh
  // warning).
  static const std::regex closed(
      R"(Connection to (\S+) closed by remote host)");
  if (std::regex_search(log, match, closed)) {
    return "machine " + match[1].str() +
           " closed its connection (its processes or its sshd were killed, "
           "or it restarted); an MPI job cannot replace a rank, so mpirun "
           "ended the job";
  }
  static const std::regex exited(
      R"(Process name: \[\[\d+,\d+\],(\d+)\]\s+Exit code:\s+(\d+))");
  if (std::regex_search(log, match, exited)) {
    return "rank " + match[1].str() + " exited with code " + match[2].str() +
           "; mpirun ended the job";
  }
  if (log.find("not enough slots available") != std::string::npos) {
    return "the hostfile has fewer slots than the ranks asked for (--nodes "
           "N needs N + 1: the master, rank 0, takes a slot too)";
  }
  if (log.find("could not access\nor execute an executable") !=
      std::string::npos) {
    return "mpirun could not start krgdemo on every host (is it installed "
           "at the same path on each?)";
  }
  // Anything else: mpirun's first line of text, without its banners.
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.find("-----") == 0) continue;
    return "mpirun " + exit.ToString() + ": " + line;
  }
  return "mpirun " + exit.ToString() + " without a result from rank 0";
}

std::string OversubscriptionNote(const MpiJob& job, int cpus) {
  if (!job.hostfile.empty() || job.nodes + 1 <= cpus) return "";
  return std::to_string(job.nodes + 1) + " MPI ranks (the master and " +
         std::to_string(job.nodes) + " worker" + (job.nodes == 1 ? "" : "s") +
         ") on this machine's " + std::to_string(cpus) +
         " CPUs: oversubscribed (mpirun --oversubscribe); the master sleeps "
         "while it waits" +
         (job.nodes > cpus ? ", but workers share CPUs, so speedup stops at " +
                                 std::to_string(cpus)
                           : "");
}

}  // namespace krg::mpi
