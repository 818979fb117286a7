#include "platform/linux_platform.h"

#include <set>

#include "gtest/gtest.h"

namespace krg::platform {
namespace {

TEST(SplitCpusTest, SplitsEvenlyAndContiguously) {
  auto g = SplitCpus({0, 1, 2, 3, 4}, 2);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(g[1], (std::vector<int>{3, 4}));
  EXPECT_EQ(SplitCpus({4, 6}, 1)[0], (std::vector<int>{4, 6}));
}

TEST(SplitCpusTest, MoreNodesThanCpusShareRoundRobin) {
  auto g = SplitCpus({0, 1}, 5);
  ASSERT_EQ(g.size(), 5u);
  EXPECT_EQ(g[2], std::vector<int>{0});
  EXPECT_EQ(g[3], std::vector<int>{1});
}

TEST(LinuxPlatformTest, PartitionCoversUsableCpusAndNotesSharing) {
  auto p = MakeLinuxPlatform();
  const std::vector<int> cpus = UsableCpus();
  auto one = p->Partition(1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->nodes[0].cpus, cpus);
  EXPECT_FALSE(one->cpus_shared);
  auto many = p->Partition(int(cpus.size()) + 1);
  ASSERT_TRUE(many.ok());
  EXPECT_TRUE(many->cpus_shared);
  EXPECT_NE(many->note.find("share CPUs"), std::string::npos);
  std::set<int> seen;
  for (const Node& n : many->nodes) seen.insert(n.cpus.begin(), n.cpus.end());
  EXPECT_EQ(seen.size(), cpus.size());
}

TEST(LinuxPlatformTest, CpuLoadComesFromStatDeltas) {
  const std::string a =
      "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 10 0 0 40 0 0 0 0\n"
      "cpu1 0 0 10 40 0 0 0 0\n";
  const std::string b =
      "cpu  60 0 10 130 0 0 0 0 0 0\ncpu0 60 0 0 40 0 0 0 0\n"
      "cpu1 0 0 10 90 0 0 0 0\n";
  auto load = CpuLoadBetween(a, b, {0, 1, 7});
  ASSERT_EQ(load.size(), 3u);
  EXPECT_DOUBLE_EQ(load[0], 1.0);
  EXPECT_DOUBLE_EQ(load[1], 0.0);
  EXPECT_DOUBLE_EQ(load[2], 0.0);  // unknown CPU
}

TEST(LinuxPlatformTest, DescribeReportsThisMachine) {
  auto info = MakeLinuxPlatform()->Describe(/*sample_load=*/true);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->platform, "linux");
  EXPECT_GT(info->usable_cpus, 0);
  EXPECT_GT(info->mem_mb, 0);
  EXPECT_GE(info->loadavg_1m, 0);  // read from /proc/loadavg, no wait
  ASSERT_EQ(info->nodes.size(), 1u);
  EXPECT_GE(info->nodes[0].load, 0);
  EXPECT_LE(info->nodes[0].load, 1);
}

TEST(RunCommandTest, CapturesOutputAndExitWithoutAShell) {
  auto r = RunCommand({"sh", "-c", "cat; echo err >&2; exit 3"}, "in put");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->out, "in put");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_TRUE(r->exit.exited);
  EXPECT_EQ(r->exit.code, 3);
  auto missing = RunCommand({"krgdemo-no-such-program"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kUnavailable);
  auto literal = RunCommand({"echo", "$HOME; rm -rf /"});
  ASSERT_TRUE(literal.ok());
  EXPECT_EQ(literal->out, "$HOME; rm -rf /\n");
}

}  // namespace
}  // namespace krg::platform
