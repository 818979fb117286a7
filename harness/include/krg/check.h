// KRG_CHECK: aborts with file:line when an invariant of the program is broken.
//
// For programming errors only, never for user input (that is a krg::Status).
// Thread-safe; usable in forked worker processes.
//
//   KRG_CHECK(fd >= 0) << "worker " << pid << " has no pipe";
#ifndef KRG_CHECK_H_
#define KRG_CHECK_H_

#include <sstream>

namespace krg::internal {

// Collects the message of a failed check and aborts in its destructor.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Makes `cond ? (void)0 : Voidify() & stream` type-check.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace krg::internal

#define KRG_CHECK(cond)              \
  (cond)                             \
      ? (void)0                      \
      : ::krg::internal::Voidify() & \
            ::krg::internal::CheckFailure(__FILE__, __LINE__, #cond).stream()

#endif  // KRG_CHECK_H_
