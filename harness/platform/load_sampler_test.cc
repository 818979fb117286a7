#include "krg/load_sampler.h"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gtest/gtest.h"

namespace krg::platform {
namespace {

namespace fs = std::filesystem;

// Serves each path's texts in order; the last one stays.
class FakeFiles {
 public:
  void Add(const std::string& path, const std::string& text) {
    files_[path].push_back(text);
  }
  LoadSampler::FileReader Reader() {
    return [this](const std::string& path) {
      auto it = files_.find(path);
      if (it == files_.end() || it->second.empty()) return std::string();
      std::string text = it->second.front();
      if (it->second.size() > 1) it->second.pop_front();
      return text;
    };
  }

 private:
  std::map<std::string, std::deque<std::string>> files_;
};

// The dashboard's memory bars (issue 8): MemAvailable when the kernel has
// it, else MemFree + Buffers + Cached; one shared figure on linux, each
// node's own on Kerrighed.
TEST(LoadSamplerTest, MemoryUsedFromMeminfo) {
  FakeFiles files;
  files.Add("/proc/stat", "cpu  1 0 0 1 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0\n");
  files.Add("/proc/meminfo",
            "MemTotal:  1000 kB\nMemFree:  100 kB\nMemAvailable:  250 kB\n"
            "Buffers:  50 kB\nCached:  300 kB\n");
  LoadSampler linux_sampler(LoadSampler::Source::kProcStat,
                            {Node{0, {0}}, Node{1, {0}}}, files.Reader());
  EXPECT_EQ(linux_sampler.MemoryUsed(), (std::vector<double>{0.75, 0.75}));

  files.Add(SysPath("/proc/nodes/node2/meminfo"),
            "MemTotal: 2000 kB\nMemFree: 500 kB\nBuffers: 100 kB\n"
            "Cached: 400 kB\n");
  files.Add(SysPath("/proc/nodes/node5/meminfo"), "garbage");
  LoadSampler krg_sampler(LoadSampler::Source::kKerrighedNodes,
                          {Node{2, {128}}, Node{5, {320}}}, files.Reader());
  EXPECT_EQ(krg_sampler.MemoryUsed(), (std::vector<double>{0.5, 0.0}));
}

TEST(LoadSamplerTest, AveragesProcStatDeltasOverEachNodesCpus) {
  FakeFiles files;
  files.Add("/proc/stat",
            "cpu  400 0 0 3600 0 0 0 0\n"
            "cpu0 100 0 0 900 0 0 0 0\ncpu1 100 0 0 900 0 0 0 0\n"
            "cpu2 100 0 0 900 0 0 0 0\ncpu3 100 0 0 900 0 0 0 0\n");
  // cpu0 busy all 100 jiffies, cpu1 half, cpu2 and cpu3 idle.
  files.Add("/proc/stat",
            "cpu  550 0 0 3850 0 0 0 0\n"
            "cpu0 200 0 0 900 0 0 0 0\ncpu1 150 0 0 950 0 0 0 0\n"
            "cpu2 100 0 0 1000 0 0 0 0\ncpu3 100 0 0 1000 0 0 0 0\n");
  LoadSampler sampler(LoadSampler::Source::kProcStat,
                      {{0, {0, 1}, 0, 0}, {1, {2, 3}, 0, 0}}, files.Reader());
  std::vector<double> busy = sampler.Sample();
  ASSERT_EQ(busy.size(), 2u);
  EXPECT_DOUBLE_EQ(busy[0], 0.75);
  EXPECT_DOUBLE_EQ(busy[1], 0.0);
  // No tick since: the previous answer stands rather than a false zero.
  EXPECT_EQ(sampler.Sample(), busy);
}

TEST(LoadSamplerTest, CountsIowaitAsIdleAndSharesCpusBetweenNodes) {
  FakeFiles files;
  files.Add("/proc/stat", "cpu0 0 0 0 0 0 0 0 0\n");
  files.Add("/proc/stat", "cpu0 20 5 5 50 20 0 0 0\n");
  // Two virtual nodes on one CPU (more nodes than CPUs): both see it.
  LoadSampler sampler(LoadSampler::Source::kProcStat,
                      {{0, {0}, 0, 0}, {1, {0}, 0, 0}}, files.Reader());
  EXPECT_EQ(sampler.Sample(), (std::vector<double>{0.3, 0.3}));
}

TEST(LoadSamplerTest, ReadsEachKerrighedNodesOwnStat) {
  FakeFiles files;
  const std::string n5 = "/proc/nodes/node5/";
  const std::string n11 = "/proc/nodes/node11/";
  // The kernel pads the aggregate line to 80 columns.
  files.Add(n5 + "stat", "cpu   100 0 0 900 0 0 0 0       \ncpu320 1 2 3\n");
  files.Add(n5 + "stat", "cpu   190 0 10 900 0 0 0 0      \ncpu320 1 2 3\n");
  files.Add(n11 + "stat", "cpu   10 0 0 90 0 0 0 0\n");
  files.Add(n11 + "stat", "cpu   10 0 0 290 0 0 0 0\n");
  ::unsetenv("KRGDEMO_SYSROOT");
  LoadSampler sampler(LoadSampler::Source::kKerrighedNodes,
                      {{5, {320, 321}, 0, 0}, {11, {704, 705}, 0, 0}},
                      files.Reader());
  EXPECT_EQ(sampler.Sample(), (std::vector<double>{1.0, 0.0}));
}

TEST(LoadSamplerTest, FallsBackToLoadavgPerCpuWhenCountersDoNotMove) {
  FakeFiles files;
  files.Add("/proc/nodes/node2/stat", "cpu   5 0 0 5 0 0 0 0\n");
  files.Add("/proc/nodes/node2/loadavg", "1.50 1.00 0.50 2/90 4242\n");
  files.Add("/proc/nodes/node7/loadavg", "9.00 1.00 0.50 2/90 4242\n");
  ::unsetenv("KRGDEMO_SYSROOT");
  LoadSampler sampler(LoadSampler::Source::kKerrighedNodes,
                      {{2, {128, 129}, 0, 0}, {7, {448}, 0, 0}},
                      files.Reader());
  // node 2: its stat did not move; node 7: no stat at all; capped at 1.
  EXPECT_EQ(sampler.Sample(), (std::vector<double>{0.75, 1.0}));
}

TEST(LoadSamplerTest, MeasuresTheRealProcStat) {
  auto p = MakeLinuxPlatform();
  auto layout = p->Partition(2);
  ASSERT_TRUE(layout.ok());
  LoadSampler sampler(*p, layout->nodes);
  EXPECT_EQ(sampler.source(), LoadSampler::Source::kProcStat);
  ::usleep(30000);
  for (double busy : sampler.Sample()) {
    EXPECT_GE(busy, 0.0);
    EXPECT_LE(busy, 1.0);
  }
}

// Against the test double's sysroot (tests/kerrighed/make-sysroot).
TEST(LoadSamplerTest, ReadsTheKerrighedDoublesNodes) {
  const fs::path root = fs::path(::testing::TempDir()) /
                        ("load_sampler_" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto made = RunCommand(
      {KRG_DOUBLE_DIR "/make-sysroot", root.string(), "--cpus", "2"});
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->exit.code, 0) << made->err;
  ::setenv("KRGDEMO_SYSROOT", root.c_str(), 1);
  auto p = MakeKerrighedPlatform();
  auto layout = p->Partition(3);
  ASSERT_TRUE(layout.ok()) << layout.status().ToString();
  LoadSampler sampler(*p, layout->nodes);
  EXPECT_EQ(sampler.source(), LoadSampler::Source::kKerrighedNodes);
  // The double's counters stand still: each node's loadavg / CPUs.
  std::vector<double> busy = sampler.Sample();
  ASSERT_EQ(busy.size(), 3u);
  for (std::size_t i = 0; i < busy.size(); ++i) {
    const int id = layout->nodes[i].id;
    std::ifstream in(root / "proc/nodes" / ("node" + std::to_string(id)) /
                     "loadavg");
    double avg = 0;
    in >> avg;
    EXPECT_NEAR(busy[i], std::min(1.0, avg / 2), 1e-9) << "node " << id;
  }
  // Node 5 then computes flat out: 200 jiffies, all busy.
  const fs::path stat = root / "proc/nodes/node5/stat";
  std::ifstream in(stat);
  std::string head;
  std::getline(in, head);
  std::istringstream fields(head.substr(4));
  std::vector<long long> v;
  for (long long x; fields >> x;) v.push_back(x);
  ASSERT_GE(v.size(), 4u);
  v[0] += 200;
  fs::remove(stat);
  std::ofstream rewritten(stat);
  rewritten << "cpu  ";
  for (long long x : v) rewritten << " " << x;
  rewritten << "\n";
  rewritten.close();
  busy = sampler.Sample();
  EXPECT_EQ(layout->nodes[1].id, 5);
  EXPECT_DOUBLE_EQ(busy[1], 1.0);
  ::unsetenv("KRGDEMO_SYSROOT");
  fs::remove_all(root);
}

}  // namespace
}  // namespace krg::platform
