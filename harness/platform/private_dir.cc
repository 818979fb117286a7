#include "krg/private_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "krg/file_io.h"

namespace krg::platform {

Result<PrivateDir> PrivateDir::Create(const std::string& prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string templ = (base / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::FromErrno("cannot create a private folder " + templ, errno);
  }
  return PrivateDir(templ);
}

PrivateDir::PrivateDir(PrivateDir&& o) noexcept
    : path_(std::move(o.path_)), keep_(o.keep_) {
  o.path_.clear();
}

PrivateDir::~PrivateDir() {
  std::error_code ignored;
  // remove_all removes symlinks, never what they point at.
  if (!keep_ && !path_.empty()) std::filesystem::remove_all(path_, ignored);
}

Status EnsureOwnedDir(const std::filesystem::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::FromErrno("cannot create " + dir.string(), errno);
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) {
    return Status::FromErrno("cannot inspect " + dir.string(), errno);
  }
  std::string why;
  if (S_ISLNK(st.st_mode)) {
    why = "is a symlink";
  } else if (!S_ISDIR(st.st_mode)) {
    why = "is not a folder";
  } else if (st.st_uid != ::getuid()) {
    why = "belongs to uid " + std::to_string(st.st_uid);
  } else if ((st.st_mode & 077) != 0) {
    why = "is open to other users";
  }
  if (why.empty()) return Status::Ok();
  return Status::FailedPrecondition(
      dir.string() + " " + why + ": not using it (remove it if it is yours)");
}

Status WriteNewFile(const std::filesystem::path& path,
                    const std::string& data) {
  const int fd = ::open(
      path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno("cannot create " + path.string(), errno);
  Status s = WriteAll(fd, data.data(), data.size(), path.string());
  ::close(fd);
  return s;
}

}  // namespace krg::platform
