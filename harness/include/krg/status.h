// krg::Status and krg::Result<T>: how every expected failure in krgdemo
// travels.
//
// Bad input, I/O, fork/exec and cluster calls that fail return a Status (or a
// Result<T> holding either a value or a non-ok Status) and propagate by early
// return; exceptions never cross a work unit, a thread or a process boundary.
// Values of these types are plain data: safe to copy and to use from any
// thread.
//
//   krg::Result<int> ParseNodes(std::string_view s);
//   KRG_ASSIGN_OR_RETURN(int nodes, ParseNodes(arg));
#ifndef KRG_STATUS_H_
#define KRG_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "krg/check.h"

namespace krg {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,     // the user asked for something impossible (exit 2)
    kNotFound,            // a named thing does not exist (exit 2 on the CLI)
    kFailedPrecondition,  // the system is not in a state to do it
    kIoError,             // a file, pipe or socket operation failed
    kUnavailable,         // a needed tool or capability is missing
    kCancelled,           // interrupted by the user (exit 130)
    kInternal,            // a run failed: a worker crashed, verification failed
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) {
    return Status(Code::kNotFound, std::move(msg));
  }
  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }
  static Status IoError(std::string msg) {
    return Status(Code::kIoError, std::move(msg));
  }
  // An I/O error built from errno: "<what>: <strerror(errno)>".
  static Status FromErrno(std::string_view what, int err);
  static Status Unavailable(std::string msg) {
    return Status(Code::kUnavailable, std::move(msg));
  }
  static Status Cancelled(std::string msg) {
    return Status(Code::kCancelled, std::move(msg));
  }
  static Status Internal(std::string msg) {
    return Status(Code::kInternal, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;
  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    KRG_CHECK(!std::get<Status>(v_).ok()) << "Result built from an OK Status";
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // REQUIRES: ok()
  T& value() & {
    KRG_CHECK(ok()) << status().ToString();
    return std::get<T>(v_);
  }
  const T& value() const& {
    KRG_CHECK(ok()) << status().ToString();
    return std::get<T>(v_);
  }
  T&& value() && {
    KRG_CHECK(ok()) << status().ToString();
    return std::get<T>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace krg

#define KRG_STATUS_CONCAT_INNER_(a, b) a##b
#define KRG_STATUS_CONCAT_(a, b) KRG_STATUS_CONCAT_INNER_(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define KRG_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::krg::Status krg_status_ = (expr);        \
    if (!krg_status_.ok()) return krg_status_; \
  } while (false)

// `lhs` = the value of `rexpr` (a Result<T>), or returns its Status.
#define KRG_ASSIGN_OR_RETURN(lhs, rexpr)                                     \
  KRG_ASSIGN_OR_RETURN_IMPL_(KRG_STATUS_CONCAT_(krg_result_, __LINE__), lhs, \
                             rexpr)
#define KRG_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                               \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#endif  // KRG_STATUS_H_
