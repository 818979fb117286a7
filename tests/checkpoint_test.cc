// Journal-mode checkpoints as a user meets them: `run --checkpoint-every`,
// kill -9 of the whole process tree at a random moment, `resume DIR`, and
// the same verified answer every time (farm: mandelbrot; SPMD: poisson);
// damaged checkpoint files refused by name; no System V object left behind.
#include "krg/checkpoint.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/results.h"
#include "krg/shared_arena.h"
#include "krgdemo_runner.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using test_support::Ran;
using test_support::RunKrgdemo;
using Clock = std::chrono::steady_clock;

fs::path TempDir(const std::string& name) {
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("krg_ckpt_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

struct Answer {
  std::string checksum;
  double iterations = -1;  // poisson only
  bool verified = false;
};

Answer ReadAnswer(const fs::path& dir) {
  auto f = ReadResultFile(dir / "run.json");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok() || f->runs.empty()) return {};
  Answer a{f->runs.back().checksum, -1, f->runs.back().verified};
  const auto& m = f->extensions.value("metrics", nlohmann::json::object());
  if (m.contains("iterations")) a.iterations = m["iterations"]["value"];
  return a;
}

// `krgdemo run ...` in a session of its own, so that kill(-pid) reaches the
// launcher and every worker it forked.
pid_t StartRun(const std::vector<std::string>& args, const fs::path& log) {
  std::vector<std::string> argv = {"setsid", KRGDEMO_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  auto pid = platform::StartCommand(argv, log.string());
  EXPECT_TRUE(pid.ok()) << pid.status().ToString();
  return pid.ok() ? *pid : -1;
}

// Whether a semaphore set created by `pid` is still noted as alive
// (krg/shared_arena.h): the resume after a kill must have removed it.
bool HasIpcNote(pid_t pid) {
  const fs::path notes =
      fs::temp_directory_path() / ("krgdemo-ipc-" + std::to_string(::getuid()));
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(notes, ec)) {
    std::ifstream in(e.path());
    int creator = -1;
    if (in >> creator && creator == pid) return true;
  }
  return false;
}

void KillTree(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);  // in case setsid had not run yet
  (void)platform::Reap(pid, true);
}

// `cycles` times: start `args` with checkpoints, wait until the run has
// begun (its checkpoint/resume.json exists: the launcher's start-up is not
// what is tested), kill -9 the whole tree at a random moment of the
// `work_s` that follow, resume, and compare with `want`.
void KillResumeCycles(const std::string& name,
                      const std::vector<std::string>& args, const Answer& want,
                      double work_s, int cycles) {
  const unsigned seed = static_cast<unsigned>(::getpid());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> when(0.0, work_s);
  int killed_mid_run = 0;
  for (int c = 0; c < cycles; ++c) {
    const fs::path dir = TempDir(name + std::to_string(c));
    std::vector<std::string> run = args;
    run.insert(run.end(),
               {"--checkpoint-every", "0.01", "--out", (dir / "r").string()});
    const pid_t pid = StartRun(run, dir / "run.log");
    ASSERT_GT(pid, 0);
    const auto started = Clock::now();
    while (!fs::exists(dir / "r" / "checkpoint" / "resume.json") &&
           Clock::now() - started < std::chrono::seconds(30)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double delay = when(rng);
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    if (!fs::exists(dir / "r" / "run.json")) ++killed_mid_run;
    KillTree(pid);
    ASSERT_TRUE(fs::exists(dir / "r" / "checkpoint" / "resume.json"))
        << (dir / "run.log").string();
    Ran r = RunKrgdemo({"resume", (dir / "r").string()});
    EXPECT_FALSE(HasIpcNote(pid)) << "the killed run's semaphore set is left";
    ASSERT_EQ(r.code, 0) << "seed " << seed << " cycle " << c << " killed at "
                         << delay << " s\n"
                         << r.err << r.out;
    const Answer got = ReadAnswer(dir / "r");
    EXPECT_TRUE(got.verified) << "cycle " << c;
    EXPECT_EQ(got.checksum, want.checksum)
        << "seed " << seed << " cycle " << c << " killed at " << delay;
    EXPECT_EQ(got.iterations, want.iterations) << "cycle " << c;
    fs::remove_all(dir);
  }
  EXPECT_GT(killed_mid_run, 0) << "no kill landed while a run was going";
}

// A reference run without checkpoints, and how long its pass took.
Answer Reference(const std::string& name, std::vector<std::string> args,
                 double* seconds) {
  const fs::path dir = TempDir(name + "_ref");
  args.insert(args.end(), {"--repeat", "1", "--out", (dir / "r").string()});
  Ran r = RunKrgdemo(args);
  EXPECT_EQ(r.code, 0) << r.err;
  Answer a = ReadAnswer(dir / "r");
  auto f = ReadResultFile(dir / "r" / "run.json");
  *seconds = f.ok() && !f->runs.empty() ? f->runs.back().median_s : 0.5;
  fs::remove_all(dir);
  return a;
}

TEST(CheckpointCliTest, FarmKilledAtRandomMomentsResumesToTheSameAnswer) {
  for (const char* engine : {"threads", "procs"}) {
    const std::vector<std::string> args = {
        "run",           "mandelbrot", "--size", "test",    "--param",
        "max_iter=5000", "--engine",   engine,   "--nodes", "2"};
    double secs = 0;
    const Answer want = Reference(engine, args, &secs);
    ASSERT_FALSE(want.checksum.empty());
    KillResumeCycles(std::string("farm_") + engine, args, want, 1.2 * secs, 10);
  }
}

TEST(CheckpointCliTest, SpmdKilledAtRandomMomentsResumesToTheSameAnswer) {
  for (const char* engine : {"procs", "threads"}) {
    const std::vector<std::string> args = {
        "run",   "poisson",  "--size", "test",    "--param",
        "n=100", "--engine", engine,   "--nodes", "2"};
    double secs = 0;
    const Answer want = Reference(engine, args, &secs);
    ASSERT_FALSE(want.checksum.empty());
    ASSERT_GT(want.iterations, 0);
    KillResumeCycles(std::string("spmd_") + engine, args, want, 1.2 * secs, 10);
  }
}

// A finished checkpointed run whose files are then damaged.
fs::path CheckpointedRun(const std::string& name,
                         const std::vector<std::string>& args) {
  const fs::path dir = TempDir(name);
  std::vector<std::string> run = args;
  run.insert(run.end(),
             {"--checkpoint-every", "0.01", "--out", (dir / "r").string()});
  Ran r = RunKrgdemo(run);
  EXPECT_EQ(r.code, 0) << r.err;
  return dir / "r";
}

void Flip(const fs::path& f, std::uintmax_t at) {
  std::fstream s(f, std::ios::in | std::ios::out | std::ios::binary);
  s.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  s.get(c);
  s.seekp(static_cast<std::streamoff>(at));
  s.put(static_cast<char>(c ^ 1));
}

void ExpectRefused(const fs::path& run_dir, const fs::path& damaged) {
  Ran r = RunKrgdemo({"resume", run_dir.string()});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("krgdemo: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(damaged.string()), std::string::npos) << r.err;
}

TEST(CheckpointCliTest, TruncatedOrFlippedCheckpointsAreRefusedByName) {
  // n=200: a run long enough (about 0.1 s) to write a checkpoint set every
  // 0.01 s on a fast, quiet machine; n=100 sometimes ended before the first.
  const std::vector<std::string> poisson = {
      "run", "poisson", "--size", "test", "--param", "n=200", "--nodes", "2"};
  for (bool truncate : {true, false}) {
    const fs::path r =
        CheckpointedRun(truncate ? "sp_trunc" : "sp_flip", poisson);
    fs::path slab;
    for (const auto& e : fs::directory_iterator(r / "checkpoint")) {
      if (e.is_directory()) slab = e.path() / "rank-1.slab";
    }
    ASSERT_TRUE(fs::exists(slab)) << "no checkpoint set was written";
    if (truncate) {
      fs::resize_file(slab, fs::file_size(slab) / 2);
    } else {
      Flip(slab, fs::file_size(slab) - 100);
    }
    ExpectRefused(r, slab);
  }
  const std::vector<std::string> farm = {"run",  "mandelbrot", "--size",
                                         "test", "--param",    "max_iter=5000"};
  for (bool truncate : {true, false}) {
    const fs::path r = CheckpointedRun(truncate ? "fa_trunc" : "fa_flip", farm);
    const fs::path journal = r / "checkpoint" / "farm.journal";
    ASSERT_GT(fs::file_size(journal), 1000u);
    if (truncate) {
      fs::resize_file(journal, fs::file_size(journal) - 7);
    } else {
      Flip(journal, fs::file_size(journal) / 2);
    }
    ExpectRefused(r, journal);
  }
}

// Resumes `run_dir`, which must be refused (exit 1) with `why`, and never
// print a verified answer.
void ExpectRefusedBecause(const fs::path& run_dir, const std::string& why) {
  Ran r = RunKrgdemo({"resume", run_dir.string()});
  EXPECT_EQ(r.code, 1) << r.err << r.out;
  EXPECT_EQ(r.err.rfind("krgdemo: error: "), r.err.find("krgdemo: error: "))
      << "one error line: " << r.err;
  EXPECT_NE(r.err.find(why), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("verified"), std::string::npos) << r.out;
}

// resume.json, as a careful forger would rewrite it: `edit` applied and the
// CRC32C recomputed.
void Rewrite(const fs::path& record,
             const std::function<void(nlohmann::json&)>& edit) {
  std::ifstream in(record);
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  j.erase("crc32c");
  const std::string body = j.dump();
  j["crc32c"] = Crc32c(body.data(), body.size());
  std::ofstream(record) << j.dump(2);
}

// Issue 19: a journal assembled from another run's units (other params)
// resumed to exit 0 and "verified" with a wrong checksum.
TEST(CheckpointCliTest, CheckpointsOfAnotherRunAreRefused) {
  const std::vector<std::string> farm = {"run",  "mandelbrot", "--size",
                                         "test", "--param",    "max_iter=5000"};
  std::vector<std::string> other_params = farm;
  other_params.back() = "max_iter=3000";
  const fs::path mine = CheckpointedRun("mine", farm);
  const fs::path other = CheckpointedRun("other", other_params);
  for (const char* f : {"farm.journal", "farm.commit"}) {
    fs::copy_file(other / "checkpoint" / f, mine / "checkpoint" / f,
                  fs::copy_options::overwrite_existing);
  }
  ExpectRefusedBecause(mine, "another run");
  // The other run's resume.json with only its run id changed to mine
  // would still differ in params: the journal's records say so.
  const fs::path poisson = CheckpointedRun(
      "sp_other", {"run", "poisson", "--size", "test", "--param", "n=200"});
  // The premise: the run left a checkpoint set whose records name its params
  // (without one, resume runs the edited params from the start, honestly).
  ASSERT_TRUE(fs::exists(poisson / "checkpoint" / "spmd.manifest"))
      << "no checkpoint set was written";
  Rewrite(poisson / "checkpoint" / "resume.json",
          [](nlohmann::json& j) { j["params"]["n"] = "190"; });
  ExpectRefusedBecause(poisson, "another run");
}

// Issue 19: editing resume.json silently ran another demo.
TEST(CheckpointCliTest, EditedResumeRecordIsRefused) {
  const fs::path r = CheckpointedRun(
      "edited",
      {"run", "mandelbrot", "--size", "test", "--param", "max_iter=5000"});
  const fs::path record = r / "checkpoint" / "resume.json";
  std::ifstream in(record);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  in.close();
  std::string edited = text;
  edited.replace(edited.find("\"mandelbrot\""), 12, "\"linsolve\"");
  std::ofstream(record) << edited;
  ExpectRefusedBecause(r, "fails its CRC32C");
  std::ofstream(record) << text;
  Rewrite(record, [](nlohmann::json& j) {
    j["demo"] = "linsolve";
    j["params"] = nlohmann::json::object();
  });
  ExpectRefusedBecause(r, "another run");  // the journal's tag
  std::ofstream(record) << text;
  Rewrite(record, [](nlohmann::json& j) { j["demo"] = "linsolve"; });
  ExpectRefusedBecause(r, "unknown --param");  // exit 1: the checkpoint's fault
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, nlohmann::json>>{
           {"nodes", 100000},
           {"every_s", -1},
           {"size", "huge"},
           {"threads", -3},
           {"run_id", "../../etc"}}) {
    std::ofstream(record) << text;
    Rewrite(record, [&](nlohmann::json& j) { j[key] = value; });
    ExpectRefusedBecause(r, "out of range");
  }
}

// Issue 19: a journal that was a symlink to /dev/zero made resume grow
// without bound.
TEST(CheckpointCliTest, CheckpointFilesThatAreNotRegularFilesAreRefused) {
  const fs::path r = CheckpointedRun(
      "devzero",
      {"run", "mandelbrot", "--size", "test", "--param", "max_iter=5000"});
  for (const char* f : {"farm.journal", "farm.commit", "resume.json"}) {
    const fs::path saved = r / (std::string(f) + ".saved");
    fs::rename(r / "checkpoint" / f, saved);
    fs::create_symlink("/dev/zero", r / "checkpoint" / f);
    ExpectRefusedBecause(r, "not a regular file");
    fs::remove(r / "checkpoint" / f);
    fs::rename(saved, r / "checkpoint" / f);
  }
  Ran ok = RunKrgdemo({"resume", r.string()});  // restored: resumes
  EXPECT_EQ(ok.code, 0) << ok.err;
}

TEST(CheckpointCliTest, BadCheckpointOptionsAndParamsAreUsageErrors) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"run", "poisson", "--checkpoint-every", "0"},
           {"run", "poisson", "--checkpoint-every", "soon"},
           {"run", "poisson", "--checkpoint-every", "1", "--checkpoint-mode",
            "kernel"},
           {"run", "poisson", "--checkpoint-every", "1", "--checkpoint-mode",
            "magic"},
           {"run", "poisson", "--checkpoint-mode", "journal"},
           {"run", "poisson", "--checkpoint-every", "1", "--repeat", "3"},
           {"run", "poisson", "--param", "dim=4"},
           {"run", "poisson", "--param", "tol=-1"},
           {"resume", "/nonexistent/krgdemo-run"}}) {
    Ran r = RunKrgdemo(args);
    EXPECT_EQ(r.code, 2) << args[1] << " " << args.back() << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("krgdemo: error: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace krg
