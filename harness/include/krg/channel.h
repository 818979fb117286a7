// Channel: one end of a worker channel between a master and a worker process
// that Platform::SpawnWorker hands back (Child::channel). The procs farm, the
// procs SPMD pass and the webfarm supervisor all talk to their workers
// through it. Two kinds (ChannelKind): a pair of anonymous pipes, one each
// way, which Kerrighed 3.0's `checkpoint` saves with the application (its
// user_info type `pipe`), and a socketpair, which it refuses (ENOSYS without
// -i, INTERFACE.md 3.1) but which can pass descriptors (SCM_RIGHTS: the
// webfarm hands its servers their listening socket). Kerrighed forwards both
// across nodes (FAF, INTERFACE.md 6.5). A Channel is nothing more than its
// descriptor(s) and a receive buffer in this process.
//
// Messages are frames: a FrameHeader {type, tag, length}, then `length`
// bytes of body. Type numbers belong to each protocol. A peer may also send
// raw bytes (the webfarm's servers send a one-byte 'R' when they serve);
// pending() shows them as they came.
//
// A worker blocks on ReceiveFrame(). A master waits on many channels at
// once with a ChannelPoller, which reads what arrived into each channel's
// buffer and says which ones closed; it then takes whole frames out.
//
//   ChannelPoller poller;
//   KRG_RETURN_IF_ERROR(poller.Wait(channels, /*timeout_ms=*/100));
//   for (const ChannelEvent& e : poller.events()) {
//     if (e.closed) { ... the worker is gone: close, reap ... }
//     while (auto frame = channels[e.index]->TakeFrame()) { ... }
//   }
//
// Thread-safety: a Channel and a ChannelPoller are each used by one thread.
#ifndef KRG_CHANNEL_H_
#define KRG_CHANNEL_H_

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "krg/status.h"

namespace krg::platform {

// What carries a worker channel.
enum class ChannelKind {
  kPipes,   // two pipes: what a kernel checkpoint can save (farm, SPMD)
  kSocket,  // one AF_UNIX stream socketpair: can pass descriptors
};

// What starts each message on the wire. Both ends are the same program
// (a forked worker), so it is sent in host byte order.
struct FrameHeader {
  std::uint32_t type;
  std::uint32_t reserved;  // 0
  std::uint64_t tag;       // the protocol's: e.g. a unit index
  std::uint64_t length;    // bytes of body that follow
};
static_assert(sizeof(FrameHeader) == 24);

// One message as received. `body` points into the channel's buffer: valid
// until that channel next reads.
struct Frame {
  std::uint32_t type = 0;
  std::uint64_t tag = 0;
  std::string_view body;
};

class Channel {
 public:
  Channel() = default;
  // Takes ownership of `fd`, a socket that carries both ways.
  explicit Channel(int fd) : fd_(fd), out_fd_(fd) {}
  // Takes ownership of both: frames are read from `in_fd` and written to
  // `out_fd` (the ends of two pipes).
  Channel(int in_fd, int out_fd) : fd_(in_fd), out_fd_(out_fd) {}
  Channel(Channel&& o) noexcept { *this = std::move(o); }
  Channel& operator=(Channel&& o) noexcept;
  ~Channel() { Close(); }

  int fd() const { return fd_; }          // what is read (and polled)
  int out_fd() const { return out_fd_; }  // what is written; fd() on a socket
  bool is_open() const { return fd_ >= 0; }
  // Closes the descriptor(s) (the peer reads EOF); the buffer is dropped.
  void Close();

  // Writes all of `bytes`; a peer that is gone is an error, never SIGPIPE
  // (a pipe is written with SIGPIPE blocked in this thread, and the signal
  // it raised is taken back).
  Status Send(std::string_view bytes);
  Status SendFrame(std::uint32_t type, std::uint64_t tag,
                   std::string_view body = {});

  // Blocks for the next whole frame; nullopt when the peer closed between
  // frames, an error when it closed inside one.
  Result<std::optional<Frame>> ReceiveFrame();

  // What a ChannelPoller read and nobody took yet.
  std::string_view pending() const {
    return std::string_view(buffer_).substr(head_);
  }
  // Takes the first whole frame out of pending(); nullopt when none is
  // complete yet.
  std::optional<Frame> TakeFrame();
  // Drops the first `n` bytes of pending().
  // REQUIRES: n <= pending().size()
  void Consume(std::size_t n);

 private:
  friend class ChannelPoller;
  enum class Read { kData, kClosed, kInterrupted };
  // One read(2) of at most `len` bytes through `scratch`, appended to the
  // buffer. kClosed on EOF or on an error (a reset socket): the peer is gone.
  Read ReadOnce(char* scratch, std::size_t len);

  int fd_ = -1;
  int out_fd_ = -1;       // == fd_ on a socket
  std::string buffer_;    // bytes received; the first head_ are taken
  std::size_t head_ = 0;  // taken bytes are dropped at the next read
};

// What ChannelPoller::Wait found on one channel.
struct ChannelEvent {
  std::size_t index;  // into the channels given to Wait
  bool closed;        // the peer is gone (EOF or error); else bytes arrived
};

class ChannelPoller {
 public:
  // `read_chunk`: the most one Wait reads from one channel. A master that
  // receives large results wants a large one (fewer wake-ups per result).
  explicit ChannelPoller(std::size_t read_chunk = 64 << 10)
      : chunk_(read_chunk) {}

  // Waits up to `timeout_ms` (-1: no limit) until a channel can be read,
  // then reads once from each that can. Null and closed channels are left
  // out. events() lists what happened, in index order: none on a timeout
  // or an interrupted wait. A channel reported closed stays open until its
  // owner closes it (and would be reported again). Fails only when poll(2)
  // does.
  Status Wait(std::span<Channel* const> channels, int timeout_ms);
  const std::vector<ChannelEvent>& events() const { return events_; }

 private:
  std::vector<char> chunk_;
  std::vector<pollfd> fds_;
  std::vector<ChannelEvent> events_;
};

}  // namespace krg::platform

#endif  // KRG_CHANNEL_H_
