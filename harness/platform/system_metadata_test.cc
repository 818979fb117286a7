#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "krg/metadata.h"

namespace krg::platform {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

fs::path FakeRoot(const std::string& name) {
  fs::path root = fs::path(::testing::TempDir()) /
                  ("krg_meta_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(root);
  return root;
}

const char* kCpuinfo =
    "processor\t: 0\nmodel name\t: Test CPU @ 3.0GHz\n\n"
    "processor\t: 1\nmodel name\t: Test CPU @ 3.0GHz\n";

TEST(SystemMetadataTest, ParsesOsReleaseQuotesAndEscapes) {
  auto r = ParseOsRelease(
      "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
      "ID=debian\nVERSION_ID='12'\nNAME=\"say \\\"hi\\\"\"\n\nbogus line\n");
  EXPECT_EQ(r["PRETTY_NAME"], "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(r["ID"], "debian");
  EXPECT_EQ(r["VERSION_ID"], "12");
  EXPECT_EQ(r["NAME"], "say \"hi\"");
}

TEST(SystemMetadataTest, ParsesCpuinfoAndMeminfo) {
  EXPECT_EQ(ParseCpuModel(kCpuinfo), "Test CPU @ 3.0GHz");
  EXPECT_EQ(CountProcessors(kCpuinfo), 2);
  EXPECT_EQ(ParseCpuModel(""), "unknown");
  EXPECT_EQ(ParseMemTotalMb("MemFree: 10 kB\nMemTotal:  2097152 kB\n"), 2048);
  EXPECT_EQ(ParseMemTotalMb("garbage"), 0);
}

TEST(SystemMetadataTest, LinuxHasNoKerrighedPart) {
  const fs::path root = FakeRoot("linux");
  Write(root / "proc/cpuinfo", kCpuinfo);
  Write(root / "proc/meminfo", "MemTotal: 1048576 kB\n");
  Write(root / "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
  SystemMetadata m = CollectSystemMetadata(root);
  EXPECT_EQ(m.cpu_model, "Test CPU @ 3.0GHz");
  EXPECT_EQ(m.logical_cpus, 2);
  EXPECT_EQ(m.mem_mb, 1024);
  EXPECT_EQ(m.distro_id, "debian");
  EXPECT_EQ(m.distro_version, "12");
  EXPECT_FALSE(m.kernel_release.empty());  // uname of this machine
  EXPECT_TRUE(m.kerrighed.is_null());
  auto j = ToJson(m);
  EXPECT_EQ(j["cpu"]["model"], "Test CPU @ 3.0GHz");
  EXPECT_TRUE(j["kerrighed"].is_null());
  fs::remove_all(root);
}

TEST(SystemMetadataTest, KerrighedNodesAndSchedulersAreListed) {
  const fs::path root = FakeRoot("krg");
  Write(root / "proc/nodes/node12/nodeid", "12\n");
  Write(root / "proc/nodes/node12/cpuinfo", kCpuinfo);
  Write(root / "proc/nodes/node12/meminfo", "MemTotal: 2097152 kB\n");
  Write(root / "proc/nodes/node3/nodeid", "3\n");
  Write(root / "proc/nodes/node3/cpuinfo", "processor : 0\n");
  Write(root / "proc/nodes/node3/meminfo", "MemTotal: 1048576 kB\n");
  Write(root / "proc/nodes/nrnodes", "ONLINE:2\nPRESENT:2\nPOSSIBLE:2\n");
  fs::create_directory_symlink("node3", root / "proc/nodes/self");
  Write(root / "sys/kerrighed/node_id", "3\n");
  Write(root / "sys/kerrighed/abi", "1\n");
  fs::create_directories(root / "config/krg_scheduler/schedulers/rr");
  fs::create_directories(root / "config/krg_scheduler/schedulers/mosix");
  auto k = CollectKerrighedMetadata(root);
  ASSERT_TRUE(k.is_object()) << k.dump();
  ASSERT_EQ(k["nodes"].size(), 2u) << k.dump();
  EXPECT_EQ(k["nodes"][0]["id"], 3);  // ids are not contiguous: sorted
  EXPECT_EQ(k["nodes"][0]["cpus"], 1);
  EXPECT_EQ(k["nodes"][1]["id"], 12);
  EXPECT_EQ(k["nodes"][1]["mem_mb"], 2048);
  EXPECT_EQ(k["node_id"], 3);
  EXPECT_TRUE(k["max_nodes"].is_null());
  EXPECT_EQ(k["schedulers"], nlohmann::json::parse(R"(["mosix", "rr"])"));
  EXPECT_TRUE(k["version"].is_null());  // the kerrighed platform's job
  fs::remove_all(root);
}

// Issue 4 (memtiers' chart): the caches one core uses, from sysfs.
TEST(SystemMetadataTest, CpuCachesAreTheDataAndUnifiedOnesByLevel) {
  const fs::path root = FakeRoot("caches");
  const fs::path c = root / "sys/devices/system/cpu/cpu0/cache";
  const char* caches[][3] = {{"3", "Unified", "32768K"},
                             {"1", "Data", "48K"},
                             {"1", "Instruction", "32K"},
                             {"2", "Unified", "1024K"}};
  for (int i = 0; i < 4; ++i) {
    const fs::path d = c / ("index" + std::to_string(i));
    Write(d / "level", std::string(caches[i][0]) + "\n");
    Write(d / "type", std::string(caches[i][1]) + "\n");
    Write(d / "size", std::string(caches[i][2]) + "\n");
  }
  const auto got = CpuCaches(root);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(std::string("L1d"), std::int64_t(48 << 10)));
  EXPECT_EQ(got[1], std::make_pair(std::string("L2"), std::int64_t(1 << 20)));
  EXPECT_EQ(got[2], std::make_pair(std::string("L3"), std::int64_t(32 << 20)));
  EXPECT_TRUE(CpuCaches(FakeRoot("nocaches")).empty());
  fs::remove_all(root);
}

}  // namespace
}  // namespace krg::platform
