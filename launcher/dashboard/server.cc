#include "dashboard/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "dashboard/assets.h"
#include "krg/json_fields.h"

namespace krg::cli {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxBody = 64 * 1024;
// Bounds that keep a few clients from locking everyone out: connections in
// all; live event streams (each holds a connection and a thread for as long
// as its tab is open); how long a client may take to send a request's
// headers (a client that trickles them is cut off); idle time.
constexpr unsigned kMaxConnections = 256;
constexpr int kMaxEventStreams = 32;
constexpr auto kHeaderDeadline = std::chrono::seconds(5);
constexpr unsigned kIdleTimeoutS = 15;
constexpr std::size_t kSseBlock = 64 * 1024;
constexpr char kTokenHeader[] = "X-Krgdemo-Token";

// One request's state across libmicrohttpd's calls: the body so far.
struct Request {
  std::string body;
  bool too_big = false;
};

MHD_Result Send(MHD_Connection* c, int status, const std::string& type,
                std::string_view body, bool persistent = false) {
  MHD_Response* r = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()),
      persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(r, "Content-Type", type.c_str());
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  const MHD_Result ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

MHD_Result SendJson(MHD_Connection* c, int status, const nlohmann::json& j) {
  return Send(c, status, "application/json", j.dump());
}

MHD_Result SendNotAllowed(MHD_Connection* c, const char* allow) {
  MHD_Response* r =
      MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(r, "Allow", allow);
  const MHD_Result ok = MHD_queue_response(c, 405, r);
  MHD_destroy_response(r);
  return ok;
}

MHD_Result SendError(MHD_Connection* c, int status, const std::string& what) {
  return SendJson(c, status, {{"error", what}});
}

std::string ContentType(const std::string& name) {
  auto ends = [&](const char* ext) {
    return name.size() >= std::strlen(ext) &&
           name.compare(name.size() - std::strlen(ext), std::string::npos,
                        ext) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// One Server-Sent Events client: snapshots as they come, and the lines of
// the followed events file from where this client got to.
struct SseClient {
  SseClient(Dashboard* d, std::atomic<int>* count)
      : dashboard(d), open(count) {}
  ~SseClient() { --*open; }
  Dashboard* dashboard;
  std::atomic<int>* open;  // the server's count of live streams
  std::uint64_t seq = 0;
  std::string pending = "retry: 2000\n\n";
  fs::path events;
  std::uintmax_t offset = 0;

  void AddRunEvents() {
    const fs::path now = dashboard->EventsFile();
    if (now != events) {
      events = now;
      offset = 0;
    }
    if (events.empty()) return;
    std::ifstream in(events, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset));
    std::string line;
    while (pending.size() < 4 * kSseBlock && std::getline(in, line)) {
      if (in.eof()) break;  // half a line: the rest comes later
      offset += line.size() + 1;
      if (!line.empty()) pending += "event: run\ndata: " + line + "\n\n";
    }
  }
};

ssize_t SseRead(void* cls, std::uint64_t, char* buf, std::size_t max) {
  auto* c = static_cast<SseClient*>(cls);
  while (c->pending.empty()) {
    if (c->dashboard->shutting_down()) return MHD_CONTENT_READER_END_OF_STREAM;
    auto [seq, state] =
        c->dashboard->WaitState(c->seq, std::chrono::milliseconds(2000));
    if (c->dashboard->shutting_down()) return MHD_CONTENT_READER_END_OF_STREAM;
    if (seq != c->seq) {
      c->seq = seq;
      c->pending += "event: state\ndata: " + state + "\n\n";
    } else {
      c->pending += ": keep-alive\n\n";
    }
    c->AddRunEvents();
  }
  const std::size_t n = std::min(max, c->pending.size());
  std::memcpy(buf, c->pending.data(), n);
  c->pending.erase(0, n);
  return static_cast<ssize_t>(n);
}

void SseFree(void* cls) { delete static_cast<SseClient*>(cls); }

MHD_Result ServeEvents(MHD_Connection* c, Dashboard& d,
                       std::atomic<int>* open) {
  if (++*open > kMaxEventStreams) {
    --*open;
    return SendError(c, 503,
                     "too many live views are open (" +
                         std::to_string(kMaxEventStreams) +
                         "): close a tab and reload");
  }
  auto* client = new SseClient(&d, open);
  MHD_Response* r = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, kSseBlock, SseRead, client, SseFree);
  MHD_add_response_header(r, "Content-Type", "text/event-stream");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  const MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
  MHD_destroy_response(r);
  return ok;
}

// Equal strings, in a time that does not depend on where they differ.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i];
  return diff == 0;
}

// 128 random bits in hex: the control secret of this dashboard.
Result<std::string> NewToken() {
  unsigned char bytes[16];
  if (::getrandom(bytes, sizeof bytes, 0) != ssize_t(sizeof bytes)) {
    return Status::FromErrno("getrandom", errno);
  }
  std::string hex;
  for (unsigned char b : bytes) {
    hex += "0123456789abcdef"[b >> 4];
    hex += "0123456789abcdef"[b & 15];
  }
  return hex;
}

MHD_Result ServeControl(MHD_Connection* c, Dashboard& d,
                        const std::string& token, const std::string& url,
                        const std::string& method, const Request& req) {
  if (method != "POST") return SendNotAllowed(c, "POST");
  if (!d.options().allow_control) {
    return SendError(c, 403,
                     "control is off: start the dashboard with "
                     "--allow-control to start, stop and migrate from the "
                     "page");
  }
  // Any local user can reach 127.0.0.1: control needs the secret printed
  // in the URL the dashboard's own user opened.
  const char* given =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, kTokenHeader);
  if (given == nullptr || !SameSecret(given, token)) {
    return SendError(c, 403,
                     "control needs the token of the URL the dashboard "
                     "printed (open that URL; header " +
                         std::string(kTokenHeader) + ")");
  }
  if (req.too_big) return SendError(c, 413, "the body is over 64 KiB");
  const char* type =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  // A JSON content type cannot come from a plain cross-site form post.
  if (type == nullptr || std::strncmp(type, "application/json", 16) != 0) {
    return SendError(c, 400,
                     "send a JSON body with Content-Type: application/json");
  }
  nlohmann::json body = nlohmann::json::object();
  if (!req.body.empty()) {
    auto parsed = ParseJson(req.body);
    if (!parsed.ok()) {
      return SendError(
          c, 400,
          "the body is not valid JSON (" + parsed.status().message() + ")");
    }
    body = std::move(*parsed);
  }
  Reply reply;
  if (url == "/api/run") {
    reply = d.StartRun(body);
  } else if (url == "/api/stop") {
    reply = d.StopRun();
  } else {
    reply = d.Migrate(body);
  }
  return SendJson(c, reply.status, reply.body);
}

MHD_Result ServeGet(MHD_Connection* c, Dashboard& d, const std::string& url,
                    std::atomic<int>* streams) {
  if (url == "/api/state") {
    return Send(c, 200, "application/json",
                d.WaitState(0, std::chrono::milliseconds(0)).second);
  }
  if (url == "/api/events") return ServeEvents(c, d, streams);
  if (url == "/api/catalog") return SendJson(c, 200, d.Catalog());
  if (url == "/api/results") return SendJson(c, 200, d.Results());
  const std::string name = url == "/" ? "index.html" : url.substr(1);
  bool found = false;
  const std::string_view bytes = DashboardAsset(name, &found);
  if (!found) return SendError(c, 404, "no such page: " + url);
  return Send(c, 200, ContentType(name), bytes, /*persistent=*/true);
}

// Loopback only: is the Host header this machine (DNS rebinding guard)?
bool HostIsLocal(MHD_Connection* c) {
  const char* host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
  if (host == nullptr) return true;  // HTTP/1.0 without Host
  std::string name = host;
  if (name.rfind("[::1]", 0) == 0) return true;
  name = name.substr(0, name.find(':'));
  return name == "localhost" || IsLoopback(name);
}

// Connections still sending a request's headers, by when they started: the
// watchdog cuts off (shutdown(2): the connection's thread sees EOF) those
// past kHeaderDeadline. libmicrohttpd's own timeout only counts idle time,
// which a client sending a byte every few seconds resets forever.
class HeaderDeadlines {
 public:
  void Arm(MHD_Connection* c) {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_[c] = std::chrono::steady_clock::now() + kHeaderDeadline;
  }
  // Also on close: after it, libmicrohttpd frees the connection.
  void Disarm(MHD_Connection* c) {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.erase(c);
  }
  void CutOverdue() {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second > now) {
        ++it;
        continue;
      }
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(it->first, MHD_CONNECTION_INFO_CONNECTION_FD);
      if (info != nullptr) ::shutdown(info->connect_fd, SHUT_RDWR);
      it = waiting_.erase(it);
    }
  }

 private:
  std::mutex mu_;
  std::map<MHD_Connection*, std::chrono::steady_clock::time_point> waiting_;
};

}  // namespace

struct DashboardServer::Context {
  Dashboard* dashboard;
  bool loopback;
  std::string token;            // control's secret; empty when control is off
  std::atomic<int> streams{0};  // live event streams
  HeaderDeadlines deadlines;
};

namespace {

MHD_Result Handle(void* cls, MHD_Connection* c, const char* url_c,
                  const char* method_c, const char*, const char* upload,
                  std::size_t* upload_size, void** state) {
  auto& context = *static_cast<DashboardServer::Context*>(cls);
  auto& d = *context.dashboard;
  if (*state == nullptr) {  // the headers are in
    context.deadlines.Disarm(c);
    *state = new Request;
    return MHD_YES;
  }
  auto* req = static_cast<Request*>(*state);
  if (*upload_size > 0) {
    if (req->body.size() + *upload_size > kMaxBody) {
      req->too_big = true;
    } else {
      req->body.append(upload, *upload_size);
    }
    *upload_size = 0;
    return MHD_YES;
  }
  const std::string url = url_c, method = method_c;
  if (context.loopback && !HostIsLocal(c)) {
    return SendError(c, 403,
                     "this dashboard answers requests for localhost or "
                     "127.0.0.1 only");
  }
  if (url == "/api/run" || url == "/api/stop" || url == "/api/migrate") {
    return ServeControl(c, d, context.token, url, method, *req);
  }
  if (method != "GET" && method != "HEAD") {
    return SendNotAllowed(c, "GET, HEAD");
  }
  return ServeGet(c, d, url, &context.streams);
}

// A request is over: the next one on this connection gets its deadline.
void Completed(void* cls, MHD_Connection* c, void** state,
               MHD_RequestTerminationCode) {
  delete static_cast<Request*>(*state);
  *state = nullptr;
  static_cast<DashboardServer::Context*>(cls)->deadlines.Arm(c);
}

void ConnectionEvent(void* cls, MHD_Connection* c, void**,
                     MHD_ConnectionNotificationCode code) {
  auto& deadlines = static_cast<DashboardServer::Context*>(cls)->deadlines;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    deadlines.Arm(c);
  } else {
    deadlines.Disarm(c);
  }
}

}  // namespace

bool IsIpv4Address(const std::string& text) {
  in_addr a{};
  return ::inet_pton(AF_INET, text.c_str(), &a) == 1;
}

bool IsLoopback(const std::string& ipv4) {
  in_addr a{};
  return ::inet_pton(AF_INET, ipv4.c_str(), &a) == 1 &&
         (ntohl(a.s_addr) >> 24) == 127;
}

Result<std::unique_ptr<DashboardServer>> DashboardServer::Start(
    Dashboard& dashboard, const std::string& bind, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, bind.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("--bind " + bind +
                                   ": expected an IPv4 address such as "
                                   "127.0.0.1 or 0.0.0.0");
  }
  std::unique_ptr<DashboardServer> s(new DashboardServer(dashboard));
  s->context_->loopback = IsLoopback(bind);
  if (dashboard.options().allow_control) {
    KRG_ASSIGN_OR_RETURN(s->context_->token, NewToken());
  }
  s->daemon_ = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
      nullptr, nullptr, Handle, s->context_.get(), MHD_OPTION_SOCK_ADDR, &addr,
      MHD_OPTION_NOTIFY_COMPLETED, Completed, s->context_.get(),
      MHD_OPTION_NOTIFY_CONNECTION, ConnectionEvent, s->context_.get(),
      MHD_OPTION_CONNECTION_LIMIT, kMaxConnections,
      MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutS,
      MHD_OPTION_THREAD_STACK_SIZE, std::size_t(512 * 1024), MHD_OPTION_END);
  if (s->daemon_ == nullptr) {
    return Status::Unavailable(
        "cannot listen on " + bind + ":" + std::to_string(port) +
        " (is the port in use?); choose another with --port");
  }
  const MHD_DaemonInfo* info =
      MHD_get_daemon_info(s->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  s->port_ = info != nullptr ? info->port : port;
  s->watchdog_ = std::thread([server = s.get()] { server->WatchHeaders(); });
  return s;
}

DashboardServer::DashboardServer(Dashboard& dashboard)
    : dashboard_(dashboard), context_(std::make_unique<Context>()) {
  context_->dashboard = &dashboard;
}

const std::string& DashboardServer::token() const { return context_->token; }

void DashboardServer::WatchHeaders() {
  std::unique_lock<std::mutex> lock(watch_mu_);
  while (!watch_cv_.wait_for(lock, std::chrono::milliseconds(250),
                             [this] { return stopping_; })) {
    context_->deadlines.CutOverdue();
  }
}

DashboardServer::~DashboardServer() {
  dashboard_.Shutdown();
  if (watchdog_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      stopping_ = true;
    }
    watch_cv_.notify_all();
    watchdog_.join();
  }
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace krg::cli
