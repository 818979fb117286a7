// The dashboard's page (launcher/dashboard_assets/), built into the binary:
// the LiveCD is offline, and nothing is fetched at run time. The table is
// generated at build time by cmake/KrgEmbed.cmake.
// Read-only after start-up: safe from any thread.
#ifndef KRG_LAUNCHER_DASHBOARD_ASSETS_H_
#define KRG_LAUNCHER_DASHBOARD_ASSETS_H_

#include <cstddef>
#include <string_view>

namespace krg::cli {

struct EmbeddedFile {
  const char* name;  // "index.html"
  const unsigned char* data;
  std::size_t size;
};

extern const EmbeddedFile kDashboardAssets[];
extern const std::size_t kDashboardAssetsCount;

// The bytes of asset `name`; `found` false when there is none.
inline std::string_view DashboardAsset(std::string_view name, bool* found) {
  for (std::size_t i = 0; i < kDashboardAssetsCount; ++i) {
    if (name == kDashboardAssets[i].name) {
      *found = true;
      return {reinterpret_cast<const char*>(kDashboardAssets[i].data),
              kDashboardAssets[i].size};
    }
  }
  *found = false;
  return {};
}

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_DASHBOARD_ASSETS_H_
