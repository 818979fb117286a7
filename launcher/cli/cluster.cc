#include "cli/cluster.h"

#include <sstream>

namespace krg::cli {

namespace po = boost::program_options;

void AddClusterOptions(po::options_description* desc) {
  desc->add_options()(
      "caps",
      po::value<std::vector<std::string>>()
          ->value_name("+CAP,CAP|-CAP")
          ->composing(),
      "Kerrighed: use this to add capabilities to the demo's own (+) or to "
      "withhold some (-), e.g. --caps +USE_REMOTE_MEMORY (default: the "
      "demo's, as 'krgdemo list' shows)")(
      "placement",
      po::value<std::string>()
          ->value_name("explicit|scheduler")
          ->default_value("explicit"),
      "Kerrighed: use this to choose how procs workers reach their nodes: "
      "explicit forks them here and migrates each to its node; scheduler "
      "lets DISTANT_FORK and Kerrighed's scheduler place them");
}

Status ReadClusterOptions(const po::variables_map& vm, ClusterRequest* req) {
  if (vm.count("caps")) {
    for (const std::string& arg : vm["caps"].as<std::vector<std::string>>()) {
      if (arg.size() < 2 || (arg[0] != '+' && arg[0] != '-')) {
        return Status::InvalidArgument("--caps " + arg +
                                       ": expected +CAP,CAP or -CAP");
      }
      std::vector<std::string> names;
      std::stringstream in(arg.substr(1));
      for (std::string name; std::getline(in, name, ',');) {
        names.push_back(name);
      }
      KRG_ASSIGN_OR_RETURN(int mask, platform::CapabilityMask(names));
      (void)mask;
      auto& into = arg[0] == '+' ? req->raise : req->drop;
      into.insert(into.end(), names.begin(), names.end());
    }
  }
  const std::string placement = vm["placement"].as<std::string>();
  if (placement == "explicit") {
    req->placement = platform::Placement::kExplicit;
  } else if (placement == "scheduler") {
    req->placement = platform::Placement::kScheduler;
  } else {
    return Status::InvalidArgument("--placement " + placement +
                                   ": expected explicit or scheduler");
  }
  return Status::Ok();
}

}  // namespace krg::cli
