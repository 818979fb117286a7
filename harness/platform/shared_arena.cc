// System V shared memory and semaphores (see krg/shared_arena.h).
#include "krg/shared_arena.h"

#include <dirent.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>

#include "krg/private_dir.h"

namespace krg::platform {
namespace {

// semctl's fourth argument, which the caller must define (POSIX).
union SemUn {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
};

// $TMPDIR or /tmp (shared by every node of an SSI cluster, which the notes
// need: a set is cluster-wide).
std::string NoteDir() {
  std::error_code ec;
  const std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  return ((ec ? std::filesystem::path("/tmp") : base) /
          ("krgdemo-ipc-" + std::to_string(::getuid())))
      .string();
}

std::string NotePath(int semid) {
  return NoteDir() + "/sem-" + std::to_string(semid);
}

// Best effort: a note only matters after a SIGKILL. /tmp is shared (by every
// node on an SSI cluster), so the folder must be this user's alone.
void WriteNote(int semid) {
  if (!EnsureOwnedDir(NoteDir()).ok()) return;
  ::unlink(NotePath(semid).c_str());  // a note of an earlier set of this id
  (void)WriteNewFile(NotePath(semid), std::to_string(::getpid()) + "\n");
}

}  // namespace

Result<SharedArena> SharedArena::Create(std::size_t bytes) {
  const long page = ::sysconf(_SC_PAGESIZE);
  bytes = (bytes + page - 1) / page * page;
  if (bytes == 0) bytes = page;
  const int id = ::shmget(IPC_PRIVATE, bytes, IPC_CREAT | 0600);
  if (id < 0) {
    const int err = errno;
    return Status::FromErrno(
        "shmget of " + std::to_string(bytes >> 20) +
            " MiB (see /proc/sys/kernel/shmmax and shmall)",
        err);
  }
  void* p = ::shmat(id, nullptr, 0);
  const int err = errno;
  // From now on the kernel removes it when the last attachment goes.
  ::shmctl(id, IPC_RMID, nullptr);
  if (p == reinterpret_cast<void*>(-1)) return Status::FromErrno("shmat", err);
  SharedArena a;
  a.data_ = p;
  a.size_ = bytes;
  a.id_ = id;
  return a;
}

SharedArena& SharedArena::operator=(SharedArena&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) ::shmdt(data_);
    data_ = o.data_;
    size_ = o.size_;
    id_ = o.id_;
    o.data_ = nullptr;
    o.id_ = -1;
    o.size_ = 0;
  }
  return *this;
}

SharedArena::~SharedArena() {
  if (data_ != nullptr) ::shmdt(data_);
}

Result<SemBarrier> SemBarrier::Create(int parties) {
  KRG_CHECK(parties >= 1 && parties <= 32767) << "parties=" << parties;
  const int id = ::semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
  if (id < 0) return Status::FromErrno("semget", errno);
  SemBarrier b;
  b.id_ = id;
  b.creator_ = ::getpid();
  b.parties_ = parties;
  WriteNote(id);
  unsigned short init[3] = {static_cast<unsigned short>(parties), 0, 0};
  SemUn arg;
  arg.array = init;
  if (::semctl(id, 0, SETALL, arg) != 0) {
    const int err = errno;
    b.Remove();
    return Status::FromErrno("semctl SETALL", err);
  }
  return b;
}

SemBarrier& SemBarrier::operator=(SemBarrier&& o) noexcept {
  if (this != &o) {
    Remove();
    id_ = o.id_;
    creator_ = o.creator_;
    parties_ = o.parties_;
    o.id_ = -1;
  }
  return *this;
}

SemBarrier::~SemBarrier() { Remove(); }

void SemBarrier::Remove() {
  if (id_ < 0 || ::getpid() != creator_) return;  // a worker's copy
  ::semctl(id_, 0, IPC_RMID);
  ::unlink(NotePath(id_).c_str());
  id_ = -1;
}

Status SemBarrier::Wait(unsigned long* generation) const {
  const unsigned short k = static_cast<unsigned short>(*generation % 3);
  sembuf arrive[2] = {{k, -1, 0},
                      {static_cast<unsigned short>((k + 1) % 3), 1, 0}};
  sembuf zero = {k, 0, 0};
  const timespec tick = {0, 200 * 1000 * 1000};
  for (sembuf* ops : {arrive, &zero}) {
    const std::size_t n = ops == arrive ? 2 : 1;
    for (;;) {
      if (::semtimedop(id_, ops, n, &tick) == 0) break;
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN) {
        // Still waiting: give up if the master is gone.
        if (creator_ != ::getpid() && ::getppid() != creator_) {
          return Status::Internal("the SPMD master is gone");
        }
        continue;
      }
      return Status::Internal("the SPMD barrier was removed (" +
                              std::string(std::strerror(err)) +
                              "): the run is being stopped");
    }
  }
  ++*generation;
  return Status::Ok();
}

int ReapStaleIpc() {
  if (!EnsureOwnedDir(NoteDir()).ok()) return 0;  // notes nobody can trust
  DIR* dir = ::opendir(NoteDir().c_str());
  if (dir == nullptr) return 0;
  int removed = 0;
  while (dirent* e = ::readdir(dir)) {
    int semid = -1;
    if (std::sscanf(e->d_name, "sem-%d", &semid) != 1) continue;
    const std::string path = NotePath(semid);
    int pid = -1;
    if (std::FILE* f = std::fopen(path.c_str(), "r")) {
      if (std::fscanf(f, "%d", &pid) != 1) pid = -1;
      std::fclose(f);
    }
    if (pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH)) continue;
    struct semid_ds ds;
    SemUn arg;
    arg.buf = &ds;
    if (::semctl(semid, 0, IPC_STAT, arg) == 0 && ds.sem_nsems == 3 &&
        ds.sem_perm.uid == ::getuid() && ds.sem_perm.__key == IPC_PRIVATE) {
      if (::semctl(semid, 0, IPC_RMID) == 0) ++removed;
    }
    ::unlink(path.c_str());
  }
  ::closedir(dir);
  return removed;
}

bool ShmExists(int id) {
  struct shmid_ds ds;
  return id >= 0 && ::shmctl(id, IPC_STAT, &ds) == 0;
}

bool SemExists(int id) {
  struct semid_ds ds;
  SemUn arg;
  arg.buf = &ds;
  return id >= 0 && ::semctl(id, 0, IPC_STAT, arg) == 0;
}

}  // namespace krg::platform
