// Issue 19: private folders under the shared temp directory.
#include "krg/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace krg::platform {
namespace {

namespace fs = std::filesystem;

TEST(PrivateDirTest, IsFreshModeSevenHundredAndRemovedWithItsContents) {
  fs::path where;
  {
    auto a = PrivateDir::Create("krg-private-test");
    auto b = PrivateDir::Create("krg-private-test");
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(a->path(), b->path());  // unpredictable, never shared
    struct stat st;
    ASSERT_EQ(::lstat(a->path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(st.st_uid, ::getuid());
    std::ofstream(a->path() / "f") << "x";
    where = a->path();
  }
  EXPECT_FALSE(fs::exists(where));
}

TEST(PrivateDirTest, EnsureOwnedDirRefusesSymlinksOpenFoldersAndFiles) {
  auto base = PrivateDir::Create("krg-owned-test");
  ASSERT_TRUE(base.ok());
  const fs::path mine = base->path() / "mine";
  EXPECT_TRUE(EnsureOwnedDir(mine).ok());  // created, 0700
  EXPECT_TRUE(EnsureOwnedDir(mine).ok());  // reused: still ours
  const fs::path link = base->path() / "link";
  fs::create_directory_symlink(mine, link);
  EXPECT_NE(EnsureOwnedDir(link).message().find("is a symlink"),
            std::string::npos);
  const fs::path open = base->path() / "open";
  fs::create_directory(open);
  fs::permissions(open, fs::perms::all);
  EXPECT_NE(EnsureOwnedDir(open).message().find("open to other users"),
            std::string::npos);
  const fs::path file = base->path() / "file";
  std::ofstream(file) << "x";
  EXPECT_NE(EnsureOwnedDir(file).message().find("not a folder"),
            std::string::npos);
  if (::getuid() == 0) {  // a folder of another user's
    const fs::path theirs = base->path() / "theirs";
    fs::create_directory(theirs, mine);
    fs::permissions(theirs, fs::perms::owner_all, fs::perm_options::replace);
    ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
    EXPECT_NE(EnsureOwnedDir(theirs).message().find("belongs to uid 65534"),
              std::string::npos);
  }
}

TEST(PrivateDirTest, WriteNewFileNeverWritesThroughASymlink) {
  auto base = PrivateDir::Create("krg-newfile-test");
  ASSERT_TRUE(base.ok());
  const fs::path target = base->path() / "target";
  std::ofstream(target) << "keep";
  const fs::path link = base->path() / "link";
  fs::create_symlink(target, link);
  EXPECT_FALSE(WriteNewFile(link, "overwritten").ok());
  EXPECT_FALSE(WriteNewFile(target, "overwritten").ok());  // exists
  std::ifstream in(target);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "keep");
  EXPECT_TRUE(WriteNewFile(base->path() / "new", "x").ok());
}

}  // namespace
}  // namespace krg::platform
