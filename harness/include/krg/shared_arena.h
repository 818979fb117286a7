// System V shared memory and a System V semaphore barrier: what the procs
// engine's SPMD ranks share (ARCHITECTURE.md "Workloads: three shapes").
// On Kerrighed both are cluster-wide, so the same program spans nodes; POSIX
// shm and shared anonymous mmap would block migration there (INTERFACE.md
// section 6.5), so they are not used.
//
// Nothing may leak, whatever happens to the run:
// - A private SharedArena (key 0) marks its segment for removal (IPC_RMID)
//   right after attaching it. The kernel frees it when the last process that
//   has it mapped (the master and the workers it forks) detaches or dies,
//   even if every one of them is SIGKILLed.
// - A semaphore set has no such mode. SemBarrier removes its set in its
//   destructor and on Remove(); in case its creator is SIGKILLed it also
//   leaves a note ($TMPDIR/krgdemo-ipc-UID/sem-ID, a folder checked to be
//   this user's alone, holding the creator's pid),
//   and ReapStaleIpc(), called before every procs SPMD run, removes the sets
//   whose creator is gone.
// - A run that Kerrighed checkpoints (run --checkpoint-every, kernel mode)
//   creates both under keys its launcher chose, and the segment is not
//   marked at once: `ipccheckpoint` must find it while the application is
//   frozen, and a segment marked for removal would vanish with a killed
//   application before `ipcrestart` could bring it back. Its creator removes
//   it (destructor, Remove()); a note (shm-ID) covers a SIGKILLed creator as
//   for semaphores; the launcher removes both by key when the application
//   ends, however it ends (RemoveIpc), and `resume` after the restart.
//
// Thread-safety: one object per run, used from the thread that made it; a
// forked worker uses its inherited copy (Wait only).
#ifndef KRG_SHARED_ARENA_H_
#define KRG_SHARED_ARENA_H_

#include <sys/types.h>

#include <cstddef>

#include "krg/platform.h"
#include "krg/status.h"

namespace krg::platform {

class SharedArena {
 public:
  // A zeroed segment of at least `bytes`, attached here. `key` 0: private,
  // freed with the last process that has it mapped. Else created under
  // `key`, which must be free, and kept until its creator removes it.
  static Result<SharedArena> Create(std::size_t bytes, int key = 0);
  SharedArena() = default;
  SharedArena(SharedArena&& o) noexcept { *this = std::move(o); }
  SharedArena& operator=(SharedArena&& o) noexcept;
  ~SharedArena();  // detaches; Remove() in the creating process

  void* data() const { return data_; }
  std::size_t size() const { return size_; }
  int id() const { return id_; }  // the shmid (for ipcs-level checks)
  // A keyed segment: removes it now (it goes with its last detach).
  // Idempotent; nothing in a worker's copy or for a private segment.
  void Remove();

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
  int id_ = -1;
  pid_t creator_ = -1;  // keyed segments only
};

// A reusable barrier for `parties` processes on three semaphores used in
// rotation: barrier k decrements semaphore k%3 and waits for it to reach
// zero; the same operation refills semaphore (k+1)%3, whose last use
// (barrier k-2) everyone has left by then.
class SemBarrier {
 public:
  // `key` 0: a private set; else the set's key, which must be free.
  // REQUIRES: 1 <= parties <= 32767
  static Result<SemBarrier> Create(int parties, int key = 0);
  SemBarrier() = default;
  SemBarrier(SemBarrier&& o) noexcept { *this = std::move(o); }
  SemBarrier& operator=(SemBarrier&& o) noexcept;
  ~SemBarrier();  // Remove(), in the creating process only

  // Arrives and waits for the others. `generation` is the caller's own count
  // of barriers passed (start at 0). kInternal when the set was removed (the
  // run is being torn down) or the creating process is gone.
  Status Wait(unsigned long* generation) const;
  // Removes the set now; waiting processes get an error. Idempotent.
  void Remove();
  int id() const { return id_; }

 private:
  int id_ = -1;
  pid_t creator_ = -1;
  int parties_ = 0;
};

// Removes semaphore sets (and kept segments) left behind by krgdemo
// processes that died without cleaning up; returns how many it removed.
int ReapStaleIpc();

// This user's object of `kind` under `key` (never 0): its id, or -1.
int FindIpc(IpcKind kind, int key);
// Removes this user's object of `kind` under `key` and its note (IPC_RMID: a
// segment still attached goes with its last detach); true if there was one.
bool RemoveIpc(IpcKind kind, int key);
// Forgets the note of object `id` (so ReapStaleIpc leaves it alone).
void DropIpcNote(IpcKind kind, int id);
// A key K for a kernel-checkpointed SPMD run: no segment under K and no
// semaphore set under K + 1 at this moment.
int FreeIpcKeyPair();

// True while System V object `id` exists (shm: shmctl IPC_STAT; sem: semctl
// IPC_STAT), for tests and diagnostics.
bool ShmExists(int id);
bool SemExists(int id);

}  // namespace krg::platform

#endif  // KRG_SHARED_ARENA_H_
