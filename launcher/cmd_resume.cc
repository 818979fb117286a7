// `krgdemo resume DIR`: restarts a run from its last checkpoint. On
// Kerrighed the kernel restores the application (`restart -f APPID
// VERSION`), which finishes the run and writes DIR/run.json itself.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.h"

namespace krg::cli {

int ResumeCommand(const std::vector<std::string>& args) {
  po::options_description desc("Options");
  po::options_description hidden;
  hidden.add_options()("dir", po::value<std::string>());
  po::positional_options_description pos;
  pos.add("dir", 1);
  po::variables_map vm;
  const HelpText help{
      "resume DIR",
      "Restarts a run started with --checkpoint-every from its last "
      "checkpoint (Kerrighed: restart APPID VERSION) and waits for it to "
      "finish; the run completes into DIR and verifies as usual.",
      "Exit codes: 0 resumed and verified, 1 the restart or the run failed, "
      "2 usage error (no such folder, no checkpoint in it)."};
  if (auto r = ParseArgs("resume", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  if (!vm.count("dir")) return UsageError("resume", "which results folder?");
  const std::filesystem::path dir = vm["dir"].as<std::string>();
  std::ifstream in(dir / "checkpoints.json");
  if (!in) {
    return UsageError("resume", dir.string() +
                                    " has no checkpoints.json: resume needs "
                                    "a run started with --checkpoint-every");
  }
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.contains("appid") ||
      !j["checkpoints"].is_array() || j["checkpoints"].empty()) {
    return UsageError("resume", (dir / "checkpoints.json").string() +
                                    " holds no checkpoint to resume from");
  }
  platform::CheckpointId id;
  try {
    id.appid = j["appid"].get<long>();
    id.version = j["checkpoints"].back()["version"].get<int>();
  } catch (const nlohmann::json::exception&) {
    return UsageError("resume",
                      (dir / "checkpoints.json").string() + " is malformed");
  }
  auto platform = platform::DetectPlatform();
  std::fprintf(stderr,
               "krgdemo: restarting application %ld from checkpoint v%d\n",
               id.appid, id.version);
  if (Status s = platform->Restart(id); !s.ok()) return Fail(s);
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
