// The farm journal and the SPMD checkpoint sets: round trips, an unfinished
// batch dropped, and truncated or bit-flipped files rejected by name.
#include "krg/checkpoint.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace krg {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kRun = "run 0123456789abcdef mandelbrot test {}";
constexpr std::string_view kOtherRun =
    "run fedcba9876543210 mandelbrot test {}";

fs::path FreshDir(const std::string& name) {
  fs::path d = fs::path(::testing::TempDir()) /
               ("krg_ckpt_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void FlipByte(const fs::path& path, std::uintmax_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(at));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(at));
  f.put(static_cast<char>(c ^ 0x10));
}

TEST(Crc32cTest, KnownValue) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
}

// The three-stream hardware path (buffers of 48 KiB and more) and the
// combination of CRCs against a byte-at-a-time reference.
std::uint32_t ReferenceCrc32c(const std::string& s) {
  std::uint32_t c = ~0u;
  for (unsigned char b : s) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

TEST(Crc32cTest, LongBuffersMatchTheReference) {
  std::string s(3 * 49152 + 1000, '\0');
  std::uint64_t x = 88172645463325252ull;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (std::size_t len : {std::size_t{49151}, std::size_t{49152},
                          std::size_t{49160}, std::size_t{100003}, s.size()}) {
    const std::string part = s.substr(0, len);
    EXPECT_EQ(Crc32c(part.data(), part.size()), ReferenceCrc32c(part)) << len;
    // In two calls, continuing the first.
    const std::uint32_t head = Crc32c(part.data(), 777);
    EXPECT_EQ(Crc32c(part.data() + 777, len - 777, head), ReferenceCrc32c(part))
        << len;
    // Copying: the same CRC, the same bytes, at an odd destination.
    std::string dst(len + 3, 'z');
    EXPECT_EQ(Crc32cCopy(dst.data() + 3, part.data(), len),
              ReferenceCrc32c(part))
        << len;
    EXPECT_EQ(dst.substr(3), part);
  }
}

TEST(FarmJournalTest, CommittedUnitsComeBack) {
  const fs::path d = FreshDir("roundtrip");
  {
    auto j = FarmJournal::Open(d, kRun, 10, 1000, false);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    (*j)->Append(3, "three");
    (*j)->Append(7, std::string(100000, 'x'));
    ASSERT_TRUE((*j)->Flush().ok());
    (*j)->Append(9, "never committed");  // still in the buffer: a kill
  }
  auto j = FarmJournal::Open(d, kRun, 10, 1000, true);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  ASSERT_EQ((*j)->completed().size(), 2u);
  EXPECT_EQ((*j)->completed().at(3), "three");
  EXPECT_EQ((*j)->completed().at(7).size(), 100000u);
}

TEST(FarmJournalTest, UncommittedTailIsDropped) {
  const fs::path d = FreshDir("tail");
  {
    auto j = FarmJournal::Open(d, kRun, 10, 1000, false);
    ASSERT_TRUE(j.ok());
    (*j)->Append(1, "one");
    ASSERT_TRUE((*j)->Flush().ok());
  }
  std::ofstream(d / "farm.journal", std::ios::app) << "half a record";
  auto j = FarmJournal::Open(d, kRun, 10, 1000, true);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)->completed().size(), 1u);
}

TEST(FarmJournalTest, TruncatedOrFlippedJournalIsAnErrorNamingTheFile) {
  for (bool truncate : {true, false}) {
    const fs::path d = FreshDir(truncate ? "trunc" : "flip");
    {
      auto j = FarmJournal::Open(d, kRun, 10, 1000, false);
      ASSERT_TRUE(j.ok());
      (*j)->Append(2, std::string(1000, 'a'));
      ASSERT_TRUE((*j)->Flush().ok());
    }
    const fs::path journal = d / "farm.journal";
    if (truncate) {
      fs::resize_file(journal, fs::file_size(journal) - 10);
    } else {
      FlipByte(journal, fs::file_size(journal) - 500);
    }
    auto j = FarmJournal::Open(d, kRun, 10, 1000, true);
    ASSERT_FALSE(j.ok());
    EXPECT_NE(j.status().message().find(journal.string()), std::string::npos)
        << j.status().ToString();
  }
}

TEST(FarmJournalTest, FlippedCommitIsAnErrorNamingIt) {
  const fs::path d = FreshDir("commit");
  {
    auto j = FarmJournal::Open(d, kRun, 10, 1000, false);
    ASSERT_TRUE(j.ok());
    (*j)->Append(2, "x");
    ASSERT_TRUE((*j)->Flush().ok());
  }
  FlipByte(d / "farm.commit", 30);
  auto j = FarmJournal::Open(d, kRun, 10, 1000, true);
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("farm.commit"), std::string::npos);
}

// Issue 19: a journal assembled from another run's units must never be
// merged into this run's answer.
TEST(FarmJournalTest, RecordsOfAnotherRunAreRefused) {
  const fs::path mine = FreshDir("mine"), other = FreshDir("other");
  for (const auto& [d, run] :
       {std::pair{mine, kRun}, std::pair{other, kOtherRun}}) {
    auto j = FarmJournal::Open(d, run, 10, 1000, false);
    ASSERT_TRUE(j.ok());
    (*j)->Append(1, "one of " + std::string(run));
    ASSERT_TRUE((*j)->Flush().ok());
  }
  // The other run's whole journal (its header and commit) under my run.
  fs::copy_file(other / "farm.journal", mine / "farm.journal",
                fs::copy_options::overwrite_existing);
  fs::copy_file(other / "farm.commit", mine / "farm.commit",
                fs::copy_options::overwrite_existing);
  auto whole = FarmJournal::Open(mine, kRun, 10, 1000, true);
  ASSERT_FALSE(whole.ok());
  EXPECT_NE(whole.status().message().find("another run"), std::string::npos)
      << whole.status().ToString();
  // My header, then the other run's record spliced in, and a commit that
  // covers it (as a careless `cat` and a rewritten commit would).
  const fs::path fresh = FreshDir("spliced");
  {
    auto j = FarmJournal::Open(fresh, kRun, 10, 1000, false);
    ASSERT_TRUE(j.ok());
  }
  std::ifstream in(other / "farm.journal", std::ios::binary);
  std::string theirs((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(fresh / "farm.journal", std::ios::app | std::ios::binary)
      << theirs.substr(24);
  std::ifstream commit(other / "farm.commit");
  std::string text((std::istreambuf_iterator<char>(commit)), {});
  std::ofstream(fresh / "farm.commit") << text;  // same length: 24 + record
  auto spliced = FarmJournal::Open(fresh, kRun, 10, 1000, true);
  ASSERT_FALSE(spliced.ok());
  EXPECT_NE(spliced.status().message().find("holds a record at offset 24 of "
                                            "another run"),
            std::string::npos)
      << spliced.status().ToString();
}

// Issue 19: a journal that is a symlink (to /dev/zero: endless) or any
// other non-regular file is refused, not read.
TEST(FarmJournalTest, NonRegularFilesAreRefused) {
  for (const char* name : {"farm.journal", "farm.commit"}) {
    const fs::path d = FreshDir(std::string("link_") + name);
    {
      auto j = FarmJournal::Open(d, kRun, 10, 1000, false);
      ASSERT_TRUE(j.ok());
      (*j)->Append(1, "x");
      ASSERT_TRUE((*j)->Flush().ok());
    }
    fs::remove(d / name);
    fs::create_symlink("/dev/zero", d / name);
    auto j = FarmJournal::Open(d, kRun, 10, 1000, true);
    ASSERT_FALSE(j.ok()) << name;
    EXPECT_NE(j.status().message().find("not a regular file"),
              std::string::npos)
        << j.status().ToString();
  }
}

TEST(SpmdCheckpointStoreTest, SetsOfAnotherRunAreRefused) {
  const fs::path d = FreshDir("spmd_other");
  SpmdCheckpointStore theirs(d, kOtherRun, 1, true);
  ASSERT_TRUE(theirs.Save(1, {"aaaa", "bb"}, "s1").ok());
  SpmdCheckpointStore mine(d, kRun, 1, true);
  auto snap = mine.Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_NE(snap.status().message().find("another run"), std::string::npos)
      << snap.status().ToString();
  fs::remove(d / "spmd.manifest");
  fs::create_symlink("/dev/zero", d / "spmd.manifest");
  auto zero = mine.Load();
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("not a regular file"),
            std::string::npos)
      << zero.status().ToString();
}

TEST(SpmdCheckpointStoreTest, LatestSetComesBack) {
  const fs::path d = FreshDir("spmd");
  SpmdCheckpointStore store(d, kRun, 1, true);
  auto none = store.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store.Save(1, {"aaaa", "bb"}, "s1").ok());
  ASSERT_TRUE(store.Save(2, {"cccc", "dd"}, "s2").ok());
  auto snap = store.Load();
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  ASSERT_TRUE(snap->has_value());
  EXPECT_EQ((*snap)->seq, 2u);
  EXPECT_EQ((*snap)->slabs, (std::vector<std::string>{"cccc", "dd"}));
  EXPECT_EQ((*snap)->scalars, "s2");
  EXPECT_FALSE(fs::exists(d / "set-1"));  // replaced
  // A block-aligned slab (direct I/O where the file system takes it), with
  // the CRC given by the caller for one rank and computed for the other.
  const std::size_t n = 3 * 4096 + 100;
  char* big = static_cast<char*>(std::aligned_alloc(4096, 4 * 4096));
  for (std::size_t i = 0; i < n; ++i) big[i] = static_cast<char>(i * 7);
  const std::string_view bytes(big, n);
  ASSERT_TRUE(
      store.Save(3, {bytes, bytes}, "s3", {Crc32c(big, n), std::nullopt}).ok());
  auto third = store.Load();
  std::free(big);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ((*third)->slabs[0], (*third)->slabs[1]);
  EXPECT_EQ((*third)->slabs[0].size(), n);
  EXPECT_EQ(static_cast<unsigned char>((*third)->slabs[0][n - 1]),
            static_cast<unsigned char>((n - 1) * 7));
  SpmdCheckpointStore fresh(d, kRun, 1, false);
  auto ignored = fresh.Load();
  ASSERT_TRUE(ignored.ok());
  EXPECT_FALSE(ignored->has_value());
}

TEST(SpmdCheckpointStoreTest, DamagedFilesAreErrorsNamingThem) {
  struct Damage {
    std::string file;
    bool truncate;
  };
  for (const Damage& dmg :
       {Damage{"set-1/rank-1.slab", true}, Damage{"set-1/rank-0.slab", false},
        Damage{"set-1/scalars.bin", false}, Damage{"spmd.manifest", false}}) {
    const fs::path d = FreshDir("damage");
    SpmdCheckpointStore store(d, kRun, 1, true);
    ASSERT_TRUE(store
                    .Save(1, {std::string(4096, 'a'), std::string(4096, 'b')},
                          "scalars")
                    .ok());
    const fs::path f = d / dmg.file;
    if (dmg.truncate) {
      fs::resize_file(f, fs::file_size(f) - 1);
    } else {
      FlipByte(f, fs::file_size(f) - 3);
    }
    auto snap = store.Load();
    ASSERT_FALSE(snap.ok()) << dmg.file;
    EXPECT_NE(snap.status().message().find(f.string()), std::string::npos)
        << snap.status().ToString();
  }
}

}  // namespace
}  // namespace krg
