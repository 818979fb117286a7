#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "krg/platform.h"

namespace krg::platform {
namespace {

// A platform that records each call and answers with values no default
// implementation would give, so a reply proves the call reached it.
class RecordingPlatform final : public Platform {
 public:
  std::vector<std::string> calls;

  std::string name() const override { return "recording"; }
  PlatformTraits traits() const override {
    PlatformTraits t;
    t.transparent_checkpoint = true;
    t.remote_memory = true;
    return t;
  }
  Result<SystemInfo> Describe(bool sample_load) override {
    calls.push_back(sample_load ? "Describe(load)" : "Describe");
    SystemInfo info;
    info.usable_cpus = 7;
    return info;
  }
  Result<Layout> Partition(int count) override {
    calls.push_back("Partition " + std::to_string(count));
    return Layout{{}, false, "partitioned"};
  }
  Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                            const WorkerBody& body) override {
    calls.push_back("SpawnWorker " + std::to_string(node.id) +
                    (kind == ChannelKind::kSocket ? " socket" : " pipes"));
    Channel none;
    Child child;
    child.pid = body(none);
    return child;
  }
  Result<CapsReport> ApplyCapabilities(
      const std::vector<std::string>& raise,
      const std::vector<std::string>& drop) override {
    calls.push_back("ApplyCapabilities " + raise.at(0) + " " + drop.at(0));
    return CapsReport{true, raise, raise};
  }
  Status MoveProcess(pid_t pid, const Node& node) override {
    calls.push_back("MoveProcess " + std::to_string(pid) + " " +
                    std::to_string(node.id));
    return Status::Internal("moved");
  }
  Result<int> NodeOf(pid_t pid) override {
    calls.push_back("NodeOf " + std::to_string(pid));
    return 5;
  }
  std::vector<std::string> ConfirmPlacement(int timeout_ms) override {
    calls.push_back("ConfirmPlacement " + std::to_string(timeout_ms));
    return {"misplaced"};
  }
  void SetPlacement(Placement placement) override {
    calls.push_back(placement == Placement::kScheduler ? "SetPlacement sched"
                                                       : "SetPlacement");
  }
  Result<CheckpointId> Checkpoint(const CheckpointRequest& request) override {
    calls.push_back("Checkpoint " + std::to_string(request.root) + " " +
                    request.ipc_dir.string());
    return CheckpointId{request.root, 3, request.ipc};
  }
  Status Restart(const CheckpointId& id,
                 const std::filesystem::path& ipc_dir) override {
    calls.push_back("Restart " + std::to_string(id.appid) + " " +
                    std::to_string(id.version) + " " + ipc_dir.string());
    return Status::Ok();
  }
  Result<std::vector<int>> PresentNodes() override {
    calls.push_back("PresentNodes");
    return std::vector<int>{7};
  }
  Result<std::unique_ptr<NodeJoin>> AddNode(int id) override {
    calls.push_back("AddNode " + std::to_string(id));
    struct Joined final : NodeJoin {
      Node node;
      Result<std::optional<Node>> Poll() override {
        return std::optional<Node>(node);
      }
    };
    auto join = std::make_unique<Joined>();
    join->node.id = id + 100;
    return std::unique_ptr<NodeJoin>(std::move(join));
  }
};

// Overrides one method only, as CountingPlatform does: the rest must still
// reach the wrapped platform, Checkpoint and Restart included.
class SpawnCounter final : public PlatformWrapper {
 public:
  using PlatformWrapper::PlatformWrapper;
  int spawned = 0;
  Result<Child> SpawnWorker(const Node& node, ChannelKind kind,
                            const WorkerBody& body) override {
    ++spawned;
    return target().SpawnWorker(node, kind, body);
  }
};

Node NodeNumbered(int id) {
  Node node;
  node.id = id;
  return node;
}

TEST(PlatformWrapperTest, ForwardsEveryCall) {
  RecordingPlatform inner;
  PlatformWrapper wrapper(inner);
  EXPECT_EQ(wrapper.name(), "recording");
  EXPECT_TRUE(wrapper.traits().transparent_checkpoint);
  EXPECT_TRUE(wrapper.traits().remote_memory);
  EXPECT_FALSE(wrapper.traits().virtual_nodes);
  EXPECT_EQ(wrapper.Describe(true)->usable_cpus, 7);
  EXPECT_EQ(wrapper.Partition(3)->note, "partitioned");
  EXPECT_EQ(wrapper
                .SpawnWorker(NodeNumbered(2), ChannelKind::kSocket,
                             [](Channel&) { return 44; })
                ->pid,
            44);
  EXPECT_TRUE(
      wrapper.ApplyCapabilities({"CAN_MIGRATE"}, {"DISTANT_FORK"})->applicable);
  EXPECT_EQ(wrapper.MoveProcess(10, NodeNumbered(1)).message(), "moved");
  EXPECT_EQ(*wrapper.NodeOf(11), 5);
  EXPECT_EQ(wrapper.ConfirmPlacement(250),
            std::vector<std::string>{"misplaced"});
  wrapper.SetPlacement(Placement::kScheduler);
  auto id = wrapper.Checkpoint({12, {{IpcKind::kSem, 77, 5}}, "d"});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->appid, 12);
  EXPECT_EQ(id->version, 3);
  ASSERT_EQ(id->ipc.size(), 1u);
  EXPECT_EQ(IpcFileName(id->ipc[0]), "sem-77.bin");
  EXPECT_TRUE(wrapper.Restart(*id, "e").ok());
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{
                "Describe(load)", "Partition 3", "SpawnWorker 2 socket",
                "ApplyCapabilities CAN_MIGRATE DISTANT_FORK",
                "MoveProcess 10 1", "NodeOf 11", "ConfirmPlacement 250",
                "SetPlacement sched", "Checkpoint 12 d", "Restart 12 3 e"}));
}

// Before PlatformWrapper, a hand-written forwarder that left out Checkpoint
// and Restart fell back to the base class's kUnavailable.
TEST(PlatformWrapperTest, SubclassKeepsCheckpointAndRestart) {
  RecordingPlatform inner;
  SpawnCounter counter(inner);
  ASSERT_TRUE(counter
                  .SpawnWorker(NodeNumbered(0), ChannelKind::kPipes,
                               [](Channel&) { return 1; })
                  .ok());
  EXPECT_EQ(counter.spawned, 1);
  auto id = counter.Checkpoint({20, {}, ""});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(counter.Restart(*id, "").ok());
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{"SpawnWorker 0 pipes", "Checkpoint 20 ",
                                      "Restart 20 3 "}));
}

TEST(PlatformWrapperTest, ForwardsNodeHotplug) {
  RecordingPlatform inner;
  PlatformWrapper wrapper(inner);
  EXPECT_EQ(*wrapper.PresentNodes(), std::vector<int>{7});
  auto join = wrapper.AddNode(7);
  ASSERT_TRUE(join.ok()) << join.status().ToString();
  EXPECT_EQ((*join)->Poll()->value().id, 107);
  EXPECT_EQ(inner.calls,
            (std::vector<std::string>{"PresentNodes", "AddNode 7"}));
}

TEST(PlatformTraitsTest, DefaultNodeCountFollowsTheKindOfNodes) {
  SystemInfo info;
  info.usable_cpus = 6;
  info.nodes.resize(2);
  RecordingPlatform cluster;  // physical nodes
  EXPECT_EQ(cluster.DefaultNodeCount(info), 2);
  EXPECT_EQ(MakeLinuxPlatform()->DefaultNodeCount(info), 6);
}

TEST(PlatformTraitsTest, BuiltInPlatformsMatchWhatTheyDo) {
  const PlatformTraits smp = MakeLinuxPlatform()->traits();
  EXPECT_TRUE(smp.virtual_nodes);
  EXPECT_TRUE(smp.memory_shared_between_nodes);
  EXPECT_FALSE(smp.transparent_checkpoint);
  EXPECT_FALSE(smp.capabilities);
  EXPECT_FALSE(smp.kernel_migration);
  EXPECT_FALSE(smp.node_hotplug);
  // Without node hotplug, AddNode says so; nothing is present to add.
  EXPECT_EQ(MakeLinuxPlatform()->AddNode(7).status().code(),
            Status::Code::kUnavailable);
  EXPECT_TRUE(MakeLinuxPlatform()->PresentNodes()->empty());
  // Without transparent checkpoint, Checkpoint says so rather than pretend.
  EXPECT_EQ(MakeLinuxPlatform()->Checkpoint({1, {}, ""}).status().code(),
            Status::Code::kUnavailable);
  const PlatformTraits krg = MakeKerrighedPlatform()->traits();
  EXPECT_FALSE(krg.virtual_nodes);
  EXPECT_FALSE(krg.memory_shared_between_nodes);
  EXPECT_TRUE(krg.transparent_checkpoint);
  EXPECT_TRUE(krg.capabilities);
  EXPECT_TRUE(krg.distant_fork);
  EXPECT_TRUE(krg.kernel_migration);
  EXPECT_TRUE(krg.remote_memory);
  EXPECT_TRUE(krg.node_hotplug);
}

}  // namespace
}  // namespace krg::platform
