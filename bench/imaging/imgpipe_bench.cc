// imgpipe on each engine over the same images (the `small` generated photos:
// 16 JPEGs of 1-3 MP, cached on first use): Seq runs every image on this
// thread, Omp is the threads engine on every CPU, Fork the procs engine with
// one worker per CPU, ForkPerImage a fresh process per image (DISTANT_FORK's
// pattern). Resize is the thumbnailing pipeline (decode, resize, JPEG) on the
// procs engine. Throughput is in the "images/s" counter.
//
//   build/bench/imgpipe_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "../farm_bench.h"
#include "imaging/imgpipe.h"

namespace {

using ParamMap = std::map<std::string, std::string>;

std::unique_ptr<krg::FarmWorkload> MakeInput(benchmark::State& state,
                                             const ParamMap& params) {
  auto w = krg::demos::MakeImgpipe({"small", params});
  if (!w.ok()) {
    state.SkipWithError(w.status().ToString().c_str());
    return nullptr;
  }
  return std::unique_ptr<krg::FarmWorkload>(
      static_cast<krg::FarmWorkload*>(w->release()));
}

void BM_Imgpipe_Seq(benchmark::State& state) {
  auto w = MakeInput(state, {});
  if (!w) return;
  krg::bench::RunSequential(state, *w);
  krg::bench::Finish(state, *w, "images/s");
}

void RunEngine(benchmark::State& state, krg::Engine engine,
               const ParamMap& params) {
  auto w = MakeInput(state, params);
  if (!w) return;
  krg::bench::RunOnEngine(state, *w, engine);
  krg::bench::Finish(state, *w, "images/s");
}

void BM_Imgpipe_Omp(benchmark::State& state) {
  RunEngine(state, krg::Engine::kThreads, {});
}
void BM_Imgpipe_Fork(benchmark::State& state) {
  RunEngine(state, krg::Engine::kProcs, {});
}
void BM_Imgpipe_ForkPerImage(benchmark::State& state) {
  RunEngine(state, krg::Engine::kProcs, {{"fork_per_image", "1"}});
}
void BM_Imgpipe_Resize(benchmark::State& state) {
  RunEngine(state, krg::Engine::kProcs,
            {{"stages", "decode,resize,encode"}, {"format", "jpg"}});
}

BENCHMARK(BM_Imgpipe_Seq)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Imgpipe_Omp)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Imgpipe_Fork)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Imgpipe_ForkPerImage)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Imgpipe_Resize)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
