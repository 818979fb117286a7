#include "servers/web_server.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "krg/platform.h"
#include "servers/image_header.h"
#include "servers/static_files.h"
#include "servers/tile.h"

namespace krg::demos::servers {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kCachedFileBytes = 64 << 10;  // larger: sendfile
constexpr std::size_t kCacheEntries = 1024;
constexpr auto kCacheTtl = std::chrono::seconds(1);

volatile std::sig_atomic_t g_stop = 0;
void OnTerm(int) { g_stop = 1; }

// Per request: when its request line arrived, where it went, what it got.
struct RequestState {
  Clock::time_point start = Clock::now();
  Endpoint endpoint = Endpoint::kOther;
  int status = 0;
  bool started = false;  // the handler has seen this request once
  std::string body;
};

MHD_Response* BufferResponse(std::string_view body, const char* type) {
  MHD_Response* r = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (r != nullptr) MHD_add_response_header(r, "Content-Type", type);
  return r;
}

class Server {
 public:
  Server(const ServerOptions& o, FarmMetrics* metrics)
      : options_(o), metrics_(metrics) {
    renders_limit_ =
        o.limits.renders > 0 ? o.limits.renders : std::max(1, o.threads);
    if (!o.static_dir.empty()) {
      auto root = StaticRoot::Open(o.static_dir);
      if (root.ok()) root_ = *root;
    }
    ok_ = Closing(BufferResponse("ok\n", "text/plain; charset=utf-8"));
    page_ = Closing(BufferResponse(Page(), "text/html; charset=utf-8"));
    for (int code : {400, 403, 404, 405, 413, 415, 500, 503}) {
      errors_[code] = Closing(
          BufferResponse(ErrorText(code) + "\n", "text/plain; charset=utf-8"));
    }
    MHD_add_response_header(errors_[503], "Retry-After", "1");
  }
  ~Server() {
    MHD_destroy_response(ok_);
    MHD_destroy_response(page_);
    for (auto& [code, r] : errors_) MHD_destroy_response(r);
    for (auto& [key, f] : cache_) MHD_destroy_response(f.response);
  }

  MHD_Result Handle(MHD_Connection* c, const char* url, const char* method,
                    const char* upload, std::size_t* upload_size,
                    RequestState* st);
  SlotCounters& counters() { return metrics_->slot(options_.slot); }

 private:
  static std::string ErrorText(int code) {
    switch (code) {
      case 400:
        return "400 bad request";
      case 403:
        return "403 forbidden: outside the static directory";
      case 404:
        return "404 not found";
      case 405:
        return "405 method not allowed";
      case 413:
        return "413 request body too large";
      case 415:
        return "415 not a decodable PNG or JPEG image";
      case 503:
        return "503 too many tiles rendering, retry";
      default:
        return "500 internal error";
    }
  }
  std::string Page() const;
  // `r` with "Connection: close" when the farm queues clients in the
  // kernel (ServerLimits::close_each). Shared responses get it once, when
  // made; a response made for one request, in Send().
  MHD_Response* Closing(MHD_Response* r) const {
    if (r != nullptr && options_.limits.close_each) {
      MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    return r;
  }
  MHD_Result Send(MHD_Connection* c, RequestState* st, int code,
                  MHD_Response* r, bool owned) {
    if (owned) Closing(r);
    st->status = code;
    const MHD_Result q = MHD_queue_response(c, code, r);
    if (owned) MHD_destroy_response(r);
    return q;
  }
  MHD_Result Error(MHD_Connection* c, RequestState* st, int code) {
    return Send(c, st, code, errors_.at(code), false);
  }
  MHD_Result Tile(MHD_Connection* c, RequestState* st, const std::string& rest);
  MHD_Result Static(MHD_Connection* c, RequestState* st,
                    const std::string& rest);
  MHD_Result Thumb(MHD_Connection* c, RequestState* st, const char* upload,
                   std::size_t* upload_size);
  // Reads the uploaded image's header: true (and the answer sent in `sent`)
  // when it is not a PNG or JPEG, or declares more pixels than the limit, so
  // that OpenCV never allocates for a decompression bomb.
  bool RefuseImage(MHD_Connection* c, RequestState* st, MHD_Result* sent);

  ServerOptions options_;
  FarmMetrics* metrics_;
  int renders_limit_ = 1;
  std::atomic<int> renders_{0};
  std::optional<StaticRoot> root_;
  MHD_Response* ok_;
  MHD_Response* page_;
  std::unordered_map<int, MHD_Response*> errors_;
  struct CachedFile {
    MHD_Response* response;
    Clock::time_point expires;
  };
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedFile> cache_;
};

std::string Server::Page() const {
  std::string p =
      "<!doctype html><html><head><title>krgdemo webfarm</title></head>"
      "<body><h1>krgdemo webfarm</h1><p>Server " +
      std::to_string(options_.slot) + " of " + std::to_string(options_.nodes) +
      " (pid " + std::to_string(::getpid()) + ", " +
      (options_.threads > 0
           ? std::to_string(options_.threads) + " threads"
           : std::string("single-threaded: Kerrighed can migrate it")) +
      "), libmicrohttpd " + MHD_get_version() +
      ".</p><ul>"
      "<li><a href=\"/tile/0/0/0.png\">/tile/{z}/{x}/{y}.png</a>: a 256x256 "
      "Mandelbrot tile, rendered per request</li>"
      "<li>POST an image to /thumb: a JPEG thumbnail (OpenCV)</li>"
      "<li>/static/...: files of the static directory</li>"
      "<li><a href=\"/healthz\">/healthz</a>, <a href=\"/metrics\">/metrics"
      "</a> (Prometheus)</li></ul></body></html>\n";
  return p;
}

MHD_Result Server::Handle(MHD_Connection* c, const char* url,
                          const char* method, const char* upload,
                          std::size_t* upload_size, RequestState* st) {
  const std::string_view path(url);
  const std::string_view m(method);
  const bool get = m == "GET" || m == "HEAD";
  if (path == "/thumb") {
    st->endpoint = Endpoint::kThumb;
    if (m != "POST") return Error(c, st, 405);
    return Thumb(c, st, upload, upload_size);
  }
  if (*upload_size != 0) {  // a body nobody asked for: drop it
    *upload_size = 0;
    return MHD_YES;
  }
  // The first call only announces the request (headers complete); a
  // response queued then makes libmicrohttpd 0.9.75 close the connection
  // (no keep-alive), so answer on the second, once any body was read.
  if (!st->started) {
    st->started = true;
    return MHD_YES;
  }
  if (path == "/") {
    st->endpoint = Endpoint::kRoot;
    return get ? Send(c, st, 200, page_, false) : Error(c, st, 405);
  }
  if (path == "/healthz") {
    st->endpoint = Endpoint::kHealthz;
    return get ? Send(c, st, 200, ok_, false) : Error(c, st, 405);
  }
  if (path == "/metrics") {
    st->endpoint = Endpoint::kMetrics;
    if (!get) return Error(c, st, 405);
    return Send(c, st, 200,
                BufferResponse(metrics_->RenderPrometheus(),
                               "text/plain; version=0.0.4; charset=utf-8"),
                true);
  }
  if (path.rfind("/tile/", 0) == 0) {
    st->endpoint = Endpoint::kTile;
    return get ? Tile(c, st, std::string(path.substr(6))) : Error(c, st, 405);
  }
  if (path.rfind("/static/", 0) == 0) {
    st->endpoint = Endpoint::kStatic;
    return get ? Static(c, st, std::string(path.substr(8))) : Error(c, st, 405);
  }
  return Error(c, st, 404);
}

MHD_Result Server::Tile(MHD_Connection* c, RequestState* st,
                        const std::string& rest) {
  auto id = ParseTilePath(rest);
  if (!id.ok()) {
    return Error(c, st,
                 id.status().code() == Status::Code::kNotFound ? 404 : 400);
  }
  if (renders_.fetch_add(1) >= renders_limit_) {
    renders_.fetch_sub(1);
    counters().rejected_renders.fetch_add(1);
    return Error(c, st, 503);
  }
  const std::vector<float> px = RenderTile(*id, options_.tile_max_iter);
  renders_.fetch_sub(1);
  const std::string png = EncodeTilePng(px);
  if (png.empty()) return Error(c, st, 500);
  MHD_Response* r = BufferResponse(png, "image/png");
  MHD_add_response_header(r, "X-Tile-Checksum", TileChecksum(px).c_str());
  return Send(c, st, 200, r, true);
}

MHD_Result Server::Static(MHD_Connection* c, RequestState* st,
                          const std::string& rest) {
  if (!root_) return Error(c, st, 404);
  const Clock::time_point now = Clock::now();
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(rest);
    if (it != cache_.end() && it->second.expires > now) {
      return Send(c, st, 200, it->second.response, false);
    }
  }
  auto file = root_->Resolve(rest);
  if (!file.ok()) {
    switch (file.status().code()) {
      case Status::Code::kInvalidArgument:
        return Error(c, st, 400);
      case Status::Code::kFailedPrecondition:
        return Error(c, st, 403);
      default:
        return Error(c, st, 404);
    }
  }
  const int fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(c, st, 404);
  if (static_cast<std::size_t>(file->size) > kCachedFileBytes) {
    MHD_Response* r =  // MHD closes fd with the response (sendfile)
        MHD_create_response_from_fd64(static_cast<uint64_t>(file->size), fd);
    if (r == nullptr) {
      ::close(fd);
      return Error(c, st, 500);
    }
    MHD_add_response_header(r, "Content-Type", file->content_type.c_str());
    return Send(c, st, 200, r, true);
  }
  std::string bytes(static_cast<std::size_t>(file->size), '\0');
  const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), 0);
  ::close(fd);
  if (n != file->size) return Error(c, st, 500);
  MHD_Response* r = Closing(BufferResponse(bytes, file->content_type.c_str()));
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kCacheEntries) {
    for (auto& [key, f] : cache_) MHD_destroy_response(f.response);
    cache_.clear();
  }
  auto [it, inserted] = cache_.try_emplace(rest, CachedFile{r, now});
  if (!inserted) MHD_destroy_response(it->second.response);
  it->second = CachedFile{r, now + kCacheTtl};
  return Send(c, st, 200, r, false);
}

bool Server::RefuseImage(MHD_Connection* c, RequestState* st,
                         MHD_Result* sent) {
  auto header = ReadImageHeader(st->body);
  if (!header.ok()) {
    *sent = Error(c, st, 415);
    return true;
  }
  const std::uint64_t limit = options_.limits.image_pixels;
  if (header->pixels() <= limit) return false;
  const std::string text =
      "413 image too large: " + std::to_string(header->width) + " x " +
      std::to_string(header->height) + " pixels, over this server's limit of " +
      std::to_string(limit) + " (max_pixels)\n";
  *sent =
      Send(c, st, 413, BufferResponse(text, "text/plain; charset=utf-8"), true);
  return true;
}

MHD_Result Server::Thumb(MHD_Connection* c, RequestState* st,
                         const char* upload, std::size_t* upload_size) {
  const std::size_t limit = options_.limits.body_bytes;
  if (!st->started) {
    st->started = true;
    const char* len =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (len != nullptr && std::strtoull(len, nullptr, 10) > limit) {
      return Error(c, st, 413);  // before reading the body
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {
    if (st->body.size() + *upload_size > limit) {
      // A chunked body over the limit: stop reading, close the connection.
      st->status = 413;
      return MHD_NO;
    }
    st->body.append(upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (MHD_Result refused; RefuseImage(c, st, &refused)) return refused;
  cv::Mat img;
  try {
    img = cv::imdecode(cv::Mat(1, static_cast<int>(st->body.size()), CV_8UC1,
                               const_cast<char*>(st->body.data())),
                       cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    img = cv::Mat();
  }
  if (img.empty()) return Error(c, st, 415);
  const double scale =
      double(options_.thumb_side) / double(std::max(img.cols, img.rows));
  cv::Mat thumb;
  if (scale < 1) {
    cv::resize(img, thumb,
               cv::Size(std::max(1, int(img.cols * scale + 0.5)),
                        std::max(1, int(img.rows * scale + 0.5))),
               0, 0, cv::INTER_AREA);
  } else {
    thumb = img;
  }
  std::vector<uchar> jpeg;
  try {
    if (!cv::imencode(".jpg", thumb, jpeg, {cv::IMWRITE_JPEG_QUALITY, 85})) {
      return Error(c, st, 500);
    }
  } catch (const cv::Exception&) {
    return Error(c, st, 500);
  }
  return Send(c, st, 200,
              BufferResponse(
                  std::string_view(reinterpret_cast<const char*>(jpeg.data()),
                                   jpeg.size()),
                  "image/jpeg"),
              true);
}

MHD_Result OnRequest(void* cls, MHD_Connection* c, const char* url,
                     const char* method, const char*, const char* upload,
                     std::size_t* upload_size, void** req_cls) {
  auto* st = static_cast<RequestState*>(*req_cls);
  if (st == nullptr) *req_cls = st = new RequestState();
  return static_cast<Server*>(cls)->Handle(c, url, method, upload, upload_size,
                                           st);
}

void* OnUri(void*, const char*, MHD_Connection*) { return new RequestState(); }

void OnCompleted(void* cls, MHD_Connection*, void** req_cls,
                 MHD_RequestTerminationCode) {
  auto* st = static_cast<RequestState*>(*req_cls);
  if (st == nullptr) return;
  const double s =
      std::chrono::duration<double>(Clock::now() - st->start).count();
  // A request MHD refused itself (e.g. headers over the limit) has no
  // status of ours: count it as a client error.
  static_cast<Server*>(cls)->counters().RecordRequest(
      st->endpoint, st->status == 0 ? 400 : st->status, s);
  delete st;
  *req_cls = nullptr;
}

MHD_Daemon* StartDaemon(int listen_fd, const ServerOptions& o, Server* s) {
  unsigned int flags = MHD_USE_EPOLL | MHD_USE_TURBO;
  if (o.threads > 0) flags |= MHD_USE_INTERNAL_POLLING_THREAD;
  MHD_OptionItem pool[] = {
      {o.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, o.threads,
       nullptr},
      {MHD_OPTION_END, 0, nullptr}};
  return MHD_start_daemon(
      flags, 0, nullptr, nullptr, &OnRequest, s, MHD_OPTION_LISTEN_SOCKET,
      listen_fd, MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned int>(o.limits.connections),
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(o.limits.timeout_s),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, o.limits.header_bytes,
      MHD_OPTION_URI_LOG_CALLBACK, &OnUri, nullptr, MHD_OPTION_NOTIFY_COMPLETED,
      &OnCompleted, s, MHD_OPTION_ARRAY, pool, MHD_OPTION_END);
}

// Waits for the daemon's epoll set (single-threaded mode: then runs it),
// the channel and SIGTERM; returns when it is time to stop.
// `rearm`: run MHD a second time after each round. A daemon at its
// connection limit takes its listening socket out of its epoll set and puts
// it back only at the start of its next run: with few connections, each
// closed after its response (ServerLimits::close_each), the loop would
// otherwise sleep with nothing to wake it while clients wait in the queue.
void Loop(MHD_Daemon* d, int control_fd, bool external, bool rearm,
          SlotCounters* slot, const sigset_t& wait_mask) {
  int epfd = -1;
  if (external) {
    epfd = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD)->epoll_fd;
  }
  auto next_rss = Clock::now();
  while (g_stop == 0) {
    long long ms = 1000;
    MHD_UNSIGNED_LONG_LONG to = 0;
    if (external && MHD_get_timeout(d, &to) == MHD_YES) {
      ms = std::min<long long>(ms, static_cast<long long>(to));
    }
    timespec ts{static_cast<time_t>(ms / 1000),
                static_cast<long>(ms % 1000) * 1000000L};
    pollfd fds[2] = {{control_fd, POLLIN, 0}, {epfd, POLLIN, 0}};
    const int n = ::ppoll(fds, external ? 2 : 1, &ts, &wait_mask);
    if (n > 0 && fds[0].revents != 0) {
      char b;
      if (::read(control_fd, &b, 1) <= 0) break;  // supervisor gone
    }
    if (external) MHD_run(d);
    if (external && rearm) MHD_run(d);
    if (Clock::now() >= next_rss) {
      auto rss = platform::ResidentBytes(0);
      if (rss.ok()) slot->resident_bytes.store(*rss);
      next_rss = Clock::now() + std::chrono::seconds(1);
    }
  }
}

}  // namespace

int RunServer(int listen_fd, int control_fd, const ServerOptions& options,
              FarmMetrics* metrics) {
  // SIGTERM only interrupts the wait (ppoll), never a request; Ctrl-C is
  // for the supervisor, which stops the servers itself.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnTerm;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  sigset_t block, wait_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &wait_mask);  // threads inherit it
  sigdelset(&wait_mask, SIGTERM);
  cv::setNumThreads(0);  // no OpenCV thread pool: one thread per server

  SlotCounters& slot = metrics->slot(options.slot);
  slot.pid.store(::getpid());
  Server server(options, metrics);
  MHD_Daemon* d = StartDaemon(listen_fd, options, &server);
  if (d == nullptr) {
    std::fprintf(stderr, "webfarm server %d: libmicrohttpd did not start\n",
                 options.slot);
    return kServerBadConfig;
  }
  const char ready = 'R';
  if (::write(control_fd, &ready, 1) != 1) {
    MHD_stop_daemon(d);
    return kServerStopped;
  }
  Loop(d, control_fd, options.threads == 0, options.limits.close_each, &slot,
       wait_mask);
  MHD_stop_daemon(d);
  return kServerStopped;
}

}  // namespace krg::demos::servers
