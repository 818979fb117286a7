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

}  // namespace
}  // namespace krg::platform
