// The runtime's own checkpoints (the linux platform's, and Kerrighed's with
// --checkpoint-mode journal), kept in a run's folder under checkpoint/:
//
// - FarmJournal (farm.journal + farm.commit): an append-only journal of the
//   units already merged, one record per unit {magic, CRC32C, unit, length,
//   bytes}. Records are buffered and written, fsynced and committed as a
//   batch (at most every `every_s`): farm.commit, replaced atomically, holds
//   the journal's committed length and its own CRC32C. On resume, bytes past
//   the committed length are a batch that never finished and are dropped;
//   a journal shorter than its commit, or a committed record that fails its
//   CRC, is corruption: an error naming the file, never a wrong answer.
//   The header and every record carry the run's tag (RunTag of its
//   identity: a random run id, the demo, its size and params), so a journal
//   or a record of another run is refused, never merged into this answer.
// - SpmdCheckpointStore (spmd.manifest + set-N/): each snapshot is a new set
//   of files (one slab per rank and the solver scalars, each a 4096-byte
//   header block with a CRC32C, then the bytes), fsynced, then switched to by
//   atomically replacing the manifest; older sets are removed afterwards. A set
//   the manifest does not name is never read; a named one that fails a check,
//   or was written by another run (its slab headers carry the run tag), is
//   an error naming the file.
// Every file is read only if it is a regular file (not a symlink, device or
// FIFO), and never past the length its commit or header declares.
//
// Thread-safety: one object per run. FarmJournal::Append is called by the
// executor under its own serialisation; SpmdCheckpointStore from the
// executor's calling thread.
#ifndef KRG_CHECKPOINT_H_
#define KRG_CHECKPOINT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "krg/executor.h"
#include "krg/status.h"

namespace krg {

// CRC-32C (Castagnoli), as iSCSI and ext4 use it; `crc` continues a previous
// value (0 to start).
std::uint32_t Crc32c(const void* data, std::size_t len, std::uint32_t crc = 0);
// Copies `len` bytes from `src` to `dst` (non-overlapping) and returns the
// CRC-32C of them, continuing `crc`, reading `src` from memory once. The
// stores bypass the caches: for data the CPU will not read again soon.
std::uint32_t Crc32cCopy(void* dst, const void* src, std::size_t len,
                         std::uint32_t crc = 0);

// The 64-bit tag that binds checkpoint files to the run `identity` names
// (FNV-1a: a guard against mixing up runs, not against forgery).
std::uint64_t RunTag(std::string_view identity);

class FarmJournal {
 public:
  // Opens dir/farm.journal for the run `identity` names, of `unit_count`
  // units. With `resume`, reads back what an earlier run of that identity
  // committed (completed()); without, starts an empty journal.
  // REQUIRES: `dir` exists.
  static Result<std::unique_ptr<FarmJournal>> Open(
      const std::filesystem::path& dir, std::string_view identity,
      std::size_t unit_count, double every_s, bool resume);
  ~FarmJournal();

  // Units committed by earlier runs (resume), for ExecOptions::completed.
  const std::map<std::size_t, std::string>& completed() const {
    return completed_;
  }
  // Buffers a record; writes and commits the batch when `every_s` passed.
  void Append(std::size_t unit, std::string_view bytes);
  // Writes, fsyncs and commits what is buffered.
  Status Flush();
  // The first write error, if any (Append cannot return one).
  const Status& status() const { return status_; }
  std::size_t committed_records() const { return records_; }

 private:
  FarmJournal() = default;
  Status Commit();
  // Reads the `committed` bytes of the journal into completed_.
  Status ReadBack(std::uint64_t committed, std::size_t unit_count);

  std::filesystem::path dir_, journal_, commit_;
  int fd_ = -1;
  std::uint64_t committed_ = 0;  // bytes of the journal committed
  std::size_t records_ = 0;
  std::uint64_t tag_ = 0;  // RunTag of this run
  std::string pending_;
  std::chrono::steady_clock::duration every_{};
  std::chrono::steady_clock::time_point last_flush_;
  std::map<std::size_t, std::string> completed_;
  Status status_;
};

class SpmdCheckpointStore final : public SpmdCheckpointSink {
 public:
  // Snapshots of the run `identity` names go under dir/ (spmd.manifest,
  // set-N/). Without `resume`, Load() finds nothing. REQUIRES: dir exists.
  SpmdCheckpointStore(std::filesystem::path dir, std::string_view identity,
                      double every_s, bool resume)
      : dir_(std::move(dir)),
        tag_(RunTag(identity)),
        every_s_(every_s),
        resume_(resume) {}
  double every_s() const override { return every_s_; }
  // A slab's file is written by direct I/O when the slab is block-aligned
  // (the executor's are) and the file system allows it.
  Status Save(
      std::uint64_t seq, const std::vector<std::string_view>& slabs,
      std::string_view scalars,
      const std::vector<std::optional<std::uint32_t>>& crcs = {}) override;
  Result<std::optional<SpmdSnapshot>> Load() override;
  int saved() const { return saved_; }

 private:
  std::filesystem::path dir_;
  std::uint64_t tag_;
  double every_s_;
  bool resume_;
  int saved_ = 0;
};

}  // namespace krg

#endif  // KRG_CHECKPOINT_H_
