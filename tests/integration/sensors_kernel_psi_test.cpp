// Real kernel PSI: read /proc/pressure/*, arm real triggers on /proc/pressure/cpu (including a
// 500 ms window, which without CAP_SYS_RESOURCE must take the round-up-to-2 s fallback), and see
// a real POLLPRI edge through the reactor while the CPUs are oversubscribed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "core/reactor.h"
#include "sensors/psi.h"

namespace adrg {
namespace {

const std::string kCpu = "/proc/pressure/cpu";

bool psi_available() { return std::filesystem::exists(kCpu); }

TEST(KernelPsiTest, ReadsSystemFiles) {
  if (!psi_available()) GTEST_SKIP() << "no " << kCpu << ": kernel without CONFIG_PSI or psi=0";
  for (auto resource : {PsiResource::kCpu, PsiResource::kMemory, PsiResource::kIo}) {
    auto r = read_psi(system_psi_path("/proc", resource));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_GE(r->some.avg10, 0);
  }
}

TEST(KernelPsiTest, TriggerWithTwoSecondWindow) {
  if (!psi_available()) GTEST_SKIP() << "no " << kCpu;
  if (geteuid() != 0) GTEST_SKIP() << "PSI triggers need write access to " << kCpu << " (root)";
  auto trigger = PsiTrigger::open(kCpu, {"some", 150000, 2000000});
  ASSERT_TRUE(trigger.ok()) << trigger.error().describe();
  EXPECT_GE(trigger->fd(), 0);
  EXPECT_EQ(trigger->window_us(), 2000000u);
  EXPECT_FALSE(trigger->window_rounded());
  EXPECT_EQ(trigger->description(), "some 150000 2000000 on /proc/pressure/cpu");
}

TEST(KernelPsiTest, HalfSecondWindowSucceedsDirectlyOrRounded) {
  if (!psi_available()) GTEST_SKIP() << "no " << kCpu;
  if (geteuid() != 0) GTEST_SKIP() << "PSI triggers need write access to " << kCpu << " (root)";
  auto trigger = PsiTrigger::open(kCpu, {"some", 100000, 500000});
  ASSERT_TRUE(trigger.ok()) << trigger.error().describe();
  EXPECT_EQ(trigger->requested_window_us(), 500000u);
  // With CAP_SYS_RESOURCE the kernel takes 500 ms as is; without it only the fallback works.
  EXPECT_TRUE(trigger->window_us() == 500000u || trigger->window_us() == 2000000u)
      << trigger->window_us();
  if (trigger->window_rounded()) {
    EXPECT_NE(trigger->description().find("rounded up from 500000"), std::string::npos);
  }
  std::printf("effective trigger: %s\n", trigger->description().c_str());
}

TEST(KernelPsiTest, InvalidTriggerIsAnError) {
  if (!psi_available()) GTEST_SKIP() << "no " << kCpu;
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  // stall > window is invalid whatever the privileges; a multiple of 2 s is never retried.
  auto r = PsiTrigger::open(kCpu, {"some", 5000000, 2000000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code.value(), EINVAL);
}

class KernelPsiEdgeTest : public ::testing::TestWithParam<ReactorChoice> {};

TEST_P(KernelPsiEdgeTest, EdgeDeliveredThroughReactorUnderCpuContention) {
  if (!psi_available()) GTEST_SKIP() << "no " << kCpu;
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto reactor = Reactor::create(GetParam());
  if (!reactor) GTEST_SKIP() << "reactor backend unavailable: " << reactor.error().describe();
  std::vector<std::string> edges;
  auto set = arm_psi_triggers(**reactor, {{"cpu", kCpu, {"some", 50000, 2000000}}},
                              [&](const std::string& name) { edges.push_back(name); });
  ASSERT_EQ(set->size(), 1u) << "trigger not armed";

  // Oversubscribe the CPUs: runnable threads waiting for a CPU are a "some" cpu stall.
  std::atomic<bool> stop{false};
  std::vector<std::thread> burners;
  const unsigned n = std::thread::hardware_concurrency() * 2 + 1;
  for (unsigned i = 0; i < n; ++i) {
    burners.emplace_back([&stop] {
      volatile std::uint64_t x = 0;
      while (!stop.load(std::memory_order_relaxed)) x = x + 1;
    });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (edges.empty() && std::chrono::steady_clock::now() < deadline) {
    (*reactor)->run_once(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : burners) t.join();
  ASSERT_FALSE(edges.empty()) << "no PSI edge within 20 s of CPU oversubscription";
  EXPECT_EQ(edges[0], "cpu");
  EXPECT_GE(set->edges("cpu"), 1u);
  set->clear();
  EXPECT_EQ(set->size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelPsiEdgeTest,
                         ::testing::Values(ReactorChoice::kEpoll, ReactorChoice::kIoUring),
                         [](const auto& info) {
                           return info.param == ReactorChoice::kEpoll ? "epoll" : "io_uring";
                         });

}  // namespace
}  // namespace adrg
