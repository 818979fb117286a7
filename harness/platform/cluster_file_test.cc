#include "platform/cluster_file.h"

#include <gtest/gtest.h>

namespace krg::platform {
namespace {

TEST(ClusterFileTest, ReadsMachinesCommentsAndMemoryUnits) {
  auto m = ParseClusterFile(
      "# the LAN\n"
      "10.0.0.11 4 8G   # head\n"
      "\n"
      "node2.lan\t2\t2048M\n"
      "node_3 1 512\n",
      "f");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].address, "10.0.0.11");
  EXPECT_EQ((*m)[0].cpus, 4);
  EXPECT_EQ((*m)[0].mem_mb, 8192);
  EXPECT_EQ((*m)[1].address, "node2.lan");
  EXPECT_EQ((*m)[1].mem_mb, 2048);
  EXPECT_EQ((*m)[2].mem_mb, 512);
}

TEST(ClusterFileTest, RejectsAddressesThatCouldBecomeOptionsOrShell) {
  for (const char* bad :
       {"-oProxyCommand=sh", "a;b", "$(reboot)", "a b", "host\\x", "a/b", "::1",
        "10.0.0.300", "1.2.3", "'q'", "h`id`"}) {
    EXPECT_FALSE(CheckMachineAddress(bad).ok()) << bad;
  }
  EXPECT_TRUE(CheckMachineAddress("10.77.0.11").ok());
  EXPECT_TRUE(CheckMachineAddress("n1.cluster-a.lan").ok());
}

TEST(ClusterFileTest, NamesTheLineOfAnError) {
  auto m = ParseClusterFile("10.0.0.1 2 1G\n-evil 2 1G\n", "cluster");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("cluster line 2"), std::string::npos)
      << m.status().message();
  EXPECT_NE(m.status().message().find("must start with a letter or digit"),
            std::string::npos);
}

TEST(ClusterFileTest, RejectsBadCountsDuplicatesAndEmptyFiles) {
  EXPECT_FALSE(ParseClusterFile("h 0 1G\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("h 4097 1G\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("h 2 1T\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("h 2\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("h 2 1G extra\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("h 2 1G\nh 2 1G\n", "f").ok());
  EXPECT_FALSE(ParseClusterFile("# nothing\n\n", "f").ok());
}

TEST(ClusterFileTest, HostfileKeepsTheMasterHereAndGivesEachMachineItsCpus) {
  EXPECT_EQ(MpiHostfile({{"10.0.0.11", 2, 1024}, {"n2", 1, 512}}),
            "localhost slots=1\n10.0.0.11 slots=2\nn2 slots=1\n");
}

TEST(ClusterFileTest, HostfileGivesTheMastersSlotToAMachineThatIsThisOne) {
  // The LiveCD's head lists itself: named once, first, with one more slot.
  EXPECT_EQ(MpiHostfile({{"10.0.0.11", 2, 1024}, {"10.0.0.1", 4, 512}},
                        {"localhost", "10.0.0.1"}),
            "10.0.0.1 slots=5\n10.0.0.11 slots=2\n");
  EXPECT_EQ(LocalAddresses().count("127.0.0.1"), 1u);
}

TEST(ClusterFileTest, SshFailuresSayWhatToFix) {
  ExitInfo e{true, 255, 0};
  EXPECT_NE(DescribeSshFailure("h1", e,
                               "root@h1: Permission denied "
                               "(publickey).\n")
                .find("authorized_keys"),
            std::string::npos);
  EXPECT_NE(DescribeSshFailure("h1", e, "Host key verification failed.\n")
                .find("known_hosts"),
            std::string::npos);
  EXPECT_NE(DescribeSshFailure("h1", e,
                               "ssh: connect to host h1 port 22: Connection "
                               "timed out\n")
                .find("h1 is unreachable"),
            std::string::npos);
}

// What MachineSampleCommand prints on a 2-CPU machine: cpu0 busy all 100
// jiffies between the stats, cpu1 idle; load average 3.0; a quarter of
// the memory available.
TEST(ClusterFileTest, ReadsAMachinesSampleOnItsOwnCpus) {
  const std::string sep = "@@krgdemo@@\n";
  const std::string out =
      "cpu  100 0 100 200 0 0 0 0\ncpu0 50 0 50 100 0 0 0 0\n"
      "cpu1 50 0 50 100 0 0 0 0\nintr 1\n" +
      sep + "3.00 2.50 2.00 4/120 999\n" + sep +
      "MemTotal: 4000 kB\nMemFree: 500 kB\nMemAvailable: 1000 kB\n" + sep +
      "cpu  200 0 100 300 0 0 0 0\ncpu0 150 0 50 100 0 0 0 0\n"
      "cpu1 50 0 50 200 0 0 0 0\n";
  const MachineSample s = ParseMachineSample(out);
  EXPECT_EQ(s.cpus, 2);
  EXPECT_DOUBLE_EQ(s.load, 0.5);
  EXPECT_DOUBLE_EQ(s.loadavg_1m, 3.0);
  EXPECT_DOUBLE_EQ(s.mem_used, 0.75);
  // A probe cut short says nothing rather than zeros that look measured.
  const MachineSample cut = ParseMachineSample("cpu0 1 2 3 4\n" + sep);
  EXPECT_EQ(cut.loadavg_1m, -1);
  EXPECT_EQ(cut.mem_used, -1);
}

// Issue 16: the busy warning judges each machine on its own CPUs and names
// it, not this machine's load over the cluster's CPU total.
TEST(ClusterFileTest, BusyMachinesAreJudgedOnTheirOwnCpusAndNamed) {
  std::vector<Node> nodes(3);
  nodes[0].address = "h1";  // 1.5 on 4 CPUs: 0.375 per CPU, not busy
  nodes[0].loadavg_1m = 1.5;
  nodes[0].machine_cpus = 4;
  nodes[1].address = "h2";  // 1.2 on 2 CPUs: 0.6 per CPU, busy
  nodes[1].loadavg_1m = 1.2;
  nodes[1].machine_cpus = 2;
  nodes[2].address = "h3";  // unreachable: not read, not judged
  nodes[2].unreachable = "h3 is unreachable";
  const std::vector<MachineLoad> loads = JudgeMachineLoads(nodes, 0.5);
  ASSERT_EQ(loads.size(), 2u);
  EXPECT_FALSE(loads[0].busy);
  EXPECT_DOUBLE_EQ(loads[0].per_cpu, 0.375);
  EXPECT_TRUE(loads[1].busy);
  EXPECT_EQ(loads[1].cpus, 2);
  EXPECT_EQ(BusyMachinesText(loads), "h2 (load 1.2 on 2 CPUs, 0.60 per CPU)");
  // h2 at 0.8 on its 2 CPUs (0.40 per CPU): nothing busy.
  nodes[1].loadavg_1m = 0.8;
  EXPECT_EQ(BusyMachinesText(JudgeMachineLoads(nodes, 0.5)), "");
}

}  // namespace
}  // namespace krg::platform
