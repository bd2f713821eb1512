// CgroupEventsWatcher on the REAL cgroup2 hierarchy: a child cgroup with a `sleep` process in
// it, frozen and thawed through cgroup.freeze; the kernel's IN_MODIFY on cgroup.events must
// reach the watcher as frozen=1 then frozen=0, and populated 1 -> 0 when the child dies.
// Skips (loudly) unless a writable cgroup2 mount exists: /sys/fs/cgroup/unified on hybrid hosts,
// /sys/fs/cgroup on pure v2 hosts.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>

#include "core/fs.h"
#include "core/reactor.h"
#include "sensors/cgroup_events.h"

namespace adrg {
namespace {

// The cgroup2 mount to experiment in, or "" with the reason in `why`.
std::string find_cgroup2(std::string& why) {
  for (const char* root : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (!std::filesystem::exists(std::string(root) + "/cgroup.controllers")) continue;
    if (::access(root, W_OK) != 0) {
      why = std::string(root) + " is cgroup2 but not writable (needs root / delegation)";
      continue;
    }
    return root;
  }
  if (why.empty()) why = "no cgroup2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup";
  return "";
}

class KernelCgroupEventsTest : public ::testing::TestWithParam<ReactorChoice> {
 protected:
  void SetUp() override {
    std::string why;
    std::string root = find_cgroup2(why);
    if (root.empty()) GTEST_SKIP() << "SKIPPING real cgroup2 test: " << why;
    auto reactor = Reactor::create(GetParam());
    if (!reactor) GTEST_SKIP() << "reactor backend unavailable: " << reactor.error().describe();
    reactor_ = std::move(*reactor);
    dir_ = root + "/adrg-test-" + std::to_string(::getpid());
    if (::mkdir(dir_.c_str(), 0755) != 0) {
      GTEST_SKIP() << "SKIPPING: cannot create " << dir_ << ": " << std::strerror(errno);
    }
    created_ = true;
    if (!std::filesystem::exists(dir_ + "/cgroup.freeze")) {
      GTEST_SKIP() << "SKIPPING: kernel without cgroup.freeze (needs 5.2)";
    }
  }

  void TearDown() override {
    if (child_ > 0) {
      // Thaw first: SIGKILL is delivered to frozen tasks too, but leave nothing frozen behind.
      (void)write_kernel_file(dir_ + "/cgroup.freeze", "0");
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (created_) {
      // The cgroup can be removed once the kernel has noticed it is empty.
      for (int i = 0; i < 200 && ::rmdir(dir_.c_str()) != 0 && errno == EBUSY; ++i) {
        reactor_->run_once(std::chrono::milliseconds(10));
      }
      EXPECT_FALSE(std::filesystem::exists(dir_)) << "leaked " << dir_;
    }
  }

  pid_t spawn_sleep() {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }

  bool pump_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      reactor_->run_once(std::chrono::milliseconds(50));
    }
    return done();
  }

  std::unique_ptr<Reactor> reactor_;
  std::string dir_;
  bool created_ = false;
  pid_t child_ = -1;
};

TEST_P(KernelCgroupEventsTest, FreezeThawAndPopulated) {
  std::vector<CgroupEvent> events;
  CgroupEventsWatcher watcher(*reactor_, [&](const CgroupEvent& e) { events.push_back(e); });
  ASSERT_TRUE(watcher.watch("job", dir_).ok());
  EXPECT_FALSE(watcher.events("job")->populated);
  auto seen = [&](CgroupEvent::Kind kind, bool value) {
    return [&events, kind, value] {
      for (const auto& e : events) {
        if (e.kind == kind && e.value == value) return true;
      }
      return false;
    };
  };

  child_ = spawn_sleep();
  ASSERT_GT(child_, 0);
  ASSERT_TRUE(write_kernel_file(dir_ + "/cgroup.procs", std::to_string(child_)).ok());
  ASSERT_TRUE(pump_until(seen(CgroupEvent::Kind::kPopulatedChanged, true)))
      << "no populated=1 event";

  ASSERT_TRUE(write_kernel_file(dir_ + "/cgroup.freeze", "1").ok());
  ASSERT_TRUE(pump_until(seen(CgroupEvent::Kind::kFrozenChanged, true))) << "no frozen=1 event";
  EXPECT_TRUE(watcher.events("job")->frozen);
  EXPECT_EQ(events.back().unit_id, "job");
  EXPECT_EQ(events.back().cgroup_dir, dir_);

  ASSERT_TRUE(write_kernel_file(dir_ + "/cgroup.freeze", "0").ok());
  ASSERT_TRUE(pump_until(seen(CgroupEvent::Kind::kFrozenChanged, false))) << "no frozen=0 event";
  EXPECT_FALSE(watcher.events("job")->frozen);

  ::kill(child_, SIGKILL);
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  ASSERT_TRUE(pump_until(seen(CgroupEvent::Kind::kPopulatedChanged, false)))
      << "no populated=0 event";
  watcher.clear();
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelCgroupEventsTest,
                         ::testing::Values(ReactorChoice::kEpoll, ReactorChoice::kIoUring),
                         [](const auto& info) {
                           return info.param == ReactorChoice::kEpoll ? "epoll" : "io_uring";
                         });

}  // namespace
}  // namespace adrg
