// Folders and files in shared places (/tmp, which on an SSI cluster every
// user of every node shares) that another local user cannot pre-create,
// swap for a symlink or read: a fresh folder per use with a name nobody can
// guess (mkdtemp, mode 0700), and, for the few folders reused across runs
// under a fixed name, a check that this user owns them and nobody else can
// get in. Files in them are created exclusively and never through a symlink.
// Thread-safety: free functions and a value type; safe from any thread.
//
// Example:
//   KRG_ASSIGN_OR_RETURN(PrivateDir dir, PrivateDir::Create("krgdemo-show"));
//   ... write under dir.path() ...; removed with its contents on scope exit.
#ifndef KRG_PRIVATE_DIR_H_
#define KRG_PRIVATE_DIR_H_

#include <filesystem>
#include <string>

#include "krg/status.h"

namespace krg::platform {

// A new folder PREFIX-XXXXXX under $TMPDIR (or /tmp), mode 0700, removed
// with everything in it when the value goes out of scope unless kept.
class PrivateDir {
 public:
  static Result<PrivateDir> Create(const std::string& prefix);
  PrivateDir(PrivateDir&& o) noexcept;
  PrivateDir& operator=(PrivateDir&& o) = delete;
  PrivateDir(const PrivateDir&) = delete;
  PrivateDir& operator=(const PrivateDir&) = delete;
  ~PrivateDir();

  const std::filesystem::path& path() const { return path_; }
  void Keep() { keep_ = true; }  // e.g. a message points at a log in it

 private:
  explicit PrivateDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  bool keep_ = false;
};

// Makes sure `dir` is a folder of this user's that nobody else can enter:
// creates it (0700) when missing; refuses (kFailedPrecondition, naming the
// folder and why) a symlink, a non-folder, another owner, or group/other
// permissions.
Status EnsureOwnedDir(const std::filesystem::path& dir);

// Creates `path` (0600) and writes `data`: fails if anything is already
// there, a symlink included (O_EXCL | O_NOFOLLOW).
Status WriteNewFile(const std::filesystem::path& path, const std::string& data);

}  // namespace krg::platform

#endif  // KRG_PRIVATE_DIR_H_
