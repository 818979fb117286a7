// Worker channels and the master's poll loop (see krg/channel.h).
#include "krg/channel.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "krg/check.h"
#include "krg/file_io.h"

namespace krg::platform {
namespace {

// A frame whose body is at most this long goes out in one send(2): the
// header and a small result in one segment, one wake-up of the master.
constexpr std::size_t kCoalesceBytes = 4096;

// write(2) to a pipe whose reader is gone raises SIGPIPE, which would kill
// a process with the default action (a test, a worker). Blocked in this
// thread while writing; one the write raised is taken back before the mask
// is restored, so nothing is delivered later (the sigtimedwait idiom).
Status WritePipe(int fd, const void* data, std::size_t len) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  Status s = WriteAll(fd, data, len, "send");
  if (!s.ok() && !was_pending) {
    const timespec now = {0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return s;
}

}  // namespace

Channel& Channel::operator=(Channel&& o) noexcept {
  if (this != &o) {
    Close();
    fd_ = o.fd_;
    out_fd_ = o.out_fd_;
    buffer_ = std::move(o.buffer_);
    head_ = o.head_;
    o.fd_ = -1;
    o.out_fd_ = -1;
    o.buffer_.clear();
    o.head_ = 0;
  }
  return *this;
}

void Channel::Close() {
  if (out_fd_ >= 0 && out_fd_ != fd_) ::close(out_fd_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  out_fd_ = -1;
  buffer_.clear();
  head_ = 0;
}

Status Channel::Send(std::string_view bytes) {
  if (out_fd_ != fd_) return WritePipe(out_fd_, bytes.data(), bytes.size());
  return SendAll(fd_, bytes.data(), bytes.size(), "send");
}

Status Channel::SendFrame(std::uint32_t type, std::uint64_t tag,
                          std::string_view body) {
  const FrameHeader h{type, 0, tag, body.size()};
  const std::string_view head(reinterpret_cast<const char*>(&h), sizeof h);
  if (body.size() <= kCoalesceBytes) {
    char wire[sizeof h + kCoalesceBytes];
    std::memcpy(wire, &h, sizeof h);
    // An empty body may have a null data(): memcpy must not see it.
    if (!body.empty()) std::memcpy(wire + sizeof h, body.data(), body.size());
    return Send(std::string_view(wire, sizeof h + body.size()));
  }
  KRG_RETURN_IF_ERROR(Send(head));
  return Send(body);
}

Result<std::optional<Frame>> Channel::ReceiveFrame() {
  FrameHeader h;
  KRG_ASSIGN_OR_RETURN(std::size_t got, ReadFull(fd_, &h, sizeof h));
  if (got == 0) return std::optional<Frame>();
  if (got < sizeof h) return Status::IoError("channel closed inside a frame");
  buffer_.resize(h.length);
  KRG_ASSIGN_OR_RETURN(got, ReadFull(fd_, buffer_.data(), buffer_.size()));
  if (got < h.length) return Status::IoError("channel closed inside a frame");
  head_ = buffer_.size();  // nothing pending: the body is the frame's
  return std::optional<Frame>(Frame{h.type, h.tag, buffer_});
}

std::optional<Frame> Channel::TakeFrame() {
  const std::string_view in = pending();
  FrameHeader h;
  if (in.size() < sizeof h) return std::nullopt;
  std::memcpy(&h, in.data(), sizeof h);
  if (in.size() - sizeof h < h.length) return std::nullopt;
  head_ += sizeof h + h.length;
  return Frame{h.type, h.tag, in.substr(sizeof h, h.length)};
}

void Channel::Consume(std::size_t n) {
  KRG_CHECK(n <= pending().size()) << n << " > " << pending().size();
  head_ += n;
}

Channel::Read Channel::ReadOnce(char* scratch, std::size_t len) {
  const ssize_t n = ::read(fd_, scratch, len);
  if (n < 0 && errno == EINTR) return Read::kInterrupted;
  if (n <= 0) return Read::kClosed;
  // Taken bytes go now, not at each TakeFrame: one move per read.
  if (head_ > 0) {
    buffer_.erase(0, head_);
    head_ = 0;
  }
  buffer_.append(scratch, static_cast<std::size_t>(n));
  return Read::kData;
}

Status ChannelPoller::Wait(std::span<Channel* const> channels, int timeout_ms) {
  events_.clear();
  fds_.resize(channels.size());
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const Channel* c = channels[i];
    fds_[i] = {c != nullptr ? c->fd() : -1, POLLIN, 0};
  }
  int ready = ::poll(fds_.data(), fds_.size(), timeout_ms);
  if (ready < 0 && errno != EINTR) return Status::FromErrno("poll", errno);
  for (std::size_t i = 0; i < channels.size() && ready > 0; ++i) {
    if (fds_[i].fd < 0 || fds_[i].revents == 0) continue;
    switch (channels[i]->ReadOnce(chunk_.data(), chunk_.size())) {
      case Channel::Read::kData:
        events_.push_back({i, false});
        break;
      case Channel::Read::kClosed:
        events_.push_back({i, true});
        break;
      case Channel::Read::kInterrupted:
        break;  // read again at the next Wait
    }
  }
  return Status::Ok();
}

}  // namespace krg::platform
