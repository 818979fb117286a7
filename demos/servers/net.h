// Sockets for the webfarm: listening sockets (one shared by every server, or
// one SO_REUSEPORT socket per server on the same port), passing a socket to
// a server process over its channel (SCM_RIGHTS), and a small blocking HTTP
// client for verification and tests. Free functions: safe from any thread.
#ifndef KRG_DEMOS_SERVERS_NET_H_
#define KRG_DEMOS_SERVERS_NET_H_

#include <map>
#include <string>

#include "krg/status.h"

namespace krg::demos::servers {

// A non-blocking, close-on-exec TCP listening socket on `addr`:`port` (port
// 0: the kernel picks one). With `reuseport`, SO_REUSEPORT is set so that
// several sockets can listen on the same port.
Result<int> OpenListener(const std::string& addr, int port, bool reuseport,
                         int backlog = 1024);
// The local port of a bound socket.
Result<int> LocalPort(int fd);
// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopback(const std::string& addr);
// True for what OpenListener takes: a dotted IPv4 address or "localhost".
bool IsIpv4(const std::string& addr);

// Sends one byte `tag` and, when fd >= 0, the descriptor `fd` over the unix
// socket `channel`.
Status SendFd(int channel, char tag, int fd);
// Receives one byte and a descriptor (-1 when none came). kNotFound on EOF.
Result<std::pair<char, int>> ReceiveFd(int channel);

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // keys in lower case
  std::string body;
};

// Sends `raw` to 127.0.0.1:`port` and reads until the server closes the
// connection or `timeout_ms` passes; returns what arrived (maybe "").
// kUnavailable when the connection cannot be made.
Result<std::string> SendRaw(int port, const std::string& raw, int timeout_ms);
// One request with "Connection: close"; the response parsed.
Result<HttpResponse> HttpGet(int port, const std::string& path,
                             int timeout_ms = 10000);
Result<HttpResponse> HttpPost(int port, const std::string& path,
                              const std::string& content_type,
                              const std::string& body, int timeout_ms = 10000);
// Parses a whole HTTP/1.x response (Content-Length or read-to-close body).
Result<HttpResponse> ParseHttpResponse(const std::string& raw);

}  // namespace krg::demos::servers

#endif  // KRG_DEMOS_SERVERS_NET_H_
