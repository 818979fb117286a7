#include "servers/static_files.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <map>

namespace krg::demos::servers {
namespace {

std::string Canonical(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

}  // namespace

Result<StaticRoot> StaticRoot::Open(const std::string& dir) {
  StaticRoot root;
  root.dir_ = Canonical(dir);
  struct stat st;
  if (root.dir_.empty() || ::stat(root.dir_.c_str(), &st) != 0 ||
      !S_ISDIR(st.st_mode)) {
    return Status::NotFound("static directory " + dir + " does not exist");
  }
  return root;
}

Result<StaticFile> StaticRoot::Resolve(const std::string& rest) const {
  if (rest.empty() || rest[0] == '/' || rest.find('\0') != std::string::npos ||
      rest.find('\\') != std::string::npos) {
    return Status::InvalidArgument("bad static path");
  }
  std::size_t start = 0;
  while (start <= rest.size()) {
    std::size_t end = rest.find('/', start);
    if (end == std::string::npos) end = rest.size();
    const std::string seg = rest.substr(start, end - start);
    if (seg == ".." || seg == ".") {
      return Status::InvalidArgument("path traversal refused");
    }
    start = end + 1;
  }
  const std::string joined = dir_ + "/" + rest;
  const std::string real = Canonical(joined);
  if (real.empty()) return Status::NotFound("no such file");
  if (real.compare(0, dir_.size() + 1, dir_ + "/") != 0) {
    return Status::FailedPrecondition("a link out of the static directory");
  }
  struct stat st;
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::NotFound("not a regular file");
  }
  return StaticFile{real, static_cast<std::int64_t>(st.st_size),
                    ContentTypeFor(real)};
}

std::string ContentTypeFor(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".css", "text/css"},
      {".js", "text/javascript"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".svg", "image/svg+xml"}};
  const std::size_t dot = name.rfind('.');
  const std::size_t slash = name.rfind('/');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    auto it = kTypes.find(name.substr(dot));
    if (it != kTypes.end()) return it->second;
  }
  return "application/octet-stream";
}

}  // namespace krg::demos::servers
