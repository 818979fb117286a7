#include "servers/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace krg::demos::servers {

Result<int> OpenListener(const std::string& addr, int port, bool reuseport,
                         int backlog) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  const std::string ip = addr == "localhost" ? "127.0.0.1" : addr;
  if (::inet_pton(AF_INET, ip.c_str(), &sa.sin_addr) != 1) {
    return Status::InvalidArgument("--bind " + addr +
                                   " is not an IPv4 address");
  }
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport &&
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno("SO_REUSEPORT", err);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::FromErrno(
        "listen on " + addr + ":" + std::to_string(port) +
            (err == EADDRINUSE ? " (choose another with --param port=N)" : ""),
        err);
  }
  return fd;
}

Result<int> LocalPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    return Status::FromErrno("getsockname", errno);
  }
  return static_cast<int>(ntohs(sa.sin_port));
}

bool IsIpv4(const std::string& addr) {
  in_addr a{};
  return addr == "localhost" || ::inet_pton(AF_INET, addr.c_str(), &a) == 1;
}

bool IsLoopback(const std::string& addr) {
  return addr == "localhost" || addr == "::1" || addr.rfind("127.", 0) == 0;
}

Status SendFd(int channel, char tag, int fd) {
  msghdr msg{};
  iovec iov{&tag, 1};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    n = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return Status::FromErrno("sendmsg", errno);
  return Status::Ok();
}

Result<std::pair<char, int>> ReceiveFd(int channel) {
  char tag = 0;
  msghdr msg{};
  iovec iov{&tag, 1};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Status::FromErrno("recvmsg", errno);
  if (n == 0) return Status::NotFound("channel closed");
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
       c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
    }
  }
  return std::make_pair(tag, fd);
}

Result<std::string> SendRaw(int port, const std::string& raw, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::FromErrno("socket", errno);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Unavailable("connect to port " + std::to_string(port) +
                               ": " + std::strerror(err));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left = [&] {
    return static_cast<int>(std::max<long long>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now())
               .count()));
  };
  std::size_t sent = 0;
  while (sent < raw.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, left()) <= 0) break;
    const ssize_t n =
        ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the server may answer and close early: read on
    sent += static_cast<std::size_t>(n);
  }
  std::string got;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, left());
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return got;
}

Result<HttpResponse> ParseHttpResponse(const std::string& raw) {
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos ||
      raw.size() < 12) {
    return Status::IoError(raw.empty() ? "no response (connection closed)"
                                       : "malformed HTTP response");
  }
  HttpResponse r;
  r.status = std::atoi(raw.c_str() + 9);
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    const std::size_t eol = raw.find("\r\n", pos);
    const std::string line = raw.substr(pos, eol - pos);
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string key = line.substr(0, colon);
      for (char& c : key) c = static_cast<char>(std::tolower(c));
      std::size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers[key] = line.substr(v);
    }
    pos = eol + 2;
  }
  r.body = raw.substr(end + 4);
  auto len = r.headers.find("content-length");
  if (len != r.headers.end()) {
    const std::size_t n = std::strtoull(len->second.c_str(), nullptr, 10);
    if (r.body.size() < n) return Status::IoError("truncated response body");
    r.body.resize(n);
  }
  return r;
}

Result<HttpResponse> HttpGet(int port, const std::string& path,
                             int timeout_ms) {
  KRG_ASSIGN_OR_RETURN(std::string raw,
                       SendRaw(port,
                               "GET " + path +
                                   " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Connection: close\r\n\r\n",
                               timeout_ms));
  return ParseHttpResponse(raw);
}

Result<HttpResponse> HttpPost(int port, const std::string& path,
                              const std::string& content_type,
                              const std::string& body, int timeout_ms) {
  KRG_ASSIGN_OR_RETURN(
      std::string raw,
      SendRaw(port,
              "POST " + path +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                  "Content-Type: " +
                  content_type + "\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body,
              timeout_ms));
  return ParseHttpResponse(raw);
}

}  // namespace krg::demos::servers
