#include "krg/comparison.h"

#include <algorithm>
#include <cmath>
#include <map>

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

Cell MakeCell(const std::vector<double>& samples, bool verified,
              const std::string& checksum) {
  Cell c;
  c.present = true;
  c.samples_s = samples;
  const Summary s = Summarize(samples);
  c.median_s = s.median;
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
    KRG_RETURN_IF_ERROR(
        CheckSamples(r.samples_s, "runs[" + std::to_string(i) + "]"));
    Row proto;
    proto.label = Label(r);
    proto.demo = r.demo;
    proto.size = r.size;
    proto.params = ParamsText(r.params);
    proto.engine = r.engine;
    proto.nodes = r.nodes;
    if (Row* row = slot(RunId(r), std::move(proto))) {
      row->cells[k] = MakeCell(r.samples_s, r.verified, r.checksum);
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
      row->cells[k] = MakeCell(m.samples_s, true, "");
    }
  }
  return Status::Ok();
}

void Judge(const Cell& base, Cell* c, const CompareOptions& o) {
  c->change_pct = (c->median_s / base.median_s - 1) * 100;
  c->test = RunSignificanceTest(o.test, base.samples_s, c->samples_s, o.alpha);
  if (!base.verified || !c->verified) {
    c->verdict = Verdict::kUnverified;
  } else if (!c->test.enough_samples) {
    c->verdict = Verdict::kFewSamples;
  } else if (c->test.p_value < o.alpha && c->change_pct > o.threshold_pct) {
    c->verdict = Verdict::kRegression;
  } else if (c->test.p_value < o.alpha && c->change_pct < -o.threshold_pct) {
    c->verdict = Verdict::kImprovement;
  } else {
    c->verdict = Verdict::kUnchanged;
  }
}

FileInfo Info(const NamedFile& nf) {
  const ResultFile& f = nf.file;
  FileInfo i{nf.path,         f.label,    f.created,
             f.tool.version,  f.tool.git, f.system.cpu_model,
             f.system.kernel, "",         f.tool.compiler};
  const json meta = f.extensions.value("metadata", json::object());
  if (meta.is_object()) {
    const json distro = meta.value("distribution", json::object());
    if (distro.is_object()) i.distribution = distro.value("name", "");
  }
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

Result<Comparison> CompareFiles(const std::vector<NamedFile>& files,
                                const CompareOptions& options) {
  KRG_CHECK(files.size() >= 2) << "compare needs two files";
  Comparison c;
  c.options = options;
  std::map<std::string, std::size_t> at;
  for (std::size_t k = 0; k < files.size(); ++k) {
    Status s = AddFile(files[k].file, k, files.size(), &c.rows, &at);
    if (!s.ok()) return s.WithContext(files[k].path);
    c.files.push_back(Info(files[k]));
  }
  c.summaries.resize(files.size());
  for (Row& row : c.rows) {
    Cell& base = row.cells[0];
    if (base.present) base.verdict = Verdict::kBaseline;
    for (std::size_t k = 1; k < files.size(); ++k) {
      Cell& cell = row.cells[k];
      if (!base.present || !cell.present) continue;
      Judge(base, &cell, options);
      FileSummary& sum = c.summaries[k];
      ++sum.matched;
      sum.regressions += cell.verdict == Verdict::kRegression;
      sum.improvements += cell.verdict == Verdict::kImprovement;
      sum.few_samples += cell.verdict == Verdict::kFewSamples;
      if (!row.micro && !base.checksum.empty() && !cell.checksum.empty() &&
          base.checksum != cell.checksum) {
        c.notes.push_back(row.label + ": " + files[k].path +
                          " computed a different answer (checksum " +
                          cell.checksum + ", baseline " + base.checksum + ")");
      }
    }
  }
  for (std::size_t k = 1; k < files.size(); ++k) {
    FileSummary& sum = c.summaries[k];
    if (sum.matched == 0) {
      return Status::FailedPrecondition(
          "no common runs: " + files[k].path + " and " + files[0].path +
          " share no demo/size/params/engine/nodes (or microbenchmark); "
          "compare files of the same suite");
    }
    double log_sum = 0;
    for (const Row& row : c.rows) {
      if (row.cells[0].present && row.cells[k].present) {
        log_sum += std::log(row.cells[k].median_s / row.cells[0].median_s);
      }
    }
    sum.geomean_ratio = std::exp(log_sum / sum.matched);
    c.regressions += sum.regressions;
  }
  return c;
}

}  // namespace krg
