#include "krg/results.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "build_info.h"
#include "krg/file_io.h"
#include "krg/json_fields.h"

namespace krg {
namespace {

using nlohmann::json;

Status ParseSchema(const json& j) {
  std::string schema;
  KRG_RETURN_IF_ERROR(ReadField(j, "schema", "", &schema));
  const std::string prefix = "krgdemo.result/";
  if (schema.rfind(prefix, 0) != 0) {
    return Status::InvalidArgument("not a krgdemo result file (schema '" +
                                   schema + "')");
  }
  int version = 0;
  try {
    version = std::stoi(schema.substr(prefix.size()));
  } catch (const std::exception&) {
    return Status::InvalidArgument("unreadable schema '" + schema + "'");
  }
  if (version > kResultSchemaVersion) {
    return Status::InvalidArgument("schema '" + schema +
                                   "' is newer than this krgdemo reads (" +
                                   kResultSchema + "); use a newer krgdemo");
  }
  if (version < 1) {
    return Status::InvalidArgument("unknown schema '" + schema + "'");
  }
  return Status::Ok();
}

Result<RunRecord> RunFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) {
    return Status::InvalidArgument("'" + where + "' is not an object");
  }
  RunRecord r;
  const std::string w = where + ".";
  KRG_RETURN_IF_ERROR(ReadField(j, "demo", w, &r.demo));
  KRG_RETURN_IF_ERROR(ReadField(j, "size", w, &r.size));
  KRG_RETURN_IF_ERROR(ReadField(j, "params", w, &r.params));
  KRG_RETURN_IF_ERROR(ReadField(j, "engine", w, &r.engine));
  KRG_RETURN_IF_ERROR(ReadField(j, "nodes", w, &r.nodes));
  KRG_RETURN_IF_ERROR(ReadField(j, "threads", w, &r.threads));
  KRG_RETURN_IF_ERROR(ReadField(j, "caps", w, &r.caps));
  KRG_RETURN_IF_ERROR(ReadField(j, "samples_s", w, &r.samples_s));
  KRG_RETURN_IF_ERROR(ReadField(j, "median_s", w, &r.median_s));
  KRG_RETURN_IF_ERROR(ReadField(j, "min_s", w, &r.min_s));
  KRG_RETURN_IF_ERROR(ReadField(j, "mad_s", w, &r.mad_s));
  json tp;
  KRG_RETURN_IF_ERROR(ReadField(j, "throughput", w, &tp));
  KRG_RETURN_IF_ERROR(ReadField(tp, "value", w + "throughput.", &r.throughput));
  KRG_RETURN_IF_ERROR(
      ReadField(tp, "unit", w + "throughput.", &r.throughput_unit));
  KRG_RETURN_IF_ERROR(ReadField(j, "verified", w, &r.verified));
  KRG_RETURN_IF_ERROR(ReadField(j, "checksum", w, &r.checksum));
  KRG_RETURN_IF_ERROR(ReadFieldOr(j, "round_samples_s", w, &r.round_samples_s));
  KRG_RETURN_IF_ERROR(ReadFieldOr(j, "worker_nodes", w, &r.worker_nodes));
  if (r.samples_s.empty()) {
    return Status::InvalidArgument("'" + where + ".samples_s' is empty");
  }
  for (const std::vector<double>& round : r.round_samples_s) {
    if (round.empty()) {
      return Status::InvalidArgument("'" + where +
                                     ".round_samples_s' holds an empty round");
    }
  }
  if (j.contains("machines")) {
    r.machines = j["machines"];
    if (!r.machines.is_array()) {
      return Status::InvalidArgument("field '" + where +
                                     ".machines' is not an array");
    }
  }
  return r;
}

Result<SystemRecord> SystemFromJson(const json& j) {
  SystemRecord s;
  KRG_RETURN_IF_ERROR(ReadField(j, "platform", "system.", &s.platform));
  KRG_RETURN_IF_ERROR(ReadField(j, "kernel", "system.", &s.kernel));
  KRG_RETURN_IF_ERROR(ReadField(j, "cpu_model", "system.", &s.cpu_model));
  KRG_RETURN_IF_ERROR(ReadField(j, "kerrighed", "system.", &s.kerrighed));
  json nodes;
  KRG_RETURN_IF_ERROR(ReadField(j, "nodes", "system.", &nodes));
  if (!nodes.is_array()) {
    return Status::InvalidArgument("field 'system.nodes' is not an array");
  }
  for (const json& n : nodes) {
    NodeRecord r;
    KRG_RETURN_IF_ERROR(ReadField(n, "id", "system.nodes[].", &r.id));
    KRG_RETURN_IF_ERROR(ReadField(n, "cpus", "system.nodes[].", &r.cpus));
    KRG_RETURN_IF_ERROR(ReadField(n, "mem_mb", "system.nodes[].", &r.mem_mb));
    s.nodes.push_back(r);
  }
  return s;
}

}  // namespace

nlohmann::json ToJson(const ResultFile& f) {
  json nodes = json::array();
  for (const NodeRecord& n : f.system.nodes) {
    nodes.push_back({{"id", n.id}, {"cpus", n.cpus}, {"mem_mb", n.mem_mb}});
  }
  json runs = json::array();
  for (const RunRecord& r : f.runs) {
    runs.push_back(
        {{"demo", r.demo},
         {"size", r.size},
         {"params", r.params},
         {"engine", r.engine},
         {"nodes", r.nodes},
         {"threads", r.threads},
         {"caps", r.caps},
         {"samples_s", r.samples_s},
         {"median_s", r.median_s},
         {"min_s", r.min_s},
         {"mad_s", r.mad_s},
         {"throughput", {{"value", r.throughput}, {"unit", r.throughput_unit}}},
         {"verified", r.verified},
         {"checksum", r.checksum}});
    if (!r.round_samples_s.empty()) {
      runs.back()["round_samples_s"] = r.round_samples_s;
    }
    if (!r.machines.is_null()) runs.back()["machines"] = r.machines;
    if (!r.worker_nodes.empty()) runs.back()["worker_nodes"] = r.worker_nodes;
  }
  json j = f.extensions.is_object() ? f.extensions : json::object();
  j["schema"] = kResultSchema;
  j["tool"] = {{"version", f.tool.version},
               {"git", f.tool.git},
               {"build_type", f.tool.build_type},
               {"compiler", f.tool.compiler}};
  j["label"] = f.label;
  j["created"] = f.created;
  j["system"] = {{"platform", f.system.platform},
                 {"kernel", f.system.kernel},
                 {"kerrighed", f.system.kerrighed},
                 {"nodes", nodes},
                 {"cpu_model", f.system.cpu_model}};
  j["runs"] = runs;
  return j;
}

Result<ResultFile> ResultFromJson(const json& j) {
  if (!j.is_object()) {
    return Status::InvalidArgument("not a krgdemo result file (not an object)");
  }
  KRG_RETURN_IF_ERROR(ParseSchema(j));
  ResultFile f;
  json tool, system, runs;
  KRG_RETURN_IF_ERROR(ReadField(j, "tool", "", &tool));
  KRG_RETURN_IF_ERROR(ReadField(tool, "version", "tool.", &f.tool.version));
  KRG_RETURN_IF_ERROR(ReadField(tool, "git", "tool.", &f.tool.git));
  KRG_RETURN_IF_ERROR(
      ReadField(tool, "build_type", "tool.", &f.tool.build_type));
  KRG_RETURN_IF_ERROR(ReadField(tool, "compiler", "tool.", &f.tool.compiler));
  KRG_RETURN_IF_ERROR(ReadField(j, "label", "", &f.label));
  KRG_RETURN_IF_ERROR(ReadField(j, "created", "", &f.created));
  KRG_RETURN_IF_ERROR(ReadField(j, "system", "", &system));
  KRG_ASSIGN_OR_RETURN(f.system, SystemFromJson(system));
  KRG_RETURN_IF_ERROR(ReadField(j, "runs", "", &runs));
  if (!runs.is_array()) {
    return Status::InvalidArgument("field 'runs' is not an array");
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    KRG_ASSIGN_OR_RETURN(
        RunRecord r, RunFromJson(runs[i], "runs[" + std::to_string(i) + "]"));
    f.runs.push_back(std::move(r));
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* kKnown[] = {"schema",  "tool",   "label",
                                   "created", "system", "runs"};
    bool known = false;
    for (const char* k : kKnown) known = known || it.key() == k;
    if (!known) f.extensions[it.key()] = it.value();
  }
  return f;
}

Result<ResultFile> ParseResultFile(const std::string& text) {
  KRG_ASSIGN_OR_RETURN(json j, ParseJson(text));
  return ResultFromJson(j);
}

Status WriteFileAtomic(const std::filesystem::path& path,
                       const std::string& text) {
  const std::string tmp = path.string() + ".tmp." + std::to_string(::getpid());
  KRG_ASSIGN_OR_RETURN(const int fd,
                       platform::OpenTruncated(tmp, /*direct=*/false, nullptr));
  if (Status s = platform::WriteAll(fd, text.data(), text.size(),
                                    "cannot write " + tmp);
      !s.ok()) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("cannot write " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::FromErrno("cannot rename onto " + path.string(), err);
  }
  return Status::Ok();
}

Status WriteResultFile(const std::filesystem::path& path,
                       const ResultFile& file) {
  return WriteFileAtomic(path, ToJson(file).dump(2) + "\n");
}

Result<ResultFile> ReadResultFile(const std::filesystem::path& path) {
  KRG_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto parsed = ParseResultFile(text);
  if (!parsed.ok()) return parsed.status().WithContext(path.string());
  return parsed;
}

Result<std::string> ReadTextFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::FromErrno("cannot read " + path.string(), errno);
  struct stat st;
  std::string why;
  if (::fstat(fd, &st) != 0) {
    why = std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    why = "it is a folder, not a file";
  } else if (!S_ISREG(st.st_mode)) {
    why = "it is not a regular file";
  } else if (st.st_size > off_t(kMaxTextFileBytes)) {
    why = "it is over " + std::to_string(kMaxTextFileBytes >> 20) + " MiB";
  }
  std::string text;
  // To EOF, bounded: /proc files say size 0, and a file may still grow.
  char buf[64 * 1024];
  while (why.empty()) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) why = std::strerror(errno);
    if (n <= 0) break;
    text.append(buf, std::size_t(n));
    if (text.size() > kMaxTextFileBytes) why = "it is over the size limit";
  }
  ::close(fd);
  if (!why.empty()) {
    return Status::IoError("cannot read " + path.string() + ": " + why);
  }
  return text;
}

ToolInfo ThisTool() {
  return {KRG_VERSION, KRG_GIT_COMMIT, KRG_BUILD_TYPE, KRG_COMPILER};
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace krg
