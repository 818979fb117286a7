#include "krg/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <memory>

#include "krg/checkpoint.h"
#include "krg/engine.h"

namespace krg {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Builds the executor options for `spec` over `layout`.
ExecOptions MakeOptions(const RunSpec& spec, const platform::Layout& layout,
                        int* threads) {
  ExecOptions opts;
  int cpus = 0;
  for (const platform::Node& n : layout.nodes) {
    cpus += static_cast<int>(n.cpus.size());
    opts.slots.push_back(n);  // procs: one single-threaded worker per node
  }
  *threads = spec.engine == Engine::kThreads
                 ? (spec.threads > 0 ? spec.threads : cpus)
                 : 1;
  opts.threads = *threads;
  opts.cancel = spec.cancel;
  opts.on_worker_start = spec.on_worker_start;
  opts.ipc_key = spec.ipc_key;
  return opts;
}

// One pass of `workload`, with checkpoints when `spec` asks for them.
Result<ExecReport> RunPass(Executor& executor, Workload& workload,
                           const RunSpec& spec, ExecOptions opts) {
  const bool checkpoints = !spec.checkpoint_dir.empty();
  if (workload.shape() == Shape::kSpmd) {
    auto& spmd = static_cast<SpmdWorkload&>(workload);
    std::unique_ptr<SpmdCheckpointStore> store;
    if (checkpoints) {
      store = std::make_unique<SpmdCheckpointStore>(
          spec.checkpoint_dir, spec.checkpoint_identity,
          spec.checkpoint_every_s, spec.resume);
      opts.spmd_checkpoint = store.get();
    }
    return executor.RunSpmd(spmd, opts);
  }
  auto& farm = static_cast<FarmWorkload&>(workload);
  if (!checkpoints) return executor.RunFarm(farm, opts);
  KRG_ASSIGN_OR_RETURN(
      std::unique_ptr<FarmJournal> journal,
      FarmJournal::Open(spec.checkpoint_dir, spec.checkpoint_identity,
                        farm.unit_count(), spec.checkpoint_every_s,
                        spec.resume));
  opts.completed = &journal->completed();
  const std::size_t resumed = journal->completed().size();
  auto chained = opts.on_unit_done;
  opts.on_unit_done = [&journal, chained](std::size_t unit, int node,
                                          std::string_view bytes) {
    journal->Append(unit, bytes);
    if (chained) chained(unit, node, bytes);
  };
  KRG_ASSIGN_OR_RETURN(ExecReport report, executor.RunFarm(farm, opts));
  KRG_RETURN_IF_ERROR(journal->status());
  KRG_RETURN_IF_ERROR(journal->Flush());
  if (resumed > 0) {
    report.events.push_back("resumed: " + std::to_string(resumed) +
                            " unit(s) read back from the journal");
  }
  return report;
}

// The passes of Measure() in this process, through `executor`.
Result<Measurement> MeasurePasses(platform::Platform& platform,
                                  Workload& workload, const RunSpec& spec,
                                  Executor& executor) {
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, platform.Partition(spec.nodes));
  Measurement m;
  m.layout_note = layout.note;
  ExecOptions opts = MakeOptions(spec, layout, &m.threads);
  m.workers = spec.engine != Engine::kThreads ? int(opts.slots.size()) : 0;

  const Clock::time_point start = Clock::now();
  const int warmups = spec.repeat.fixed > 0 ? 0 : spec.repeat.warmups;
  int pass = -warmups;
  double last_pass_s = 0;
  std::string first_checksum;
  m.verification.ok = true;
  while (pass < 0 || spec.repeat.WantMore(m.samples_s, Since(start))) {
    const int shown = pass < 0 ? 0 : pass + 1;
    const Clock::time_point t0 = Clock::now();
    auto report_progress = [&](std::size_t done, std::size_t total,
                               const std::string& note) {
      if (!spec.progress) return;
      const bool fixed = spec.repeat.fixed > 0;
      spec.progress({shown, done, total, Since(start), note,
                     fixed ? spec.repeat.fixed : spec.repeat.max_samples, fixed,
                     fixed ? 0 : spec.repeat.budget_s, Since(t0), last_pass_s});
    };
    opts.progress = [&](std::size_t done, std::size_t total) {
      report_progress(done, total, {});
    };
    opts.progress_note = [&](const std::string& note) {
      report_progress(0, 0, note);
    };
    if (spec.on_unit_done) {
      opts.on_unit_done = [&](std::size_t unit, int node,
                              std::string_view bytes) {
        spec.on_unit_done(shown, unit, node, bytes);
      };
    }
    KRG_ASSIGN_OR_RETURN(ExecReport report,
                         RunPass(executor, workload, spec, opts));
    const double seconds = Since(t0);
    last_pass_s = seconds;
    m.worker_restarts += report.worker_restarts;
    m.events.insert(m.events.end(), report.events.begin(), report.events.end());
    // The union over passes, sorted (each pass's list is sorted already).
    std::vector<int> nodes;
    std::set_union(m.worker_nodes.begin(), m.worker_nodes.end(),
                   report.worker_nodes.begin(), report.worker_nodes.end(),
                   std::back_inserter(nodes));
    m.worker_nodes = std::move(nodes);
    Verification v = workload.Verify();
    if (first_checksum.empty()) first_checksum = v.checksum;
    if (v.ok && v.checksum != first_checksum) {
      v.ok = false;
      v.detail = "checksum changed between passes (" + first_checksum +
                 " then " + v.checksum + ")";
    }
    if (!v.ok || m.verification.ok) m.verification = v;
    if (pass >= 0) m.samples_s.push_back(seconds);
    ++pass;
  }
  m.summary = Summarize(m.samples_s);
  m.work = workload.work();
  m.metrics = workload.Metrics();
  return m;
}

}  // namespace

ProgressEstimate EstimateProgress(const Progress& p) {
  ProgressEstimate e;
  if (p.passes <= 0) return e;
  const double in_pass = p.total > 0 ? double(p.done) / double(p.total) : -1;
  double pass_s = p.last_pass_s;
  if (pass_s <= 0 && in_pass > 0.02) pass_s = p.pass_elapsed_s / in_pass;
  if (pass_s <= 0) return e;
  const double rest = in_pass >= 0 ? pass_s * (1 - in_pass)
                                   : std::max(0.0, pass_s - p.pass_elapsed_s);
  // Timed passes after this one; a warm-up (pass 0) is followed by all.
  int more = p.pass == 0 ? p.passes : p.passes - p.pass;
  if (p.budget_s > 0) {  // no pass starts once the budget is spent
    const double end = p.elapsed_s + rest;
    const int by_budget =
        end >= p.budget_s ? 0 : int(std::ceil((p.budget_s - end) / pass_s));
    more = std::min(more, by_budget);
    if (p.pass == 0) more = std::max(more, 1);  // one timed pass at least
  }
  e.left_s = rest + std::max(0, more) * pass_s;
  e.fraction = p.elapsed_s / (p.elapsed_s + e.left_s);
  return e;
}

Result<Measurement> Measure(platform::Platform& platform, Workload& workload,
                            const RunSpec& spec) {
  KRG_CHECK(spec.nodes >= 1) << "nodes=" << spec.nodes;
  if (workload.shape() == Shape::kService) {
    return Status::Unavailable("service workloads do not run in this version");
  }
  if (spec.executor != nullptr) {
    return MeasurePasses(platform, workload, spec, *spec.executor);
  }
  KRG_RETURN_IF_ERROR(
      EngineRuns(spec.engine, workload.shape(),
                 spec.id.name.empty() ? "this workload" : spec.id.name));
  return InfoOf(spec.engine).measure(platform, workload, spec);
}

}  // namespace krg
