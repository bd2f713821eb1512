// DockerClient + DockerInventory against the REAL dockerd of this machine (no mocks): discovery
// of 40 containers, tiers by glob and by label, cgroup paths on disk, concurrent pause/unpause
// observed through `docker inspect`, restart, rename, compose-style recreate, external
// pause/unpause. Every container carries a label unique to this run and is removed in teardown.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <set>
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
using adrg::testing::StdoutResult;
using namespace std::chrono_literals;

// A busybox loop that exits at once on SIGTERM, so stop/restart do not wait for SIGKILL.
constexpr const char* kLoop =
    R"(local/busybox sh -c 'trap "exit 0" TERM; while :; do sleep 1; done')";

bool exists(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0;
}

// Reactor + HttpClient + DockerClient + DockerInventory, driven with run_once until a
// condition holds or a deadline passes.
class Harness {
 public:
  Harness(const Config& config, const std::string& socket) {
    auto created = Reactor::create();
    if (!created.ok()) throw std::runtime_error(created.error().describe());
    reactor_ = std::move(created.value());
    http_ = std::make_unique<HttpClient>(*reactor_);
    client_ = std::make_unique<DockerClient>(*http_, socket);
    inventory_ = std::make_unique<DockerInventory>(*reactor_, *client_, config, clock_);
    inventory_->set_on_ready([this](const std::vector<UnitSnapshot>&) { ready_ = true; });
    inventory_->set_on_change(
        [this](const std::vector<UnitSnapshot>&, const std::vector<UnitChange>& changes) {
          for (const UnitChange& change : changes) changes_.push_back(change);
        });
  }
  ~Harness() {
    inventory_.reset();
    client_.reset();
    http_.reset();
  }

  Reactor& reactor() { return *reactor_; }
  DockerClient& client() { return *client_; }
  DockerInventory& inventory() { return *inventory_; }
  bool ready() const { return ready_; }
  std::vector<UnitChange>& changes() { return changes_; }

  bool run_until(const std::function<bool()>& condition, Duration deadline = 15s) {
    auto end = SteadyClock::now() + deadline;
    while (SteadyClock::now() < end) {
      if (condition()) return true;
      reactor_->run_once(10ms);
    }
    return condition();
  }

  bool start_and_wait_ready() {
    inventory_->start();
    return run_until([this] { return ready_; }, 30s);
  }

  // Runs a docker CLI command on another thread while the loop keeps serving the inventory.
  StdoutResult cli(const DockerCli& docker, const std::string& args) {
    auto future = std::async(std::launch::async, [&docker, args] { return docker.run(args); });
    run_until([&] { return future.wait_for(0s) == std::future_status::ready; }, 120s);
    return future.get();
  }

  const UnitChange* find_change(UnitChangeKind kind, const std::string& id) const {
    for (const UnitChange& change : changes_) {
      if (change.kind == kind && change.id == id) return &change;
    }
    return nullptr;
  }
  bool saw(UnitChangeKind kind, const std::string& id) const {
    return find_change(kind, id) != nullptr;
  }

  std::vector<OpResult> wait_batch(const std::function<void(DockerClient::BatchDone)>& start,
                                   Duration deadline = 60s) {
    std::optional<std::vector<OpResult>> results;
    start([&](std::vector<OpResult> r) { results = std::move(r); });
    run_until([&] { return results.has_value(); }, deadline);
    return results.value_or(std::vector<OpResult>{});
  }

 private:
  RealClock clock_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<DockerClient> client_;
  std::unique_ptr<DockerInventory> inventory_;
  bool ready_ = false;
  std::vector<UnitChange> changes_;
};

class DockerInventoryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (!adrg::testing::ensure_docker(&why)) {
      skip_reason_ = new std::string(why);
      return;
    }
    label_ = new std::string(adrg::testing::unique_test_label());
    prefix_ = new std::string("adrgt" + std::to_string(::getpid()));
  }

  static void TearDownTestSuite() {
    if (label_ != nullptr) DockerCli().remove_by_label(*label_);
    delete label_;
    delete prefix_;
    delete skip_reason_;
    label_ = prefix_ = skip_reason_ = nullptr;
  }

  void SetUp() override {
    if (skip_reason_ != nullptr) {
      // CI has Docker: a skip here means the machine is broken, so say so loudly.
      GTEST_SKIP() << "REAL DOCKER UNAVAILABLE, integration test not run: " << *skip_reason_;
    }
  }

  static std::string name(const std::string& kind, int i) {
    char buffer[8];
    std::snprintf(buffer, sizeof(buffer), "%02d", i);
    return *prefix_ + "-" + kind + "-" + buffer;
  }

  static Config config() {
    Config config;
    config.tiers[0].containers = {*prefix_ + "-core*"};
    config.tiers[1].containers = {*prefix_ + "-web*"};
    config.tiers[2].containers = {*prefix_ + "-bg*"};
    config.tiers[3].containers = {*prefix_ + "-bulk*"};
    config.protected_containers = {*prefix_ + "-bg-0[12]"};
    return config;
  }

  // Starts one more labelled container; returns its full id.
  std::string run_one(Harness& h, const std::string& container_name) {
    auto result = h.cli(DockerCli(), "run -d --network none --name " + container_name +
                                         " --label " + *label_ + " " + kLoop);
    EXPECT_TRUE(result.ok()) << result.output;
    return result.output;
  }

  // The 40 governed containers (+1 unmanaged) of the discovery and mass-pause tests, created
  // once per process at the first test that needs them (ctest runs each test in its own
  // process, so the other tests do not pay for them).
  static void create_fleet() {
    if (fleet_created_) return;
    DockerCli docker;
    std::vector<std::string> runs;
    auto add = [&](const std::string& container_name, const std::string& extra) {
      runs.push_back("--name " + container_name + " --label " + *label_ + " --label " +
                     fleet_label() + " " + extra + " " + kLoop);
    };
    for (int i = 1; i <= 15; ++i) add(name("bulk", i), "");                        // tier 3 by glob
    for (int i = 1; i <= 15; ++i) add(name("bg", i), "");                          // tier 2 by glob
    for (int i = 1; i <= 5; ++i) add(name("bulk-lbl", i), "--label adrg.tier=1");  // label wins
    for (int i = 1; i <= 5; ++i) add(name("x", i), "--label adrg.tier=0");         // label only
    add(*prefix_ + "-free", "");  // no tier: unmanaged
    auto started = SteadyClock::now();
    bool ok = docker.run_detached_parallel(runs);
    std::printf("[ setup    ] %zu containers created in parallel in %.2f s\n", runs.size(),
                to_seconds(SteadyClock::now() - started));
    ASSERT_TRUE(ok) << "docker run failed while creating the test containers";
    fleet_created_ = true;
  }

  static std::string fleet_label() { return "adrg.fleet=" + *prefix_; }
  static inline bool fleet_created_ = false;
  static std::string* skip_reason_;
  static std::string* label_;
  static std::string* prefix_;
};

std::string* DockerInventoryTest::skip_reason_ = nullptr;
std::string* DockerInventoryTest::label_ = nullptr;
std::string* DockerInventoryTest::prefix_ = nullptr;

TEST_F(DockerInventoryTest, ClientNegotiatesAndTreatsRepeatedPauseAndUnpauseAsDone) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  std::optional<Result<VersionInfo>> version;
  h.client().negotiate([&](Result<VersionInfo> v) { version.emplace(std::move(v)); });
  ASSERT_TRUE(h.run_until([&] { return version.has_value(); }));
  ASSERT_TRUE(version->ok()) << version->error().describe();
  EXPECT_EQ(h.client().api_version(), "1.41");  // Engine 20.10 here: 1.41 is also our cap

  std::string id = run_one(h, *prefix_ + "-bulk-idem");
  auto once = [&](auto&& op) {
    std::optional<Status> status;
    op(id, [&](Status s) { status.emplace(std::move(s)); });
    h.run_until([&] { return status.has_value(); });
    return status.value_or(Error{{}, "no answer"});
  };
  auto pause = [&](const std::string& i, DockerClient::Done d) { h.client().pause(i, d); };
  auto unpause = [&](const std::string& i, DockerClient::Done d) { h.client().unpause(i, d); };
  // Engine answers 500 "is not paused" here; for us it is done.
  Status not_paused = once(unpause);
  EXPECT_TRUE(not_paused.ok()) << not_paused.error().describe();
  Status first = once(pause);
  EXPECT_TRUE(first.ok()) << first.error().describe();
  Status again = once(pause);  // 409 "already paused"
  EXPECT_TRUE(again.ok()) << again.error().describe();
  EXPECT_EQ(DockerCli().inspect({id}, "{{.State.Paused}}").at(0), "true");
  EXPECT_TRUE(once(unpause).ok());
  EXPECT_EQ(DockerCli().inspect({id}, "{{.State.Paused}}").at(0), "false");

  std::optional<Status> missing;
  h.client().pause("adrg-no-such-container", [&](Status s) { missing.emplace(std::move(s)); });
  ASSERT_TRUE(h.run_until([&] { return missing.has_value(); }));
  ASSERT_FALSE(missing->ok());
  EXPECT_EQ(missing->error().code, std::errc::no_such_file_or_directory);
  EXPECT_NE(missing->error().message.find("No such container"), std::string::npos);
}

TEST_F(DockerInventoryTest, DiscoversFortyContainersWithTiersLabelsAndCgroups) {
  ASSERT_NO_FATAL_FAILURE(create_fleet());
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  auto started = SteadyClock::now();
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::printf("[ info     ] first inventory in %.3f s\n", to_seconds(SteadyClock::now() - started));
  EXPECT_TRUE(h.inventory().connected());

  // Every unit matches `docker inspect`: id, State.Pid, and the cgroup directory on disk.
  std::vector<std::string> ids = DockerCli().running_ids(fleet_label());
  ASSERT_EQ(ids.size(), 41u);
  int ours = 0;
  for (const UnitSnapshot& unit : h.inventory().units()) {
    if (std::find(ids.begin(), ids.end(), unit.id) != ids.end()) ++ours;
  }
  EXPECT_EQ(ours, 40);
  for (int i = 1; i <= 15; ++i) {
    const UnitSnapshot* bulk = h.inventory().find_by_name(name("bulk", i));
    ASSERT_NE(bulk, nullptr) << name("bulk", i);
    EXPECT_EQ(bulk->tier, 3);
    EXPECT_FALSE(bulk->is_protected);
    const UnitSnapshot* bg = h.inventory().find_by_name(name("bg", i));
    ASSERT_NE(bg, nullptr);
    EXPECT_EQ(bg->tier, 2);
    EXPECT_EQ(bg->is_protected, i <= 2) << bg->name;  // protected_containers glob
  }
  for (int i = 1; i <= 5; ++i) {
    const UnitSnapshot* labelled = h.inventory().find_by_name(name("bulk-lbl", i));
    ASSERT_NE(labelled, nullptr);
    EXPECT_EQ(labelled->tier, 1) << "adrg.tier label must beat the tier-3 glob";
    const UnitSnapshot* core = h.inventory().find_by_name(name("x", i));
    ASSERT_NE(core, nullptr);
    EXPECT_EQ(core->tier, 0);
    EXPECT_TRUE(core->is_protected);
  }
  EXPECT_EQ(h.inventory().find_by_name(*prefix_ + "-free"), nullptr);
  auto unmanaged = h.inventory().unmanaged();
  EXPECT_NE(std::find(unmanaged.begin(), unmanaged.end(), *prefix_ + "-free"), unmanaged.end());

  auto lines = DockerCli().inspect(ids, "{{.Id}} {{.State.Pid}} {{.Name}}");
  ASSERT_EQ(lines.size(), ids.size());
  const std::string& v2 = h.inventory().cgroup_v2_root();
  ASSERT_FALSE(v2.empty());
  for (const std::string& line : lines) {
    std::istringstream in(line);
    std::string id, container_name;
    int pid = 0;
    in >> id >> pid >> container_name;
    if (container_name == "/" + *prefix_ + "-free") continue;
    const UnitSnapshot* unit = h.inventory().find(id);
    ASSERT_NE(unit, nullptr) << line;
    EXPECT_EQ("/" + unit->name, container_name);
    EXPECT_EQ(h.inventory().pid(id), pid);
    EXPECT_TRUE(exists(unit->cgroup_path)) << unit->cgroup_path;
    EXPECT_EQ(unit->cgroup_path.rfind(v2, 0), 0u) << unit->cgroup_path;
    EXPECT_NE(unit->cgroup_path.find(id), std::string::npos);
    EXPECT_TRUE(exists(unit->cgroup_path + "/cgroup.procs"));
  }
  h.inventory().refresh_memory();
  const UnitSnapshot* some = h.inventory().find_by_name(name("bulk", 1));
  ASSERT_NE(some, nullptr);
  EXPECT_GT(some->memory_current, 0u) << "memory.current (or v1 usage on hybrid) not read";
}

TEST_F(DockerInventoryTest, PausesAndUnpausesManyConcurrentlyObservedByInspect) {
  ASSERT_NO_FATAL_FAILURE(create_fleet());
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::vector<std::string> ids;
  for (int i = 1; i <= 15; ++i) ids.push_back(h.inventory().find_by_name(name("bulk", i))->id);
  for (int i = 3; i <= 15; ++i) ids.push_back(h.inventory().find_by_name(name("bg", i))->id);

  std::optional<std::vector<OpResult>> paused;
  h.inventory().pause_all(ids, [&](std::vector<OpResult> r) { paused = std::move(r); });
  // All requests are on the wire before any answer (plus the events stream): one round trip,
  // not 28.
  EXPECT_EQ(h.client().in_flight(), ids.size() + 1);
  auto started = SteadyClock::now();
  ASSERT_TRUE(h.run_until([&] { return paused.has_value(); }, 60s));
  std::printf("[ info     ] %zu pauses in flight at once: %.3f s\n", ids.size(),
              to_seconds(SteadyClock::now() - started));
  ASSERT_EQ(paused->size(), ids.size());
  for (const OpResult& r : *paused) EXPECT_TRUE(r.status.ok()) << r.status.error().describe();
  for (const std::string& state : DockerCli().inspect(ids, "{{.State.Paused}}")) {
    EXPECT_EQ(state, "true");
  }
  ASSERT_TRUE(h.run_until([&] {
    return std::all_of(ids.begin(), ids.end(),
                       [&](const std::string& id) { return h.saw(UnitChangeKind::kPaused, id); });
  }));
  for (const std::string& id : ids) {
    EXPECT_TRUE(h.inventory().is_paused(id));
    EXPECT_TRUE(h.inventory().paused_by_adrg(id));
    EXPECT_FALSE(h.inventory().find(id)->paused_externally) << "adrg's own pause";
  }

  auto unpaused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().unpause_all(ids, std::move(done)); });
  ASSERT_EQ(unpaused.size(), ids.size());
  for (const OpResult& r : unpaused) EXPECT_TRUE(r.status.ok()) << r.status.error().describe();
  for (const std::string& state : DockerCli().inspect(ids, "{{.State.Paused}}")) {
    EXPECT_EQ(state, "false");
  }
  ASSERT_TRUE(h.run_until([&] {
    return std::all_of(ids.begin(), ids.end(),
                       [&](const std::string& id) { return h.saw(UnitChangeKind::kUnpaused, id); });
  }));
  for (const std::string& id : ids) {
    EXPECT_FALSE(h.inventory().is_paused(id));
    EXPECT_FALSE(h.saw(UnitChangeKind::kUnpausedExternally, id)) << "adrg's own unpause";
  }
}

TEST_F(DockerInventoryTest, ExternalUnpauseAndExternalPauseAreReported) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string id = run_one(h, *prefix_ + "-bulk-ext");
  ASSERT_TRUE(h.run_until([&] { return h.inventory().find(id) != nullptr; }));
  auto paused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().pause_all({id}, std::move(done)); });
  ASSERT_EQ(paused.size(), 1u);
  ASSERT_TRUE(paused[0].status.ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kPaused, id); }));

  // A human unpauses what adrg paused.
  ASSERT_TRUE(h.cli(DockerCli(), "unpause " + id).ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kUnpausedExternally, id); }));
  EXPECT_FALSE(h.inventory().is_paused(id));
  EXPECT_FALSE(h.inventory().paused_by_adrg(id));

  // A human pauses it: governed, but the pause is not adrg's.
  h.changes().clear();
  ASSERT_TRUE(h.cli(DockerCli(), "pause " + id).ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kPaused, id); }));
  EXPECT_TRUE(h.inventory().find(id)->paused_externally);
  EXPECT_FALSE(h.inventory().paused_by_adrg(id));
  ASSERT_TRUE(h.cli(DockerCli(), "unpause " + id).ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kUnpaused, id); }));
  EXPECT_FALSE(h.saw(UnitChangeKind::kUnpausedExternally, id)) << "not adrg's pause to begin with";
  EXPECT_FALSE(h.inventory().find(id)->paused_externally);
}

// A pause request abandoned after a timeout (dockerd slow under load) that Docker carries out
// anyway is still adrg's: not taken for a human's pause, so adrg unpauses it later.
TEST_F(DockerInventoryTest, TimedOutPauseThatLandsLaterIsStillAdrgs) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string id = run_one(h, *prefix_ + "-bulk-late");
  ASSERT_TRUE(h.run_until([&] { return h.inventory().find(id) != nullptr; }));
  // Sent at once, abandoned before runc can have frozen anything (a pause takes tens of ms).
  h.client().set_action_timeout(5ms);
  auto paused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().pause_all({id}, std::move(done)); });
  h.client().set_action_timeout(30s);
  ASSERT_EQ(paused.size(), 1u);
  ASSERT_FALSE(paused[0].status.ok()) << "dockerd paused within 5 ms: nothing timed out";
  EXPECT_EQ(paused[0].status.error().code, std::errc::timed_out);
  EXPECT_TRUE(outcome_unknown(paused[0].status.error()));

  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kPaused, id); }))
      << "the abandoned pause never landed";
  EXPECT_TRUE(h.inventory().paused_by_adrg(id));
  EXPECT_FALSE(h.inventory().find(id)->paused_externally);

  auto unpaused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().unpause_all({id}, std::move(done)); });
  ASSERT_EQ(unpaused.size(), 1u);
  EXPECT_TRUE(unpaused[0].status.ok()) << unpaused[0].status.error().describe();
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kUnpaused, id); }));
  EXPECT_FALSE(h.saw(UnitChangeKind::kUnpausedExternally, id));
  EXPECT_EQ(DockerCli().inspect({id}, "{{.State.Paused}}"), std::vector<std::string>{"false"});
}

TEST_F(DockerInventoryTest, RestartReportsRestartedWithNewPidAndCgroup) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string id = run_one(h, *prefix_ + "-bulk-rst");
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kStarted, id); }));
  int old_pid = h.inventory().pid(id);
  ASSERT_GT(old_pid, 0);

  // Restart a container adrg paused: Docker thaws it to stop it; that is not a human's unpause.
  auto paused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().pause_all({id}, std::move(done)); });
  ASSERT_EQ(paused.size(), 1u);
  ASSERT_TRUE(paused[0].status.ok()) << paused[0].status.error().describe();
  auto restarted = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().restart_all({id}, 0, std::move(done)); });
  ASSERT_EQ(restarted.size(), 1u);
  ASSERT_TRUE(restarted[0].status.ok()) << restarted[0].status.error().describe();
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kRestarted, id); }));
  EXPECT_FALSE(h.saw(UnitChangeKind::kUnpausedExternally, id));
  int new_pid = std::stoi(DockerCli().inspect({id}, "{{.State.Pid}}").at(0));
  EXPECT_NE(new_pid, old_pid);
  EXPECT_EQ(h.inventory().pid(id), new_pid);
  const UnitSnapshot* unit = h.inventory().find(id);
  ASSERT_NE(unit, nullptr);
  EXPECT_TRUE(exists(unit->cgroup_path));
  EXPECT_FALSE(h.inventory().is_paused(id));
  EXPECT_FALSE(h.inventory().paused_by_adrg(id));
}

TEST_F(DockerInventoryTest, RenameReevaluatesTier) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string id = run_one(h, *prefix_ + "-bulk-ren");
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kStarted, id); }));
  EXPECT_EQ(h.inventory().find(id)->tier, 3);

  ASSERT_TRUE(h.cli(DockerCli(), "rename " + id + " " + *prefix_ + "-bg-ren").ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kTierChanged, id); }));
  const UnitChange* renamed = h.find_change(UnitChangeKind::kRenamed, id);
  ASSERT_NE(renamed, nullptr);
  EXPECT_EQ(renamed->old_name, *prefix_ + "-bulk-ren");
  EXPECT_EQ(renamed->name, *prefix_ + "-bg-ren");
  EXPECT_EQ(h.find_change(UnitChangeKind::kTierChanged, id)->old_tier, 3);
  EXPECT_EQ(h.inventory().find(id)->tier, 2);
  EXPECT_EQ(h.inventory().find(id)->name, *prefix_ + "-bg-ren");

  // Renamed out of every tier: no longer governed.
  ASSERT_TRUE(h.cli(DockerCli(), "rename " + id + " " + *prefix_ + "-free-ren").ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kRemoved, id); }));
  EXPECT_EQ(h.inventory().find(id), nullptr);
  auto unmanaged = h.inventory().unmanaged();
  EXPECT_NE(std::find(unmanaged.begin(), unmanaged.end(), *prefix_ + "-free-ren"), unmanaged.end());

  // And back into a tier: governed again, baseline needed (kStarted).
  h.changes().clear();
  ASSERT_TRUE(h.cli(DockerCli(), "rename " + id + " " + *prefix_ + "-web-ren").ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kStarted, id); }));
  EXPECT_EQ(h.inventory().find(id)->tier, 1);
}

TEST_F(DockerInventoryTest, RecreateWithSameNameIsANewUnitWithinOneSecond) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string container_name = *prefix_ + "-bulk-recreate";
  std::string old_id = run_one(h, container_name);
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kStarted, old_id); }));

  // What `docker compose up` does on a changed service: remove, create + start with the name.
  std::string args =
      "run -d --network none --name " + container_name + " --label " + *label_ + " " + kLoop;
  DockerCli docker;
  auto future = std::async(std::launch::async, [&] {
    docker.run("rm -f " + old_id);
    auto result = docker.run(args);
    return std::make_pair(result, SteadyClock::now());
  });
  std::optional<TimePoint> seen;
  std::string new_id;
  h.inventory().set_on_change(
      [&](const std::vector<UnitSnapshot>&, const std::vector<UnitChange>& changes) {
        for (const UnitChange& change : changes) {
          h.changes().push_back(change);
          if (change.kind == UnitChangeKind::kStarted && change.name == container_name &&
              change.id != old_id && !seen) {
            seen = SteadyClock::now();
            new_id = change.id;
          }
        }
      });
  ASSERT_TRUE(h.run_until(
      [&] { return seen.has_value() && future.wait_for(0s) == std::future_status::ready; }, 60s));
  auto [result, run_returned] = future.get();
  ASSERT_TRUE(result.ok()) << result.output;
  EXPECT_EQ(new_id, result.output);
  // The container is started before `docker run -d` returns; adrg must know within 1 s of that.
  double lag = to_seconds(*seen - run_returned);
  std::printf("[ info     ] recreate seen %.3f s after docker run returned\n", lag);
  EXPECT_LT(lag, 1.0);
  EXPECT_TRUE(h.saw(UnitChangeKind::kRemoved, old_id));
  EXPECT_EQ(h.inventory().find(old_id), nullptr);
  ASSERT_NE(h.inventory().find(new_id), nullptr);
  EXPECT_EQ(h.inventory().find_by_name(container_name)->id, new_id);
}

TEST_F(DockerInventoryTest, ResyncOnDemandChangesNothingAndKeepsPauseOwnership) {
  Harness h(config(), resolve_socket_path("/var/run/docker.sock"));
  ASSERT_TRUE(h.start_and_wait_ready()) << h.inventory().last_error();
  std::string id = run_one(h, *prefix_ + "-bulk-resync");
  ASSERT_TRUE(h.run_until([&] { return h.inventory().find(id) != nullptr; }));
  auto paused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().pause_all({id}, std::move(done)); });
  ASSERT_TRUE(!paused.empty() && paused[0].status.ok());
  ASSERT_TRUE(h.run_until([&] { return h.saw(UnitChangeKind::kPaused, id); }));
  std::size_t before = h.inventory().units().size();
  int syncs = h.inventory().sync_count();
  h.changes().clear();
  h.inventory().resync();
  ASSERT_TRUE(h.run_until([&] { return h.inventory().sync_count() > syncs; }));
  EXPECT_EQ(h.inventory().units().size(), before);
  EXPECT_TRUE(h.inventory().paused_by_adrg(id));
  for (const UnitChange& change : h.changes()) {
    // Only other engineers' containers may come and go meanwhile; ours must not flap.
    EXPECT_EQ(change.name.rfind(*prefix_ + "-", 0), std::string::npos)
        << to_string(change.kind) << " " << change.name;
  }
  auto unpaused = h.wait_batch(
      [&](DockerClient::BatchDone done) { h.inventory().unpause_all({id}, std::move(done)); });
  ASSERT_TRUE(!unpaused.empty() && unpaused[0].status.ok());
}

}  // namespace
}  // namespace adrg::docker
