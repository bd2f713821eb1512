// parse_cgroup_events / parse_memory_events on good and malformed text, and
// CgroupEventsWatcher on a fake cgroup tree (inotify IN_MODIFY fires for regular files too), on
// both reactor backends. The real-kernel freeze test is in tests/integration.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "sensors/cgroup_events.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

TEST(ParseCgroupEventsTest, GoodInputs) {
  auto r = parse_cgroup_events("populated 1\nfrozen 0\n");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->populated);
  EXPECT_FALSE(r->frozen);
  r = parse_cgroup_events("frozen 1\n  populated   0  \n\nnew_key 3\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_FALSE(r->populated);
  EXPECT_TRUE(r->frozen);
  r = parse_cgroup_events("populated 1");  // pre-5.2 kernel: no frozen
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->frozen);
}

TEST(ParseCgroupEventsTest, RejectsMalformed) {
  for (const char* bad : {"", "frozen 1\n", "populated\n", "populated x\n", "populated -1\n",
                          "populated 1 2\n", "populated 1\npopulated 0\n", "populated=1\n"}) {
    EXPECT_FALSE(parse_cgroup_events(bad).ok()) << bad;
  }
}

TEST(ParseMemoryEventsTest, GoodInputs) {
  auto r = parse_memory_events(
      "low 0\nhigh 12\nmax 3\noom 2\noom_kill 1\noom_group_kill 0\nsock_throttled 4\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->high, 12u);
  EXPECT_EQ(r->max, 3u);
  EXPECT_EQ(r->oom, 2u);
  EXPECT_EQ(r->oom_kill, 1u);
  r = parse_memory_events("low 0\nhigh 0\nmax 0\noom 0\noom_kill 7\n");  // before 5.17
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->oom_kill, 7u);
  EXPECT_EQ(r->oom_group_kill, 0u);
}

TEST(ParseMemoryEventsTest, RejectsMalformed) {
  for (const char* bad :
       {"", "low 0\nhigh 0\nmax 0\noom 0\n", "low 0\nhigh 0\nmax 0\noom 0\noom_kill x\n",
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\noom_kill 2\n", "garbage\n"}) {
    EXPECT_FALSE(parse_memory_events(bad).ok()) << bad;
  }
}

class WatcherTest : public ::testing::TestWithParam<ReactorChoice> {
 protected:
  void SetUp() override {
    auto reactor = Reactor::create(GetParam());
    if (!reactor) GTEST_SKIP() << "reactor backend unavailable: " << reactor.error().describe();
    reactor_ = std::move(*reactor);
  }
  bool pump_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      reactor_->run_once(std::chrono::milliseconds(50));
    }
    return done();
  }
  std::unique_ptr<Reactor> reactor_;
  testing::TempDir dir_;
};

TEST_P(WatcherTest, ReportsChangesNotTheBaseline) {
  dir_.write("cg/a/cgroup.events", "populated 1\nfrozen 0\n");
  dir_.write("cg/a/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 2\n");
  dir_.write("cg/b/cgroup.events", "populated 0\nfrozen 0\n");  // no memory controller
  std::vector<CgroupEvent> events;
  CgroupEventsWatcher watcher(*reactor_, [&](const CgroupEvent& e) { events.push_back(e); });
  ASSERT_TRUE(watcher.watch("a", dir_.path() + "/cg/a").ok());
  ASSERT_TRUE(watcher.watch("b", dir_.path() + "/cg/b").ok());
  EXPECT_FALSE(watcher.memory_events("b").has_value());
  EXPECT_EQ(watcher.memory_events("a")->oom_kill, 2u);
  reactor_->run_once(std::chrono::milliseconds(20));
  EXPECT_TRUE(events.empty());

  dir_.write("cg/a/cgroup.events", "populated 1\nfrozen 1\n");
  ASSERT_TRUE(pump_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0].kind, CgroupEvent::Kind::kFrozenChanged);
  EXPECT_EQ(events[0].unit_id, "a");
  EXPECT_TRUE(events[0].value);
  EXPECT_TRUE(watcher.events("a")->frozen);

  events.clear();
  dir_.write("cg/a/memory.events", "low 0\nhigh 5\nmax 1\noom 3\noom_kill 5\n");
  ASSERT_TRUE(pump_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0].kind, CgroupEvent::Kind::kOomKill);
  EXPECT_EQ(events[0].delta, 3u);
  EXPECT_EQ(events[0].total, 5u);

  events.clear();
  dir_.write("cg/b/cgroup.events", "populated 1\nfrozen 0\n");
  ASSERT_TRUE(pump_until([&] { return !events.empty(); }));
  EXPECT_EQ(events[0].kind, CgroupEvent::Kind::kPopulatedChanged);
  EXPECT_EQ(events[0].unit_id, "b");
  EXPECT_TRUE(events[0].value);

  // A rewrite with the same values is no event; after unwatch nothing is reported.
  events.clear();
  dir_.write("cg/a/cgroup.events", "populated 1\nfrozen 1\n");
  watcher.unwatch("b");
  dir_.write("cg/b/cgroup.events", "populated 0\nfrozen 0\n");
  for (int i = 0; i < 5; ++i) reactor_->run_once(std::chrono::milliseconds(20));
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(watcher.watching("b"));
}

TEST_P(WatcherTest, RescanCatchesUpAndMissingCgroupFails) {
  dir_.write("cg/a/cgroup.events", "populated 1\nfrozen 0\n");
  std::vector<CgroupEvent> events;
  CgroupEventsWatcher watcher(*reactor_, [&](const CgroupEvent& e) { events.push_back(e); });
  ASSERT_TRUE(watcher.watch("a", dir_.path() + "/cg/a").ok());
  EXPECT_FALSE(watcher.watch("gone", dir_.path() + "/cg/gone").ok());
  EXPECT_FALSE(watcher.watching("gone"));
  dir_.write("cg/a/cgroup.events", "populated 0\nfrozen 0\n");
  watcher.rescan();  // without running the loop
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, CgroupEvent::Kind::kPopulatedChanged);
  EXPECT_FALSE(events[0].value);
}

INSTANTIATE_TEST_SUITE_P(Backends, WatcherTest,
                         ::testing::Values(ReactorChoice::kEpoll, ReactorChoice::kIoUring),
                         [](const auto& info) {
                           return info.param == ReactorChoice::kEpoll ? "epoll" : "io_uring";
                         });

}  // namespace
}  // namespace adrg
