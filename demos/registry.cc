#include "registry.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "imaging/framepipe.h"
#include "imaging/imgpipe.h"
#include "krg/status.h"
#include "scientific/linsolve.h"
#include "scientific/mandelbrot.h"
#include "scientific/memtiers.h"
#include "scientific/poisson.h"
#include "servers/webfarm.h"

namespace krg::demos {
namespace {

struct Domains {
  std::mutex mu;
  std::map<std::string, LookupFn> lookup;  // linked in, or loaded
  std::vector<std::string> loaded;         // plug-ins dlopen()ed
};
Domains& TheDomains() {
  static Domains* d = new Domains;  // never destroyed: plug-ins stay loaded
  return *d;
}

// lib/krgdemo/ next to this binary (the build tree), then the installed
// place relative to it. Only the binary's own location is trusted: no
// environment variable can make krgdemo load code from elsewhere.
std::vector<std::filesystem::path> PluginDirs() {
  std::error_code ec;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const std::filesystem::path dir = exe.parent_path();
  return {dir / "lib" / "krgdemo", dir / KRG_PLUGIN_INSTALL_REL};
}

Status LoadDomain(const std::string& domain, LookupFn* out) {
  const std::string file = "krgdemo-" + domain + ".so";
  std::string why;
  for (const std::filesystem::path& dir : PluginDirs()) {
    const std::filesystem::path path = dir / file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    // Lazy binding: resolving all of OpenCV's symbols at once cost about
    // 0.1 s of CPU per run; cli_test runs the plug-ins under LD_BIND_NOW=1,
    // so a symbol the binary does not export still fails a test.
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* err = dlerror();
      why = err != nullptr ? err : path.string();
      break;
    }
    auto lookup = reinterpret_cast<LookupFn>(dlsym(handle, "krg_demo_lookup"));
    if (lookup == nullptr) {
      why = path.string() + " has no krg_demo_lookup";
      break;
    }
    TheDomains().loaded.push_back(domain);
    *out = lookup;
    return Status::Ok();
  }
  if (why.empty()) {
    why = file + " not found in lib/krgdemo/ or " KRG_PLUGIN_INSTALL_REL
                 "/ next to the krgdemo binary";
  }
  return Status::Unavailable("the " + domain + " demos' plug-in: " + why +
                             " (rebuild, or reinstall the package)");
}

// The `make` of a row whose code is in `domain`'s plug-in.
std::function<Result<std::unique_ptr<Workload>>(const DemoConfig&)> FromPlugin(
    const std::string& domain, const std::string& demo) {
  return [domain,
          demo](const DemoConfig& config) -> Result<std::unique_ptr<Workload>> {
    MakeFn make = nullptr;
    KRG_RETURN_IF_ERROR(DomainMake(domain, demo, &make));
    return make(config);
  };
}

}  // namespace

void LinkDomain(const std::string& domain, LookupFn lookup) {
  Domains& d = TheDomains();
  std::lock_guard<std::mutex> lock(d.mu);
  d.lookup[domain] = lookup;
}

Status DomainMake(const std::string& domain, const std::string& demo,
                  MakeFn* make) {
  Domains& d = TheDomains();
  std::lock_guard<std::mutex> lock(d.mu);
  auto it = d.lookup.find(domain);
  if (it == d.lookup.end()) {
    LookupFn lookup = nullptr;
    KRG_RETURN_IF_ERROR(LoadDomain(domain, &lookup));
    it = d.lookup.emplace(domain, lookup).first;
  }
  *make = it->second(demo.c_str());
  if (*make == nullptr) {
    return Status::Internal("the " + domain + " plug-in has no demo '" + demo +
                            "'");
  }
  return Status::Ok();
}

std::vector<std::string> LoadedDomains() {
  Domains& d = TheDomains();
  std::lock_guard<std::mutex> lock(d.mu);
  return d.loaded;
}

const std::vector<Demo>& AllDemos() {
  static const std::vector<Demo> kDemos = {
      {"mandelbrot",
       "scientific",
       Shape::kFarm,
       "Mandelbrot set, escape time with smooth colouring, tiles as units",
       {"CAN_MIGRATE", "DISTANT_FORK"},
       MandelbrotParamsHelp(),
       MakeMandelbrot},
      {"poisson",
       "scientific",
       Shape::kSpmd,
       "Poisson equation by conjugate gradients on Eigen sparse rows, ranks "
       "sharing a System V arena (SPMD)",
       {"CAN_MIGRATE", "DISTANT_FORK"},
       PoissonParamsHelp(),
       MakePoisson},
      {"imgpipe",
       "imaging",
       Shape::kFarm,
       "Batch photo pipeline on OpenCV (resize, blur, gray, Canny, PNG), "
       "images as units",
       {"DISTANT_FORK"},
       ImgpipeParamsHelp(),
       FromPlugin("imaging", "imgpipe")},
      {"framepipe",
       "imaging",
       Shape::kFarm,
       "Video pipeline on OpenCV (MOG2 background subtraction, object boxes), "
       "chunks of frames as units",
       {"DISTANT_FORK"},
       FramepipeParamsHelp(),
       FromPlugin("imaging", "framepipe")},
      {"linsolve",
       "scientific",
       Shape::kFarm,
       "Dense linear systems solved by LU (Eigen), one system per unit, "
       "HPL residual check",
       {"CAN_MIGRATE", "DISTANT_FORK"},
       LinsolveParamsHelp(),
       MakeLinsolve},
      {"memtiers",
       "scientific",
       Shape::kFarm,
       "The memory hierarchy of one process: bandwidth and latency from L1 "
       "to RAM (and remote RAM on Kerrighed), charted",
       {"USE_REMOTE_MEMORY"},
       MemtiersParamsHelp(),
       MakeMemtiers},
      {"webfarm",
       "servers",
       Shape::kService,
       "HTTP server farm on libmicrohttpd (tiles, thumbnails, static files), "
       "a supervised process per node, measured with wrk",
       {"CAN_MIGRATE"},
       WebfarmParamsHelp(),
       FromPlugin("servers", "webfarm")},
  };
  return kDemos;
}

const Demo* FindDemo(const std::string& name) {
  for (const Demo& d : AllDemos()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

namespace {

std::size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string ClosestName(const std::string& name,
                        const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const std::string& candidate : names) {
    std::size_t dist = EditDistance(name, candidate);
    if (candidate.rfind(name, 0) == 0 && !name.empty()) dist = 0;  // a prefix
    if (dist < best_d) {
      best_d = dist;
      best = candidate;
    }
  }
  // Close enough: a third of the name's letters wrong at most.
  return best_d <= std::max<std::size_t>(2, best.size() / 3) ? best : "";
}

std::string SuggestDemo(const std::string& name) {
  std::vector<std::string> names;
  for (const Demo& d : AllDemos()) names.push_back(d.name);
  return ClosestName(name, names);
}

}  // namespace krg::demos
