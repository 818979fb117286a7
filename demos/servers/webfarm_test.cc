// The farm as a client sees it: real server processes (forked through the
// linux platform) on a loopback port the kernel picks, libmicrohttpd, real
// sockets. Issue 6.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "krg/platform.h"
#include "servers/load.h"
#include "servers/net.h"
#include "servers/supervisor.h"

namespace krg::demos::servers {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// 'Z' (zombie) or gone: the process no longer runs.
bool Gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const std::size_t paren = stat.rfind(')');
  return paren == std::string::npos || stat.size() < paren + 3 ||
         stat[paren + 2] == 'Z' || stat[paren + 2] == 'X';
}

// Peak resident memory of `pid` (VmHWM), in bytes; -1 when unreadable.
long long PeakResident(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) << 10;
  }
  return -1;
}

void AppendChunk(std::string& png, const char* type, const std::string& data) {
  auto be32 = [&](std::uint32_t v) {
    for (int i = 24; i >= 0; i -= 8) png += static_cast<char>(v >> i);
  };
  be32(static_cast<std::uint32_t>(data.size()));
  const std::string body = type + data;
  png += body;
  be32(static_cast<std::uint32_t>(
      ::crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

// A valid PNG of `side` x `side` black pixels, 1 bit each: a few hundred KB
// that OpenCV decodes into side * side * 3 bytes (1.2 GB for 20000).
std::string DecompressionBomb(std::uint32_t side) {
  std::string ihdr;
  for (std::uint32_t v : {side, side}) {
    for (int i = 24; i >= 0; i -= 8) ihdr += static_cast<char>(v >> i);
  }
  ihdr += std::string("\x01\x00\x00\x00\x00", 5);  // 1-bit grey
  z_stream z{};
  EXPECT_EQ(::deflateInit(&z, 9), Z_OK);
  const std::string row(1 + (side + 7) / 8, '\0');  // filter byte + bits
  std::string idat;
  std::vector<Bytef> out(1 << 16);
  for (std::uint32_t y = 0; y <= side; ++y) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(row.data()));
    z.avail_in = y < side ? static_cast<uInt>(row.size()) : 0;
    const int flush = y < side ? Z_NO_FLUSH : Z_FINISH;
    do {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      ::deflate(&z, flush);
      idat.append(reinterpret_cast<char*>(out.data()),
                  out.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  ::deflateEnd(&z);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  AppendChunk(png, "IHDR", ihdr);
  AppendChunk(png, "IDAT", idat);
  AppendChunk(png, "IEND", "");
  return png;
}

class WebfarmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("webfarm_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "www");
    std::ofstream(dir_ / "www" / "1k.bin") << std::string(1024, 'k');
    std::ofstream(dir_ / "secret.txt") << "secret";
    fs::create_symlink(dir_ / "secret.txt", dir_ / "www" / "link.txt");
    platform_ = platform::MakeLinuxPlatform();
    options_.port = 0;
    options_.server.static_dir = (dir_ / "www").string();
    options_.server.tile_max_iter = 100;
  }
  void TearDown() override {
    farm_.reset();
    fs::remove_all(dir_);
  }
  void StartFarm(int nodes) {
    auto s = Supervisor::Start(*platform_, nodes, options_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    farm_ = std::move(*s);
  }
  HttpResponse Get(const std::string& path) {
    auto r = HttpGet(farm_->port(), path, 10000);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? *r : HttpResponse{};
  }
  // What arrives for raw bytes (the status line, or "" when closed).
  std::string Raw(const std::string& bytes, int timeout_ms = 10000) {
    auto r = SendRaw(farm_->port(), bytes, timeout_ms);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->substr(0, r->find("\r\n")) : "";
  }

  fs::path dir_;
  std::unique_ptr<platform::Platform> platform_;
  FarmOptions options_;
  std::unique_ptr<Supervisor> farm_;
};

TEST_F(WebfarmTest, ServesEveryEndpoint) {
  StartFarm(1);
  HttpResponse root = Get("/");
  EXPECT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("krgdemo webfarm"), std::string::npos);
  EXPECT_EQ(Get("/healthz").body, "ok\n");

  HttpResponse tile = Get("/tile/2/1/1.png");
  ASSERT_EQ(tile.status, 200);
  EXPECT_EQ(tile.headers["content-type"], "image/png");
  auto demo = DemoTileChecksum({2, 1, 1}, 100);
  ASSERT_TRUE(demo.ok());
  EXPECT_EQ(tile.headers["x-tile-checksum"], *demo);
  cv::Mat img = cv::imdecode(
      cv::Mat(1, static_cast<int>(tile.body.size()), CV_8UC1, tile.body.data()),
      cv::IMREAD_COLOR);
  EXPECT_EQ(img.cols, 256);

  HttpResponse file = Get("/static/1k.bin");
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, std::string(1024, 'k'));
  EXPECT_EQ(Get("/static/1k.bin").body, file.body);  // from the cache

  cv::Mat photo(300, 400, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<uchar> png;
  cv::imencode(".png", photo, png);
  auto thumb = HttpPost(farm_->port(), "/thumb", "image/png",
                        std::string(png.begin(), png.end()));
  ASSERT_TRUE(thumb.ok());
  EXPECT_EQ(thumb->status, 200);
  EXPECT_EQ(thumb->headers["content-type"], "image/jpeg");
  cv::Mat small = cv::imdecode(cv::Mat(1, static_cast<int>(thumb->body.size()),
                                       CV_8UC1, thumb->body.data()),
                               cv::IMREAD_COLOR);
  EXPECT_EQ(small.cols, 160);
  EXPECT_EQ(small.rows, 120);
  auto junk = HttpPost(farm_->port(), "/thumb", "image/png", "not an image");
  ASSERT_TRUE(junk.ok());
  EXPECT_EQ(junk->status, 415);

  EXPECT_EQ(Get("/nope").status, 404);
  EXPECT_EQ(Get("/tile/1/5/0.png").status, 404);
  EXPECT_EQ(Get("/tile/x.png").status, 400);
  EXPECT_EQ(Get("/thumb").status, 405);
  EXPECT_EQ(Raw("DELETE /healthz HTTP/1.1\r\nHost: a\r\n"
                "Connection: close\r\n\r\n"),
            "HTTP/1.1 405 Method Not Allowed");

  HttpResponse metrics = Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* want :
       {"webfarm_requests_total{endpoint=\"tile\",code=\"2xx\",server=\"0\"} 1",
        "webfarm_requests_total{endpoint=\"static\",code=\"2xx\"",
        "webfarm_request_duration_seconds_bucket{le=\"+Inf\"}",
        "webfarm_restarts_total 0", "webfarm_server_requests_total{server="}) {
    EXPECT_NE(metrics.body.find(want), std::string::npos) << want;
  }
}

TEST_F(WebfarmTest, RefusesADecompressionBombFromItsHeader) {
  StartFarm(1);
  const std::string bomb = DecompressionBomb(20000);
  ASSERT_LT(bomb.size(), options_.server.limits.body_bytes);
  auto r = HttpPost(farm_->port(), "/thumb", "image/png", bomb);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("20000 x 20000 pixels"), std::string::npos) << r->body;
  const long long peak = PeakResident(farm_->pid(0));
  EXPECT_GT(peak, 0);
  EXPECT_LT(peak, 200LL << 20) << "the server decoded the bomb";
  auto bmp = HttpPost(farm_->port(), "/thumb", "image/bmp",
                      "BM" + std::string(100, '\0'));
  ASSERT_TRUE(bmp.ok());
  EXPECT_EQ(bmp->status, 415);  // a format whose size is not checked
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(WebfarmTest, KeepsConnectionsAlive) {
  // Regression (issue 6): a response queued on the handler's first call made
  // libmicrohttpd close every connection, a sixth of the keep-alive rate.
  StartFarm(1);
  auto r = SendRaw(farm_->port(),
                   "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                   "GET /static/1k.bin HTTP/1.1\r\nHost: a\r\n"
                   "Connection: close\r\n\r\n",
                   10000);
  ASSERT_TRUE(r.ok());
  const std::size_t second = r->find("HTTP/1.1 200", 1);
  ASSERT_NE(second, std::string::npos) << *r;
  EXPECT_EQ(r->rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(r->substr(0, second).find("Connection: close"), std::string::npos)
      << *r;
}

TEST_F(WebfarmTest, ServersAreSingleThreadedUnlessAPoolIsAsked) {
  StartFarm(2);
  for (pid_t pid : farm_->pids()) {
    auto n = platform::ThreadCount(pid);
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(*n, 1) << "a server that Kerrighed can migrate";
  }
  farm_.reset();
  options_.server.threads = 3;
  StartFarm(1);
  EXPECT_EQ(Get("/healthz").status, 200);
  auto n = platform::ThreadCount(farm_->pid(0));
  ASSERT_TRUE(n.ok());
  EXPECT_GE(*n, 4);  // main + 3 pool threads
}

TEST_F(WebfarmTest, RefusesPathTraversalAndSymlinkEscapes) {
  StartFarm(1);
  for (const char* path :
       {"/static/../secret.txt", "/static/%2e%2e/secret.txt",
        "/static/a/../../secret.txt", "/static/..%2fsecret.txt"}) {
    std::string line = Raw("GET " + std::string(path) +
                           " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(line, "HTTP/1.1 400 Bad Request") << path;
  }
  HttpResponse link = Get("/static/link.txt");
  EXPECT_EQ(link.status, 403);
  EXPECT_EQ(link.body.find("secret"), std::string::npos);
  EXPECT_EQ(Get("/static/").status, 400);
}

TEST_F(WebfarmTest, AnswersMalformedRequestsAndKeepsServing) {
  options_.server.limits.body_bytes = 64 << 10;
  StartFarm(1);
  // A garbage request line.
  std::string line = Raw("\x01\x02 garbage\r\n\r\n");
  EXPECT_EQ(line, "HTTP/1.1 400 Bad Request");
  // A 1 MiB header: refused (the connection memory limit, 32 KiB).
  line = Raw("GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: " +
             std::string(1 << 20, 'a') + "\r\n\r\n");
  EXPECT_EQ(line, "HTTP/1.1 431 Request Header Fields Too Large");
  // Invalid chunked encoding.
  line =
      Raw("POST /thumb HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
          "Connection: close\r\n\r\nZZZ\r\nnot a chunk\r\n0\r\n\r\n");
  EXPECT_EQ(line, "HTTP/1.1 400 Bad Request");
  // A body over the limit, announced and chunked.
  line = Raw("POST /thumb HTTP/1.1\r\nHost: a\r\nContent-Length: " +
             std::to_string(1 << 20) + "\r\nConnection: close\r\n\r\n" +
             std::string(1 << 20, 'b'));
  EXPECT_EQ(line.substr(0, 13), "HTTP/1.1 413 ") << line;
  std::string chunked =
      "POST /thumb HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n";
  for (int i = 0; i < 20; ++i) {
    chunked += "4000\r\n" + std::string(0x4000, 'c') + "\r\n";
  }
  chunked += "0\r\n\r\n";
  EXPECT_EQ(Raw(chunked), "") << "closed at the limit, nothing served";
  EXPECT_EQ(Get("/healthz").status, 200);  // still serving
  EXPECT_EQ(farm_->restarts(), 0);
}

// Opens a loopback connection to `port` (-1 on failure).
int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 &&
      ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    return fd;
  }
  if (fd >= 0) ::close(fd);
  return -1;
}

TEST_F(WebfarmTest, SlowlorisConnectionsDoNotStopOthersAndMemoryStaysBounded) {
  options_.server.limits.timeout_s = 2;
  StartFarm(1);
  auto rss0 = platform::ResidentBytes(farm_->pid(0));
  ASSERT_TRUE(rss0.ok());
  // 300 connections that send their headers a byte every 200 ms.
  std::vector<int> slow;
  for (int i = 0; i < 300; ++i) {
    const int fd = Connect(farm_->port());
    ASSERT_GE(fd, 0);
    ASSERT_GT(::send(fd, "GET /healthz HTTP/1.1\r\nX-Slow: ", 30, MSG_NOSIGNAL),
              0);
    slow.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    while (!stop.load()) {
      for (int fd : slow) (void)::send(fd, "a", 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  int served = 0, tried = 0;
  const auto t0 = Clock::now();
  while (Clock::now() - t0 < std::chrono::milliseconds(2500)) {
    ++tried;
    served += Get("/static/1k.bin").status == 200;
  }
  stop = true;
  trickle.join();
  EXPECT_EQ(served, tried);
  EXPECT_GT(served, 10);
  auto rss1 = platform::ResidentBytes(farm_->pid(0));
  ASSERT_TRUE(rss1.ok());
  EXPECT_LT(*rss1 - *rss0, 32 << 20) << "300 slow connections";
  // Once they stop sending, the idle timeout (2 s) closes them: EOF or a
  // reset arrives, long before our 8 s limit.
  int closed = 0;
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    char buf[256];
    if (::poll(&p, 1, 8000) == 1 && ::recv(fd, buf, sizeof buf, 0) <= 0) {
      ++closed;
    }
    ::close(fd);
  }
  EXPECT_EQ(closed, 300);
  EXPECT_EQ(Get("/healthz").status, 200);
}

// A load generator the test owns: `conns` keep-alive connections that
// request /healthz as fast as they can, counting answers and failures.
struct Load {
  std::atomic<bool> stop{false};
  std::atomic<long long> ok{0}, failed{0};
  std::vector<std::thread> threads;
  void Start(int port, int conns) {
    for (int i = 0; i < conns; ++i) {
      threads.emplace_back([this, port] {
        while (!stop.load()) {
          auto r = HttpGet(port, "/tile/1/0/0.png", 5000);
          (r.ok() && r->status == 200 ? ok : failed)++;
        }
      });
    }
  }
  void Stop() {
    stop = true;
    for (std::thread& t : threads) t.join();
  }
};

TEST_F(WebfarmTest, AKilledServerIsRestartedUnderLoadWithFewErrors) {
  StartFarm(2);
  Load load;
  load.Start(farm_->port(), 8);
  const pid_t victim = farm_->pid(0);
  auto t0 = Clock::now();
  bool killed = false;
  while (Clock::now() - t0 < std::chrono::milliseconds(3000)) {
    if (!killed && Clock::now() - t0 > std::chrono::milliseconds(800)) {
      ASSERT_TRUE(farm_->Signal(0, SIGKILL).ok());
      killed = true;
    }
    ASSERT_TRUE(farm_->Poll(20).ok());
  }
  load.Stop();
  EXPECT_EQ(farm_->restarts(), 1);
  EXPECT_NE(farm_->pid(0), victim);
  EXPECT_TRUE(Gone(victim));
  const auto events = farm_->TakeEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].find("killed by signal 9"), std::string::npos)
      << events[0];
  // Only requests in flight on the killed process may fail; queued
  // connections wait in the supervisor's socket for the new server.
  EXPECT_GT(load.ok.load(), 20);
  EXPECT_LE(load.failed.load(), 8) << "of " << load.ok.load();
  EXPECT_NE(Get("/metrics").body.find("webfarm_restarts_total 1"),
            std::string::npos);
}

// Keep-alive clients, as wrk's: each requests `path` over one connection
// again and again, reconnecting when the server says "Connection: close" or
// the connection breaks; an answer cut short counts as a failure.
struct KeepAliveLoad {
  std::atomic<bool> stop{false};
  std::atomic<long long> ok{0}, failed{0};
  std::vector<std::thread> threads;

  static int Connect(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  // One request and its answer; false when the connection must be dropped.
  bool Exchange(int fd, const std::string& request, bool* good) {
    *good = false;
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
        ssize_t(request.size())) {
      return false;
    }
    std::string in;
    std::size_t need = std::string::npos;
    char buf[16384];
    while (need == std::string::npos || in.size() < need) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return false;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;  // EOF or reset before the whole answer
      in.append(buf, std::size_t(n));
      const std::size_t end = in.find("\r\n\r\n");
      if (need == std::string::npos && end != std::string::npos) {
        const std::size_t cl = in.find("Content-Length: ");
        if (cl == std::string::npos || cl > end) return false;
        need = end + 4 + std::stoul(in.substr(cl + 16));
      }
    }
    *good = in.compare(0, 12, "HTTP/1.1 200") == 0;
    return in.find("Connection: close") == std::string::npos;
  }
  void Start(int port, int conns, const std::string& path) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    for (int i = 0; i < conns; ++i) {
      threads.emplace_back([this, port, request] {
        int fd = -1;
        while (!stop.load()) {
          if (fd < 0) fd = Connect(port);
          bool good = false;
          const bool keep = fd >= 0 && Exchange(fd, request, &good);
          (good ? ok : failed)++;
          if (!keep && fd >= 0) {
            ::close(fd);
            fd = -1;
          }
        }
        if (fd >= 0) ::close(fd);
      });
    }
  }
  void Stop() {
    stop = true;
    for (std::thread& t : threads) t.join();
  }
};

// Issue 19: where clients wait decides what a kill loses. Under 48
// keep-alive clients, a server that accepts them all (queue=server) holds
// about half of them, each with a request in flight, when it is killed; one
// that holds at most 2 connections and closes each after its answer
// (queue=kernel) loses at most those 2, while the others wait in the accept
// queue the supervisor owns. Returns the failures of one kill.
long long FailuresOfOneKill(Supervisor& farm) {
  KeepAliveLoad load;
  load.Start(farm.port(), 48, "/tile/1/0/0.png");
  auto t0 = Clock::now();
  bool killed = false;
  while (Clock::now() - t0 < std::chrono::milliseconds(3000)) {
    if (!killed && Clock::now() - t0 > std::chrono::milliseconds(1000)) {
      EXPECT_TRUE(farm.Signal(0, SIGKILL).ok());
      killed = true;
    }
    EXPECT_TRUE(farm.Poll(20).ok());
  }
  load.Stop();
  EXPECT_EQ(farm.restarts(), 1);
  EXPECT_GT(load.ok.load(), 48) << "failed " << load.failed.load();
  return load.failed.load();
}

TEST_F(WebfarmTest, KernelQueueLosesOnlyTheRequestsAServerHolds) {
  options_.server.tile_max_iter = 3000;  // slow tiles: requests pile up
  options_.server.limits.connections = 2;
  options_.server.limits.close_each = true;
  StartFarm(2);
  EXPECT_LE(FailuresOfOneKill(*farm_), 2);
}

TEST_F(WebfarmTest, ServerQueueLosesEveryClientTheKilledServerHeld) {
  options_.server.tile_max_iter = 3000;
  StartFarm(2);
  EXPECT_GE(FailuresOfOneKill(*farm_), 8);
}

TEST_F(WebfarmTest, SharedSocketModeServesAndRestarts) {
  options_.reuseport = false;
  StartFarm(2);
  EXPECT_EQ(Get("/healthz").status, 200);
  ASSERT_TRUE(farm_->Signal(1, SIGKILL).ok());
  while (farm_->restarts() == 0) ASSERT_TRUE(farm_->Poll(100).ok());
  EXPECT_EQ(Get("/healthz").status, 200);
}

TEST_F(WebfarmTest, StopLeavesNoProcessBehind) {
  StartFarm(2);
  const std::vector<pid_t> pids = farm_->pids();
  ASSERT_TRUE(farm_->Stop().ok());
  for (pid_t pid : pids) EXPECT_TRUE(Gone(pid)) << pid;
  EXPECT_FALSE(HttpGet(farm_->port(), "/healthz", 1000).ok());
}

TEST_F(WebfarmTest, ServersExitWhenTheSupervisorDies) {
  // A supervisor in a child process, SIGKILLed: its servers see their
  // channel close and exit by themselves.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto child = platform::ForkChild([&]() {
    ::close(fds[0]);
    auto s = Supervisor::Start(*platform_, 2, options_);
    if (!s.ok()) return 1;
    std::string pids;
    for (pid_t p : (*s)->pids()) pids += std::to_string(p) + " ";
    pids += "\n";
    if (::write(fds[1], pids.data(), pids.size()) < 0) return 1;
    for (;;) ::pause();
  });
  ASSERT_TRUE(child.ok());
  ::close(fds[1]);
  std::string text;
  char buf[128];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<std::size_t>(n));
    if (text.find('\n') != std::string::npos) break;
  }
  ::close(fds[0]);
  std::istringstream in(text);
  std::vector<pid_t> servers;
  for (pid_t p; in >> p;) servers.push_back(p);
  ASSERT_EQ(servers.size(), 2u) << text;
  ASSERT_TRUE(platform::SendSignal(*child, SIGKILL).ok());
  ASSERT_TRUE(platform::Reap(*child, true).ok());
  for (pid_t pid : servers) {
    const auto t0 = Clock::now();
    while (!Gone(pid) && Clock::now() - t0 < std::chrono::seconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(Gone(pid)) << "server " << pid << " outlived its supervisor";
  }
}

}  // namespace
}  // namespace krg::demos::servers
