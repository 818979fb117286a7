#include "krg/channel.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "gtest/gtest.h"
#include "krg/check.h"
#include "krg/file_io.h"

namespace krg::platform {
namespace {

// Two connected Channels, as ForkWorker makes them: a stream socketpair,
// or two pipes (master reads a, writes b; the worker the other ends).
std::pair<Channel, Channel> Pair(ChannelKind kind) {
  if (kind == ChannelKind::kSocket) {
    int sv[2];
    KRG_CHECK(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    return {Channel(sv[0]), Channel(sv[1])};
  }
  int a[2], b[2];
  KRG_CHECK(::pipe2(a, O_CLOEXEC) == 0 && ::pipe2(b, O_CLOEXEC) == 0);
  return {Channel(a[0], b[1]), Channel(b[0], a[1])};
}

// Every channel test runs on both kinds.
class ChannelTest : public ::testing::TestWithParam<ChannelKind> {
 protected:
  std::pair<Channel, Channel> Pair() const {
    return platform::Pair(GetParam());
  }
};

std::string Wire(std::uint32_t type, std::uint64_t tag, std::string_view body) {
  const FrameHeader h{type, 0, tag, body.size()};
  std::string wire(reinterpret_cast<const char*>(&h), sizeof h);
  return wire.append(body);
}

TEST_P(ChannelTest, TakesAFrameOnlyOnceAllOfItArrived) {
  auto [master, worker] = Pair();
  const std::string wire = Wire(7, 42, "result") + Wire(8, 43, "");
  ChannelPoller poller;
  Channel* const channels[] = {&master};
  // One byte at a time: every split of the header and the body.
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_TRUE(worker.Send(wire.substr(i, 1)).ok());
    ASSERT_TRUE(poller.Wait(channels, -1).ok());
    ASSERT_EQ(poller.events().size(), 1u);
    EXPECT_FALSE(poller.events()[0].closed);
    if (i + 1 < sizeof(FrameHeader) + 6) {
      EXPECT_FALSE(master.TakeFrame().has_value()) << "after byte " << i;
    } else if (i + 1 == sizeof(FrameHeader) + 6) {
      auto f = master.TakeFrame();
      ASSERT_TRUE(f.has_value());
      EXPECT_EQ(f->type, 7u);
      EXPECT_EQ(f->tag, 42u);
      EXPECT_EQ(f->body, "result");
    }
  }
  ASSERT_TRUE(worker.Send(wire.substr(wire.size() - 1)).ok());
  ASSERT_TRUE(poller.Wait(channels, -1).ok());
  auto f = master.TakeFrame();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->tag, 43u);
  EXPECT_TRUE(f->body.empty());
  EXPECT_TRUE(master.pending().empty());
}

TEST_P(ChannelTest, TakesSeveralFramesThatArriveInOneRead) {
  auto [master, worker] = Pair();
  for (std::uint64_t unit = 0; unit < 3; ++unit) {
    ASSERT_TRUE(worker.SendFrame(2, unit, std::string(unit * 10, 'x')).ok());
  }
  // More than a pipe holds (64 KiB): sent while the master reads.
  Status big;
  std::thread sender(
      [&, &w = worker] { big = w.SendFrame(2, 3, std::string(100000, 'y')); });
  ChannelPoller poller;
  Channel* const channels[] = {&master};
  std::uint64_t next = 0;
  while (next < 4) {
    ASSERT_TRUE(poller.Wait(channels, -1).ok());
    ASSERT_FALSE(poller.events().empty());
    while (auto f = master.TakeFrame()) {
      EXPECT_EQ(f->tag, next);
      EXPECT_EQ(f->body.size(), next == 3 ? 100000u : next * 10);
      ++next;
    }
  }
  sender.join();
  EXPECT_TRUE(big.ok()) << big.ToString();
}

TEST_P(ChannelTest, ReceiveFrameEndsCleanlyAtEofAndFailsInsideAFrame) {
  auto [master, worker] = Pair();
  ASSERT_TRUE(master.SendFrame(1, 5).ok());
  master.Close();
  auto f = worker.ReceiveFrame();
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->type, 1u);
  EXPECT_EQ((*f)->tag, 5u);
  auto eof = worker.ReceiveFrame();
  ASSERT_TRUE(eof.ok());
  EXPECT_FALSE(eof->has_value());

  auto [m2, w2] = Pair();
  const std::string wire = Wire(1, 9, "cut short");
  ASSERT_TRUE(m2.Send(std::string_view(wire).substr(0, wire.size() - 3)).ok());
  m2.Close();
  EXPECT_FALSE(w2.ReceiveFrame().ok());
}

TEST_P(ChannelTest, SendToAPeerThatIsGoneFailsWithoutSigpipe) {
  auto [master, worker] = Pair();
  worker.Close();
  // With SIGPIPE's default action this would kill the test.
  const Status s = master.SendFrame(1, 0, "lost");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("send"), std::string::npos) << s.message();
}

void OnSignal(int) {}

// A send of more than the socket buffer holds blocks; signals that land
// meanwhile (no SA_RESTART) interrupt it with EINTR or a short count. All
// bytes must still arrive once, in order.
TEST_P(ChannelTest, SendsEverythingThroughInterruptsAndShortWrites) {
  struct sigaction sa {
  }, old{};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: interrupted calls return EINTR
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  auto [master, worker] = Pair();
  std::string body(8 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = char(i * 131 % 251);
  Status sent;
  std::thread writer([&] { sent = worker.SendFrame(2, 77, body); });
  ChannelPoller poller(4096);  // small reads: many rounds, many signals
  Channel* const channels[] = {&master};
  std::optional<Frame> f;
  while (!f) {
    (void)::pthread_kill(writer.native_handle(), SIGUSR1);
    ASSERT_TRUE(poller.Wait(channels, -1).ok());
    f = master.TakeFrame();
  }
  writer.join();
  ASSERT_EQ(::sigaction(SIGUSR1, &old, nullptr), 0);
  EXPECT_TRUE(sent.ok()) << sent.ToString();
  EXPECT_EQ(f->tag, 77u);
  EXPECT_TRUE(f->body == body);
}

TEST_P(ChannelTest, PollerReportsWhatArrivedAndWhichClosedInIndexOrder) {
  auto [m0, w0] = Pair();
  auto [m1, w1] = Pair();
  auto [m2, w2] = Pair();
  Channel closed;  // never opened: left out, like a null
  ASSERT_TRUE(w0.SendFrame(2, 10, "a").ok());
  w1.Close();
  ASSERT_TRUE(w2.SendFrame(2, 12, "c").ok());
  ChannelPoller poller;
  Channel* const channels[] = {&m0, &m1, nullptr, &closed, &m2};
  ASSERT_TRUE(poller.Wait(channels, 1000).ok());
  ASSERT_EQ(poller.events().size(), 3u);
  EXPECT_EQ(poller.events()[0].index, 0u);
  EXPECT_FALSE(poller.events()[0].closed);
  EXPECT_EQ(poller.events()[1].index, 1u);
  EXPECT_TRUE(poller.events()[1].closed);
  EXPECT_EQ(poller.events()[2].index, 4u);
  EXPECT_FALSE(poller.events()[2].closed);
  EXPECT_EQ(m0.TakeFrame()->body, "a");
  EXPECT_EQ(m2.TakeFrame()->body, "c");

  // The owner closes what closed; the rest are quiet: a timeout, no events.
  m1.Close();
  ASSERT_TRUE(poller.Wait(channels, 0).ok());
  EXPECT_TRUE(poller.events().empty());
}

TEST_P(ChannelTest, RawBytesArePendingUntilConsumed) {
  auto [master, worker] = Pair();
  ASSERT_TRUE(worker.Send("R").ok());
  ChannelPoller poller(64);
  Channel* const channels[] = {&master};
  ASSERT_TRUE(poller.Wait(channels, -1).ok());
  EXPECT_EQ(master.pending(), "R");
  master.Consume(1);
  EXPECT_TRUE(master.pending().empty());
}

INSTANTIATE_TEST_SUITE_P(Kinds, ChannelTest,
                         ::testing::Values(ChannelKind::kPipes,
                                           ChannelKind::kSocket),
                         [](const auto& info) {
                           return info.param == ChannelKind::kPipes
                                      ? std::string("Pipes")
                                      : std::string("Socket");
                         });

TEST(FileIoTest, WritesAllAndAtAnOffset) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("krg-file-io-test-" + std::to_string(::getpid()));
  auto fd = OpenTruncated(path.string(), /*direct=*/false, nullptr);
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  ASSERT_TRUE(WriteAll(*fd, "hello world", 11, "w").ok());
  ASSERT_TRUE(WriteAllAt(*fd, "W", 1, 6, "w").ok());
  ::close(*fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "hello World");
  std::filesystem::remove(path);
}

TEST(FileIoTest, NamesWhatFailedAndWhy) {
  const Status s = WriteAll(-1, "x", 1, "cannot write /nowhere");
  EXPECT_EQ(s.message(), "cannot write /nowhere: Bad file descriptor");
  auto fd = OpenTruncated("/nonexistent-dir/f", true, nullptr);
  ASSERT_FALSE(fd.ok());
  EXPECT_EQ(fd.status().message(),
            "cannot write /nonexistent-dir/f: No such file or directory");
}

}  // namespace
}  // namespace krg::platform
