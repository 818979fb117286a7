#include "registry.h"

#include <algorithm>

#include "imaging/framepipe.h"
#include "imaging/imgpipe.h"
#include "scientific/linsolve.h"
#include "scientific/mandelbrot.h"
#include "scientific/memtiers.h"
#include "scientific/poisson.h"
#include "servers/webfarm.h"

namespace krg::demos {

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
       MakeImgpipe},
      {"framepipe",
       "imaging",
       Shape::kFarm,
       "Video pipeline on OpenCV (MOG2 background subtraction, object boxes), "
       "chunks of frames as units",
       {"DISTANT_FORK"},
       FramepipeParamsHelp(),
       MakeFramepipe},
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
       MakeWebfarm},
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
