#include "dashboard/dashboard.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "cli/cli.h"
#include "krg/comparison.h"
#include "krg/json_fields.h"
#include "krg/results.h"
#include "registry.h"

namespace krg::cli {
namespace fs = std::filesystem;

namespace {

constexpr int kMaxMigrationsShown = 30;
constexpr int kMaxResultFiles = 1000;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

// 100% when every node is equally loaded: mean load / highest load.
double BalanceEfficiency(const std::vector<double>& load) {
  double sum = 0, max = 0;
  for (double l : load) {
    sum += l;
    max = std::max(max, l);
  }
  if (load.empty() || max < 0.02) return 1.0;  // idle is balanced
  return sum / double(load.size()) / max;
}

Reply Error(int status, const std::string& message) {
  return {status, {{"error", message}}};
}

// An integer field of a JSON request, within [lo, hi].
Result<int> IntField(const nlohmann::json& j, const char* key, int lo, int hi) {
  if (!j.contains(key)) {
    return Status::InvalidArgument(std::string("missing \"") + key + "\"");
  }
  const nlohmann::json& v = j[key];
  long long x = 0;
  if (v.is_number_integer()) {
    x = v.get<long long>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    std::size_t used = 0;
    try {
      x = std::stoll(s, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (s.empty() || used != s.size()) {
      return Status::InvalidArgument(std::string("\"") + key +
                                     "\" must be an integer");
    }
  } else {
    return Status::InvalidArgument(std::string("\"") + key +
                                   "\" must be an integer");
  }
  if (x < lo || x > hi) {
    return Status::InvalidArgument(std::string("\"") + key + "\" must be " +
                                   std::to_string(lo) + " to " +
                                   std::to_string(hi));
  }
  return static_cast<int>(x);
}

Result<std::string> StringField(const nlohmann::json& j, const char* key,
                                const std::string& fallback) {
  if (!j.contains(key)) return fallback;
  if (!j[key].is_string()) {
    return Status::InvalidArgument(std::string("\"") + key +
                                   "\" must be a string");
  }
  return j[key].get<std::string>();
}

// j["params"]: an object of string values (the run's --param KEY=VALUE), or
// nothing.
Result<std::map<std::string, std::string>> ParamsField(
    const nlohmann::json& j) {
  std::map<std::string, std::string> params;
  if (!j.contains("params")) return params;
  const nlohmann::json& p = j["params"];
  if (!p.is_object()) {
    return Status::InvalidArgument(
        "\"params\" must be an object of strings, e.g. {\"variant\": "
        "\"classic\"}");
  }
  for (const auto& [key, value] : p.items()) {
    if (!value.is_string()) {
      return Status::InvalidArgument("\"params\"." + key + " must be a string");
    }
    params[key] = value.get<std::string>();
  }
  return params;
}

// j[key] when j is an object that has it, else `fallback` (never throws).
template <typename T>
T Get(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const nlohmann::json& v = j[key];
  if constexpr (std::is_same_v<T, std::string>) {
    return v.is_string() ? v.get<std::string>() : fallback;
  } else {
    return v.is_number() ? v.get<T>() : fallback;
  }
}

std::string Stamp() {
  char stamp[32];
  std::time_t t = std::time(nullptr);
  std::tm tm;
  ::localtime_r(&t, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  return stamp;
}

}  // namespace

// What the followed events file said so far.
struct Dashboard::RunView {
  std::uintmax_t offset = 0;
  nlohmann::json start;  // the "start" line
  nlohmann::json end;    // the "end" line, null while running
  std::vector<pid_t> workers;
  int pass = 0;
  std::size_t done = 0;  // units of `pass` finished
  double last_t = 0;
};

Dashboard::Dashboard(const DashboardOptions& options)
    : options_(options), start_(std::chrono::steady_clock::now()) {}

Result<std::unique_ptr<Dashboard>> Dashboard::Create(
    const DashboardOptions& options) {
  std::unique_ptr<Dashboard> d(new Dashboard(options));
  d->platform_ = platform::DetectPlatform();
  KRG_ASSIGN_OR_RETURN(platform::SystemInfo info,
                       d->platform_->Describe(/*sample_load=*/false));
  int count = options.nodes;
  // A cluster's nodes are its machines: the dashboard shows them all.
  if (count == 0 || !d->platform_->traits().virtual_nodes) {
    count = d->platform_->DefaultNodeCount(info);
  }
  if (info.kerrighed) d->home_node_ = info.kerrighed->self_node;
  KRG_ASSIGN_OR_RETURN(d->layout_, d->platform_->Partition(count));
  d->sampler_ =
      std::make_unique<platform::LoadSampler>(*d->platform_, d->layout_.nodes);
  d->run_ = std::make_unique<RunView>();
  d->Tick(0);  // a first snapshot before anyone asks
  return d;
}

Dashboard::~Dashboard() {
  Shutdown();
  if (thread_.joinable()) thread_.join();
  if (child_ > 0 && child_exit_.is_null()) {
    (void)platform::SendSignal(child_, SIGINT);  // it stops its workers
    for (int i = 0; i < 100; ++i) {
      auto r = platform::Reap(child_, /*block=*/false);
      if (!r.ok() || r->has_value()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    (void)platform::SendSignal(child_, SIGKILL);
    (void)platform::Reap(child_, /*block=*/true);
  }
}

void Dashboard::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Dashboard::Shutdown() {
  shutdown_ = true;
  std::lock_guard<std::mutex> lock(mu_);
  changed_.notify_all();
}

void Dashboard::Loop() {
  for (int tick = 1; !shutdown_; ++tick) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      changed_.wait_for(lock, options_.tick,
                        [this] { return shutdown_.load(); });
    }
    if (shutdown_) break;
    Tick(tick);
  }
}

std::pair<std::uint64_t, std::string> Dashboard::WaitState(
    std::uint64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_for(lock, timeout,
                    [&] { return seq_ > after || shutdown_.load(); });
  return {seq_, state_};
}

fs::path Dashboard::EventsFile() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_file_;
}

// Follows the events file written last under the results folder (a run
// started here, or `krgdemo run --events` in a terminal).
void Dashboard::FollowNewestEvents() {
  std::error_code ec;
  fs::path newest;
  fs::file_time_type newest_time;
  for (const auto& e : fs::directory_iterator(options_.results_dir, ec)) {
    const fs::path p = e.path() / "events.ndjson";
    std::error_code ec2;
    const auto t = fs::last_write_time(p, ec2);
    if (!ec2 && (newest.empty() || t > newest_time)) {
      newest = p;
      newest_time = t;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A run started here is followed from the start, even before it writes.
  if (child_ > 0 && child_exit_.is_null()) return;
  if (!newest.empty() && newest != events_file_) {
    events_file_ = newest;
    run_ = std::make_unique<RunView>();
  }
}

// Reads the new whole lines of the followed events file into run_.
void Dashboard::ReadEvents() {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_file_.empty()) return;
  std::ifstream in(events_file_, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(run_->offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: half a line, read it next time
    run_->offset += line.size() + 1;
    auto parsed = ParseJson(line);
    if (!parsed.ok() || !parsed->is_object()) continue;
    nlohmann::json& j = *parsed;
    const std::string ev = Get<std::string>(j, "ev", "");
    run_->last_t = Get(j, "t", run_->last_t);
    if (ev == "start") {
      run_->start = j;
    } else if (ev == "worker") {
      run_->workers.push_back(Get(j, "pid", 0));
    } else if (ev == "unit") {
      const int pass = Get(j, "pass", 0);
      if (pass != run_->pass) run_->done = 0;
      run_->pass = pass;
      ++run_->done;
    } else if (ev == "end") {
      j.erase("ev");
      run_->end = j;
    }
  }
}

void Dashboard::ReapChild() {
  std::lock_guard<std::mutex> lock(mu_);
  if (child_ <= 0 || !child_exit_.is_null()) return;
  auto r = platform::Reap(child_, /*block=*/false);
  if (!r.ok()) {
    child_exit_ = {{"error", r.status().message()}};
  } else if (r->has_value()) {
    const platform::ExitInfo& e = **r;
    child_exit_ = {{"code", e.exited ? e.code : 128 + e.signal},
                   {"text", e.ToString()}};
  }
}

// The krgdemo processes, where each runs, and migrations since last time.
nlohmann::json Dashboard::Processes(double now) {
  const std::vector<pid_t> all = platform::ProcessesNamed("krgdemo");
  pid_t master = 0;
  std::set<pid_t> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    master = Get(run_->start, "pid", 0);
    workers.insert(run_->workers.begin(), run_->workers.end());
  }
  nlohmann::json list = nlohmann::json::array();
  std::map<pid_t, int> where;
  std::vector<pid_t> pids;
  for (pid_t pid : all) {
    Result<int> node = Status::NotFound("");
    {
      std::lock_guard<std::mutex> lock(platform_mu_);
      node = platform_->NodeOf(pid);
    }
    // No psr to read: on Kerrighed the process runs where it was forked
    // (the double keeps no stat for a process it never moved); on linux it
    // is gone.
    if (!node.ok() && home_node_ < 0) continue;
    const int at = node.ok() ? *node : home_node_;
    where[pid] = at;
    const char* role = workers.count(pid) ? "worker"
                       : pid == master    ? "master"
                                          : "krgdemo";
    list.push_back({{"pid", pid}, {"node", at}, {"role", role}});
    pids.push_back(pid);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [pid, at] : where) {
    auto before = where_.find(pid);
    // Workers are pinned to a node, and processes moved from here were put
    // on one; anything else (a master) is free to wander between CPUs, which
    // is the scheduler's business, not a migration.
    const bool pinned = workers.count(pid) || moved_.count(pid);
    if (pinned && before != where_.end() && before->second != at && at >= 0 &&
        before->second >= 0) {
      migrations_.push_back(
          {{"t", now}, {"pid", pid}, {"from", before->second}, {"to", at}});
    }
  }
  while (migrations_.size() > kMaxMigrationsShown) {
    migrations_.erase(migrations_.begin());
  }
  where_ = std::move(where);
  shown_pids_ = pids;
  return list;
}

void Dashboard::Tick(int tick) {
  const double now = Seconds(start_);
  std::vector<double> load, mem;
  // The cluster platform: each machine's own /proc over ssh, the sampling
  // `info` does (about 0.3 s a tick, all machines in parallel).
  std::vector<platform::Node> machines;
  if (platform_->traits().separate_machines) {
    std::lock_guard<std::mutex> lock(platform_mu_);
    auto info = platform_->Describe(/*sample_load=*/true);
    if (info.ok()) machines = std::move(info->nodes);
    for (const platform::Node& m : machines) {
      load.push_back(m.load);
      mem.push_back(std::max(0.0, m.mem_used));
    }
  } else {
    load = sampler_->Sample();
    mem = sampler_->MemoryUsed();
  }
  if (tick % 4 == 0) FollowNewestEvents();
  ReapChild();
  ReadEvents();
  nlohmann::json state = {{"t", now},
                          {"platform", platform_->name()},
                          {"control", options_.allow_control},
                          {"tick_ms", options_.tick.count()},
                          {"balance", BalanceEfficiency(load)}};
  nlohmann::json nodes = nlohmann::json::array();
  for (std::size_t i = 0; i < layout_.nodes.size(); ++i) {
    const platform::Node& n = layout_.nodes[i];
    nodes.push_back({{"id", n.id},
                     {"cpus", n.cpus.size()},
                     {"mem_mb", n.mem_mb},
                     {"load", i < load.size() ? load[i] : 0.0},
                     {"mem", i < mem.size() ? mem[i] : 0.0}});
    if (!n.address.empty()) {  // a machine of the cluster platform
      nodes.back()["address"] = n.address;
      nodes.back()["reachable"] =
          i < machines.size() && machines[i].unreachable.empty();
    }
  }
  state["nodes"] = std::move(nodes);
  state["memory_shared"] = platform_->traits().memory_shared_between_nodes;
  state["procs"] = Processes(now);
  std::lock_guard<std::mutex> lock(mu_);
  state["migrations"] = migrations_;
  nlohmann::json run = nullptr;
  if (!events_file_.empty()) {
    run = {{"events", events_file_.filename().string()},
           {"dir", events_file_.parent_path().string()},
           {"start", run_->start},
           {"end", run_->end},
           {"pass", run_->pass},
           {"done", run_->done},
           {"workers", run_->workers},
           {"mine", child_ > 0 && events_file_.parent_path() ==
                                      fs::path(Get<std::string>(run_->start,
                                                                "dir", ""))}};
  }
  if (child_ > 0) {
    state["child"] = {{"pid", child_}, {"exit", child_exit_}};
  }
  state["run"] = std::move(run);
  state_ = state.dump();
  ++seq_;
  changed_.notify_all();
}

nlohmann::json Dashboard::Catalog() const {
  nlohmann::json demos = nlohmann::json::array();
  for (const demos::Demo& d : demos::AllDemos()) {
    demos.push_back({{"name", d.name},
                     {"domain", d.domain},
                     {"summary", d.summary},
                     {"params_help", d.params_help}});
  }
  nlohmann::json ids = nlohmann::json::array();
  for (const platform::Node& n : layout_.nodes) ids.push_back(n.id);
  nlohmann::json engines = nlohmann::json::array();
  for (const EngineInfo& e : Engines()) {
    // A cluster of separate machines runs the mpi engine only.
    if (platform_->traits().separate_machines && e.engine != Engine::kMpi) {
      continue;
    }
    engines.push_back(e.name);
  }
  return {{"demos", demos},
          {"sizes", demos::kSizes},
          {"engines", engines},
          {"node_ids", ids},
          {"max_nodes", kMaxNodes},
          {"platform", platform_->name()},
          {"control", options_.allow_control},
          {"results_dir", options_.results_dir.string()}};
}

// Every result file under the results folder (two levels), as series: the
// runs of one file with the same demo, size, engine and params, one point
// per node count. A curve never mixes files (their machines and moments
// differ); speedups, against the fewest nodes and scaled by that count (as
// `scale` computes them), only where a file has two node counts or more.
nlohmann::json Dashboard::Results() const {
  struct Series {
    nlohmann::json about;
    std::map<int, double> median_s;  // by nodes
  };
  std::map<std::string, Series> series;
  int files = 0, skipped = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(options_.results_dir, ec), end;
       !ec && it != end && files + skipped < kMaxResultFiles;
       it.increment(ec)) {
    if (it.depth() >= 1) it.disable_recursion_pending();
    const fs::path& p = it->path();
    if (p.extension() != ".json" || p.filename() == "checkpoints.json") {
      continue;
    }
    auto file = ReadResultFile(p);
    if (!file.ok()) {
      ++skipped;
      continue;
    }
    ++files;
    const std::string rel = fs::relative(p, options_.results_dir, ec).string();
    for (const RunRecord& r : file->runs) {
      if (!r.verified || r.median_s <= 0) continue;
      const std::string params = ParamsText(r.params);
      const std::string name = r.demo + " · " + r.size + " · " + r.engine +
                               (params.empty() ? "" : " · " + params);
      Series& s = series[rel + "\n" + name];
      s.about = {{"name", name},
                 {"demo", r.demo},
                 {"size", r.size},
                 {"engine", r.engine},
                 {"params", params},
                 {"file", rel},
                 {"created", file->created},
                 {"platform", file->system.platform},
                 {"unit", r.throughput_unit}};
      auto [at, fresh] = s.median_s.emplace(r.nodes, r.median_s);
      if (!fresh) at->second = std::min(at->second, r.median_s);
    }
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [key, s] : series) {
    const auto& [base_nodes, base_s] = *s.median_s.begin();
    const bool curve = s.median_s.size() >= 2;
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& [nodes, median_s] : s.median_s) {
      pts.push_back(
          {{"nodes", nodes},
           {"median_s", median_s},
           {"speedup", curve ? nlohmann::json(base_nodes * base_s / median_s)
                             : nlohmann::json()}});
    }
    s.about["base_nodes"] = base_nodes;
    s.about["points"] = std::move(pts);
    out.push_back(std::move(s.about));
  }
  return {{"dir", options_.results_dir.string()},
          {"files", files},
          {"skipped", skipped},
          {"series", out}};
}

namespace {

// The plan of a run the page asks for: the demo, nodes, engine, size and
// params of the request, checked by the rules `run` applies. Every error is
// the request's fault (400).
Result<RunPlan> PlanFromRequest(const nlohmann::json& request) {
  if (!request.is_object()) {
    return Status::InvalidArgument("expected a JSON object");
  }
  KRG_ASSIGN_OR_RETURN(std::string name, StringField(request, "demo", ""));
  const demos::Demo* demo = demos::FindDemo(name);
  if (demo == nullptr) {
    const std::string hint = demos::SuggestDemo(name);
    return Status::InvalidArgument(
        "unknown demo '" + name + "'" +
        (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  RunPlan plan{.id = {demo->name, "small", {}}, .caps = demo->caps};
  KRG_ASSIGN_OR_RETURN(plan.nodes, IntField(request, "nodes", 1, kMaxNodes));
  KRG_ASSIGN_OR_RETURN(std::string engine, StringField(request, "engine", ""));
  if (!engine.empty()) {
    auto e = ParseEngine(engine);
    if (!e.ok()) return e.status().WithContext("\"engine\"");
    plan.engine = *e;
  }
  KRG_ASSIGN_OR_RETURN(plan.id.size, StringField(request, "size", "small"));
  if (!demos::IsSize(plan.id.size)) {
    return Status::InvalidArgument(
        "\"size\" must be test, small, medium or large");
  }
  KRG_ASSIGN_OR_RETURN(plan.id.params, ParamsField(request));
  // Where servers listen and which files a run reads or serves are for the
  // command line to choose, never for a request.
  for (const char* key : {"bind", "port", "static_dir", "input", "verify"}) {
    if (plan.id.params.count(key) != 0) {
      return Status::InvalidArgument(
          std::string("param ") + key +
          " cannot be set from the page (use 'krgdemo run --param' on the "
          "command line)");
    }
  }
  KRG_RETURN_IF_ERROR(CheckPlan(plan, demo->shape).status());
  // The demo's own check of its params (unknown keys, bad values). Only when
  // there are some: building a workload may prepare its input (the imaging
  // demos generate their datasets), which the run does anyway.
  if (!plan.id.params.empty()) {
    KRG_RETURN_IF_ERROR(demo->make({plan.id.size, plan.id.params}).status());
  }
  return plan;
}

// `krgdemo run` of `plan` into `out`, one pass, with its event log.
std::vector<std::string> RunArgv(const std::string& exe, const RunPlan& plan,
                                 const fs::path& out,
                                 const std::string& cluster_file) {
  std::vector<std::string> argv = {
      exe,
      "run",
      plan.id.name,
      "--nodes",
      std::to_string(plan.nodes),
      "--engine",
      EngineName(plan.engine.value_or(DefaultEngine(plan.nodes))),
      "--size",
      plan.id.size,
      "--repeat",
      "1",
      "--out",
      out.string(),
      "--events"};
  for (const auto& [key, value] : plan.id.params) {
    argv.insert(argv.end(), {"--param", key + "=" + value});
  }
  if (!cluster_file.empty())
    argv.insert(argv.end(), {"--cluster", cluster_file});
  return argv;
}

}  // namespace

Reply Dashboard::StartRun(const nlohmann::json& request) {
  auto plan = PlanFromRequest(request);
  if (!plan.ok()) return Error(400, plan.status().message());
  auto exe = platform::SelfExecutable();
  if (!exe.ok()) return Error(500, exe.status().message());

  std::lock_guard<std::mutex> lock(mu_);
  if (child_ > 0 && child_exit_.is_null()) {
    return Error(409, "a run is already going (pid " + std::to_string(child_) +
                          "); stop it first");
  }
  const std::string& demo = plan->id.name;
  fs::path dir = options_.results_dir / (demo + "-dashboard-" + Stamp());
  for (int k = 2; fs::exists(dir); ++k) {
    dir = options_.results_dir /
          (demo + "-dashboard-" + Stamp() + "-" + std::to_string(k));
  }
  auto out = PrepareOutDir(dir, demo);
  if (!out.ok()) return Error(500, out.status().message());
  const std::vector<std::string> argv =
      RunArgv(*exe, *plan, *out, options_.cluster_file);
  auto pid = platform::StartCommand(argv, (*out / "output.txt").string());
  if (!pid.ok()) return Error(500, pid.status().message());
  child_ = *pid;
  child_exit_ = nullptr;
  events_file_ = *out / "events.ndjson";
  run_ = std::make_unique<RunView>();
  return {
      200,
      {{"ok", true}, {"pid", *pid}, {"dir", out->string()}, {"argv", argv}}};
}

Reply Dashboard::StopRun() {
  std::lock_guard<std::mutex> lock(mu_);
  if (child_ <= 0 || !child_exit_.is_null()) {
    return Error(409, "no run started from this dashboard is going");
  }
  if (Status s = platform::SendSignal(child_, SIGINT); !s.ok()) {
    return Error(500, s.message());
  }
  return {200, {{"ok", true}, {"pid", child_}}};
}

Reply Dashboard::Migrate(const nlohmann::json& request) {
  if (!request.is_object()) return Error(400, "expected a JSON object");
  auto pid = IntField(request, "pid", 1, 1 << 30);
  if (!pid.ok()) return Error(400, pid.status().message());
  auto node = IntField(request, "node", 0, 1 << 20);
  if (!node.ok()) return Error(400, node.status().message());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (std::find(shown_pids_.begin(), shown_pids_.end(), *pid) ==
        shown_pids_.end()) {
      return Error(400, "process " + std::to_string(*pid) +
                            " is not a krgdemo process shown here");
    }
  }
  std::lock_guard<std::mutex> lock(platform_mu_);
  const platform::Node* target = nullptr;
  std::string ids;
  for (const platform::Node& n : layout_.nodes) {
    if (n.id == *node) target = &n;
    ids += (ids.empty() ? "" : ", ") + std::to_string(n.id);
  }
  if (target == nullptr) {
    return Error(400,
                 "no node " + std::to_string(*node) + " (nodes: " + ids + ")");
  }
  if (Status s = platform_->MoveProcess(*pid, *target); !s.ok()) {
    return Error(409, s.message());
  }
  std::lock_guard<std::mutex> state_lock(mu_);
  moved_.insert(*pid);
  return {200, {{"ok", true}, {"pid", *pid}, {"node", *node}}};
}

}  // namespace krg::cli
