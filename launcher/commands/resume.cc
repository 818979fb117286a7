// `krgdemo resume DIR`: restarts a run from its last checkpoint. With
// Kerrighed's kernel checkpoints (DIR/checkpoints.json) the kernel restores
// the application (`restart -f APPID VERSION`), which finishes the run and
// writes DIR/run.json itself. With the runtime's journal
// (DIR/checkpoint/resume.json) this process runs the same demo again with
// the same parameters, starting from the journal or the last SPMD set.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "commands/journal_run.h"

namespace krg::cli {

int ResumeJournaled(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / "checkpoint" / "resume.json";
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
  RunRequest req;
  int nodes = 1;
  double every = 1;
  try {
    if (j.is_discarded() || j.value("schema", "") != "krgdemo.resume/1") {
      throw std::runtime_error("schema");
    }
    req.demo = demos::FindDemo(j.at("demo").get<std::string>());
    req.config.size = j.at("size").get<std::string>();
    for (const auto& [k, v] : j.at("params").items()) {
      req.config.params[k] = v.get<std::string>();
    }
    auto engine = ParseEngine(j.at("engine").get<std::string>());
    if (!engine.ok()) throw std::runtime_error("engine");
    req.engine = *engine;
    nodes = j.at("nodes").get<int>();
    req.threads = j.at("threads").get<int>();
    every = j.at("every_s").get<double>();
  } catch (const std::exception&) {
    return Fail(
        Status::FailedPrecondition("checkpoint file " + path.string() +
                                   " is malformed; the run cannot be resumed"));
  }
  if (req.demo == nullptr || nodes < 1 || nodes > kMaxNodes) {
    return Fail(Status::FailedPrecondition("checkpoint file " + path.string() +
                                           " names no demo of this build"));
  }
  req.out = dir;
  auto w = req.demo->make(req.config);
  if (!w.ok()) return Fail(w.status().WithContext(path.string()));
  std::fprintf(stderr, "krgdemo: resuming %s (%s) in %s from its checkpoint\n",
               req.demo->name.c_str(), req.config.size.c_str(), dir.c_str());
  return JournaledRun(req, ClusterRequest(), nodes, **w, every,
                      /*resume=*/true);
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
      "restart APPID VERSION.",
      "Exit codes: 0 resumed and verified, 1 the restart or the run failed "
      "(or a checkpoint file is truncated or corrupt: it is named), 2 usage "
      "error (no such folder, no checkpoint in it)."};
  if (auto r = ParseArgs("resume", help, desc, hidden, pos, args, &vm)) {
    return *r;
  }
  if (!vm.count("dir")) return UsageError("resume", "which results folder?");
  const std::filesystem::path dir = vm["dir"].as<std::string>();
  std::ifstream in(dir / "checkpoints.json");
  if (!in && std::filesystem::exists(dir / "checkpoint" / "resume.json")) {
    return ResumeJournaled(dir);
  }
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
