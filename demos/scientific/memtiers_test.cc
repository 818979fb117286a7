#include "scientific/memtiers.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "krg/runner.h"
#include "scientific/memtiers_kernel.h"
#include "test_support.h"

namespace krg::demos {
namespace {

namespace mt = krg::demos::memtiers;

struct Free {
  void operator()(void* p) const { std::free(p); }
};
std::unique_ptr<void, Free> Alloc(std::size_t bytes) {
  return std::unique_ptr<void, Free>(std::aligned_alloc(4096, bytes));
}

TEST(MemtiersKernelTest, TriadChecksumMatchesItsClosedForm) {
  auto mem = Alloc(1 << 20);
  for (std::size_t bytes : {mt::kGrain, 15 * mt::kGrain, 1000 * mt::kGrain,
                            (std::size_t(1) << 20) / mt::kGrain * mt::kGrain}) {
    const mt::TriadResult r = mt::MeasureTriad(mem.get(), bytes, 1 << 16, 2);
    EXPECT_EQ(r.check, mt::ExpectedTriadCheck(bytes)) << bytes;
    EXPECT_GT(r.best_gbs, 0) << bytes;
  }
  EXPECT_NE(mt::ExpectedTriadCheck(mt::kGrain),
            mt::ExpectedTriadCheck(2 * mt::kGrain));
}

TEST(MemtiersKernelTest, ChaseVisitsEveryLineOfOneCycle) {
  auto mem = Alloc(8 << 20);
  for (std::size_t bytes : {std::size_t(128), std::size_t(4096),
                            std::size_t(1 << 20), std::size_t(8 << 20)}) {
    for (std::uint64_t seed : {1, 2}) {
      const mt::ChaseResult r = mt::MeasureChase(mem.get(), bytes, seed, 5000);
      const mt::ChaseResult want = mt::ExpectedChase(bytes, 5000);
      EXPECT_EQ(r.nodes, want.nodes) << bytes;
      EXPECT_EQ(r.nodes, bytes / mt::kLine) << bytes;
      EXPECT_EQ(r.steps, want.steps) << bytes;
      EXPECT_GE(r.steps, 5000u) << bytes;
      EXPECT_EQ(r.steps % r.nodes, 0u) << bytes;
      EXPECT_EQ(r.id_sum, want.id_sum) << bytes;
      EXPECT_EQ(r.end, 0u) << bytes;
      EXPECT_GT(r.ns_per_load, 0) << bytes;
    }
  }
}

TEST(MemtiersKernelTest, LargeSetsChaseASpreadSample) {
  const std::size_t bytes = 4 * mt::kMaxChaseNodes * mt::kLine;  // 512 MiB
  const mt::ChaseResult want = mt::ExpectedChase(bytes, 1);
  EXPECT_EQ(want.nodes, mt::kMaxChaseNodes);
  EXPECT_EQ(want.steps, mt::kMaxChaseNodes);
}

TEST(MemtiersTest, SweepVerifiesWithTheSameChecksumOnBothEngines) {
  auto w = MakeMemtiers({"test", {{"max", "2M"}}});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto threads = test_support::MeasureOnce(**w, Engine::kThreads, 1);
  ASSERT_TRUE(threads.ok()) << threads.status().ToString();
  EXPECT_TRUE(threads->verification.ok) << threads->verification.detail;
  // 4 KiB .. 2 MiB, one size per doubling: 10 sizes.
  EXPECT_EQ((**w).work().amount, 10);
  EXPECT_NE(threads->verification.detail.find("10 sizes, 3.94 KiB to 2 MiB"),
            std::string::npos)
      << threads->verification.detail;
  auto procs = test_support::MeasureOnce(**w, Engine::kProcs, 2);
  ASSERT_TRUE(procs.ok()) << procs.status().ToString();
  EXPECT_TRUE(procs->verification.ok) << procs->verification.detail;
  EXPECT_EQ(procs->verification.checksum, threads->verification.checksum);
  // Another range is another answer.
  auto other = MakeMemtiers({"test", {{"max", "1M"}}});
  ASSERT_TRUE(other.ok());
  auto m = test_support::MeasureOnce(**other, Engine::kThreads, 1);
  ASSERT_TRUE(m.ok());
  EXPECT_NE(m->verification.checksum, threads->verification.checksum);
}

TEST(MemtiersTest, ACorruptedChecksumDoesNotVerify) {
  auto w = MakeMemtiers({"test", {{"max", "64K"}}});
  ASSERT_TRUE(w.ok());
  auto& farm = static_cast<FarmWorkload&>(**w);
  ASSERT_EQ(farm.unit_count(), 1u);
  std::string bytes;
  ASSERT_TRUE(farm.RunUnit(0, &bytes).ok());
  for (std::size_t field : {8, 32}) {  // a triad check, a chase sum
    std::string bad = bytes;
    bad[64 * 2 + field] ^= 1;
    farm.BeginPass();
    ASSERT_TRUE(farm.Merge(0, bad).ok());
    const Verification v = farm.Verify();
    EXPECT_FALSE(v.ok) << field;
    EXPECT_NE(v.detail.find(field == 8 ? "triad" : "chase"), std::string::npos)
        << v.detail;
  }
  farm.BeginPass();
  EXPECT_FALSE(farm.Merge(0, bytes.substr(1)).ok());
  EXPECT_FALSE(farm.Verify().ok);
}

TEST(MemtiersTest, WritesTheDataAndAChart) {
  auto w = MakeMemtiers({"test", {{"max", "256K"}}});
  ASSERT_TRUE(w.ok());
  auto m = test_support::MeasureOnce(**w, Engine::kThreads, 1);
  ASSERT_TRUE(m.ok());
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("krg_memtiers_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const Status s = (**w).WriteArtifacts(dir);
  std::ifstream csv(dir / "memtiers.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "bytes,triad_gbs,latency_ns");
  int rows = 0;
  for (std::string line; std::getline(csv, line);) ++rows;
  EXPECT_EQ(rows, 7);  // 4K .. 256K
  EXPECT_TRUE(std::filesystem::exists(dir / "memtiers.gp"));
  if (platform::ProgramExists("gnuplot")) {
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_GT(std::filesystem::file_size(dir / "memtiers.png"), 1000u);
    EXPECT_TRUE(std::filesystem::exists(dir / "memtiers.svg"));
  }
  std::filesystem::remove_all(dir);
}

TEST(MemtiersTest, SizesParseAndBadOnesAreInvalidArguments) {
  EXPECT_EQ(*ParseByteSize("max", "64K"), 65536u);
  EXPECT_EQ(*ParseByteSize("max", "3GiB"), 3ull << 30);
  EXPECT_EQ(*ParseByteSize("max", "512m"), 512ull << 20);
  EXPECT_EQ(*ParseByteSize("max", "4096"), 4096u);
  EXPECT_EQ(ByteSizeString(4096), "4 KiB");
  EXPECT_EQ(ByteSizeString(3ull << 30), "3 GiB");
  for (auto bad : std::vector<std::map<std::string, std::string>>{
           {{"max", "abc"}},
           {{"max", "-1"}},
           {{"max", "0"}},
           {{"max", "12Q"}},
           {{"max", "100T"}},  // more than this machine holds
           {{"min", "1K"}},    // below a chase's minimum
           {{"min", "16M"}},   // above the test preset's max
           {{"points", "0"}},
           {{"points", "abc"}},
           {{"size", "1G"}}}) {  // unknown key
    auto w = MakeMemtiers({"test", bad});
    ASSERT_FALSE(w.ok()) << bad.begin()->first << "=" << bad.begin()->second;
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument)
        << w.status().ToString();
  }
}

}  // namespace
}  // namespace krg::demos
