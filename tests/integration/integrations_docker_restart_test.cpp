// The inventory survives a dockerd restart: the events stream is cut, the inventory keeps its
// state, reconnects with backoff and resyncs to what really runs afterwards (live-restore is
// off, so containers without a restart policy are gone and unless-stopped ones come back with
// new processes). Runs against a private real dockerd (own socket, data-root and exec-root,
// started with the flags tools/start-test-peers.sh uses), because SIGTERM to the shared dockerd
// would break every other Docker test running at the same time.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <memory>
#include <sstream>

#include "config/config.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/inventory.h"
#include "tests/support/docker_fixture.h"

namespace adrg::docker {
namespace {

using adrg::testing::DockerCli;
using adrg::testing::PrivateDockerd;
using namespace std::chrono_literals;

constexpr const char* kLoop =
    R"(local/busybox sh -c 'trap "exit 0" TERM; while :; do sleep 1; done')";

bool exists(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0;
}

class DockerRestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!adrg::testing::ensure_docker(&why)) {
      GTEST_SKIP() << "REAL DOCKER UNAVAILABLE, integration test not run: " << why;
    }
    char tmpl[] = "/tmp/adrg-dockerd-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dockerd_ = std::make_unique<PrivateDockerd>(tmpl);
    ASSERT_TRUE(dockerd_->start(&why)) << why;
    ASSERT_TRUE(dockerd_->import_busybox(&why)) << why;

    auto reactor = Reactor::create();
    ASSERT_TRUE(reactor.ok()) << reactor.error().describe();
    reactor_ = std::move(reactor.value());
    http_ = std::make_unique<HttpClient>(*reactor_);
    // DOCKER_HOST=unix://... must override the configured socket, as with the docker CLI.
    std::string socket =
        resolve_socket_path("/var/run/docker.sock", ("unix://" + dockerd_->socket()).c_str());
    client_ = std::make_unique<DockerClient>(*http_, socket);
  }

  void TearDown() override {
    inventory_.reset();
    client_.reset();
    http_.reset();
    reactor_.reset();
    dockerd_.reset();  // removes containers, stops the daemon, deletes its directory
  }

  bool run_until(const std::function<bool()>& condition, Duration deadline) {
    auto end = SteadyClock::now() + deadline;
    while (SteadyClock::now() < end) {
      if (condition()) return true;
      reactor_->run_once(10ms);
    }
    return condition();
  }

  // Blocking work (stopping dockerd takes ~1 s) on another thread while the loop runs.
  template <typename F>
  auto while_looping(F&& work) {
    auto future = std::async(std::launch::async, std::forward<F>(work));
    run_until([&] { return future.wait_for(0s) == std::future_status::ready; }, 120s);
    return future.get();
  }

  bool saw(UnitChangeKind kind, const std::string& id) const {
    return std::any_of(changes_.begin(), changes_.end(),
                       [&](const UnitChange& c) { return c.kind == kind && c.id == id; });
  }

  std::unique_ptr<PrivateDockerd> dockerd_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<DockerClient> client_;
  std::unique_ptr<DockerInventory> inventory_;
  std::vector<UnitChange> changes_;
  std::vector<bool> connection_;
};

TEST_F(DockerRestartTest, ReconnectsAndResyncsAfterDockerdRestart) {
  DockerCli docker = dockerd_->cli();
  auto run = [&](const std::string& args) {
    auto result = docker.run("run -d --network none " + args + " " + kLoop);
    EXPECT_TRUE(result.ok()) << result.output;
    return result.output;
  };
  std::string gone_id = run("--name bulk-gone");                           // no restart policy
  std::string back_id = run("--name bulk-back --restart unless-stopped");  // comes back
  std::string held_id = run("--name bulk-held --restart unless-stopped");  // adrg pauses it

  Config config;
  config.tiers[3].containers = {"bulk-*"};
  RealClock clock;
  inventory_ = std::make_unique<DockerInventory>(*reactor_, *client_, config, clock);
  bool ready = false;
  inventory_->set_on_ready([&](const std::vector<UnitSnapshot>&) { ready = true; });
  inventory_->set_on_change(
      [&](const std::vector<UnitSnapshot>&, const std::vector<UnitChange>& changes) {
        changes_.insert(changes_.end(), changes.begin(), changes.end());
      });
  // What the inventory believed when the stream was cut. On SIGTERM dockerd stops the
  // containers first and their die events usually arrive before the cut.
  std::optional<std::size_t> units_at_cut;
  inventory_->set_on_connection([&](bool connected) {
    connection_.push_back(connected);
    if (!connected) units_at_cut = inventory_->units().size();
  });
  inventory_->start();
  ASSERT_TRUE(run_until([&] { return ready; }, 30s)) << inventory_->last_error();
  ASSERT_EQ(inventory_->units().size(), 3u);
  int back_pid = inventory_->pid(back_id);
  int held_pid = inventory_->pid(held_id);

  std::optional<std::vector<OpResult>> paused;
  inventory_->pause_all({held_id}, [&](std::vector<OpResult> r) { paused = std::move(r); });
  ASSERT_TRUE(run_until([&] { return paused.has_value(); }, 30s));
  ASSERT_TRUE((*paused)[0].status.ok()) << (*paused)[0].status.error().describe();
  ASSERT_TRUE(run_until([&] { return inventory_->is_paused(held_id); }, 10s));
  int syncs = inventory_->sync_count();

  // SIGTERM dockerd: the stream is cut; the inventory keeps what it knew.
  std::string why;
  ASSERT_TRUE(while_looping([&] { return dockerd_->stop(&why); })) << why;
  ASSERT_TRUE(run_until([&] { return !inventory_->connected(); }, 10s));
  EXPECT_EQ(connection_, std::vector<bool>({true, false}));
  ASSERT_TRUE(units_at_cut.has_value());

  // While it is down, operations fail fast instead of hanging.
  std::optional<std::vector<OpResult>> refused;
  inventory_->pause_all({back_id}, [&](std::vector<OpResult> r) { refused = std::move(r); });
  ASSERT_TRUE(run_until([&] { return refused.has_value(); }, 15s));
  EXPECT_FALSE((*refused)[0].status.ok());
  EXPECT_EQ(inventory_->units().size(), *units_at_cut) << "state is kept while dockerd is away";
  EXPECT_FALSE(inventory_->connected());

  // Start it again the same way; the inventory reconnects (backoff capped at 5 s) and resyncs.
  auto restarted_at = SteadyClock::now();
  ASSERT_TRUE(while_looping([&] { return dockerd_->start(&why); })) << why;
  ASSERT_TRUE(run_until([&] { return inventory_->sync_count() > syncs; }, 30s))
      << inventory_->last_error();
  std::printf("[ info     ] resynced %.2f s after dockerd was started again\n",
              to_seconds(SteadyClock::now() - restarted_at));
  EXPECT_TRUE(inventory_->connected());
  EXPECT_EQ(connection_.back(), true);

  // unless-stopped containers are started by dockerd shortly after it is up: wait for reality.
  auto reality = [&] {
    auto ids = docker.run("ps -q --no-trunc").output;
    std::vector<std::string> running;
    std::istringstream in(ids);
    for (std::string id; in >> id;) running.push_back(id);
    std::sort(running.begin(), running.end());
    return running;
  };
  ASSERT_TRUE(run_until(
      [&] {
        auto running = reality();
        std::vector<std::string> known;
        for (const UnitSnapshot& unit : inventory_->units()) known.push_back(unit.id);
        std::sort(known.begin(), known.end());
        return running.size() == 2 && known == running;
      },
      30s))
      << "inventory does not match `docker ps` after the restart";

  EXPECT_EQ(inventory_->find(gone_id), nullptr);
  EXPECT_TRUE(saw(UnitChangeKind::kRemoved, gone_id));
  for (const std::string& id : {back_id, held_id}) {
    ASSERT_NE(inventory_->find(id), nullptr);
    EXPECT_TRUE(saw(UnitChangeKind::kRestarted, id)) << "re-apply baseline + overrides";
    int pid = std::stoi(docker.inspect({id}, "{{.State.Pid}}").at(0));
    EXPECT_EQ(inventory_->pid(id), pid);
    EXPECT_TRUE(exists(inventory_->find(id)->cgroup_path));
  }
  EXPECT_NE(inventory_->pid(back_id), back_pid);
  EXPECT_NE(inventory_->pid(held_id), held_pid);
  // The held container came back running: a new process is not paused, and not adrg's any more.
  EXPECT_FALSE(inventory_->is_paused(held_id));
  EXPECT_FALSE(inventory_->paused_by_adrg(held_id));

  // Live again: a new container is seen through the re-established events stream.
  std::string late_id = run("--name bulk-late");
  ASSERT_TRUE(run_until([&] { return saw(UnitChangeKind::kStarted, late_id); }, 10s));
}

}  // namespace
}  // namespace adrg::docker
