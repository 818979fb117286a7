// The launcher's side of the mpi engine, as units: mpirun's command line,
// the request and measurement round trips, the channel's messages, and how
// mpirun's failure banners (Open MPI 4.1, as printed on this machine) become
// one line.
#include "engines/mpi/mpi_job.h"

#include <algorithm>

#include "gtest/gtest.h"
#include "krg/mpi_engine.h"

namespace krg::mpi {
namespace {

MpiJob Job() {
  MpiJob job;
  job.id.name = "mandelbrot";
  job.id.size = "test";
  job.id.params = {{"variant", "classic"}};
  job.nodes = 2;
  job.repeat.fixed = 3;
  job.artifacts_dir = "/tmp/out";
  return job;
}

TEST(MpiJobTest, StartsOneMoreRankThanNodesOnThisMachine) {
  const std::vector<std::string> argv =
      MpirunArgv(Job(), "/bin/krgdemo", false);
  ASSERT_GE(argv.size(), 6u);
  const auto np = std::find(argv.begin(), argv.end(), "-np");
  ASSERT_NE(np, argv.end());
  EXPECT_EQ(*(np + 1), "3");
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--oversubscribe"), argv.end());
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--allow-run-as-root"),
            argv.end());
  EXPECT_EQ(argv[argv.size() - 3], "/bin/krgdemo");
  EXPECT_EQ(argv[argv.size() - 2], kMpiRankCommand);
  auto back = MpiJobFromJson(nlohmann::json::parse(argv.back()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id.name, "mandelbrot");
  EXPECT_EQ(back->id.size, "test");
  EXPECT_EQ(back->id.params.at("variant"), "classic");
  EXPECT_EQ(back->nodes, 2);
  EXPECT_EQ(back->repeat.fixed, 3);
  EXPECT_EQ(back->artifacts_dir, "/tmp/out");
}

TEST(MpiJobTest, PassesTheHostfileInsteadOfOversubscribingAndRootFlag) {
  MpiJob job = Job();
  job.hostfile = "/etc/hosts.mpi";
  const std::vector<std::string> argv = MpirunArgv(job, "/bin/krgdemo", true);
  const auto hf = std::find(argv.begin(), argv.end(), "--hostfile");
  ASSERT_NE(hf, argv.end());
  EXPECT_EQ(*(hf + 1), "/etc/hosts.mpi");
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--oversubscribe"), argv.end());
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--allow-run-as-root"),
            argv.end());
}

TEST(MpiJobTest, RejectsAMalformedRequest) {
  EXPECT_FALSE(MpiJobFromJson(nlohmann::json{{"demo", "x"}}).ok());
  EXPECT_FALSE(MpiJobFromJson(nlohmann::json::array()).ok());
}

TEST(MpiJobTest, MeasurementSurvivesTheTripFromRankZero) {
  Measurement m;
  m.samples_s = {0.5, 0.25, 0.75};
  m.verification = {true, "fnv1a:0123", "exact"};
  m.workers = 2;
  m.events = {"one"};
  m.artifacts_written = true;
  m.work = {12.5, "MDOF-iter/s"};  // poisson's depends on rank 0's pass
  m.metrics = {{"iterations", 190, "iterations"}};
  auto back = MeasurementFromJson(MeasurementToJson(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->samples_s, m.samples_s);
  EXPECT_DOUBLE_EQ(back->summary.median, 0.5);
  EXPECT_TRUE(back->verification.ok);
  EXPECT_EQ(back->verification.checksum, "fnv1a:0123");
  EXPECT_EQ(back->workers, 2);
  EXPECT_EQ(back->events, m.events);
  EXPECT_TRUE(back->artifacts_written);
  EXPECT_DOUBLE_EQ(back->work.amount, 12.5);
  EXPECT_EQ(back->work.unit, "MDOF-iter/s");
  ASSERT_EQ(back->metrics.size(), 1u);
  EXPECT_EQ(back->metrics[0].name, "iterations");
  EXPECT_DOUBLE_EQ(back->metrics[0].value, 190);
  nlohmann::json empty = MeasurementToJson(m);
  empty["samples_s"] = nlohmann::json::array();
  EXPECT_FALSE(MeasurementFromJson(empty).ok());
  EXPECT_FALSE(MeasurementFromJson(nlohmann::json{{"samples_s", 1}}).ok());
}

TEST(MpiJobTest, JobOfARunSpecCarriesTheWorkloadAndAnAbsoluteArtifactsDir) {
  RunSpec spec;
  spec.id = {"poisson", "test", {{"dim", "3"}}};
  spec.nodes = 4;
  spec.repeat.fixed = 2;
  spec.hostfile = "/etc/hosts.mpi";
  spec.artifacts_dir = "relative/out";
  const MpiJob job = JobFor(spec);
  EXPECT_EQ(job.id.name, "poisson");
  EXPECT_EQ(job.id.params.at("dim"), "3");
  EXPECT_EQ(job.nodes, 4);
  EXPECT_EQ(job.repeat.fixed, 2);
  EXPECT_EQ(job.hostfile, "/etc/hosts.mpi");
  EXPECT_TRUE(job.artifacts_dir.is_absolute()) << job.artifacts_dir;
  EXPECT_TRUE(JobFor(RunSpec()).artifacts_dir.empty());
}

// Every message is one line: a newline inside a text is escaped.
void ExpectOneLine(const std::string& message) {
  ASSERT_FALSE(message.empty());
  EXPECT_EQ(message.back(), '\n');
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
}

TEST(MpiJobTest, ChannelMessagesAreOneLineEachAndReadBack) {
  const std::string progress =
      ProgressMessage({2, 5, 10, 1.5, "iteration 3\nresidual 1e-3"});
  ExpectOneLine(progress);
  MpiMessage m = ParseMessage(progress.substr(0, progress.size() - 1));
  ASSERT_EQ(m.kind, MpiMessage::Kind::kProgress);
  EXPECT_EQ(m.progress.pass, 2);
  EXPECT_EQ(m.progress.done, 5u);
  EXPECT_EQ(m.progress.total, 10u);
  EXPECT_DOUBLE_EQ(m.progress.elapsed_s, 1.5);
  EXPECT_EQ(m.progress.note, "iteration 3\nresidual 1e-3");

  Measurement result;
  result.samples_s = {0.25};
  result.verification = {true, "fnv1a:01", "exact"};
  const std::string sent = ResultMessage(result);
  ExpectOneLine(sent);
  m = ParseMessage(sent.substr(0, sent.size() - 1));
  ASSERT_EQ(m.kind, MpiMessage::Kind::kResult) << m.text;
  EXPECT_EQ(m.measurement.samples_s, result.samples_s);
  EXPECT_EQ(m.measurement.verification.checksum, "fnv1a:01");

  const std::string error = ErrorMessage("rank 1: no such\ndataset");
  ExpectOneLine(error);
  m = ParseMessage(error.substr(0, error.size() - 1));
  ASSERT_EQ(m.kind, MpiMessage::Kind::kError);
  EXPECT_EQ(m.text, "rank 1: no such\ndataset");
}

TEST(MpiJobTest, LinesThatAreNotMessagesAreTextAndABadResultIsAnError) {
  for (const char* line : {"hello from a library", "{\"a\": 1}", "[1, 2]",
                           "{\"krgdemo_mpi\": \"what\"}"}) {
    const MpiMessage m = ParseMessage(line);
    EXPECT_EQ(m.kind, MpiMessage::Kind::kText) << line;
    EXPECT_EQ(m.text, line);
  }
  MpiMessage m =
      ParseMessage(R"({"krgdemo_mpi": "result", "measurement": {}})");
  EXPECT_EQ(m.kind, MpiMessage::Kind::kError);
  EXPECT_NE(m.text.find("bad measurement from rank 0"), std::string::npos)
      << m.text;
  m = ParseMessage(R"({"krgdemo_mpi": "progress", "pass": "x"})");
  EXPECT_EQ(m.kind, MpiMessage::Kind::kError);
}

TEST(MpiJobTest, LineSplitterJoinsChunksIntoLines) {
  LineSplitter lines;
  std::vector<std::string> got;
  auto on_line = [&got](const std::string& line) { got.push_back(line); };
  lines.Feed("{\"a\"", on_line);
  EXPECT_TRUE(got.empty());
  lines.Feed(": 1}\nsecond\nthi", on_line);
  lines.Feed("rd\n\nrest", on_line);
  EXPECT_EQ(got,
            (std::vector<std::string>{"{\"a\": 1}", "second", "third", ""}));
  EXPECT_EQ(lines.rest(), "rest");
}

TEST(MpiJobTest, SaysWhichRankWasKilled) {
  const std::string banner =
      "--------------------------------------------------------------------"
      "------\nPrimary job  terminated normally, but 1 process returned\n"
      "a non-zero exit code. Per user-direction, the job has been aborted.\n"
      "--------------------------------------------------------------------"
      "------\nmpirun noticed that process rank 1 with PID 0 on node vm "
      "exited on signal 9 (Killed).\n";
  const std::string line = DescribeMpiFailure(banner, {false, 0, 9});
  EXPECT_NE(line.find("rank 1 on node vm was killed by signal 9 (Killed)"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// Issue 16: a machine that vanishes mid-run (network gone) is named from
// ssh's keepalive timeout, not from ORTE's banner that follows it.
TEST(MpiJobTest, NamesAMachineThatStoppedAnsweringSshKeepalives) {
  const std::string log =
      "Timeout, server 10.77.0.13 not responding.\n"
      "-------------------------------------------------------------------\n"
      "ORTE was unable to reliably start one or more daemons.\n";
  const std::string line = DescribeMpiFailure(log, {true, 255, 0});
  EXPECT_NE(line.find("machine 10.77.0.13 stopped answering"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

// The killed-host case of cluster_test, as mpirun logged it once: the host
// was killed while mpirun still started its daemons.
TEST(MpiJobTest, NamesAMachineThatClosedItsConnection) {
  const std::string log =
      "[vm:26475] plm:rsh: Warning: setpgid(26481,26481) failed in parent "
      "with errno=Permission denied(13)\n"
      "Connection to 10.77.0.13 closed by remote host.\n"
      "-------------------------------------------------------------------\n"
      "ORTE was unable to reliably start one or more daemons.\n";
  const std::string line = DescribeMpiFailure(log, {true, 255, 0});
  EXPECT_NE(line.find("machine 10.77.0.13 closed its connection"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(MpiJobTest, SaysWhichRankExitedAndWhy) {
  const std::string exited =
      "mpirun detected that one or more processes exited with non-zero "
      "status, thus causing\nthe job to be terminated. The first process to "
      "do so was:\n\n  Process name: [[16951,1],2]\n  Exit code:    3\n";
  EXPECT_NE(DescribeMpiFailure(exited, {true, 3, 0})
                .find("rank 2 exited with code 3"),
            std::string::npos);
  const std::string slots =
      "There are not enough slots available in the system to satisfy the 3\n"
      "slots that were requested by the application:\n";
  EXPECT_NE(DescribeMpiFailure(slots, {true, 1, 0}).find("N + 1"),
            std::string::npos);
  EXPECT_NE(DescribeMpiFailure("", {true, 1, 0}).find("exit code 1"),
            std::string::npos);
}

TEST(MpiJobTest, NotesOversubscriptionOnlyWhenRanksOutnumberCpus) {
  MpiJob job = Job();  // 2 workers + the master
  EXPECT_EQ(OversubscriptionNote(job, 4), "");
  EXPECT_EQ(OversubscriptionNote(job, 3), "");
  const std::string note = OversubscriptionNote(job, 2);
  EXPECT_NE(note.find("3 MPI ranks"), std::string::npos) << note;
  EXPECT_EQ(note.find("speedup stops"), std::string::npos) << note;
  job.nodes = 4;
  EXPECT_NE(OversubscriptionNote(job, 2).find("speedup stops at 2"),
            std::string::npos);
  job.hostfile = "hosts";
  EXPECT_EQ(OversubscriptionNote(job, 2), "");
}

}  // namespace
}  // namespace krg::mpi
