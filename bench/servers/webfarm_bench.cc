// Webfarm microbenchmarks: a tile's rendering and encoding (what one
// /tile request costs the server), and whole requests through a one-server
// farm over loopback (connect, request, response, close).
//   build/bench/webfarm_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "krg/platform.h"
#include "servers/net.h"
#include "servers/supervisor.h"
#include "servers/tile.h"

namespace krg::demos::servers {
namespace {

void BM_Webfarm_TileRender(benchmark::State& state) {
  const TileId t{2, 1, 1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(RenderTile(t, static_cast<int>(state.range(0))));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Webfarm_TileRender)->Arg(200)->Arg(500)->Arg(1000);

void BM_Webfarm_TilePng(benchmark::State& state) {
  const std::vector<float> px = RenderTile({2, 1, 1}, 500);
  for (auto _ : state) benchmark::DoNotOptimize(EncodeTilePng(px));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Webfarm_TilePng);

// One request per iteration on a fresh connection to a one-server farm.
void RequestBench(benchmark::State& state, const std::string& path) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("webfarm_bench_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "1k.bin") << std::string(1024, 'k');
  FarmOptions o;
  o.port = 0;
  o.server.static_dir = dir.string();
  o.server.tile_max_iter = 200;
  auto p = platform::MakeLinuxPlatform();
  auto farm = Supervisor::Start(*p, 1, o);
  if (!farm.ok()) {
    state.SkipWithError(farm.status().ToString().c_str());
    return;
  }
  for (auto _ : state) {
    auto r = HttpGet((*farm)->port(), path);
    if (!r.ok() || r->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  (void)(*farm)->Stop();
  std::filesystem::remove_all(dir);
}

void BM_Webfarm_Request_Healthz(benchmark::State& state) {
  RequestBench(state, "/healthz");
}
BENCHMARK(BM_Webfarm_Request_Healthz)->UseRealTime();

void BM_Webfarm_Request_Static1k(benchmark::State& state) {
  RequestBench(state, "/static/1k.bin");
}
BENCHMARK(BM_Webfarm_Request_Static1k)->UseRealTime();

void BM_Webfarm_Request_Tile(benchmark::State& state) {
  RequestBench(state, "/tile/2/1/1.png");
}
BENCHMARK(BM_Webfarm_Request_Tile)->UseRealTime();

}  // namespace
}  // namespace krg::demos::servers

BENCHMARK_MAIN();
