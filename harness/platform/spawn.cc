// Background commands (StartCommand) and thread counts (ThreadCount): what
// `krgdemo show` needs to start a multi-threaded process and watch it; the
// processes of a name and this executable's path (the dashboard); mpirun
// with its stdout on a pipe (StartCommandPiped), and adopting and reaping
// orphaned descendants (the mpi engine's ranks).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fork_worker.h"
#include "krg/platform.h"

extern char** environ;

namespace krg::platform {

namespace {

// Starts argv[0] with the file actions `fa`, the signals a command must
// handle itself at their defaults.
Result<pid_t> Spawn(const std::vector<std::string>& argv,
                    const posix_spawn_file_actions_t& fa) {
  std::vector<char*> args;
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  // Not the launcher's dispositions: the command must die of SIGTERM/SIGINT
  // itself or handle them, and must not ignore SIGPIPE.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, argv[0].c_str(), &fa, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::FromErrno("spawn " + argv[0], rc);
  return pid;
}

}  // namespace

Result<pid_t> StartCommand(const std::vector<std::string>& argv,
                           const std::string& output) {
  KRG_CHECK(!argv.empty()) << "StartCommand needs a program";
  if (!ProgramExists(argv[0])) {
    return Status::Unavailable(argv[0] + " not found on PATH");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, output.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  Result<pid_t> pid = Spawn(argv, fa);
  posix_spawn_file_actions_destroy(&fa);
  return pid;
}

Result<PipedCommand> StartCommandPiped(const std::vector<std::string>& argv,
                                       const std::string& errors) {
  KRG_CHECK(!argv.empty()) << "StartCommandPiped needs a program";
  if (!ProgramExists(argv[0])) {
    return Status::Unavailable(argv[0] + " not found on PATH");
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno("pipe", errno);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);  // dup2 drops CLOEXEC
  posix_spawn_file_actions_addopen(&fa, 2, errors.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  Result<pid_t> pid = Spawn(argv, fa);
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (!pid.ok()) {
    ::close(fds[0]);
    return pid.status();
  }
  return PipedCommand{*pid, fds[0]};
}

Result<int> ThreadCount(pid_t pid) {
  // The real /proc, also under a Kerrighed double: threads are the kernel's.
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(tasks.c_str());
  if (dir == nullptr) {
    return Status::NotFound("no process " + std::to_string(pid));
  }
  int n = 0;
  while (dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

std::vector<pid_t> ProcessesNamed(const std::string& comm) {
  std::vector<pid_t> pids;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return pids;
  const pid_t self = ::getpid();
  const uid_t uid = ::geteuid();
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    struct stat st {};
    const std::string proc = "/proc/" + std::string(e->d_name);
    if (::stat(proc.c_str(), &st) != 0 || st.st_uid != uid) continue;
    std::string name = ReadSmallFile(proc + "/comm");
    while (!name.empty() && name.back() == '\n') name.pop_back();
    if (name == comm) pids.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

Result<std::string> SelfExecutable() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return Status::FromErrno("readlink /proc/self/exe", errno);
  return std::string(buf, static_cast<std::size_t>(n));
}

Result<std::int64_t> ResidentBytes(pid_t pid) {
  const std::string path =
      pid == 0 ? "/proc/self/statm" : "/proc/" + std::to_string(pid) + "/statm";
  std::ifstream in(path);
  std::int64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) {
    return Status::NotFound("no process " + std::to_string(pid));
  }
  return resident * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
}

Result<double> CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) {
    return Status::NotFound("no process " + std::to_string(pid));
  }
  // Fields after the command (which may hold spaces), from field 3 on.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

Result<double> RunqueueWaitSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  double run_ns = 0, wait_ns = 0;
  if (!(in >> run_ns >> wait_ns)) {
    return Status::NotFound("no schedstat for process " + std::to_string(pid));
  }
  return wait_ns / 1e9;
}

}  // namespace krg::platform

namespace krg::platform {

Status AdoptOrphans(bool on) {
  if (::prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0) != 0) {
    return Status::FromErrno("prctl(PR_SET_CHILD_SUBREAPER)", errno);
  }
  return Status::Ok();
}

std::vector<pid_t> ChildPids() {
  std::vector<pid_t> kids;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return kids;
  const pid_t self = ::getpid();
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string stat =
        ReadSmallFile(std::string("/proc/") + e->d_name + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 &&
        ppid == self) {
      kids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
  }
  ::closedir(dir);
  return kids;
}

int ReapChildrenExcept(const std::vector<pid_t>& keep, int timeout_ms) {
  auto others = [&keep] {
    std::vector<pid_t> kids;
    for (pid_t pid : ChildPids()) {
      if (std::find(keep.begin(), keep.end(), pid) == keep.end()) {
        kids.push_back(pid);
      }
    }
    return kids;
  };
  int reaped = 0;
  auto reap = [&reaped](pid_t pid) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) ++reaped;
  };
  const auto now = [] { return std::chrono::steady_clock::now(); };
  const auto deadline = now() + std::chrono::milliseconds(timeout_ms);
  // Then killing: a killed child may orphan its own children to us, and a
  // process in the kernel may take a moment to die (bounded either way).
  const auto hard = deadline + std::chrono::seconds(5);
  for (std::vector<pid_t> kids = others(); !kids.empty(); kids = others()) {
    if (now() >= hard) break;
    for (pid_t pid : kids) {
      if (now() >= deadline) ::kill(pid, SIGKILL);
      reap(pid);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return reaped;
}

}  // namespace krg::platform
