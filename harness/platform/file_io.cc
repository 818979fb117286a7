// Whole-buffer I/O on file descriptors (see krg/file_io.h).
#include "krg/file_io.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace krg::platform {
namespace {

// The one write-all loop: `op(p, n, done)` writes some of the n bytes at p
// (done already written) as write(2) would. Returns 0 when all went out,
// else the errno of the call that failed.
template <typename Op>
int WriteLoop(const void* data, std::size_t len, Op op) {
  const char* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n = op(p + done, len - done, done);
    if (n < 0 && errno == EINTR) continue;
    // write(2) returns 0 only for a zero-length write; say EIO rather than
    // a stale errno should it ever happen.
    if (n <= 0) return n < 0 && errno != 0 ? errno : EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

Status Done(int err, std::string_view what) {
  return err == 0 ? Status::Ok() : Status::FromErrno(what, err);
}

}  // namespace

Status WriteAll(int fd, const void* data, std::size_t len,
                std::string_view what) {
  return Done(WriteLoop(data, len,
                        [fd](const char* p, std::size_t n, std::size_t) {
                          return ::write(fd, p, n);
                        }),
              what);
}

Status WriteAllAt(int fd, const void* data, std::size_t len, off_t at,
                  std::string_view what) {
  return Done(
      WriteLoop(data, len,
                [fd, at](const char* p, std::size_t n, std::size_t done) {
                  return ::pwrite(fd, p, n, at + static_cast<off_t>(done));
                }),
      what);
}

Result<std::string> ReadRegularFile(const std::string& path,
                                    std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd =
      ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("no file " + path);
    if (err == ELOOP) {
      return Status::FailedPrecondition(path +
                                        " is a symbolic link, not a "
                                        "regular file; refused");
    }
    return Status::FromErrno("cannot read " + path, err);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::FailedPrecondition(path + " is not a regular file; refused");
  }
  std::string data(std::min(max_bytes, static_cast<std::size_t>(
                                           std::max<off_t>(0, st.st_size))),
                   '\0');
  auto n = ReadFull(fd, data.data(), data.size());
  ::close(fd);
  if (!n.ok()) return n.status().WithContext("cannot read " + path);
  data.resize(*n);
  return data;
}

Status SendAll(int fd, const void* data, std::size_t len,
               std::string_view what) {
  return Done(WriteLoop(data, len,
                        [fd](const char* p, std::size_t n, std::size_t) {
                          return ::send(fd, p, n, MSG_NOSIGNAL);
                        }),
              what);
}

Result<std::size_t> ReadFull(int fd, void* data, std::size_t len) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < len) {
    const ssize_t n = ::read(fd, p + got, len - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno("read", errno);
    if (n == 0) break;  // EOF
    got += static_cast<std::size_t>(n);
  }
  return got;
}

Result<int> OpenTruncated(const std::string& path, bool direct,
                          bool* is_direct) {
  // Never through a symlink: a folder others can write to must not turn
  // this write into one of a file elsewhere.
  const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
  int fd = direct ? ::open(path.c_str(), flags | O_DIRECT, 0644) : -1;
  if (is_direct != nullptr) *is_direct = fd >= 0;
  if (fd < 0) fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Status::FromErrno("cannot write " + path, errno);
  return fd;
}

std::size_t WriteDirectBlocks(int fd, const char* data, std::size_t len,
                              off_t at, std::size_t block) {
  std::size_t done = 0;
  while (done < len) {
    const ssize_t n =
        ::pwrite(fd, data + done, len - done, at + static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
    // A short write leaves the offset off the block grid: stop here.
    if (static_cast<std::size_t>(n) % block != 0) break;
  }
  (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_DIRECT);
  return done;
}

}  // namespace krg::platform
