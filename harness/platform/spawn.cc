// Background commands (StartCommand) and thread counts (ThreadCount): what
// `krgdemo show` needs to start a multi-threaded process and watch it; the
// processes of a name and this executable's path (the dashboard).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fork_worker.h"
#include "krg/platform.h"

extern char** environ;

namespace krg::platform {

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
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::FromErrno("spawn " + argv[0], rc);
  return pid;
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
  while (dirent* e = ::readdir(dir)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0' || pid == self) continue;
    std::string name =
        ReadSmallFile("/proc/" + std::string(e->d_name) + "/comm");
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
