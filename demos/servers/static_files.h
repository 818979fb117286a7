// Safe resolution of /static/... URLs to files under one directory: `..`
// segments, absolute paths, NUL bytes, and symbolic links that lead out of
// the directory are refused; only regular files are served.
// Thread-safety: a StaticRoot is immutable after Open(); Resolve() is safe
// from any thread.
#ifndef KRG_DEMOS_SERVERS_STATIC_FILES_H_
#define KRG_DEMOS_SERVERS_STATIC_FILES_H_

#include <cstdint>
#include <string>

#include "krg/status.h"

namespace krg::demos::servers {

struct StaticFile {
  std::string path;  // canonical, inside the root
  std::int64_t size = 0;
  std::string content_type;
};

class StaticRoot {
 public:
  // kNotFound when `dir` is not a directory.
  static Result<StaticRoot> Open(const std::string& dir);
  // `rest` is the decoded URL path after "/static/". kInvalidArgument for a
  // traversal attempt (-> 400), kPermissionDenied-like kFailedPrecondition
  // for a link out of the root (-> 403), kNotFound otherwise (-> 404).
  Result<StaticFile> Resolve(const std::string& rest) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;  // canonical, no trailing slash
};

// A Content-Type for a file name, by extension.
std::string ContentTypeFor(const std::string& name);

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_STATIC_FILES_H_
