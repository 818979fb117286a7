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
#include <chrono>
#include <cstdint>
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

// A note per object: sem-ID (every set) or shm-ID (kept segments).
std::string NotePath(IpcKind kind, int id) {
  return NoteDir() + "/" + IpcKindName(kind) + "-" + std::to_string(id);
}

// Best effort: a note only matters after a SIGKILL. /tmp is shared (by every
// node on an SSI cluster), so the folder must be this user's alone.
void WriteNote(IpcKind kind, int id) {
  if (!EnsureOwnedDir(NoteDir()).ok()) return;
  ::unlink(NotePath(kind, id).c_str());  // a note of an earlier object
  (void)WriteNewFile(NotePath(kind, id), std::to_string(::getpid()) + "\n");
}

// IPC_CREAT, and IPC_EXCL under a chosen key: two runs never share one.
int CreateFlags(int key) {
  return IPC_CREAT | 0600 | (key != 0 ? IPC_EXCL : 0);
}

// Removes object `id` if it is this user's: IPC_RMID.
bool RemoveOwned(IpcKind kind, int id) {
  if (kind == IpcKind::kShm) {
    struct shmid_ds ds;
    return ::shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.uid == ::getuid() &&
           ::shmctl(id, IPC_RMID, nullptr) == 0;
  }
  struct semid_ds ds;
  SemUn arg;
  arg.buf = &ds;
  return ::semctl(id, 0, IPC_STAT, arg) == 0 && ds.sem_perm.uid == ::getuid() &&
         ::semctl(id, 0, IPC_RMID) == 0;
}

}  // namespace

const char* IpcKindName(IpcKind kind) {
  return kind == IpcKind::kShm ? "shm" : "sem";
}

std::string IpcFileName(const IpcObject& object) {
  return std::string(IpcKindName(object.kind)) + "-" +
         std::to_string(object.key) + ".bin";
}

Result<SharedArena> SharedArena::Create(std::size_t bytes, int key) {
  const long page = ::sysconf(_SC_PAGESIZE);
  bytes = (bytes + page - 1) / page * page;
  if (bytes == 0) bytes = page;
  const int id = ::shmget(key, bytes, CreateFlags(key));
  if (id < 0) {
    const int err = errno;
    if (err == EEXIST) {
      return Status::FailedPrecondition("the System V key " +
                                        std::to_string(key) +
                                        " of this run is in use by another "
                                        "segment; run it again");
    }
    return Status::FromErrno(
        "shmget of " + std::to_string(bytes >> 20) +
            " MiB (see /proc/sys/kernel/shmmax and shmall)",
        err);
  }
  if (key != 0) WriteNote(IpcKind::kShm, id);
  void* p = ::shmat(id, nullptr, 0);
  const int err = errno;
  // A private segment: from now on the kernel removes it when the last
  // attachment goes. A keyed one stays for ipccheckpoint (shared_arena.h).
  if (key == 0 || p == reinterpret_cast<void*>(-1)) {
    ::shmctl(id, IPC_RMID, nullptr);
    if (key != 0) ::unlink(NotePath(IpcKind::kShm, id).c_str());
  }
  if (p == reinterpret_cast<void*>(-1)) return Status::FromErrno("shmat", err);
  SharedArena a;
  a.data_ = p;
  a.size_ = bytes;
  a.id_ = id;
  if (key != 0) a.creator_ = ::getpid();
  return a;
}

SharedArena& SharedArena::operator=(SharedArena&& o) noexcept {
  if (this != &o) {
    Remove();
    if (data_ != nullptr) ::shmdt(data_);
    data_ = o.data_;
    size_ = o.size_;
    id_ = o.id_;
    creator_ = o.creator_;
    o.data_ = nullptr;
    o.id_ = -1;
    o.size_ = 0;
    o.creator_ = -1;
  }
  return *this;
}

SharedArena::~SharedArena() {
  Remove();
  if (data_ != nullptr) ::shmdt(data_);
}

void SharedArena::Remove() {
  if (id_ < 0 || creator_ < 0 || ::getpid() != creator_) return;
  ::shmctl(id_, IPC_RMID, nullptr);
  ::unlink(NotePath(IpcKind::kShm, id_).c_str());
  creator_ = -1;
}

Result<SemBarrier> SemBarrier::Create(int parties, int key) {
  KRG_CHECK(parties >= 1 && parties <= 32767) << "parties=" << parties;
  const int id = ::semget(key, 3, CreateFlags(key));
  if (id < 0) return Status::FromErrno("semget", errno);
  SemBarrier b;
  b.id_ = id;
  b.creator_ = ::getpid();
  b.parties_ = parties;
  WriteNote(IpcKind::kSem, id);
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
  ::unlink(NotePath(IpcKind::kSem, id_).c_str());
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

// Whether the object a note names is a stale krgdemo one: this user's,
// the shape krgdemo makes, and (a segment) attached nowhere.
bool IsStale(IpcKind kind, int id) {
  if (kind == IpcKind::kShm) {
    struct shmid_ds ds;
    return ::shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.uid == ::getuid() &&
           ds.shm_nattch == 0;
  }
  struct semid_ds ds;
  SemUn arg;
  arg.buf = &ds;
  return ::semctl(id, 0, IPC_STAT, arg) == 0 && ds.sem_nsems == 3 &&
         ds.sem_perm.uid == ::getuid();
}

int ReapStaleIpc() {
  if (!EnsureOwnedDir(NoteDir()).ok()) return 0;  // notes nobody can trust
  DIR* dir = ::opendir(NoteDir().c_str());
  if (dir == nullptr) return 0;
  int removed = 0;
  while (dirent* e = ::readdir(dir)) {
    int id = -1;
    IpcKind kind = IpcKind::kSem;
    if (std::sscanf(e->d_name, "shm-%d", &id) == 1) {
      kind = IpcKind::kShm;
    } else if (std::sscanf(e->d_name, "sem-%d", &id) != 1) {
      continue;
    }
    const std::string path = NotePath(kind, id);
    int pid = -1;
    if (std::FILE* f = std::fopen(path.c_str(), "r")) {
      if (std::fscanf(f, "%d", &pid) != 1) pid = -1;
      std::fclose(f);
    }
    if (pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH)) continue;
    if (IsStale(kind, id) && RemoveOwned(kind, id)) ++removed;
    ::unlink(path.c_str());
  }
  ::closedir(dir);
  return removed;
}

int FindIpc(IpcKind kind, int key) {
  if (key == IPC_PRIVATE) return -1;
  return kind == IpcKind::kShm ? ::shmget(key, 0, 0) : ::semget(key, 0, 0);
}

bool RemoveIpc(IpcKind kind, int key) {
  const int id = FindIpc(kind, key);
  if (id < 0) return false;
  ::unlink(NotePath(kind, id).c_str());
  return RemoveOwned(kind, id);
}

void DropIpcNote(IpcKind kind, int id) { ::unlink(NotePath(kind, id).c_str()); }

int FreeIpcKeyPair() {
  // No getrandom(): Kerrighed's 2.6.30 lacks it. Any well-mixed number
  // does; a key found taken is skipped.
  std::uint64_t x =
      static_cast<std::uint64_t>(::getpid()) << 32 ^
      static_cast<std::uint64_t>(std::time(nullptr)) ^
      static_cast<std::uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch().count());
  for (;;) {
    x ^= x >> 33;  // splitmix64's finaliser
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x += 0x9e3779b97f4a7c15ULL;
    const int key = static_cast<int>((x >> 20) % 0x7ffffff0u) + 1;
    if (FindIpc(IpcKind::kShm, key) < 0 &&
        FindIpc(IpcKind::kSem, key + 1) < 0) {
      return key;
    }
  }
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
