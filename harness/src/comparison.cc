#include "krg/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "krg/json_fields.h"
#include "krg/stats.h"

namespace krg {
namespace {

using nlohmann::json;

Status CheckSamples(const std::vector<double>& samples,
                    const std::string& where) {
  if (samples.empty()) {
    return Status::InvalidArgument("'" + where + ".samples_s' is empty");
  }
  for (double s : samples) {
    if (!std::isfinite(s) || s <= 0) {
      return Status::InvalidArgument("'" + where +
                                     ".samples_s' holds a value that is not "
                                     "a positive number of seconds");
    }
  }
  return Status::Ok();
}

Cell MakeCell(const std::vector<double>& samples,
              const std::vector<std::vector<double>>& rounds, bool verified,
              const std::string& checksum) {
  Cell c;
  c.present = true;
  c.samples_s = samples;
  c.rounds_s =
      rounds.empty() ? std::vector<std::vector<double>>{samples} : rounds;
  for (const auto& r : c.rounds_s) c.round_medians_s.push_back(Median(r));
  const Summary s = Summarize(samples);
  c.median_s = MedianOfRounds(c.rounds_s);
  c.min_s = s.min;
  c.max_s = s.max;
  c.verified = verified;
  c.checksum = checksum;
  return c;
}

std::string Label(const RunRecord& r) {
  std::string label = r.demo + " " + r.size;
  const std::string params = ParamsText(r.params);
  if (!params.empty()) label += " " + params;
  return label + " " + r.engine + " x" + std::to_string(r.nodes);
}

// Every row of file `f` (index `k` of `n` files), created or filled in.
Status AddFile(const ResultFile& f, std::size_t k, std::size_t n,
               std::vector<Row>* rows, std::map<std::string, std::size_t>* at) {
  auto slot = [&](const std::string& id, Row proto) -> Row* {
    auto [it, fresh] = at->emplace(id, rows->size());
    if (fresh) {
      proto.id = id;
      proto.cells.resize(n);
      rows->push_back(std::move(proto));
    }
    Row* row = &(*rows)[it->second];
    return row->cells[k].present ? nullptr : row;  // the first one counts
  };
  for (std::size_t i = 0; i < f.runs.size(); ++i) {
    const RunRecord& r = f.runs[i];
    const std::string where = "runs[" + std::to_string(i) + "]";
    KRG_RETURN_IF_ERROR(CheckSamples(r.samples_s, where));
    for (const auto& round : r.round_samples_s) {
      KRG_RETURN_IF_ERROR(CheckSamples(round, where + ".round_samples_s[]"));
    }
    Row proto;
    proto.label = Label(r);
    proto.demo = r.demo;
    proto.size = r.size;
    proto.params = ParamsText(r.params);
    proto.engine = r.engine;
    proto.nodes = r.nodes;
    if (Row* row = slot(RunId(r), std::move(proto))) {
      row->cells[k] =
          MakeCell(r.samples_s, r.round_samples_s, r.verified, r.checksum);
    }
  }
  KRG_ASSIGN_OR_RETURN(
      std::vector<MicroRecord> micro,
      MicroFromJson(f.extensions.value("micro", json::array())));
  for (std::size_t i = 0; i < micro.size(); ++i) {
    const MicroRecord& m = micro[i];
    if (!m.error.empty()) continue;  // a skipped benchmark has no samples
    KRG_RETURN_IF_ERROR(
        CheckSamples(m.samples_s, "micro[" + std::to_string(i) + "]"));
    Row proto;
    proto.label = m.binary + " " + m.name;
    proto.micro = true;
    proto.micro_binary = m.binary;
    proto.micro_name = m.name;
    if (Row* row = slot("micro|" + m.binary + "|" + m.name, std::move(proto))) {
      row->cells[k] = MakeCell(m.samples_s, {}, true, "");
    }
  }
  return Status::Ok();
}

// A stable seed per row and file, so a report is the same every time.
std::uint64_t Seed(const std::string& id, std::size_t k) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char ch : id) h = (h ^ ch) * 1099511628211ull;
  return h ^ (k * 0x9e3779b97f4a7c15ull);
}

// The ratio, its interval and the one-sided p-value of cell `c` against
// `base`; returns the bootstrap draws of the ratio (for the geometric mean).
std::vector<double> Estimate(const Cell& base, Cell* c, const std::string& id,
                             std::size_t k, const CompareOptions& o) {
  std::mt19937_64 rng(Seed(id, k));
  const std::vector<double> a =
      BootstrapMedians(base.rounds_s, o.resamples, rng);
  const std::vector<double> b = BootstrapMedians(c->rounds_s, o.resamples, rng);
  std::vector<double> ratios = Ratios(a, b);
  c->one_round = base.rounds_s.size() < 2 || c->rounds_s.size() < 2;
  c->ratio = c->median_s / base.median_s;
  c->change_pct = (c->ratio - 1) * 100;
  c->ratio_ci = PercentileInterval(ratios, o.confidence);
  const Interval own = PercentileInterval(a, o.confidence);
  c->baseline_spread_pct = (own.hi - own.lo) / 2 / base.median_s * 100;
  if (c->one_round) {
    c->test =
        RunSignificanceTest(o.test, base.samples_s, c->samples_s, o.alpha);
  } else {
    // The p-value tests "no change at all" (a ratio of 1), one-sided in
    // the direction observed; the threshold is the interval's job. Testing
    // against 1 +- threshold instead asks for a 2.7-sigma margin beyond it
    // once Holm-corrected over a suite's family, which three rounds with
    // 2-3% round-to-round noise never give (docs/bench.md, issue 18).
    const bool up = c->ratio >= 1;
    c->test = TestOutcome{};
    c->test.enough_samples = true;
    c->test.p_value = BootstrapPValue(ratios, 1.0, up);
  }
  return ratios;
}

// The verdict before the correction: kUnchanged marks a cell whose p-value
// joins the family.
Verdict PreVerdict(const Row& row, const Cell& base, const Cell& c,
                   const CompareOptions& o) {
  if (!base.verified || !c.verified) return Verdict::kUnverified;
  if (!row.micro && base.median_s < o.min_time_s) return Verdict::kTooShort;
  if (!c.test.enough_samples) return Verdict::kFewSamples;
  return Verdict::kUnchanged;
}

// The verdict once the family's p-values are corrected.
Verdict FinalVerdict(const Cell& c, const CompareOptions& o) {
  const double t = o.threshold_pct / 100;
  const bool significant = c.p_adjusted < o.alpha;
  if (c.one_round) {
    if (significant && c.change_pct > o.threshold_pct) {
      return Verdict::kRegression;
    }
    if (significant && c.change_pct < -o.threshold_pct) {
      return Verdict::kImprovement;
    }
    return Verdict::kUnchanged;
  }
  if (significant && c.ratio_ci.lo > 1 + t) return Verdict::kRegression;
  if (significant && c.ratio_ci.hi < 1 - t) return Verdict::kImprovement;
  // "Unchanged" is a finding too: only when the whole interval lies within
  // the threshold. An interval that reaches past it, either way, could not
  // tell a change of the threshold's size from the rounds' noise.
  if (c.ratio_ci.lo >= 1 - t && c.ratio_ci.hi <= 1 + t) {
    return Verdict::kUnchanged;
  }
  return Verdict::kNoisy;
}

// Rounds of a bench file, from its "bench" record (none for other files).
std::vector<RoundInfo> Rounds(const ResultFile& f, const CompareOptions& o) {
  std::vector<RoundInfo> out;
  const json bench = f.extensions.value("bench", json::object());
  const json rounds =
      bench.is_object() ? bench.value("rounds", json::array()) : json::array();
  if (!rounds.is_array()) return out;
  for (const json& r : rounds) {
    RoundInfo i;
    if (!ReadFieldOr(r, "round", "", &i.round).ok() ||
        !ReadFieldOr(r, "wall_s", "", &i.wall_s).ok() ||
        !ReadFieldOr(r, "load1_mean", "", &i.load1).ok() ||
        !ReadFieldOr(r, "steal_pct", "", &i.steal_pct).ok() ||
        !ReadFieldOr(r, "cpus", "", &i.cpus).ok()) {
      continue;  // a malformed record says nothing about load
    }
    i.busy = (i.cpus > 0 && i.load1 > o.busy_load_per_cpu * i.cpus) ||
             i.steal_pct > o.busy_steal_pct;
    out.push_back(i);
  }
  return out;
}

FileInfo Info(const NamedFile& nf, const CompareOptions& o) {
  const ResultFile& f = nf.file;
  FileInfo i{nf.path,         f.label,    f.created,
             f.tool.version,  f.tool.git, f.system.cpu_model,
             f.system.kernel, "",         f.tool.compiler};
  const json meta = f.extensions.value("metadata", json::object());
  if (meta.is_object()) {
    const json distro = meta.value("distribution", json::object());
    if (distro.is_object()) i.distribution = distro.value("name", "");
  }
  for (const RunRecord& r : f.runs) {
    i.rounds = std::max(i.rounds, int(r.round_samples_s.size()));
  }
  i.round_info = Rounds(f, o);
  for (const RoundInfo& r : i.round_info) i.busy_rounds += r.busy;
  return i;
}

}  // namespace

std::string ParamsText(const json& params) {
  std::string text;
  if (!params.is_object()) return params.is_null() ? "" : params.dump();
  for (auto it = params.begin(); it != params.end(); ++it) {  // sorted keys
    if (!text.empty()) text += ",";
    text += it.key() + "=" +
            (it->is_string() ? it->get<std::string>() : it->dump());
  }
  return text;
}

std::string RunId(const std::string& demo, const std::string& size,
                  const json& params, const std::string& engine, int nodes) {
  return "run|" + demo + "|" + size + "|" + params.dump() + "|" + engine + "|" +
         std::to_string(nodes);
}

std::string RunId(const RunRecord& r) {
  return RunId(r.demo, r.size, r.params, r.engine, r.nodes);
}

std::string VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kBaseline:
      return "baseline";
    case Verdict::kMissing:
      return "missing";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kRegression:
      return "REGRESSION";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kFewSamples:
      return "few samples";
    case Verdict::kUnverified:
      return "UNVERIFIED";
    case Verdict::kNoisy:
      return "noisy";
    case Verdict::kTooShort:
      return "too short";
  }
  return "?";
}

Result<std::vector<MicroRecord>> MicroFromJson(const json& micro) {
  if (!micro.is_array()) {
    return Status::InvalidArgument("field 'micro' is not an array");
  }
  std::vector<MicroRecord> out;
  for (std::size_t i = 0; i < micro.size(); ++i) {
    const json& m = micro[i];
    const std::string where = "micro[" + std::to_string(i) + "]";
    MicroRecord r;
    if (!ReadField(m, "binary", where, &r.binary).ok() ||
        !ReadField(m, "name", where, &r.name).ok() ||
        !ReadField(m, "samples_s", where, &r.samples_s).ok() ||
        !ReadFieldOr(m, "error", where, &r.error).ok()) {
      return Status::InvalidArgument(
          "'" + where +
          "' needs 'binary', 'name' (strings) and 'samples_s' (numbers)");
    }
    out.push_back(std::move(r));
  }
  return out;
}

json ToJson(const MicroRecord& m) {
  json j = {{"binary", m.binary}, {"name", m.name}, {"samples_s", m.samples_s}};
  if (!m.error.empty()) j["error"] = m.error;
  return j;
}

namespace {

// Ratio draws of every judged cell: [file][row] (empty when not judged).
using Draws = std::vector<std::vector<std::vector<double>>>;

// Estimates every matched cell and records its checksum notes.
Draws EstimateAll(const std::vector<NamedFile>& files, Comparison& c) {
  Draws draws(files.size(), std::vector<std::vector<double>>(c.rows.size()));
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    Row& row = c.rows[i];
    Cell& base = row.cells[0];
    if (base.present) base.verdict = Verdict::kBaseline;
    for (std::size_t k = 1; k < files.size(); ++k) {
      Cell& cell = row.cells[k];
      if (!base.present || !cell.present) continue;
      draws[k][i] = Estimate(base, &cell, row.id, k, c.options);
      cell.verdict = PreVerdict(row, base, cell, c.options);
      if (!row.micro && !base.checksum.empty() && !cell.checksum.empty() &&
          base.checksum != cell.checksum) {
        c.notes.push_back(row.label + ": " + files[k].path +
                          " computed a different answer (checksum " +
                          cell.checksum + ", baseline " + base.checksum + ")");
      }
    }
  }
  return draws;
}

// Holm's correction over every cell still to judge, then the verdicts.
void JudgeAll(Comparison& c) {
  std::vector<Cell*> family;
  std::vector<double> p;
  for (Row& row : c.rows) {
    for (std::size_t k = 1; k < row.cells.size(); ++k) {
      Cell& cell = row.cells[k];
      if (row.cells[0].present && cell.present &&
          cell.verdict == Verdict::kUnchanged) {
        family.push_back(&cell);
        p.push_back(cell.test.p_value);
      }
    }
  }
  const std::vector<double> adjusted = HolmAdjust(p);
  for (std::size_t i = 0; i < family.size(); ++i) {
    family[i]->p_adjusted = adjusted[i];
    family[i]->verdict = FinalVerdict(*family[i], c.options);
  }
  c.family = int(family.size());
}

// File k's counts and geometric mean of ratios (too-short rows left out),
// with an interval taken draw by draw over the rows' bootstrap draws.
Status SummarizeFile(const Comparison& c, const Draws& draws, std::size_t k,
                     FileSummary* sum) {
  std::vector<double> log_draws;
  double log_sum = 0;
  for (std::size_t i = 0; i < c.rows.size(); ++i) {
    const Cell& cell = c.rows[i].cells[k];
    if (!c.rows[i].cells[0].present || !cell.present) continue;
    ++sum->matched;
    sum->regressions += cell.verdict == Verdict::kRegression;
    sum->improvements += cell.verdict == Verdict::kImprovement;
    sum->few_samples += cell.verdict == Verdict::kFewSamples;
    sum->noisy += cell.verdict == Verdict::kNoisy;
    sum->too_short += cell.verdict == Verdict::kTooShort;
    if (cell.verdict == Verdict::kTooShort) continue;
    ++sum->judged;
    log_sum += std::log(cell.ratio);
    log_draws.resize(draws[k][i].size(), 0.0);
    for (std::size_t d = 0; d < draws[k][i].size(); ++d) {
      log_draws[d] += std::log(draws[k][i][d]);
    }
  }
  if (sum->matched == 0) {
    return Status::FailedPrecondition(
        "no common runs: " + c.files[k].path + " and " + c.files[0].path +
        " share no demo/size/params/engine/nodes (or microbenchmark); "
        "compare files of the same suite");
  }
  if (sum->judged == 0) return Status::Ok();
  sum->geomean_ratio = std::exp(log_sum / sum->judged);
  for (double& d : log_draws) d = std::exp(d / sum->judged);
  sum->geomean_ci = PercentileInterval(log_draws, c.options.confidence);
  return Status::Ok();
}

}  // namespace

Result<Comparison> CompareFiles(const std::vector<NamedFile>& files,
                                const CompareOptions& options) {
  KRG_CHECK(files.size() >= 2) << "compare needs two files";
  KRG_CHECK(options.resamples >= 1) << "no bootstrap draws";
  Comparison c;
  c.options = options;
  std::map<std::string, std::size_t> at;
  for (std::size_t k = 0; k < files.size(); ++k) {
    Status s = AddFile(files[k].file, k, files.size(), &c.rows, &at);
    if (!s.ok()) return s.WithContext(files[k].path);
    c.files.push_back(Info(files[k], options));
  }
  const Draws draws = EstimateAll(files, c);
  JudgeAll(c);
  c.summaries.resize(files.size());
  for (std::size_t k = 1; k < files.size(); ++k) {
    KRG_RETURN_IF_ERROR(SummarizeFile(c, draws, k, &c.summaries[k]));
    c.regressions += c.summaries[k].regressions;
  }
  return c;
}

}  // namespace krg
