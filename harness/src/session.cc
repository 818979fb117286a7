#include "krg/session.h"

#include <unistd.h>

#include <algorithm>

#include "engines/mpi/mpi_job.h"
#include "krg/executor.h"

namespace krg {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

RunRecord MakeRecord(const RunPlan& plan, Engine engine, const Measurement& m,
                     const platform::CapsReport& caps) {
  RunRecord r;
  r.demo = plan.id.name;
  r.size = plan.id.size;
  r.params = plan.id.params;
  r.engine = EngineName(engine);
  r.nodes = plan.nodes;
  r.threads = m.threads;
  r.caps = caps.effective;
  r.samples_s = m.samples_s;
  r.median_s = m.summary.median;
  r.min_s = m.summary.min;
  r.mad_s = m.summary.mad;
  r.throughput = m.summary.median > 0 ? m.work.amount / m.summary.median : 0;
  r.throughput_unit = m.work.unit;
  r.verified = m.verification.ok;
  r.checksum = m.verification.checksum;
  if (!m.machines.empty()) r.machines = mpi::MachinesToJson(m.machines);
  r.worker_nodes = m.worker_nodes;
  return r;
}

std::string NodeList(const std::vector<int>& nodes) {
  std::string s;
  for (int n : nodes) s += (s.empty() ? "" : ", ") + std::to_string(n);
  return s;
}

RunSpec MakeSpec(const RunPlan& plan, Engine engine, const RunHooks& hooks) {
  RunSpec spec;
  static_cast<RunHooks&>(spec) = hooks;
  spec.id = plan.id;
  spec.engine = engine;
  spec.nodes = plan.nodes;
  spec.threads = plan.threads;
  spec.repeat = plan.repeat;
  spec.checkpoint_dir = plan.checkpoint.dir;
  spec.checkpoint_every_s = plan.checkpoint.every_s;
  spec.resume = plan.checkpoint.resume;
  spec.checkpoint_identity = plan.checkpoint.identity;
  spec.ipc_key = plan.checkpoint.ipc_key;
  spec.hostfile = plan.hostfile;
  spec.artifacts_dir = plan.out;
  return spec;
}

// On separate machines only mpi ranks reach the other machines.
Result<Engine> CheckClusterPlan(const RunPlan& plan, Shape shape) {
  const Engine engine = plan.engine.value_or(Engine::kMpi);
  if (shape != Shape::kService && engine == Engine::kMpi) return engine;
  return Status::InvalidArgument(
      plan.id.name + (shape == Shape::kService ? " (a server farm)" : "") +
      " cannot run on the " +
      (shape == Shape::kService ? "cluster" : EngineName(engine) + " engine") +
      " here: this is the cluster platform, whose runs spread over its "
      "machines as MPI ranks (--engine mpi, the default); to run on this "
      "machine alone, unset KRGDEMO_CLUSTER (or drop --cluster)");
}

}  // namespace

Result<Engine> CheckPlan(const RunPlan& plan, Shape shape,
                         const platform::PlatformTraits& traits) {
  if (traits.separate_machines) {
    KRG_RETURN_IF_ERROR(CheckClusterPlan(plan, shape).status());
  }
  if (shape == Shape::kService) {
    if (plan.engine == Engine::kThreads) {
      return Status::InvalidArgument(
          plan.id.name +
          " always runs one server process per node; use --threads T for a "
          "thread pool in each");
    }
    // Server processes, each multi-threaded with --threads.
    return Engine::kProcs;
  }
  const Engine engine = plan.engine.value_or(
      traits.separate_machines ? Engine::kMpi : DefaultEngine(plan.nodes));
  const EngineInfo& info = InfoOf(engine);
  KRG_RETURN_IF_ERROR(EngineRuns(engine, shape, plan.id.name));
  if (plan.threads > 1 && !info.threaded_workers) {
    return Status::InvalidArgument(
        "--threads applies to the threads engine: procs and mpi workers are "
        "single-threaded (Kerrighed never migrates a multi-threaded process; "
        "under mpi the ranks are the parallelism)");
  }
  if (!plan.checkpoint.dir.empty() && !info.checkpoints) {
    return Status::InvalidArgument(
        "--checkpoint-every does not apply to the " + std::string(info.name) +
        " engine (an MPI job cannot be resumed rank by rank): use --engine "
        "procs or threads");
  }
  if (!plan.hostfile.empty() && engine != Engine::kMpi) {
    return Status::InvalidArgument(
        "--hostfile applies to the mpi engine (add --engine mpi)");
  }
  return engine;
}

std::string SpreadNote(int asked, const std::vector<int>& used, Engine engine,
                       bool balanced) {
  std::string s = "the work ran on " + std::to_string(used.size()) +
                  " of the " + std::to_string(asked) +
                  " nodes asked for (node" + (used.size() == 1 ? " " : "s ") +
                  NodeList(used) + "): ";
  if (engine == Engine::kThreads) {
    return s +
           "the threads of one process stay on its node; use --engine procs "
           "to spread";
  }
  return s + (balanced ? "Kerrighed's load balancer moved workers on (see "
                         "krgdemo.log)"
                       : "the workers did not move (see the lines above and "
                         "krgdemo.log)");
}

std::vector<std::string> CapsToRaise(const RunPlan& plan) {
  std::vector<std::string> wanted = plan.caps;
  const Engine engine = plan.engine.value_or(DefaultEngine(plan.nodes));
  const bool spread = engine == Engine::kProcs && plan.nodes > 1;
  const bool explicit_placement =
      plan.cluster.placement == platform::Placement::kExplicit;
  if (spread)
    wanted.push_back(explicit_placement ? "CAN_MIGRATE" : "DISTANT_FORK");
  wanted.insert(wanted.end(), plan.cluster.raise.begin(),
                plan.cluster.raise.end());
  std::vector<std::string> raise;
  for (const std::string& cap : wanted) {
    if (!Contains(plan.cluster.drop, cap) && !Contains(raise, cap)) {
      raise.push_back(cap);
    }
  }
  return raise;
}

nlohmann::json KerrighedRecord(const platform::SystemInfo& info,
                               const platform::CapsReport& caps) {
  if (!info.kerrighed) return nullptr;
  const platform::KerrighedInfo& k = *info.kerrighed;
  nlohmann::json j = {{"version", k.version},
                      {"self_node", k.self_node},
                      {"nrnodes",
                       {{"online", k.online},
                        {"present", k.present},
                        {"possible", k.possible}}},
                      {"caps_requested", caps.requested},
                      {"caps_effective", caps.effective}};
  if (k.caps) {
    using platform::CapabilityList;
    j["capability_sets"] = {{"permitted", CapabilityList(k.caps->permitted)},
                            {"effective", CapabilityList(k.caps->effective)},
                            {"inheritable_permitted",
                             CapabilityList(k.caps->inheritable_permitted)},
                            {"inheritable_effective",
                             CapabilityList(k.caps->inheritable_effective)}};
  }
  j["schedulers"] = nlohmann::json::array();
  for (const platform::SchedulerInfo& s : k.schedulers) {
    j["schedulers"].push_back({{"name", s.name},
                               {"policies", s.policies},
                               {"handle_all", s.handle_all}});
  }
  return j;
}

ResultFile Session::NewResultFile(const std::string& label) {
  ResultFile f;
  f.tool = ThisTool();
  f.label = label;
  f.created = NowUtc();
  auto info = platform_.Describe(/*sample_load=*/false);
  if (!info.ok()) return f;
  f.system.platform = info->platform;
  f.system.kernel = info->kernel;
  f.system.cpu_model = info->cpu_model;
  for (const platform::Node& n : info->nodes) {
    f.system.nodes.push_back({n.id, int(n.cpus.size()), n.mem_mb});
  }
  f.system.kerrighed =
      KerrighedRecord(*info, last_caps_.value_or(platform::CapsReport{}));
  return f;
}

Result<platform::CapsReport> Session::Prepare(const RunPlan& plan) {
  std::vector<std::string> raise = CapsToRaise(plan);
  if (last_caps_ && raise == applied_raise_ &&
      plan.cluster.drop == applied_drop_ &&
      plan.cluster.placement == applied_placement_) {
    return *last_caps_;
  }
  platform_.SetPlacement(plan.cluster.placement);
  auto caps = platform_.ApplyCapabilities(raise, plan.cluster.drop);
  if (!caps.ok()) return caps.status().WithContext("capabilities");
  last_caps_ = *caps;
  applied_raise_ = std::move(raise);
  applied_drop_ = plan.cluster.drop;
  applied_placement_ = plan.cluster.placement;
  return caps;
}

std::string Session::WarnLayout(const RunPlan& plan, const RunHooks& hooks) {
  auto layout = platform_.Partition(plan.nodes);
  if (!layout.ok() || layout->note.empty()) return "";
  if (hooks.warn) hooks.warn(layout->note);
  return layout->note;
}

Result<Outcome> Session::Run(const RunPlan& plan, Workload& workload,
                             const RunHooks& hooks) {
  Outcome o;
  KRG_ASSIGN_OR_RETURN(o.engine,
                       CheckPlan(plan, workload.shape(), platform_.traits()));
  KRG_ASSIGN_OR_RETURN(o.caps, Prepare(plan));
  const std::string said =
      InfoOf(o.engine).platform_nodes ? WarnLayout(plan, hooks) : "";
  KRG_ASSIGN_OR_RETURN(o.measurement, Measure(platform_, workload,
                                              MakeSpec(plan, o.engine, hooks)));
  // Threads never leave their process's node where nodes are real machines
  // (Kerrighed moves no multi-threaded process): say where they ran.
  if (o.engine == Engine::kThreads && plan.nodes > 1) {
    o.measurement.worker_nodes = NodesOf(platform_, {::getpid()});
  }
  const Measurement& m = o.measurement;
  auto warn = [&hooks](const std::string& text) {
    if (hooks.warn) hooks.warn(text);
  };
  // An engine's own layout (mpi's ranks on this machine) is known only now.
  if (!m.layout_note.empty() && m.layout_note != said) warn(m.layout_note);
  bool balanced = false;
  for (const std::string& e : m.events) {
    if (e.find("did not move") != std::string::npos) warn(e);
    balanced |= e.find("load balancer moved") != std::string::npos;
  }
  if (!m.worker_nodes.empty() &&
      static_cast<int>(m.worker_nodes.size()) < plan.nodes) {
    warn(SpreadNote(plan.nodes, m.worker_nodes, o.engine, balanced));
  }
  if (!plan.out.empty() && !m.artifacts_written) {
    if (Status s = workload.WriteArtifacts(plan.out); !s.ok()) {
      warn("artifacts not written: " + s.message());
    }
  }
  o.record = MakeRecord(plan, o.engine, m, o.caps);
  return o;
}

Result<ServiceOutcome> Session::Serve(
    const RunPlan& plan, ServiceWorkload& service, const RunHooks& hooks,
    std::function<void(const std::string&)> say) {
  KRG_RETURN_IF_ERROR(
      CheckPlan(plan, Shape::kService, platform_.traits()).status());
  ServiceOutcome o;
  KRG_ASSIGN_OR_RETURN(o.caps, Prepare(plan));
  WarnLayout(plan, hooks);
  ServiceSpec spec;
  spec.nodes = plan.nodes;
  spec.threads = plan.threads;
  spec.out_dir = plan.out;
  spec.cancel = hooks.cancel;
  spec.say = std::move(say);
  KRG_ASSIGN_OR_RETURN(o.report, service.Serve(platform_, spec));
  for (const ServicePoint& p : o.report.points) {
    RunRecord r;
    r.demo = plan.id.name;
    r.size = plan.id.size;
    r.params = service.RecordedParams();
    r.params["connections"] = std::to_string(p.connections);
    r.engine = EngineName(Engine::kProcs);
    r.nodes = p.nodes;
    r.threads = plan.threads > 0 ? plan.threads : 1;
    r.caps = o.caps.effective;
    r.samples_s = {p.duration_s};
    r.median_s = r.min_s = p.duration_s;
    r.throughput = p.requests_per_s;
    r.throughput_unit = "req/s";
    r.verified = o.report.verification.ok;
    o.records.push_back(std::move(r));
  }
  return o;
}

}  // namespace krg
