// Whole-buffer I/O on file descriptors: the one loop that writes all of a
// buffer (short writes, EINTR), the one that reads exactly a length, and the
// direct-I/O writes of checkpoint slabs. The worker channel (krg/channel.h),
// the farm journal, slab files and result files all write through here, so
// a short write or an interrupted call is handled the same everywhere.
//
// Thread-safety: free functions on descriptors the caller owns; safe from
// any thread as long as no two threads use the same descriptor at once.
#ifndef KRG_FILE_IO_H_
#define KRG_FILE_IO_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "krg/status.h"

namespace krg::platform {

// Writes all `len` bytes at the descriptor's offset (write(2)). On failure:
// an IoError "<what>: <strerror>".
Status WriteAll(int fd, const void* data, std::size_t len,
                std::string_view what);
// The same at file offset `at` (pwrite(2)); the descriptor's offset stays.
Status WriteAllAt(int fd, const void* data, std::size_t len, off_t at,
                  std::string_view what);
// The same on a socket (send(2) with MSG_NOSIGNAL): a peer that is gone is
// an EPIPE error, not a SIGPIPE that kills a worker with default signals.
Status SendAll(int fd, const void* data, std::size_t len,
               std::string_view what);

// Reads until `len` bytes arrived or the peer closed (EOF): returns how many
// arrived, fewer than `len` only at EOF. EINTR is retried.
Result<std::size_t> ReadFull(int fd, void* data, std::size_t len);

// The first `max_bytes` bytes of the regular file `path` (all of it when it
// is shorter). Anything else is refused without reading: a symlink (even to
// a regular file: O_NOFOLLOW), a device such as /dev/zero, a FIFO, a folder.
// Errors name the path: NotFound when missing, FailedPrecondition when not a
// regular file, IoError when it cannot be read.
Result<std::string> ReadRegularFile(const std::string& path,
                                    std::size_t max_bytes);

// Opens `path` write-only, created (0644), truncated, close-on-exec, never
// through a symlink (O_NOFOLLOW: a symlink there is an error). With
// `direct`, tries O_DIRECT first: *is_direct says whether it was granted.
// On failure: an IoError "cannot write <path>: <strerror>".
Result<int> OpenTruncated(const std::string& path, bool direct,
                          bool* is_direct);
// Writes whole `block`-byte blocks of `data` (block-aligned in memory) at
// offset `at` while direct I/O takes them, then turns O_DIRECT off on `fd`.
// Returns the bytes written; any failure (a file system or a kind of memory
// that refuses direct I/O) just stops early, leaving the rest to WriteAllAt,
// which reports a real I/O error itself.
// REQUIRES: `fd` was opened with O_DIRECT
std::size_t WriteDirectBlocks(int fd, const char* data, std::size_t len,
                              off_t at, std::size_t block);

}  // namespace krg::platform

#endif  // KRG_FILE_IO_H_
