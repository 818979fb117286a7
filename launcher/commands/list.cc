// `krgdemo list`: the demos, their domain, summary and the capabilities
// they show off.
#include <cstdio>
#include <iostream>

#include "cli/cli.h"

namespace krg::cli {

int ListCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  desc.add_options()("json", po::bool_switch(),
                     "use this to get the list as JSON (for scripts)");
  po::variables_map vm;
  const HelpText help{"list [--json]",
                      "Lists the demos: name, domain, the Kerrighed "
                      "capabilities each shows off, and a summary.",
                      "Run one with 'krgdemo run NAME'; its parameters are in "
                      "'krgdemo run --help'."};
  if (auto r = ParseArgs("list", help, desc, {}, {}, args, &vm)) return *r;
  if (vm["json"].as<bool>()) {
    nlohmann::json out = nlohmann::json::array();
    for (const demos::Demo& d : demos::AllDemos()) {
      out.push_back({{"name", d.name},
                     {"domain", d.domain},
                     {"summary", d.summary},
                     {"caps", d.caps}});
    }
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  std::printf("%-12s %-11s %-26s %s\n", "DEMO", "DOMAIN", "CAPABILITIES",
              "SUMMARY");
  for (const demos::Demo& d : demos::AllDemos()) {
    std::string caps;
    for (const std::string& c : d.caps) caps += (caps.empty() ? "" : ",") + c;
    std::printf("%-12s %-11s %-26s %s\n", d.name.c_str(), d.domain.c_str(),
                caps.c_str(), d.summary.c_str());
  }
  return kExitOk;
}

}  // namespace krg::cli
