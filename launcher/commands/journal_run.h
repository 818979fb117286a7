// Journal-mode checkpoints of `krgdemo run --checkpoint-every` (the runtime's
// own: harness checkpoint.h), shared by `run` and `resume`. A run folder
// holds checkpoint/resume.json (what to run again) next to the journal or
// the SPMD sets. Single-threaded: the launcher's main thread.
#ifndef KRG_LAUNCHER_JOURNAL_RUN_H_
#define KRG_LAUNCHER_JOURNAL_RUN_H_

#include <filesystem>

#include "cli/cli.h"

namespace krg::cli {

// Runs `w` once by req.plan with checkpoints every `every_s` seconds into
// <req.out>/checkpoint/ (REQUIRES: req.out is set and exists). With
// `resume`, continues from what that folder holds. Returns the exit code.
int JournaledRun(RunRequest& req, Workload& w, double every_s, bool resume);

// `krgdemo resume DIR` for a journal-mode run; DIR/checkpoint/resume.json
// exists.
int ResumeJournaled(const std::filesystem::path& dir);

}  // namespace krg::cli

#endif  // KRG_LAUNCHER_JOURNAL_RUN_H_
