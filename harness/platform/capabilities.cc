// Kerrighed capability names and the `krgcapset -s` format (INTERFACE.md 1).
#include <sstream>

#include "krg/platform.h"

namespace krg::platform {

const std::vector<std::string>& CapabilityNames() {
  static const std::vector<std::string> kNames = {
      "CHANGE_KERRIGHED_CAP",
      "CAN_MIGRATE",
      "DISTANT_FORK",
      "FORK_DELAY",
      "CHECKPOINTABLE",
      "USE_REMOTE_MEMORY",
      "USE_INTRA_CLUSTER_KERSTREAMS",
      "USE_INTER_CLUSTER_KERSTREAMS",
      "USE_WORLD_VISIBLE_KERSTREAMS",
      "SEE_LOCAL_PROC_STAT",
      "DEBUG",
      "SYSCALL_EXIT_HOOK"};
  return kNames;
}

Result<int> CapabilityMask(const std::vector<std::string>& names) {
  int mask = 0;
  for (const std::string& name : names) {
    bool found = false;
    for (std::size_t bit = 0; bit < CapabilityNames().size(); ++bit) {
      if (CapabilityNames()[bit] == name) {
        mask |= 1 << bit;
        found = true;
      }
    }
    if (!found) {
      return Status::InvalidArgument(
          "unknown Kerrighed capability '" + name +
          "' (known: CAN_MIGRATE, DISTANT_FORK, CHECKPOINTABLE, "
          "USE_REMOTE_MEMORY, SEE_LOCAL_PROC_STAT, ...)");
    }
  }
  return mask;
}

std::vector<std::string> CapabilityList(int mask) {
  std::vector<std::string> names;
  for (std::size_t bit = 0; bit < CapabilityNames().size(); ++bit) {
    if (mask & (1 << bit)) names.push_back(CapabilityNames()[bit]);
  }
  return names;
}

Result<CapSets> ParseCapsetShow(const std::string& text) {
  // Longer labels first: "Permitted Capabilities" ends the inheritable ones.
  struct Label {
    const char* text;
    int CapSets::*field;
  };
  static const Label kLabels[] = {
      {"Inheritable Permitted Capabilities:", &CapSets::inheritable_permitted},
      {"Inheritable Effective Capabilities:", &CapSets::inheritable_effective},
      {"Permitted Capabilities:", &CapSets::permitted},
      {"Effective Capabilities:", &CapSets::effective}};
  CapSets sets;
  int seen = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    for (int k = 0; k < 4; ++k) {
      const std::string label = kLabels[k].text;
      if (line.rfind(label, 0) != 0) continue;
      const std::string value = line.substr(label.size());
      try {
        std::size_t used = 0;
        sets.*kLabels[k].field = std::stoi(value, &used, 8);
      } catch (const std::exception&) {
        return Status::Internal("unreadable krgcapset -s line: " + line);
      }
      seen |= 1 << k;
      break;
    }
  }
  if (seen != 0xf) {
    return Status::Internal("krgcapset -s did not print the four sets: " +
                            text.substr(0, 200));
  }
  return sets;
}

}  // namespace krg::platform
