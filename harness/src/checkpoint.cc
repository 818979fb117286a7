// Farm journal and SPMD checkpoint sets (see krg/checkpoint.h).
#include "krg/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "krg/json_fields.h"

#if defined(__x86_64__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "krg/check.h"
#include "krg/file_io.h"
#include "krg/results.h"

namespace krg {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- CRC-32C: SSE 4.2 instruction when the CPU has it, else a table ----

constexpr std::uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli

std::array<std::uint32_t, 256> MakeTable() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (kPoly & (0u - (c & 1u)));
    t[i] = c;
  }
  return t;
}

std::uint32_t Crc32cTable(const unsigned char* p, std::size_t n,
                          std::uint32_t c) {
  static const std::array<std::uint32_t, 256> kTable = MakeTable();
  for (std::size_t i = 0; i < n; ++i) c = kTable[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c;
}

// Polynomial arithmetic modulo P (reflected, as zlib's crc32_combine does
// it): a * b mod P, and x^(8n) mod P, the operator that moves a CRC register
// past n zero bytes. They let three streams be checksummed at once and
// joined into the one CRC of the whole buffer.
std::uint32_t MultModP(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if ((a & m) != 0) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) != 0 ? (b >> 1) ^ kPoly : b >> 1;
  }
  return p;
}

std::uint32_t XPow8n(std::uint64_t n) {
  std::uint32_t x2k = 1u << 30;  // x^1, squared up to x^(2^k)
  for (int k = 0; k < 3; ++k) x2k = MultModP(x2k, x2k);  // x^8
  std::uint32_t p = 1u << 31;                            // x^0
  for (; n != 0; n >>= 1) {
    if ((n & 1) != 0) p = MultModP(x2k, p);
    x2k = MultModP(x2k, x2k);
  }
  return p;
}

#if defined(__x86_64__)
// The crc32 instruction has a latency of three cycles and a throughput of
// one: three independent streams over consecutive blocks keep it busy
// (about 8 bytes a cycle instead of 8 every three), joined with MultModP.
constexpr std::size_t kStream = 16384;

__attribute__((target("sse4.2"))) std::uint32_t Crc32cHw(const unsigned char* p,
                                                         std::size_t n,
                                                         std::uint32_t c) {
  static const std::uint32_t kShift1 = XPow8n(kStream);
  static const std::uint32_t kShift2 = XPow8n(2 * kStream);
  while (n >= 3 * kStream) {
    std::uint64_t a = c, b = 0, d = 0;
    for (std::size_t i = 0; i < kStream; i += 8) {
      std::uint64_t va, vb, vd;
      std::memcpy(&va, p + i, 8);
      std::memcpy(&vb, p + kStream + i, 8);
      std::memcpy(&vd, p + 2 * kStream + i, 8);
      a = __builtin_ia32_crc32di(a, va);
      b = __builtin_ia32_crc32di(b, vb);
      d = __builtin_ia32_crc32di(d, vd);
    }
    c = MultModP(kShift2, static_cast<std::uint32_t>(a)) ^
        MultModP(kShift1, static_cast<std::uint32_t>(b)) ^
        static_cast<std::uint32_t>(d);
    p += 3 * kStream;
    n -= 3 * kStream;
  }
  std::uint64_t c64 = c;
  while (n >= 8) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = __builtin_ia32_crc32di(c64, v);
    p += 8;
    n -= 8;
  }
  c = static_cast<std::uint32_t>(c64);
  while (n-- > 0) c = __builtin_ia32_crc32qi(c, *p++);
  return c;
}
#endif

// ---- files ----

void SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Status Corrupt(const fs::path& path, const std::string& what) {
  return Status::FailedPrecondition(
      "checkpoint file " + path.string() + " " + what +
      "; it cannot be resumed from (remove the checkpoint folder to start "
      "the run afresh)");
}

// Small checkpoint files (commit, manifest): a few hundred bytes.
constexpr std::size_t kSmallFile = 64 << 10;

// The first `max_bytes` of a checkpoint file, which must be a regular file
// (never a symlink to /dev/zero, which would be read without end).
Result<std::string> ReadBounded(const fs::path& path, std::size_t max_bytes) {
  auto data = platform::ReadRegularFile(path.string(), max_bytes);
  if (!data.ok() && data.status().code() == Status::Code::kFailedPrecondition) {
    return Corrupt(path, "is not a regular file");
  }
  // A checkpoint file that is gone is a failed resume (exit 1), not a usage
  // error.
  if (!data.ok() && data.status().code() == Status::Code::kNotFound) {
    return Status::IoError(data.status().message());
  }
  return data;
}

Result<std::string> ReadSmall(const fs::path& path) {
  KRG_ASSIGN_OR_RETURN(std::string text, ReadBounded(path, kSmallFile + 1));
  if (text.size() > kSmallFile) return Corrupt(path, "is too large");
  return text;
}

// ---- journal records ----

// The header: magic, unit count, run tag. Version 2 binds every record to
// its run: a record copied from another run's journal fails its tag.
constexpr char kJournalMagic[8] = {'K', 'R', 'G', 'J', 'R', 'N', 'L', '2'};
constexpr std::size_t kJournalHeader = 24;
constexpr std::uint32_t kRecordMagic = 0x3252474Bu;  // "KGR2"

struct RecordHeader {
  std::uint32_t magic;
  std::uint32_t crc;  // over run, unit, length and the bytes
  std::uint64_t run;  // RunTag of the run that computed the unit
  std::uint64_t unit;
  std::uint64_t length;
};

std::uint32_t RecordCrc(const RecordHeader& h, const char* bytes) {
  std::uint32_t c = Crc32c(&h.run, sizeof h.run);
  c = Crc32c(&h.unit, sizeof h.unit, c);
  c = Crc32c(&h.length, sizeof h.length, c);
  return Crc32c(bytes, h.length, c);
}

Status OtherRun(const fs::path& path, const std::string& what) {
  return Corrupt(path, what +
                           " another run (other demo, size, params or run "
                           "id): a journal is never assembled from two runs");
}

// farm.commit: "length L\nrecords R\ncrc32c C\n", C over the first two lines.
std::string CommitText(std::uint64_t length, std::size_t records) {
  std::string body = "krgdemo journal commit 1\nlength " +
                     std::to_string(length) + "\nrecords " +
                     std::to_string(records) + "\n";
  return body + "crc32c " + std::to_string(Crc32c(body.data(), body.size())) +
         "\n";
}

Status ParseCommit(const fs::path& path, const std::string& text,
                   std::uint64_t* length) {
  const std::size_t at = text.rfind("crc32c ");
  if (at == std::string::npos) return Corrupt(path, "has no checksum line");
  const std::string body = text.substr(0, at);
  unsigned long long crc = 0, len = 0;
  if (std::sscanf(text.c_str() + at, "crc32c %llu", &crc) != 1 ||
      crc != Crc32c(body.data(), body.size()) ||
      std::sscanf(body.c_str(), "krgdemo journal commit 1\nlength %llu",
                  &len) != 1) {
    return Corrupt(path, "fails its CRC32C");
  }
  *length = len;
  return Status::Ok();
}

}  // namespace

std::uint32_t Crc32c(const void* data, std::size_t len, std::uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  static const bool kHw = __builtin_cpu_supports("sse4.2");
  crc = kHw ? Crc32cHw(p, len, crc) : Crc32cTable(p, len, crc);
#else
  crc = Crc32cTable(p, len, crc);
#endif
  return ~crc;
}

namespace {

// memcpy with non-temporal stores (SSE2, so every x86-64): a snapshot slab
// is written out by the device, not read by the CPU again, so it need not
// take the place of the solver's vectors in the caches, nor be read first.
void StreamCopy(unsigned char* d, const unsigned char* s, std::size_t n) {
#if defined(__x86_64__)
  const std::size_t head =
      std::min(n, (16 - reinterpret_cast<std::uintptr_t>(d) % 16) % 16);
  std::memcpy(d, s, head);
  d += head;
  s += head;
  n -= head;
  for (; n >= 64; n -= 64, d += 64, s += 64) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 16));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 32));
    const __m128i e = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 48));
    _mm_stream_si128(reinterpret_cast<__m128i*>(d), a);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 16), b);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 32), c);
    _mm_stream_si128(reinterpret_cast<__m128i*>(d + 48), e);
  }
#endif
  std::memcpy(d, s, n);
}

}  // namespace

std::uint32_t Crc32cCopy(void* dst, const void* src, std::size_t len,
                         std::uint32_t crc) {
  auto* d = static_cast<unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  // Checksum a chunk (reading it from memory into the cache), then copy it
  // from the cache: the source is read from memory once.
  constexpr std::size_t kChunk = 3 * 16384;
  while (len > 0) {
    const std::size_t n = std::min(len, kChunk);
    crc = Crc32c(s, n, crc);
    StreamCopy(d, s, n);
    d += n;
    s += n;
    len -= n;
  }
#if defined(__x86_64__)
  _mm_sfence();
#endif
  return crc;
}

// ---------------------------- FarmJournal ----------------------------

std::uint64_t RunTag(std::string_view identity) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : identity) h = (h ^ c) * 1099511628211ull;
  return h;
}

Status FarmJournal::ReadBack(std::uint64_t committed, std::size_t unit_count) {
  // Only the committed part is read: a bound, whatever the file has become.
  KRG_ASSIGN_OR_RETURN(std::string data, ReadBounded(journal_, committed));
  if (data.size() < committed) {
    return Corrupt(journal_, "is truncated: " + std::to_string(data.size()) +
                                 " bytes, its commit (" + commit_.string() +
                                 ") says " + std::to_string(committed));
  }
  std::uint64_t units = 0, run = 0;
  if (committed < kJournalHeader ||
      std::memcmp(data.data(), kJournalMagic, sizeof kJournalMagic) != 0) {
    return Corrupt(journal_, "has a bad header (or is of an older krgdemo)");
  }
  std::memcpy(&units, data.data() + 8, 8);
  std::memcpy(&run, data.data() + 16, 8);
  if (run != tag_) return OtherRun(journal_, "belongs to");
  if (units != unit_count) {
    return Corrupt(journal_, "is for a run of " + std::to_string(units) +
                                 " units, this one has " +
                                 std::to_string(unit_count));
  }
  for (std::size_t at = kJournalHeader; at < committed;) {
    RecordHeader h;
    const std::string where = " at offset " + std::to_string(at);
    if (committed - at < sizeof h)
      return Corrupt(journal_, "has a cut record" + where);
    std::memcpy(&h, data.data() + at, sizeof h);
    if (h.magic != kRecordMagic || h.length > committed - at - sizeof h ||
        h.unit >= unit_count ||
        RecordCrc(h, data.data() + at + sizeof h) != h.crc) {
      return Corrupt(journal_, "fails its CRC32C at the record" + where);
    }
    if (h.run != tag_)
      return OtherRun(journal_, "holds a record" + where + " of");
    completed_[h.unit] = data.substr(at + sizeof h, h.length);
    at += sizeof h + h.length;
    ++records_;
  }
  return Status::Ok();
}

Result<std::unique_ptr<FarmJournal>> FarmJournal::Open(
    const fs::path& dir, std::string_view identity, std::size_t unit_count,
    double every_s, bool resume) {
  std::unique_ptr<FarmJournal> j(new FarmJournal);
  j->dir_ = dir;
  j->journal_ = dir / "farm.journal";
  j->commit_ = dir / "farm.commit";
  j->tag_ = RunTag(identity);
  j->every_ = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(every_s));
  j->last_flush_ = Clock::now();
  std::uint64_t committed = 0;
  if (resume && fs::exists(fs::symlink_status(j->commit_))) {
    KRG_ASSIGN_OR_RETURN(std::string text, ReadSmall(j->commit_));
    KRG_RETURN_IF_ERROR(ParseCommit(j->commit_, text, &committed));
    KRG_RETURN_IF_ERROR(j->ReadBack(committed, unit_count));
  }
  // O_NOFOLLOW: never write through a symlink planted in the folder.
  j->fd_ = ::open(j->journal_.c_str(),
                  O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (j->fd_ < 0) {
    return Status::FromErrno("cannot open " + j->journal_.string(), errno);
  }
  if (committed == 0) {
    // A fresh journal: the header, committed at once.
    if (::ftruncate(j->fd_, 0) != 0) {
      return Status::FromErrno("cannot truncate " + j->journal_.string(),
                               errno);
    }
    std::string header(kJournalMagic, sizeof kJournalMagic);
    const std::uint64_t units = unit_count;
    header.append(reinterpret_cast<const char*>(&units), 8);
    header.append(reinterpret_cast<const char*>(&j->tag_), 8);
    j->pending_ = header;
    j->records_ = 0;
    KRG_RETURN_IF_ERROR(j->Flush());
  } else {
    // Drop a batch that never committed; append after the committed part.
    if (::ftruncate(j->fd_, static_cast<off_t>(committed)) != 0 ||
        ::lseek(j->fd_, 0, SEEK_END) < 0) {
      return Status::FromErrno("cannot truncate " + j->journal_.string(),
                               errno);
    }
    j->committed_ = committed;
  }
  return j;
}

FarmJournal::~FarmJournal() {
  if (fd_ >= 0) ::close(fd_);
}

void FarmJournal::Append(std::size_t unit, std::string_view bytes) {
  RecordHeader h{kRecordMagic, 0, tag_, unit, bytes.size()};
  h.crc = RecordCrc(h, bytes.data());
  pending_.append(reinterpret_cast<const char*>(&h), sizeof h);
  pending_.append(bytes.data(), bytes.size());
  ++records_;
  if (Clock::now() - last_flush_ >= every_ && status_.ok()) status_ = Flush();
}

Status FarmJournal::Flush() {
  last_flush_ = Clock::now();
  if (pending_.empty()) return Status::Ok();
  KRG_RETURN_IF_ERROR(platform::WriteAll(fd_, pending_.data(), pending_.size(),
                                         "cannot write " + journal_.string()));
  if (::fdatasync(fd_) != 0) {
    return Status::FromErrno("cannot sync " + journal_.string(), errno);
  }
  committed_ += pending_.size();
  pending_.clear();
  return Commit();
}

Status FarmJournal::Commit() {
  KRG_RETURN_IF_ERROR(
      WriteFileAtomic(commit_, CommitText(committed_, records_)));
  SyncDir(dir_);
  return Status::Ok();
}

// ------------------------- SpmdCheckpointStore -------------------------

namespace {

// A slab file is a 4096-byte header block (SlabHeader, then zeros) and the
// bytes. The bytes start at an aligned offset so that they can go from the
// arena to the disk by direct I/O: no copy into the page cache (which would
// cost the CPU the ranks compute on, and push their data out of memory).
constexpr char kSlabMagic[8] = {'K', 'R', 'G', 'S', 'L', 'A', 'B', '3'};
constexpr std::size_t kBlock = 4096;

struct SlabHeader {
  char magic[8];
  std::uint64_t seq;
  std::uint64_t run;    // RunTag of the run whose state it is
  std::uint32_t index;  // rank, or the count for the scalars file
  std::uint32_t count;  // ranks
  std::uint64_t length;
  std::uint32_t crc;         // of the bytes
  std::uint32_t header_crc;  // of everything above
};

std::uint32_t HeaderCrc(const SlabHeader& h) {
  return Crc32c(&h, offsetof(SlabHeader, header_crc));
}

// Writes the slab file and fdatasyncs it. The block-aligned part of a
// block-aligned `bytes` goes by O_DIRECT when the file system takes it;
// the rest (and everything elsewhere, e.g. on tmpfs) through the page cache.
Status WriteSlab(const fs::path& path, const SlabHeader& slab,
                 std::string_view bytes, std::optional<std::uint32_t> crc) {
  struct Block {
    Block() : p(static_cast<char*>(std::aligned_alloc(kBlock, kBlock))) {
      KRG_CHECK(p != nullptr);
      std::memset(p, 0, kBlock);
    }
    ~Block() { std::free(p); }
    char* p;
  } block;
  SlabHeader h = slab;
  std::memcpy(h.magic, kSlabMagic, sizeof h.magic);
  h.length = bytes.size();
  h.crc = crc ? *crc : Crc32c(bytes.data(), bytes.size());
  h.header_crc = HeaderCrc(h);
  std::memcpy(block.p, &h, sizeof h);
  const std::size_t direct =
      reinterpret_cast<std::uintptr_t>(bytes.data()) % kBlock == 0
          ? bytes.size() / kBlock * kBlock
          : 0;
  bool is_direct = false;
  KRG_ASSIGN_OR_RETURN(
      const int fd,
      platform::OpenTruncated(path.string(), direct > 0, &is_direct));
  // Whole blocks by direct I/O while it works; a failure hands the rest to
  // the ordinary writes below.
  const std::size_t done = is_direct ? platform::WriteDirectBlocks(
                                           fd, bytes.data(), direct,
                                           static_cast<off_t>(kBlock), kBlock)
                                     : 0;
  // The header block, the tail, and everything direct I/O did not take.
  const std::string what = "cannot write " + path.string();
  Status s = platform::WriteAllAt(fd, block.p, kBlock, 0, what);
  if (s.ok()) {
    s = platform::WriteAllAt(fd, bytes.data() + done, bytes.size() - done,
                             static_cast<off_t>(kBlock + done), what);
  }
  if (s.ok() && ::fdatasync(fd) != 0) {
    s = Status::FromErrno("cannot sync " + path.string(), errno);
  }
  ::close(fd);
  return s;
}

// Reads the slab `want` (seq, run, index, count) names; the bytes its
// checksummed header declares bound the read.
Result<std::string> ReadSlab(const fs::path& path, const SlabHeader& want) {
  auto head = ReadBounded(path, kBlock);
  if (!head.ok()) {
    return head.status().code() == Status::Code::kNotFound
               ? Corrupt(path, "is missing")
               : head.status();
  }
  SlabHeader h;
  if (head->size() < kBlock) return Corrupt(path, "is truncated");
  std::memcpy(&h, head->data(), sizeof h);
  if (std::memcmp(h.magic, kSlabMagic, sizeof h.magic) != 0 ||
      h.header_crc != HeaderCrc(h)) {
    return Corrupt(path, "has a bad header (CRC32C, or an older krgdemo)");
  }
  if (h.run != want.run) return OtherRun(path, "belongs to");
  if (h.seq != want.seq || h.index != want.index || h.count != want.count) {
    return Corrupt(path, "belongs to another checkpoint set");
  }
  auto data = ReadBounded(path, kBlock + h.length + 1);
  if (!data.ok()) return data.status();
  if (data->size() - kBlock != h.length) {
    return Corrupt(path,
                   "is truncated: " + std::to_string(data->size() - kBlock) +
                       " bytes of data, its header says " +
                       std::to_string(h.length));
  }
  if (Crc32c(data->data() + kBlock, h.length) != h.crc) {
    return Corrupt(path, "fails its CRC32C");
  }
  return data->substr(kBlock);
}

}  // namespace

Status SpmdCheckpointStore::Save(
    std::uint64_t seq, const std::vector<std::string_view>& slabs,
    std::string_view scalars,
    const std::vector<std::optional<std::uint32_t>>& crcs) {
  const std::string name = "set-" + std::to_string(seq);
  const fs::path tmp = dir_ / (name + ".tmp");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IoError("cannot create " + tmp.string());
  const auto count = static_cast<std::uint32_t>(slabs.size());
  SlabHeader h{};
  h.seq = seq;
  h.run = tag_;
  h.count = count;
  for (h.index = 0; h.index < count; ++h.index) {
    const std::uint32_t r = h.index;
    KRG_RETURN_IF_ERROR(WriteSlab(tmp / ("rank-" + std::to_string(r) + ".slab"),
                                  h, slabs[r],
                                  r < crcs.size() ? crcs[r] : std::nullopt));
  }
  KRG_RETURN_IF_ERROR(WriteSlab(tmp / "scalars.bin", h, scalars, std::nullopt));
  SyncDir(tmp);
  const fs::path set = dir_ / name;
  fs::remove_all(set, ec);
  if (::rename(tmp.c_str(), set.c_str()) != 0) {
    return Status::FromErrno("cannot rename " + tmp.string(), errno);
  }
  SyncDir(dir_);
  nlohmann::json m = {{"schema", "krgdemo.spmd-checkpoint/1"},
                      {"seq", seq},
                      {"set", name},
                      {"ranks", count}};
  std::string body = m.dump();
  m["crc32c"] = Crc32c(body.data(), body.size());
  KRG_RETURN_IF_ERROR(
      WriteFileAtomic(dir_ / "spmd.manifest", m.dump(1) + "\n"));
  SyncDir(dir_);
  // The manifest names the new set: older ones are garbage now.
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    const std::string f = e.path().filename().string();
    if (f.rfind("set-", 0) == 0 && f != name) fs::remove_all(e.path(), ec);
  }
  ++saved_;
  return Status::Ok();
}

Result<std::optional<SpmdSnapshot>> SpmdCheckpointStore::Load() {
  const fs::path manifest = dir_ / "spmd.manifest";
  if (!resume_ || !fs::exists(fs::symlink_status(manifest))) {
    return std::optional<SpmdSnapshot>();
  }
  KRG_ASSIGN_OR_RETURN(std::string text, ReadSmall(manifest));
  auto parsed = ParseJson(text);  // bounded depth: the file is untrusted
  nlohmann::json m = parsed.ok() ? std::move(*parsed) : nlohmann::json();
  if (!parsed.ok()) m = nlohmann::json::value_t::discarded;
  SpmdSnapshot snap;
  std::uint32_t ranks = 0;
  std::string set;
  try {
    if (m.is_discarded() || !m.is_object()) throw std::runtime_error("json");
    const std::uint32_t crc = m.at("crc32c").get<std::uint32_t>();
    m.erase("crc32c");
    const std::string body = m.dump();
    if (Crc32c(body.data(), body.size()) != crc) {
      return Corrupt(manifest, "fails its CRC32C");
    }
    snap.seq = m.at("seq").get<std::uint64_t>();
    ranks = m.at("ranks").get<std::uint32_t>();
    set = m.at("set").get<std::string>();
  } catch (const std::exception&) {
    return Corrupt(manifest, "is malformed");
  }
  if (set.find('/') != std::string::npos || ranks == 0 || ranks > 65536) {
    return Corrupt(manifest, "is malformed");
  }
  SlabHeader want{};
  want.seq = snap.seq;
  want.run = tag_;
  want.count = ranks;
  for (want.index = 0; want.index < ranks; ++want.index) {
    KRG_ASSIGN_OR_RETURN(
        std::string slab,
        ReadSlab(dir_ / set / ("rank-" + std::to_string(want.index) + ".slab"),
                 want));
    snap.slabs.push_back(std::move(slab));
  }
  KRG_ASSIGN_OR_RETURN(snap.scalars,
                       ReadSlab(dir_ / set / "scalars.bin", want));
  return std::optional<SpmdSnapshot>(std::move(snap));
}

}  // namespace krg
