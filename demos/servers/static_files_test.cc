#include "servers/static_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace krg::demos::servers {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::path(::testing::TempDir()) /
            ("webfarm_static_" + std::to_string(::getpid()));
    fs::remove_all(base_);
    fs::create_directories(base_ / "www" / "sub");
    std::ofstream(base_ / "www" / "a.txt") << "hello";
    std::ofstream(base_ / "www" / "sub" / "b.html") << "<p>b</p>";
    std::ofstream(base_ / "secret.txt") << "secret";
    fs::create_symlink(base_ / "secret.txt", base_ / "www" / "escape.txt");
    fs::create_symlink(base_, base_ / "www" / "up");
    fs::create_symlink(base_ / "www" / "a.txt", base_ / "www" / "inside.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

TEST_F(StaticFilesTest, ResolvesFilesInsideTheRoot) {
  auto root = StaticRoot::Open((base_ / "www").string());
  ASSERT_TRUE(root.ok());
  auto a = root->Resolve("a.txt");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->size, 5);
  EXPECT_EQ(a->content_type, "text/plain; charset=utf-8");
  auto b = root->Resolve("sub/b.html");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(root->Resolve("inside.txt").ok());  // a link that stays inside
}

TEST_F(StaticFilesTest, RefusesTraversal) {
  auto root = StaticRoot::Open((base_ / "www").string());
  ASSERT_TRUE(root.ok());
  for (const char* bad : {"../secret.txt", "sub/../../secret.txt", "..",
                          "./a.txt", "/etc/passwd", "sub/..", ""}) {
    auto r = root->Resolve(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(root->Resolve(std::string("a.txt\0x", 7)).ok());
}

TEST_F(StaticFilesTest, RefusesSymlinksOutOfTheRoot) {
  auto root = StaticRoot::Open((base_ / "www").string());
  ASSERT_TRUE(root.ok());
  for (const char* bad : {"escape.txt", "up/secret.txt"}) {
    auto r = root->Resolve(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Status::Code::kFailedPrecondition) << bad;
  }
}

TEST_F(StaticFilesTest, DirectoriesAndMissingFilesAreNotFound) {
  auto root = StaticRoot::Open((base_ / "www").string());
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->Resolve("sub").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(root->Resolve("nope.txt").status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(StaticRoot::Open((base_ / "missing").string()).ok());
}

}  // namespace
}  // namespace krg::demos::servers
