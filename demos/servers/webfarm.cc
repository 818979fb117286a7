#include "servers/webfarm.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <sstream>

#include "krg/params.h"
#include "servers/load.h"
#include "servers/net.h"
#include "servers/static_files.h"
#include "servers/supervisor.h"

namespace krg::demos {
namespace {

using servers::Checker;
using servers::FarmOptions;
using servers::Supervisor;
using servers::TileId;
using Clock = std::chrono::steady_clock;

struct Preset {
  double duration_s;
  const char* connections;
  int max_iter;
};

Preset PresetFor(const std::string& size) {
  if (size == "test") return {1, "8", 200};
  if (size == "medium") return {10, "64,256", 1000};
  if (size == "large") return {30, "64,256", 1000};
  return {3, "16,64", 500};  // small
}

Result<std::vector<int>> ParseCounts(const std::string& key,
                                     const std::string& text) {
  std::vector<int> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 100000) {
      return Status::InvalidArgument("--param " + key +
                                     " takes a list like 16,64 of counts "
                                     "from 1 to 100000, not '" +
                                     text + "'");
    }
    out.push_back(static_cast<int>(v));
  }
  if (out.empty()) return Status::InvalidArgument("--param " + key + " empty");
  return out;
}

std::string TilePath(const TileId& t) {
  return "/tile/" + std::to_string(t.z) + "/" + std::to_string(t.x) + "/" +
         std::to_string(t.y) + ".png";
}

class Webfarm final : public ServiceWorkload {
 public:
  WorkAmount work() const override { return {0, "req/s"}; }
  Verification Verify() override { return verification_; }
  Status WriteArtifacts(const std::filesystem::path&) override {
    return Status::Ok();  // scripts and wrk outputs are written while serving
  }
  std::map<std::string, std::string> RecordedParams() const override {
    return recorded_;
  }
  Result<ServiceReport> Serve(platform::Platform& p,
                              const ServiceSpec& spec) override;

  FarmOptions farm;
  std::vector<int> connections;
  double duration_s = 1;
  std::string load = "tile";
  int tile_zoom = 2;
  double kill_every_s = 0;
  double max_error_rate = 0.01;
  bool serve_only = false;
  bool sweep = true;
  int wrk_threads = 2;
  std::map<std::string, std::string> recorded_;
  std::vector<TileId> tiles_;  // what wrk requests, in order

 private:
  Status PrepareStatic(const ServiceSpec& spec, servers::CheckPlan* plan);
  Result<ServicePoint> RunPoint(Supervisor& sup, Checker& checker, int conns,
                                const ServiceSpec& spec,
                                std::vector<std::string>* events);
  Result<ServiceReport> ServeOnly(platform::Platform& p,
                                  const ServiceSpec& spec);
  std::vector<std::string> Paths() const;

  Verification verification_;
};

std::vector<std::string> Webfarm::Paths() const {
  std::vector<std::string> paths;
  if (load != "static") {
    for (const TileId& t : tiles_) paths.push_back(TilePath(t));
  }
  if (load != "tile") paths.push_back("/static/1k.bin");
  if (load == "mixed") {
    paths.push_back("/");
    paths.push_back("/healthz");
  }
  return paths;
}

Status Webfarm::PrepareStatic(const ServiceSpec& spec,
                              servers::CheckPlan* plan) {
  if (farm.server.static_dir.empty()) {
    const auto dir = spec.out_dir / "static";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string kib(1024, '\0');
    for (std::size_t i = 0; i < kib.size(); ++i) {
      kib[i] = "krgdemo webfarm static file 1 KiB\n"[i % 34];
    }
    std::ofstream(dir / "1k.bin", std::ios::binary) << kib;
    std::ofstream(dir / "index.html")
        << "<!doctype html><title>webfarm static</title><p>static files of "
           "the krgdemo webfarm</p>\n";
    farm.server.static_dir = dir.string();
  }
  std::ifstream in(std::filesystem::path(farm.server.static_dir) / "1k.bin",
                   std::ios::binary);
  if (in) {
    std::stringstream ss;
    ss << in.rdbuf();
    plan->static_path = "/static/1k.bin";
    plan->static_bytes = ss.str();
  } else if (load != "tile") {
    return Status::InvalidArgument("--param load=" + load + " needs " +
                                   farm.server.static_dir + "/1k.bin");
  }
  return Status::Ok();
}

Result<ServicePoint> Webfarm::RunPoint(Supervisor& sup, Checker& checker,
                                       int conns, const ServiceSpec& spec,
                                       std::vector<std::string>* events) {
  const std::vector<std::string> paths = Paths();
  const bool rotate = paths.size() > 1;
  const auto script = spec.out_dir / (rotate ? "wrk-rotate.lua" : "wrk.lua");
  std::ofstream(script) << servers::WrkScript(rotate);
  const std::string base = "http://127.0.0.1:" + std::to_string(sup.port());
  const int threads = std::min(wrk_threads, conns);
  std::vector<std::string> argv = {
      "wrk",
      "-t" + std::to_string(threads),
      "-c" + std::to_string(conns),
      "-d" + std::to_string(static_cast<int>(duration_s + 0.5)) + "s",
      "--timeout",
      "10s",
      "-s",
      script.string(),
      base + (rotate ? "/" : paths[0])};
  if (rotate) {
    argv.push_back("--");
    argv.insert(argv.end(), paths.begin(), paths.end());
  }
  const auto output = spec.out_dir / ("wrk-" + std::to_string(sup.nodes()) +
                                      "n-" + std::to_string(conns) + "c.txt");
  std::filesystem::remove(output);
  KRG_ASSIGN_OR_RETURN(pid_t wrk, platform::StartCommand(argv, output));
  const int restarts0 = sup.restarts();
  const double cpu0 = sup.ServerCpuSeconds();
  const double wait0 = sup.ServerWaitSeconds();
  const long long checks0 = checker.checks();
  ServicePoint point;
  point.nodes = sup.nodes();
  point.connections = conns;
  checker.Start();
  const auto t0 = Clock::now();
  const auto deadline = t0 + std::chrono::duration<double>(duration_s + 30);
  auto next_kill = t0 + std::chrono::duration<double>(kill_every_s);
  Status failed;
  for (;;) {
    auto ended = platform::Reap(wrk, false);
    if (!ended.ok()) {
      failed = ended.status();
      break;
    }
    if (ended->has_value()) {
      if (!(*ended)->exited || (*ended)->code != 0) {
        failed = Status::Internal("wrk " + (*ended)->ToString() + "; see " +
                                  output.string());
      }
      break;
    }
    const bool cancelled = spec.cancel != nullptr && spec.cancel->load();
    if (cancelled || Clock::now() > deadline) {
      (void)platform::SendSignal(wrk, SIGKILL);
      (void)platform::Reap(wrk, true);
      failed = cancelled ? Status::Cancelled("interrupted")
                         : Status::Internal("wrk did not finish in time");
      break;
    }
    Status polled = sup.Poll(50);
    if (!polled.ok()) {
      (void)platform::SendSignal(wrk, SIGKILL);
      (void)platform::Reap(wrk, true);
      failed = polled;
      break;
    }
    if (kill_every_s > 0 && Clock::now() >= next_kill &&
        Clock::now() < t0 + std::chrono::duration<double>(duration_s)) {
      const int slot = point.kills % sup.nodes();
      events->push_back("killing server " + std::to_string(slot) + " (pid " +
                        std::to_string(sup.pid(slot)) + ") with SIGKILL");
      (void)sup.Signal(slot, SIGKILL);
      ++point.kills;
      next_kill += std::chrono::duration<double>(kill_every_s);
    }
  }
  checker.Stop();
  for (std::string& e : sup.TakeEvents()) events->push_back(std::move(e));
  KRG_RETURN_IF_ERROR(failed);
  std::ifstream in(output);
  std::stringstream text;
  text << in.rdbuf();
  KRG_ASSIGN_OR_RETURN(servers::WrkResult r,
                       servers::ParseWrkOutput(text.str()));
  point.duration_s = r.duration_s;
  point.requests = r.requests;
  point.errors = r.errors();
  point.requests_per_s = r.duration_s > 0 ? r.requests / r.duration_s : 0;
  point.p50_ms = r.p50_ms;
  point.p90_ms = r.p90_ms;
  point.p99_ms = r.p99_ms;
  point.max_ms = r.max_ms;
  point.restarts = sup.restarts() - restarts0;
  point.server_cpu_s = sup.ServerCpuSeconds() - cpu0;
  point.server_wait_s = sup.ServerWaitSeconds() - wait0;
  point.checks = checker.checks() - checks0;
  return point;
}

Result<ServiceReport> Webfarm::ServeOnly(platform::Platform& p,
                                         const ServiceSpec& spec) {
  ServiceReport report;
  report.served_only = true;
  servers::CheckPlan plan;
  KRG_RETURN_IF_ERROR(PrepareStatic(spec, &plan));
  KRG_ASSIGN_OR_RETURN(auto sup, Supervisor::Start(p, spec.nodes, farm));
  std::string pids;
  for (pid_t pid : sup->pids()) pids += " " + std::to_string(pid);
  if (spec.say) {
    spec.say("webfarm: serving http://" + farm.bind + ":" +
             std::to_string(sup->port()) + "/ with " +
             std::to_string(spec.nodes) + " server process" +
             (spec.nodes == 1 ? "" : "es") + " (pids" + pids +
             "); try /tile/2/1/1.png, /static/1k.bin, /metrics; Ctrl-C stops");
  }
  Status s;
  while (spec.cancel == nullptr || !spec.cancel->load()) {
    s = sup->Poll(200);
    for (std::string& e : sup->TakeEvents()) {
      if (spec.say) spec.say("webfarm: " + e);
      report.events.push_back(std::move(e));
    }
    if (!s.ok()) break;
  }
  const int restarts = sup->restarts();
  KRG_RETURN_IF_ERROR(sup->Stop());
  KRG_RETURN_IF_ERROR(s);
  verification_.ok = true;
  verification_.detail = "served until interrupted; " +
                         std::to_string(restarts) +
                         " restart(s); stopped "
                         "every server process";
  report.verification = verification_;
  return report;
}

Result<ServiceReport> Webfarm::Serve(platform::Platform& p,
                                     const ServiceSpec& spec) {
  farm.server.threads = spec.threads;
  if (serve_only) return ServeOnly(p, spec);
  if (!platform::ProgramExists("wrk")) {
    return Status::Unavailable(
        "wrk not found on PATH: install the Debian package wrk (or run "
        "with --param serve_only=1 and bring your own load)");
  }
  ServiceReport report;
  servers::CheckPlan plan;
  KRG_RETURN_IF_ERROR(PrepareStatic(spec, &plan));
  plan.tile_max_iter = farm.server.tile_max_iter;
  for (std::size_t i = 0; i < tiles_.size() && i < 8; ++i) {
    plan.tiles.push_back(
        tiles_[i * tiles_.size() / std::min<std::size_t>(8, tiles_.size())]);
  }
  std::vector<int> node_counts;
  for (int n = 1; sweep && n < spec.nodes; n *= 2) node_counts.push_back(n);
  node_counts.push_back(spec.nodes);
  for (int nodes : node_counts) {
    KRG_ASSIGN_OR_RETURN(auto sup, Supervisor::Start(p, nodes, farm));
    plan.port = sup->port();
    KRG_ASSIGN_OR_RETURN(auto checker, Checker::Create(plan));
    for (int conns : connections) {
      if (spec.say) {
        spec.say("webfarm: " + std::to_string(nodes) + " node(s), " +
                 std::to_string(conns) + " connections, " +
                 std::to_string(static_cast<int>(duration_s + 0.5)) +
                 " s of wrk on " + load + " ...");
      }
      KRG_ASSIGN_OR_RETURN(ServicePoint point, RunPoint(*sup, *checker, conns,
                                                        spec, &report.events));
      report.points.push_back(point);
    }
    const long long checks = checker->checks(), failures = checker->failures();
    KRG_RETURN_IF_ERROR(sup->Stop());
    if (failures > 0) {
      verification_.ok = false;
      verification_.detail =
          std::to_string(failures) + " of " + std::to_string(checks) +
          " sample responses were wrong; first: " + checker->first_failure();
      report.verification = verification_;
      return report;
    }
  }
  long long checks = 0;
  double worst = 0;
  for (const ServicePoint& pt : report.points) {
    checks += pt.checks;
    worst = std::max(worst, pt.error_rate());
  }
  char line[256];
  std::snprintf(line, sizeof line,
                "%lld sample responses verified (tiles equal the mandelbrot "
                "demo's checksums, PNG/JPEG decode, static bytes); worst "
                "error rate %.3f%% (limit %.3f%%)",
                checks, 100 * worst, 100 * max_error_rate);
  verification_.detail = line;
  verification_.ok = checks > 0 && worst <= max_error_rate;
  if (checks == 0) verification_.detail += "; no sample was checked";
  report.verification = verification_;
  return report;
}

// Reads the limits and farm settings of the params.
Status ReadFarm(Params& p, const Preset& preset, Webfarm* w) {
  servers::ServerLimits& l = w->farm.server.limits;
  KRG_ASSIGN_OR_RETURN(long long port, p.Int("port", 8000, 0, 65535));
  KRG_ASSIGN_OR_RETURN(w->farm.bind, p.String("bind", "127.0.0.1"));
  if (!servers::IsIpv4(w->farm.bind)) {
    return Status::InvalidArgument("--bind " + w->farm.bind +
                                   " is not an IPv4 address (e.g. 127.0.0.1 "
                                   "or 0.0.0.0)");
  }
  KRG_ASSIGN_OR_RETURN(std::string listen, p.Choice("listen", "reuseport",
                                                    {"reuseport", "shared"}));
  KRG_ASSIGN_OR_RETURN(long long conns,
                       p.Int("max_connections", 1024, 1, 100000));
  KRG_ASSIGN_OR_RETURN(long long timeout, p.Int("timeout", 10, 1, 3600));
  KRG_ASSIGN_OR_RETURN(long long body,
                       p.Int("max_body", 8 << 20, 1, 1LL << 30));
  KRG_ASSIGN_OR_RETURN(long long header,
                       p.Int("max_header", 32 << 10, 4096, 16 << 20));
  KRG_ASSIGN_OR_RETURN(long long renders, p.Int("max_renders", 0, 0, 4096));
  KRG_ASSIGN_OR_RETURN(long long pixels,
                       p.Int("max_pixels", 40'000'000, 1, 1LL << 32));
  KRG_ASSIGN_OR_RETURN(long long iter,
                       p.Int("max_iter", preset.max_iter, 1, 100000));
  KRG_ASSIGN_OR_RETURN(std::string dir, p.String("static_dir", ""));
  w->farm.port = static_cast<int>(port);
  w->farm.reuseport = listen == "reuseport";
  l.connections = static_cast<int>(conns);
  l.timeout_s = static_cast<int>(timeout);
  l.body_bytes = static_cast<std::size_t>(body);
  l.header_bytes = static_cast<std::size_t>(header);
  l.renders = static_cast<int>(renders);
  l.image_pixels = static_cast<std::uint64_t>(pixels);
  w->farm.server.tile_max_iter = static_cast<int>(iter);
  w->farm.server.static_dir = dir;
  if (!dir.empty() && !servers::StaticRoot::Open(dir).ok()) {
    return Status::InvalidArgument("--param static_dir=" + dir +
                                   " is not a directory");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Workload>> MakeWebfarm(const DemoConfig& config) {
  const Preset preset = PresetFor(config.size);
  Params p(config.params);
  auto w = std::make_unique<Webfarm>();
  KRG_RETURN_IF_ERROR(ReadFarm(p, preset, w.get()));
  KRG_ASSIGN_OR_RETURN(long long serve_only, p.Int("serve_only", 0, 0, 1));
  KRG_ASSIGN_OR_RETURN(long long sweep, p.Int("sweep", 1, 0, 1));
  KRG_ASSIGN_OR_RETURN(std::string conns,
                       p.String("connections", preset.connections));
  KRG_ASSIGN_OR_RETURN(w->connections, ParseCounts("connections", conns));
  KRG_ASSIGN_OR_RETURN(w->duration_s,
                       p.Double("duration", preset.duration_s, 1, 3600));
  KRG_ASSIGN_OR_RETURN(w->load,
                       p.Choice("load", "tile", {"tile", "static", "mixed"}));
  KRG_ASSIGN_OR_RETURN(long long zoom, p.Int("tile_zoom", 2, 0, 20));
  KRG_ASSIGN_OR_RETURN(w->kill_every_s, p.Double("kill_every", 0, 0, 3600));
  KRG_ASSIGN_OR_RETURN(w->max_error_rate,
                       p.Double("max_error_rate", 0.01, 0, 1));
  KRG_ASSIGN_OR_RETURN(long long wrk_threads, p.Int("wrk_threads", 2, 1, 64));
  // Where waiting clients queue: in each server (it accepts up to
  // max_connections and keeps them alive), or in the kernel's accept queue,
  // which the supervisor holds and which outlives a killed server: each
  // server then holds a few connections and closes each after its response,
  // so a kill loses those few requests, not every one queued on the server
  // (docs/servers.md). The default is the kernel when servers are killed and
  // requests are slow (tiles); static files are fast enough that a kill
  // loses few of them, and a new connection per request would cost them
  // 3.6x their throughput.
  const bool kills_slow = w->kill_every_s > 0 && w->load != "static";
  KRG_ASSIGN_OR_RETURN(std::string queue,
                       p.Choice("queue", kills_slow ? "kernel" : "server",
                                {"server", "kernel"}));
  KRG_RETURN_IF_ERROR(p.CheckAllUsed("webfarm"));
  servers::ServerLimits& limits = w->farm.server.limits;
  limits.close_each = queue == "kernel";
  if (limits.close_each && config.params.count("max_connections") == 0) {
    limits.connections = std::max(4, 2 * w->farm.server.threads);
  }
  w->serve_only = serve_only == 1;
  w->sweep = sweep == 1;
  w->tile_zoom = static_cast<int>(zoom);
  w->wrk_threads = static_cast<int>(wrk_threads);
  // Every tile of zoom z up to 64 of them, in a fixed order.
  const long long side = 1LL << zoom;
  for (long long k = 0; k < side * side && k < 64; ++k) {
    const long long idx = side * side <= 64 ? k : (k * 7919) % (side * side);
    w->tiles_.push_back({static_cast<int>(zoom), static_cast<int>(idx % side),
                         static_cast<int>(idx / side)});
  }
  w->recorded_ = config.params;
  w->recorded_["load"] = w->load;
  w->recorded_["connections"] = conns;
  w->recorded_["max_iter"] = std::to_string(w->farm.server.tile_max_iter);
  // No OpenCV thread pool to be inherited by forked servers.
  cv::setNumThreads(0);
  return std::unique_ptr<Workload>(std::move(w));
}

}  // namespace krg::demos
