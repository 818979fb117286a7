// POSIX process helpers: signals, reaping, running a command without a shell.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "fork_worker.h"
#include "krg/platform.h"

extern char** environ;

namespace krg::platform {

std::string ExitInfo::ToString() const {
  if (exited) return "exit code " + std::to_string(code);
  return "killed by signal " + std::to_string(signal) + " (" +
         ::strsignal(signal) + ")";
}

Status SendSignal(pid_t pid, int sig) {
  KRG_CHECK(pid > 0) << "refusing to signal pid " << pid;
  if (::kill(pid, sig) != 0 && errno != ESRCH) {
    return Status::FromErrno("kill " + std::to_string(pid), errno);
  }
  return Status::Ok();
}

Result<std::optional<ExitInfo>> Reap(pid_t pid, bool block) {
  int wstatus = 0;
  pid_t r;
  do {
    r = ::waitpid(pid, &wstatus, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Status::FromErrno("waitpid " + std::to_string(pid), errno);
  if (r == 0) return std::optional<ExitInfo>();
  ExitInfo info;
  if (WIFEXITED(wstatus)) {
    info.exited = true;
    info.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    info.signal = WTERMSIG(wstatus);
  }
  return std::optional<ExitInfo>(info);
}

bool ProgramExists(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    return ::access(program.c_str(), X_OK) == 0;
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string full = (dir.empty() ? "." : dir) + "/" + program;
    struct stat st;
    if (::stat(full.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(full.c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

namespace {

// Feeds `in` to fd in[1] and collects out/err until both close.
void Pump(int in_fd, const std::string& input, int out_fd, int err_fd,
          std::string* out, std::string* err) {
  std::size_t written = 0;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
    pollfd fds[3] = {
        {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? out_fd : err_fd;
      if (fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fd);
        fd = -1;
      } else {
        (i == 0 ? out : err)->append(buf, static_cast<std::size_t>(n));
      }
    }
    if (in_fd >= 0 && fds[2].revents != 0) {
      ssize_t n =
          ::write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 && errno != EINTR) written = input.size();
      if (written == input.size()) {
        ::close(in_fd);
        in_fd = -1;
      }
    }
  }
}

}  // namespace

namespace {

Result<CommandOutput> Run(const std::vector<std::string>& argv,
                          const std::string& stdin_data, bool capture_out,
                          const std::filesystem::path& dir = {}) {
  KRG_CHECK(!argv.empty()) << "RunCommand needs a program";
  if (!ProgramExists(argv[0])) {
    return Status::Unavailable(argv[0] + " not found on PATH");
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return Status::FromErrno("pipe", errno);
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  if (capture_out) posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child must not inherit the launcher's SIGPIPE/SIGINT dispositions.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc =
      ::posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!capture_out) {
    ::close(out[0]);
    out[0] = -1;
  }
  if (rc != 0) {
    ::close(in[1]);
    if (out[0] >= 0) ::close(out[0]);
    ::close(err[0]);
    return Status::FromErrno("spawn " + argv[0], rc);
  }
  CommandOutput result;
  Pump(in[1], stdin_data, out[0], err[0], &result.out, &result.err);
  KRG_ASSIGN_OR_RETURN(auto exit, Reap(pid, true));
  result.exit = *exit;
  return result;
}

}  // namespace

Result<CommandOutput> RunCommand(const std::vector<std::string>& argv,
                                 const std::string& stdin_data) {
  return Run(argv, stdin_data, /*capture_out=*/true);
}

Result<CommandOutput> RunCommandIn(const std::filesystem::path& dir,
                                   const std::vector<std::string>& argv,
                                   const std::string& stdin_data) {
  return Run(argv, stdin_data, /*capture_out=*/true, dir);
}

Result<CommandOutput> RunCommandPassingStdout(
    const std::vector<std::string>& argv) {
  std::fflush(stdout);
  return Run(argv, "", /*capture_out=*/false);
}

Result<pid_t> ForkChild(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return Status::FromErrno("fork", errno);
  if (pid == 0) {
    const int code = body();
    std::fflush(nullptr);
    ::_exit(code);
  }
  return pid;
}

}  // namespace krg::platform

namespace krg::platform {
namespace {

std::atomic<bool> g_interrupted{false};
volatile std::sig_atomic_t g_signal = 0;

void OnInterrupt(int sig) {
  g_signal = sig;
  g_interrupted.store(true);
}

}  // namespace

const std::atomic<bool>* InstallInterruptFlag() {
  struct sigaction sa {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() and waits return EINTR
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  return &g_interrupted;
}

int InterruptSignal() { return g_signal; }

}  // namespace krg::platform

namespace krg::platform {

std::string ReadSmallFile(const std::string& path) {
  // read(2), not iostreams: a /proc file of a process that exits while it is
  // read fails with ESRCH, which libstdc++'s filebuf turns into an exception
  // that some stream idioms let escape (std::terminate).
  std::string text;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return text;
}

Result<double> LoadAverage() {
  const std::string text = ReadSmallFile(SysPath("/proc/loadavg"));
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v) || v < 0) {
    return Status::Unavailable("cannot read /proc/loadavg");
  }
  return v;
}

std::string SysPath(const std::string& path) {
  const char* root = std::getenv("KRGDEMO_SYSROOT");
  if (root == nullptr || *root == '\0' || std::string(root) == "/") {
    return path;
  }
  std::string r = root;
  while (!r.empty() && r.back() == '/') r.pop_back();
  return r + path;
}

namespace {

cpu_set_t CpuSetOf(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  return set;
}

// Closes every descriptor from `lowest` up, in a child just forked from a
// multi-threaded parent: system calls only, no allocation. close_range()
// came with Linux 5.9; Kerrighed 3.0's kernel (2.6.30) answers ENOSYS, and
// then /proc/self/fd is read with getdents64 (2.6.4), as CPython does.
void CloseFrom(int lowest) {
  if (::close_range(static_cast<unsigned>(lowest), ~0U, 0) == 0) return;
  const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    // No /proc: up to the limit, read with the old call (glibc's
    // getrlimit() uses prlimit64, which 2.6.30 lacks).
    struct rlimit limit {};
    long top = ::syscall(SYS_getrlimit, RLIMIT_NOFILE, &limit) == 0
                   ? static_cast<long>(limit.rlim_cur)
                   : 1024;
    if (top > 65536) top = 65536;
    for (long fd = lowest; fd < top; ++fd) ::close(static_cast<int>(fd));
    return;
  }
  alignas(8) char buf[4096];
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n <= 0) break;
    for (long at = 0; at < n;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buf + at);
      at += entry->d_reclen;
      int fd = 0;
      const char* c = entry->d_name;
      if (*c < '0' || *c > '9') continue;
      for (; *c >= '0' && *c <= '9'; ++c) fd = fd * 10 + (*c - '0');
      if (fd >= lowest && fd != dir) ::close(fd);
    }
  }
  ::close(dir);
}

// A worker dies with its master: a SIGKILLed master cannot reap, and its
// ranks would otherwise compute on (holding the shared segment) until their
// next write to the channel. The parent-death signal follows the thread that
// forked, which is the master's for as long as its workers run. The getppid()
// check covers a master that died before prctl.
bool DieWithParent(pid_t parent) {
  return ::prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && ::getppid() == parent;
}

// Moves the child's channel to fd 3 (and, for pipes, its write end to fd
// 4), then closes everything above. F_DUPFD first: an end already at 3 or 4
// must not be overwritten by the other.
bool PlaceChannel(int in_fd, int out_fd) {
  const int in = ::fcntl(in_fd, F_DUPFD, 5);
  const int out = out_fd == in_fd ? in : ::fcntl(out_fd, F_DUPFD, 5);
  if (in < 0 || out < 0 || ::dup2(in, 3) < 0) return false;
  if (out != in && ::dup2(out, 4) < 0) return false;
  CloseFrom(out != in ? 5 : 4);
  return true;
}

int RunChild(const std::vector<int>& cpus, int in_fd, int out_fd, pid_t parent,
             const WorkerBody& body) {
  if (!DieWithParent(parent)) return 122;
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP}) ::signal(sig, SIG_DFL);
  if (!PlaceChannel(in_fd, out_fd)) return 120;
  if (!cpus.empty()) {
    const cpu_set_t set = CpuSetOf(cpus);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) return 121;
  }
  Channel channel = out_fd == in_fd ? Channel(3) : Channel(3, 4);
  return body(channel);
}

// The two ends of a channel of `kind`: ends[0] and ends[1] are the master's
// (read, write), ends[2] and ends[3] the worker's. A socketpair end is both.
Status MakeChannel(ChannelKind kind, int ends[4]) {
  if (kind == ChannelKind::kSocket) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return Status::FromErrno("socketpair", errno);
    }
    ends[0] = ends[1] = sv[0];
    ends[2] = ends[3] = sv[1];
    return Status::Ok();
  }
  int to_worker[2], to_master[2];
  if (::pipe2(to_worker, O_CLOEXEC) != 0)
    return Status::FromErrno("pipe", errno);
  if (::pipe2(to_master, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(to_worker[0]);
    ::close(to_worker[1]);
    return Status::FromErrno("pipe", err);
  }
  // A result larger than a pipe's 64 KiB would cost the worker a wake-up of
  // the master per 64 KiB: 1 MiB, as much as a master reads at once, when
  // the kernel allows it (F_SETPIPE_SZ came with 2.6.35; 2.6.30 says EINVAL
  // and the pipe keeps its size).
  (void)::fcntl(to_master[1], F_SETPIPE_SZ, 1 << 20);
  ends[0] = to_master[0];
  ends[1] = to_worker[1];
  ends[2] = to_worker[0];
  ends[3] = to_master[1];
  return Status::Ok();
}

void CloseEnds(int a, int b) {
  ::close(a);
  if (b != a) ::close(b);
}

}  // namespace

Result<Child> ForkWorker(const std::vector<int>& cpus, ChannelKind kind,
                         const WorkerBody& body) {
  int ends[4] = {-1, -1, -1, -1};
  KRG_RETURN_IF_ERROR(MakeChannel(kind, ends));
  std::fflush(nullptr);  // nothing buffered is written twice
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    CloseEnds(ends[0], ends[1]);
    CloseEnds(ends[2], ends[3]);
    return Status::FromErrno("fork", err);
  }
  if (pid == 0) ::_exit(RunChild(cpus, ends[2], ends[3], parent, body));
  // The parent pins the child too, before anyone learns its pid: a watcher
  // (the dashboard) never sees a worker on the master's CPUs first, which
  // would look like a migration once the child's own pinning lands.
  if (!cpus.empty()) {
    const cpu_set_t set = CpuSetOf(cpus);
    (void)::sched_setaffinity(pid, sizeof set, &set);
  }
  CloseEnds(ends[2], ends[3]);
  Child child;
  child.pid = pid;
  child.channel = kind == ChannelKind::kSocket ? Channel(ends[0])
                                               : Channel(ends[0], ends[1]);
  return child;
}

}  // namespace krg::platform
