#include "servers/supervisor.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "servers/net.h"

namespace krg::demos::servers {
namespace {

using Clock = std::chrono::steady_clock;

int MsSince(Clock::time_point t) {
  return static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t)
          .count());
}

// A server's messages are single bytes, not frames: 'R' once it serves.
// Takes what arrived; true when it said 'R'.
bool TakeReady(platform::Channel& channel) {
  const std::string_view got = channel.pending();
  channel.Consume(got.size());
  return std::find(got.begin(), got.end(), 'R') != got.end();
}

}  // namespace

Result<std::unique_ptr<Supervisor>> Supervisor::Start(platform::Platform& p,
                                                      int nodes,
                                                      const FarmOptions& o) {
  KRG_CHECK(nodes >= 1) << "a farm needs a node";
  std::unique_ptr<Supervisor> s(new Supervisor(p, o));
  KRG_ASSIGN_OR_RETURN(platform::Layout layout, p.Partition(nodes));
  KRG_ASSIGN_OR_RETURN(s->metrics_, FarmMetrics::Create(nodes));
  s->slots_.resize(static_cast<std::size_t>(nodes));
  int port = o.port;
  for (int i = 0; i < nodes; ++i) {
    Slot& slot = s->slots_[i];
    slot.node = layout.nodes[static_cast<std::size_t>(i) % layout.nodes.size()];
    if (i > 0 && !o.reuseport) {
      slot.listen_fd = s->slots_[0].listen_fd;
      continue;
    }
    KRG_ASSIGN_OR_RETURN(slot.listen_fd,
                         OpenListener(o.bind, port, o.reuseport));
    if (i == 0) {
      KRG_ASSIGN_OR_RETURN(port, LocalPort(slot.listen_fd));
    }
  }
  s->port_ = port;
  for (int i = 0; i < nodes; ++i) KRG_RETURN_IF_ERROR(s->Spawn(i));
  for (int i = 0; i < nodes; ++i) {
    KRG_RETURN_IF_ERROR(s->WaitReady(i, o.start_timeout_ms));
  }
  return s;
}

Supervisor::~Supervisor() { (void)Stop(); }

Status Supervisor::Spawn(int i) {
  Slot& slot = slots_[i];
  ServerOptions so = opt_.server;
  so.slot = i;
  so.nodes = nodes();
  FarmMetrics* m = metrics_.get();
  KRG_ASSIGN_OR_RETURN(platform::Child child,
                       platform_.SpawnWorker(
                           slot.node, platform::ChannelKind::kSocket,
                           [so, m](platform::Channel& channel) {
                             // A socket: it passes the listening socket.
                             auto got = ReceiveFd(channel.fd());
                             if (!got.ok() || got->second < 0)
                               return kServerBadConfig;
                             return RunServer(got->second, channel.fd(), so, m);
                           }));
  slot.pid = child.pid;
  slot.channel = std::move(child.channel);
  slot.ready = false;
  slot.started = Clock::now();
  return SendFd(slot.channel.fd(), 'L', slot.listen_fd);
}

Status Supervisor::WaitReady(int i, int timeout_ms) {
  Slot& slot = slots_[i];
  platform::Channel* const channel[] = {&slot.channel};
  while (!slot.ready) {
    const int left = timeout_ms - MsSince(slot.started);
    if (left <= 0) {
      return Status::Unavailable("server " + std::to_string(i) +
                                 " did not start within " +
                                 std::to_string(timeout_ms) + " ms");
    }
    KRG_RETURN_IF_ERROR(poller_.Wait(channel, left));
    if (poller_.events().empty()) continue;  // timed out or interrupted
    if (!poller_.events()[0].closed) {
      slot.ready = TakeReady(slot.channel);
      continue;
    }
    auto ended = platform::Reap(slot.pid, true);
    slot.pid = -1;
    return Status::FailedPrecondition(
        "server " + std::to_string(i) + " ended during start-up (" +
        (ended.ok() && ended->has_value() ? (*ended)->ToString()
                                          : std::string("unknown")) +
        "); see its message above");
  }
  return Status::Ok();
}

Status Supervisor::Restart(int i) {
  Slot& slot = slots_[i];
  // The channel closed: the process is gone or going; make sure, then reap
  // (its CPU time first: /proc keeps a zombie's until it is reaped).
  auto cpu = platform::CpuSeconds(slot.pid);
  if (cpu.ok()) dead_cpu_s_ += *cpu;
  auto wait = platform::RunqueueWaitSeconds(slot.pid);
  if (wait.ok()) dead_wait_s_ += *wait;
  auto ended = platform::Reap(slot.pid, false);
  if (ended.ok() && !ended->has_value()) {
    (void)platform::SendSignal(slot.pid, SIGKILL);
    ended = platform::Reap(slot.pid, true);
  }
  const std::string how = ended.ok() && ended->has_value()
                              ? (*ended)->ToString()
                              : std::string("ended");
  slot.channel.Close();
  const pid_t old = slot.pid;
  slot.pid = -1;
  if (ended.ok() && ended->has_value() && (*ended)->exited &&
      (*ended)->code == kServerBadConfig) {
    return Status::FailedPrecondition("server " + std::to_string(i) +
                                      " cannot start (bad configuration)");
  }
  const auto t0 = Clock::now();
  KRG_RETURN_IF_ERROR(Spawn(i));
  ++restarts_;
  metrics_->slot(i).restarts.fetch_add(1);
  events_.push_back("server " + std::to_string(i) + " (pid " +
                    std::to_string(old) + ") " + how + "; restarted as pid " +
                    std::to_string(slot.pid) + " in " +
                    std::to_string(MsSince(t0)) + " ms");
  return Status::Ok();
}

Status Supervisor::Poll(int timeout_ms) {
  if (stopped_) return Status::FailedPrecondition("the farm is stopped");
  std::vector<platform::Channel*> channels;
  for (Slot& s : slots_) channels.push_back(&s.channel);
  KRG_RETURN_IF_ERROR(poller_.Wait(channels, timeout_ms));
  for (const platform::ChannelEvent& e : poller_.events()) {
    Slot& slot = slots_[e.index];
    if (!e.closed) {
      slot.ready = TakeReady(slot.channel) || slot.ready;
      continue;
    }
    KRG_RETURN_IF_ERROR(Restart(static_cast<int>(e.index)));
  }
  return Status::Ok();
}

Status Supervisor::Signal(int slot, int sig) {
  KRG_CHECK(slot >= 0 && slot < nodes()) << "no slot " << slot;
  if (slots_[slot].pid <= 0) return Status::NotFound("server is not running");
  return platform::SendSignal(slots_[slot].pid, sig);
}

double Supervisor::ServerCpuSeconds() const {
  double total = dead_cpu_s_;
  for (const Slot& s : slots_) {
    if (s.pid <= 0) continue;
    auto cpu = platform::CpuSeconds(s.pid);
    if (cpu.ok()) total += *cpu;
  }
  return total;
}

double Supervisor::ServerWaitSeconds() const {
  double total = dead_wait_s_;
  for (const Slot& s : slots_) {
    if (s.pid <= 0) continue;
    auto wait = platform::RunqueueWaitSeconds(s.pid);
    if (wait.ok()) total += *wait;
  }
  return total;
}

std::vector<pid_t> Supervisor::pids() const {
  std::vector<pid_t> out;
  for (const Slot& s : slots_) out.push_back(s.pid);
  return out;
}

std::vector<std::string> Supervisor::TakeEvents() {
  std::vector<std::string> out;
  out.swap(events_);
  return out;
}

Status Supervisor::Stop(int grace_ms) {
  if (stopped_) return Status::Ok();
  stopped_ = true;
  for (Slot& s : slots_) {
    if (s.pid > 0) (void)platform::SendSignal(s.pid, SIGTERM);
  }
  const auto t0 = Clock::now();
  Status result;
  for (Slot& s : slots_) {
    while (s.pid > 0) {
      auto ended = platform::Reap(s.pid, false);
      if (!ended.ok()) {
        result = ended.status();
        break;
      }
      if (ended->has_value()) break;
      if (MsSince(t0) > grace_ms) {
        (void)platform::SendSignal(s.pid, SIGKILL);
        (void)platform::Reap(s.pid, true);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.pid = -1;
    s.channel.Close();
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].listen_fd >= 0 && (i == 0 || opt_.reuseport)) {
      ::close(slots_[i].listen_fd);
    }
    slots_[i].listen_fd = -1;
  }
  return result;
}

}  // namespace krg::demos::servers
