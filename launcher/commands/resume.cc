// `krgdemo resume DIR`: restarts a run from its last checkpoint. With
// Kerrighed's kernel checkpoints (DIR/checkpoints.json) the kernel restores
// the application (`ipcrestart` for the System V objects saved under
// DIR/ipc/vN/, then `restart -f APPID VERSION`), which finishes the run and
// writes DIR/run.json itself. With the runtime's journal
// (DIR/checkpoint/resume.json) this process runs the same demo again with
// the same parameters, starting from the journal or the last SPMD set.
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "commands/journal_run.h"
#include "krg/json_fields.h"
#include "krg/shared_arena.h"

namespace krg::cli {

namespace {

// The System V objects saved with a checkpoint ("ipc": [{"kind", "key",
// "id"}]; absent before they were saved). Their files are named from the
// kind and key, never read from the record.
Status ReadIpcObjects(const nlohmann::json& entry,
                      std::vector<platform::IpcObject>* objects) {
  nlohmann::json list = nlohmann::json::array();
  KRG_RETURN_IF_ERROR(ReadFieldOr(entry, "ipc", "", &list));
  if (!list.is_array() || list.size() > 16) {
    return Status::InvalidArgument("is malformed");
  }
  for (const nlohmann::json& o : list) {
    std::string kind;
    platform::IpcObject object;
    if (!ReadField(o, "kind", "", &kind).ok() ||
        !ReadField(o, "key", "", &object.key).ok() ||
        !ReadField(o, "id", "", &object.id).ok() || object.key <= 0 ||
        object.id < 0) {
      return Status::InvalidArgument("is malformed");
    }
    // The names run.cc writes (IpcKindName).
    if (kind == platform::IpcKindName(platform::IpcKind::kShm)) {
      object.kind = platform::IpcKind::kShm;
    } else if (kind == platform::IpcKindName(platform::IpcKind::kSem)) {
      object.kind = platform::IpcKind::kSem;
    } else {
      return Status::InvalidArgument("is malformed");
    }
    objects->push_back(object);
  }
  return Status::Ok();
}

// The last checkpoint of a kernel-mode run (checkpoints.json).
Result<platform::CheckpointId> KernelCheckpoint(const std::string& text) {
  auto parsed = ParseJson(text);  // bounded depth: the file is untrusted
  if (!parsed.ok()) return Status::InvalidArgument("is not valid JSON");
  const nlohmann::json& j = *parsed;
  if (!j.is_object() || !j.contains("appid") ||
      !j.value("checkpoints", nlohmann::json()).is_array() ||
      j["checkpoints"].empty()) {
    return Status::InvalidArgument("holds no checkpoint to resume from");
  }
  platform::CheckpointId id;
  if (!ReadField(j, "appid", "", &id.appid).ok() ||
      !ReadField(j["checkpoints"].back(), "version", "", &id.version).ok() ||
      id.appid < 2 || id.version < 1 ||
      !ReadIpcObjects(j["checkpoints"].back(), &id.ipc).ok()) {
    return Status::InvalidArgument("is malformed");
  }
  return id;
}

// Before restoring the System V objects of an application, whatever is left
// of them goes (a launcher killed with its run could not remove them), but
// never while the application runs: its objects are in use.
Status ClearIpc(const platform::CheckpointId& id) {
  if (id.ipc.empty()) return Status::Ok();
  if (::kill(static_cast<pid_t>(id.appid), 0) == 0 || errno != ESRCH) {
    return Status::FailedPrecondition(
        "restart of application " + std::to_string(id.appid) +
        ": the application is still running; stop it first");
  }
  for (const platform::IpcObject& o : id.ipc) {
    platform::RemoveIpc(o.kind, o.key);
    // Its note names the killed creator: the restored object must not look
    // stale to another run's ReapStaleIpc (krg/shared_arena.h).
    platform::DropIpcNote(o.kind, o.id);
  }
  return Status::Ok();
}

// Restores the System V objects and the application, waits for it to end,
// and removes the objects however it ended.
Status RestartKernelCheckpoint(platform::Platform& platform,
                               const platform::CheckpointId& id,
                               const std::filesystem::path& dir) {
  KRG_RETURN_IF_ERROR(ClearIpc(id));
  Status s = platform.Restart(id, KernelIpcDir(dir, id.version));
  for (const platform::IpcObject& o : id.ipc) {
    platform::RemoveIpc(o.kind, o.key);
  }
  return s;
}

}  // namespace

int ResumeJournaled(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "checkpoint" / "resume.json";
  RunRequest req;
  double every = 1;
  auto run_id = ReadResumeRecord(path, &req, &every);
  if (!run_id.ok()) {
    return Fail(Status::FailedPrecondition("checkpoint file " + path.string() +
                                           " " + run_id.status().message() +
                                           "; the run cannot be resumed"));
  }
  req.out = dir;
  auto w = req.demo->make(req.config());
  if (!w.ok()) {  // a checkpoint problem (exit 1), not the user's command line
    return Fail(Status::FailedPrecondition("checkpoint file " + path.string() +
                                           ": " + w.status().message() +
                                           "; the run cannot be resumed"));
  }
  std::fprintf(stderr, "krgdemo: resuming %s (%s) in %s from its checkpoint\n",
               req.demo->name.c_str(), req.plan.id.size.c_str(), dir.c_str());
  return JournaledRun(req, **w, every, *run_id);
}

int ResumeCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  po::options_description hidden;
  hidden.add_options()("dir", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  const HelpText help{
      "resume DIR",
      "Continues a run started with --checkpoint-every from its last "
      "checkpoint and waits for it to finish; the run completes into DIR and "
      "verifies as usual, with the same answer as a run never interrupted. "
      "Journal mode (linux; --checkpoint-mode journal): the same demo and "
      "parameters run again, skipping the units in DIR/checkpoint/ or "
      "starting from the last saved SPMD state. Kernel mode (Kerrighed): "
      "ipcrestart for the System V objects saved with the checkpoint (SPMD "
      "demos), then restart APPID VERSION; the objects are removed when the "
      "application ends.",
      "Exit codes: 0 resumed and verified, 1 the restart or the run failed "
      "(or a checkpoint file is truncated or corrupt: it is named), 2 usage "
      "error (no such folder, no checkpoint in it)."};
  if (auto r = ParseArgs("resume", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  if (!vm.count("dir")) return UsageError("resume", "which results folder?");
  const std::filesystem::path dir = vm["dir"].as<std::string>();
  const std::filesystem::path record = dir / "checkpoints.json";
  if (!std::filesystem::exists(record) &&
      std::filesystem::exists(dir / "checkpoint" / "resume.json")) {
    return ResumeJournaled(dir);
  }
  auto text = ReadTextFile(record);
  if (!text.ok()) {
    return UsageError("resume", dir.string() +
                                    " has no checkpoints.json: resume needs "
                                    "a run started with --checkpoint-every");
  }
  auto id = KernelCheckpoint(*text);
  if (!id.ok()) {
    return UsageError("resume", record.string() + " " + id.status().message());
  }
  auto platform = platform::DetectPlatform();
  std::fprintf(stderr,
               "krgdemo: restarting application %ld from checkpoint v%d\n",
               id->appid, id->version);
  if (Status s = RestartKernelCheckpoint(*platform, *id, dir); !s.ok()) {
    return Fail(s);
  }
  auto result = ReadResultFile(dir / "run.json");
  if (!result.ok()) {
    return Fail(Status::Internal("the resumed run left no result: " +
                                 result.status().message()));
  }
  const RunRecord& run = result->runs.back();
  std::printf("resumed %s (%s): %s, checksum %s\nresults   %s/\n",
              run.demo.c_str(), run.size.c_str(),
              run.verified ? "verified" : "NOT verified", run.checksum.c_str(),
              dir.c_str());
  return run.verified ? kExitOk : kExitFailed;
}

}  // namespace krg::cli
