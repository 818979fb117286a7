// `krgdemo dashboard`: the live view of the cluster in a browser (per-node
// load and memory, balance, processes and migrations, the running demo's
// output, past results), served from this process. See docs/dashboard.md.
#include "dashboard/dashboard.h"

#include <cstdio>
#include <thread>

#include "cli/cli.h"
#include "dashboard/server.h"

namespace krg::cli {

namespace {

void AddDashboardOptions(po::options_description* desc) {
  desc->add_options()(
      "bind",
      po::value<std::string>()->value_name("ADDRESS")->default_value(
          "127.0.0.1"),
      "use this to listen on another IPv4 address, e.g. 0.0.0.0 for other "
      "machines (a warning: anyone who reaches it sees the cluster)")(
      "port",
      po::value<std::string>()->value_name("PORT")->default_value("8080"),
      "use this to listen on another TCP port (0: any free port; the URL is "
      "printed)")(
      "results",
      po::value<std::string>()->value_name("DIR")->default_value(
          "krgdemo-results"),
      "use this to chart past results from another folder; runs started "
      "from the page are written there too")(
      "allow-control", po::bool_switch(),
      "use this to let the page start and stop demo runs and migrate "
      "processes; open the printed URL, whose token control requests need "
      "(default: read-only; the control endpoints answer 403)")(
      "nodes", po::value<std::string>()->value_name("N"),
      "linux: use this to show N virtual nodes, as 'run --nodes N' splits "
      "the CPUs (default: one node per CPU)")(
      "exit-after", po::value<std::string>()->value_name("SECONDS"),
      "use this to stop by itself after SECONDS (tests, unattended screens; "
      "default: until Ctrl-C)");
}

// What the command line asks for; a usage error is an exit code.
struct DashboardRequest {
  std::string bind;
  int port = 0;
  int exit_after = 0;  // seconds; 0: until Ctrl-C
  DashboardOptions options;
};

std::optional<int> ReadDashboardOptions(const po::variables_map& vm,
                                        DashboardRequest* req) {
  req->bind = vm["bind"].as<std::string>();
  if (vm.count("cluster")) {
    req->options.cluster_file =
        std::filesystem::absolute(vm["cluster"].as<std::string>()).string();
  }
  const std::string port_text = vm["port"].as<std::string>();
  auto port = port_text == "0" ? Result<int>(0)
                               : ParsePositive("--port", port_text, 65535);
  if (!port.ok()) return UsageError("dashboard", port.status().message());
  req->port = *port;
  DashboardOptions& options = req->options;
  options.results_dir = vm["results"].as<std::string>();
  options.allow_control = vm["allow-control"].as<bool>();
  if (vm.count("nodes")) {
    auto n = ParsePositive("--nodes", vm["nodes"].as<std::string>(), kMaxNodes);
    if (!n.ok()) return UsageError("dashboard", n.status().message());
    options.nodes = *n;
  }
  if (vm.count("exit-after")) {
    auto s = ParsePositive("--exit-after", vm["exit-after"].as<std::string>(),
                           86400 * 365);
    if (!s.ok()) return UsageError("dashboard", s.status().message());
    req->exit_after = *s;
  }
  if (!IsIpv4Address(req->bind)) {
    return UsageError("dashboard", "--bind " + req->bind +
                                       ": expected an IPv4 address such as "
                                       "127.0.0.1 or 0.0.0.0");
  }
  if (!IsLoopback(req->bind)) {
    Warn(
        "the dashboard listens on " + req->bind +
        ", not only on this machine: anyone who can reach it sees the "
        "cluster" +
        (options.allow_control ? " and can start, stop and migrate runs" : ""));
  }
  return std::nullopt;
}

}  // namespace

int DashboardCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  AddDashboardOptions(&desc);
  AddClusterFileOption(&desc);
  po::variables_map vm;
  const HelpText help{
      "dashboard [options]",
      "Serves a live view of the cluster to a browser: per-node CPU load and "
      "memory, the balance efficiency, the krgdemo processes and their "
      "migrations, the running demo's output as it fills in (mandelbrot "
      "tiles tinted by the node that computed them), and speedup charts of "
      "past results. Open the printed URL; Ctrl-C stops it.",
      "The page needs no network: everything is built into krgdemo. Runs "
      "started elsewhere with 'krgdemo run DEMO --events --out DIR/NAME' "
      "show up too.\nExit codes: 0 stopped, 1 could not start (e.g. the port "
      "is in use), 2 usage error.\n"
      "On a cluster (--cluster FILE, $KRGDEMO_CLUSTER or "
      "/etc/krgdemo/cluster) there is one lane per machine, named by its "
      "address, with its own CPU load and memory read over ssh each tick "
      "(the sampling 'info' does), or 'unreachable'."};
  if (auto r = ParseArgs("dashboard", help, desc, {}, {}, args, &vm)) {
    return *r;
  }
  if (Status c = ApplyClusterFileOption(vm); !c.ok()) {
    return UsageError("dashboard", c.message());
  }
  DashboardRequest req;
  if (auto r = ReadDashboardOptions(vm, &req)) return *r;
  const DashboardOptions& options = req.options;
  const std::string& bind = req.bind;
  auto dashboard = Dashboard::Create(options);
  if (!dashboard.ok()) return Fail(dashboard.status());
  auto server = DashboardServer::Start(**dashboard, bind, req.port);
  if (!server.ok()) {
    return server.status().code() == Status::Code::kInvalidArgument
               ? UsageError("dashboard", server.status().message())
               : Fail(server.status());
  }
  (*dashboard)->Start();
  const std::string& token = (*server)->token();
  std::printf(
      "dashboard: http://%s:%d/%s  (%s; results from %s; Ctrl-C "
      "stops)\n",
      bind.c_str(), (*server)->port(),
      token.empty() ? "" : ("?token=" + token).c_str(),
      options.allow_control ? "control on" : "read-only",
      options.results_dir.c_str());
  std::fflush(stdout);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(req.exit_after);
  while (!InterruptFlag()->load() &&
         (req.exit_after == 0 || std::chrono::steady_clock::now() < deadline)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server->reset();  // ends the event streams first
  dashboard->reset();
  std::printf("dashboard: stopped\n");
  return kExitOk;
}

}  // namespace krg::cli
