// checkpoint/resume.json: the run a journal-mode checkpoint folder belongs
// to (see journal_run.h).
#include "commands/journal_run.h"

#include <cmath>
#include <random>

#include "krg/checkpoint.h"
#include "krg/file_io.h"
#include "krg/json_fields.h"

namespace krg::cli {
namespace {

constexpr const char* kSchema = "krgdemo.resume/1";
constexpr std::size_t kMaxRecordBytes = 64 << 10;
constexpr int kMaxThreads = 4096;
constexpr double kMaxEvery = 86400;

// 16 hex digits from the OS's random source (random_device is getrandom or
// /dev/urandom with libstdc++ on Linux).
std::string NewRunId() {
  std::random_device rd;
  std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
  static const char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (char& c : id) {
    c = kHex[v & 15];
    v >>= 4;
  }
  return id;
}

bool IsRunId(const std::string& id) {
  return id.size() == 16 &&
         id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The record's CRC32C over its canonical text (keys sorted) without it.
std::uint32_t RecordCrc(nlohmann::json j) {
  j.erase("crc32c");
  const std::string body = j.dump();
  return Crc32c(body.data(), body.size());
}

// Every field in range, the demo and engine of this build.
Status CheckRecord(const nlohmann::json& j, RunRequest* req, double* every_s,
                   std::string* run_id) {
  std::string schema, demo, engine;
  std::uint32_t crc = 0;
  KRG_RETURN_IF_ERROR(ReadField(j, "schema", "", &schema));
  if (schema != kSchema) {
    return Status::InvalidArgument("unknown schema '" + schema + "'");
  }
  KRG_RETURN_IF_ERROR(ReadField(j, "crc32c", "", &crc));
  if (crc != RecordCrc(j)) {
    return Status::InvalidArgument("fails its CRC32C (was it edited?)");
  }
  RunPlan& plan = req->plan;
  KRG_RETURN_IF_ERROR(ReadField(j, "run_id", "", run_id));
  KRG_RETURN_IF_ERROR(ReadField(j, "demo", "", &demo));
  KRG_RETURN_IF_ERROR(ReadField(j, "size", "", &plan.id.size));
  KRG_RETURN_IF_ERROR(ReadField(j, "params", "", &plan.id.params));
  KRG_RETURN_IF_ERROR(ReadField(j, "engine", "", &engine));
  KRG_RETURN_IF_ERROR(ReadField(j, "nodes", "", &plan.nodes));
  KRG_RETURN_IF_ERROR(ReadField(j, "threads", "", &plan.threads));
  KRG_RETURN_IF_ERROR(ReadField(j, "every_s", "", every_s));
  KRG_ASSIGN_OR_RETURN(plan.engine, ParseEngine(engine));
  if (!IsRunId(*run_id) || !demos::IsSize(plan.id.size) || plan.nodes < 1 ||
      plan.nodes > kMaxNodes || plan.threads < 0 ||
      plan.threads > kMaxThreads || !std::isfinite(*every_s) || *every_s <= 0 ||
      *every_s > kMaxEvery) {
    return Status::InvalidArgument("has a field out of range");
  }
  req->demo = demos::FindDemo(demo);
  if (req->demo == nullptr) {
    return Status::NotFound("names no demo of this build ('" + demo + "')");
  }
  plan.id.name = req->demo->name;
  plan.caps = req->demo->caps;
  return Status::Ok();
}

}  // namespace

std::string CheckpointIdentity(const std::string& run_id,
                               const WorkloadId& id) {
  return nlohmann::json{{"run_id", run_id},
                        {"demo", id.name},
                        {"size", id.size},
                        {"params", id.params}}
      .dump();
}

Result<std::string> WriteResumeRecord(const std::filesystem::path& dir,
                                      const RunRequest& req, double every_s) {
  const RunPlan& plan = req.plan;
  const std::string run_id = NewRunId();
  nlohmann::json record = {
      {"schema", kSchema},        {"run_id", run_id},
      {"demo", plan.id.name},     {"size", plan.id.size},
      {"params", plan.id.params}, {"engine", EngineName(*plan.engine)},
      {"nodes", plan.nodes},      {"threads", plan.threads},
      {"every_s", every_s},       {"created", NowUtc()}};
  record["crc32c"] = RecordCrc(record);
  KRG_RETURN_IF_ERROR(
      WriteFileAtomic(dir / "resume.json", record.dump(2) + "\n"));
  return run_id;
}

Result<std::string> ReadResumeRecord(const std::filesystem::path& path,
                                     RunRequest* req, double* every_s) {
  auto read = platform::ReadRegularFile(path.string(), kMaxRecordBytes + 1);
  if (!read.ok()) {
    return Status::InvalidArgument(
        read.status().code() == Status::Code::kFailedPrecondition
            ? "is not a regular file (a symlink, device or folder is refused)"
            : "cannot be read");
  }
  const std::string& text = *read;
  if (text.size() > kMaxRecordBytes) {
    return Status::InvalidArgument(
        "is over " + std::to_string(kMaxRecordBytes >> 10) + " KiB");
  }
  auto parsed = ParseJson(text);  // bounded depth: the file is untrusted
  std::string run_id;
  const nlohmann::json j = parsed.ok() ? *parsed : nlohmann::json();
  if (!parsed.ok() || !j.is_object()) {
    return Status::InvalidArgument("is not a JSON object");
  }
  KRG_RETURN_IF_ERROR(CheckRecord(j, req, every_s, &run_id));
  return run_id;
}

}  // namespace krg::cli
