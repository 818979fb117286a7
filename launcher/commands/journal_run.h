// Journal-mode checkpoints of `krgdemo run --checkpoint-every` (the runtime's
// own: harness checkpoint.h), shared by `run` and `resume`. A run folder
// holds checkpoint/resume.json (what to run again, with a random run id and
// a CRC32C) next to the journal or the SPMD sets, whose records carry the
// tag of that run's identity: resume refuses checkpoints of another run.
// Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_JOURNAL_RUN_H_
#define KRG_LAUNCHER_JOURNAL_RUN_H_

#include <filesystem>
#include <string>

#include "cli/cli.h"

namespace krg::cli {

// Runs `w` once by req.plan with checkpoints every `every_s` seconds into
// <req.out>/checkpoint/ (REQUIRES: req.out is set and exists). With an empty
// `run_id`, a new run: writes resume.json under a fresh random run id. With
// the `run_id` of resume.json, continues from what that folder holds.
// Returns the exit code.
int JournaledRun(RunRequest& req, Workload& w, double every_s,
                 const std::string& run_id);

// What binds checkpoint files to their run (CheckpointPlan::identity): the
// run id, the demo, its size and params.
std::string CheckpointIdentity(const std::string& run_id, const WorkloadId& id);
// Writes <dir>/resume.json for a new run of req.plan; returns its run id.
Result<std::string> WriteResumeRecord(const std::filesystem::path& dir,
                                      const RunRequest& req, double every_s);
// Reads resume.json back: its checksum, every field range-checked, the demo
// one of this build. Fills req->demo and req->plan; returns the run id.
Result<std::string> ReadResumeRecord(const std::filesystem::path& path,
                                     RunRequest* req, double* every_s);

// `krgdemo resume DIR` for a journal-mode run; DIR/checkpoint/resume.json
// exists.
int ResumeJournaled(const std::filesystem::path& dir);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_JOURNAL_RUN_H_
