// The launcher's side of the mpi engine, as units: mpirun's command line,
// the request and measurement round trips, and how mpirun's failure banners
// (Open MPI 4.1, as printed on this machine) become one line.
#include "mpi_launch.h"

#include "gtest/gtest.h"

namespace krg::cli {
namespace {

MpiJob Job() {
  MpiJob job;
  job.demo = "mandelbrot";
  job.config.size = "test";
  job.config.params = {{"variant", "classic"}};
  job.nodes = 2;
  job.repeat.fixed = 3;
  job.artifacts_dir = "/tmp/out";
  return job;
}

TEST(MpiLaunchTest, StartsOneMoreRankThanNodesOnThisMachine) {
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
  EXPECT_EQ(back->demo, "mandelbrot");
  EXPECT_EQ(back->config.params.at("variant"), "classic");
  EXPECT_EQ(back->nodes, 2);
  EXPECT_EQ(back->repeat.fixed, 3);
  EXPECT_EQ(back->artifacts_dir, "/tmp/out");
}

TEST(MpiLaunchTest, PassesTheHostfileInsteadOfOversubscribingAndRootFlag) {
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

TEST(MpiLaunchTest, RejectsAMalformedRequest) {
  EXPECT_FALSE(MpiJobFromJson(nlohmann::json{{"demo", "x"}}).ok());
  EXPECT_FALSE(MpiJobFromJson(nlohmann::json::array()).ok());
}

TEST(MpiLaunchTest, MeasurementSurvivesTheTripFromRankZero) {
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

TEST(MpiLaunchTest, SaysWhichRankWasKilled) {
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

TEST(MpiLaunchTest, SaysWhichRankExitedAndWhy) {
  const std::string exited =
      "mpirun detected that one or more processes exited with non-zero "
      "status, thus causing\nthe job to be terminated. The first process to "
      "do so was:\n\n  Process name: [[16951,1],2]\n  Exit code:    3\n";
  EXPECT_NE(DescribeMpiFailure(exited, {true, 3, 0})
                .find("rank 2 exited with code 3"),
            std::string::npos);
  const std::string ours =
      std::string(kMpiErrorMarker) + "rank 1: no such dataset\n" + exited;
  EXPECT_EQ(DescribeMpiFailure(ours, {true, 1, 0}), "rank 1: no such dataset");
  const std::string slots =
      "There are not enough slots available in the system to satisfy the 3\n"
      "slots that were requested by the application:\n";
  EXPECT_NE(DescribeMpiFailure(slots, {true, 1, 0}).find("N + 1"),
            std::string::npos);
  EXPECT_NE(DescribeMpiFailure("", {true, 1, 0}).find("exit code 1"),
            std::string::npos);
}

TEST(MpiLaunchTest, NotesOversubscriptionOnlyWhenRanksOutnumberCpus) {
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
}  // namespace krg::cli
