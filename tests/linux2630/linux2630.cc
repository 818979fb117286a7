// linux2630: runs a command as if on Kerrighed 3.0's kernel, Linux 2.6.30.
//
//   linux2630 [--list] COMMAND [ARG...]
//
// Every x86-64 system call added after 2.6.30 (numbers 297 and up: from
// rt_tgsigqueueinfo and perf_event_open in 2.6.31 to clone3, close_range,
// rseq, getrandom, prlimit64, statx, pidfd_* ...) fails with ENOSYS, as it
// does on that kernel, and uname() reports a 2.6 release (the kernel's
// UNAME26 personality, what `setarch --uname-2.6` sets). System calls of
// another ABI (x32, i386) fail with ENOSYS too. The filter is inherited by
// every child and survives exec, so a whole krgdemo run (workers, mpirun,
// gnuplot) sees the old kernel.
//
// What it cannot model: flags added to old system calls after 2.6.30 (they
// pass), and behaviour changes inside old calls. tests/linux2630/README.md.
#include <seccomp.h>
#include <sys/personality.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace {

// x86-64: pwritev (296) is the last system call of Linux 2.6.30.
constexpr int kFirstAfter2630 = 297;
// Above the highest x86-64 number in use (Linux 6.x: about 460), with room.
constexpr int kLastToDeny = 600;

int Fail(const char* what, int rc) {
  std::fprintf(stderr, "linux2630: error: %s: %s\n", what, std::strerror(-rc));
  return 1;
}

int Usage() {
  std::fprintf(
      stderr,
      "usage: linux2630 [--list] COMMAND [ARG...]\n"
      "Runs COMMAND with every x86-64 system call added after Linux 2.6.30\n"
      "failing with ENOSYS and uname() reporting a 2.6 release.\n"
      "--list prints the denied calls libseccomp can name and exits.\n");
  return 2;
}

int List() {
  for (int nr = kFirstAfter2630; nr <= kLastToDeny; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
    if (name != nullptr) std::printf("%d %s\n", nr, name);
    std::free(name);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  if (std::string_view(argv[1]) == "--list") return List();
  if (argv[1][0] == '-') return Usage();

  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return Fail("seccomp_init", -ENOMEM);
  int rc =
      seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
  if (rc != 0) return Fail("seccomp_attr_set", rc);
  for (int nr = kFirstAfter2630; nr <= kLastToDeny; ++nr) {
    rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
    if (rc != 0) return Fail("seccomp_rule_add", rc);
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return Fail("seccomp_load", rc);
  if (personality(static_cast<unsigned long>(PER_LINUX) | UNAME26) == -1)
    return Fail("personality", -errno);
  execvp(argv[1], argv + 1);
  std::fprintf(stderr, "linux2630: error: cannot run %s: %s\n", argv[1],
               std::strerror(errno));
  return 127;
}
