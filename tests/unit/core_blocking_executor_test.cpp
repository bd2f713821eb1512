#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/blocking_executor.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool run_until(Reactor& reactor, const std::function<bool()>& done,
               Duration deadline = seconds(10)) {
  const TimePoint end = SteadyClock::now() + deadline;
  while (!done() && SteadyClock::now() < end) reactor.run_once(milliseconds(20));
  return done();
}

std::unique_ptr<Reactor> make_reactor() {
  auto reactor = Reactor::create();
  EXPECT_TRUE(reactor) << reactor.error().describe();
  return reactor ? std::move(reactor.value()) : nullptr;
}

TEST(BlockingExecutor, WorkRunsOffTheLoopInOrderAndDoneRunsOnTheLoop) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  reactor->run_once(Duration::zero());  // makes this thread the loop thread
  BlockingExecutor executor(*reactor);
  std::vector<int> work_order;  // only touched by the worker until drain()
  std::vector<int> done_order;  // only touched by the loop thread
  std::atomic<int> work_on_loop{0};
  int done_off_loop = 0;
  for (int i = 0; i < 20; ++i) {
    executor.submit(
        [&, i] {
          if (reactor->in_loop_thread()) ++work_on_loop;
          work_order.push_back(i);
        },
        [&, i] {
          if (!reactor->in_loop_thread()) ++done_off_loop;
          done_order.push_back(i);
        });
  }
  ASSERT_TRUE(run_until(*reactor, [&] { return done_order.size() == 20; }));
  executor.drain();
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  EXPECT_EQ(work_order, expected);
  EXPECT_EQ(done_order, expected);
  EXPECT_EQ(work_on_loop, 0);
  EXPECT_EQ(done_off_loop, 0);
}

TEST(BlockingExecutor, SlowWorkDoesNotBlockTheLoop) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  BlockingExecutor executor(*reactor);
  std::atomic<bool> release{false};
  bool done = false;
  executor.submit(
      [&] {
        while (!release) std::this_thread::sleep_for(milliseconds(1));
      },
      [&] { done = true; });
  int ticks = 0;
  auto timer = reactor->add_timer(milliseconds(2), milliseconds(2), [&] {
    if (++ticks == 5) release = true;  // the loop kept running while the job blocked
  });
  ASSERT_TRUE(timer);
  ASSERT_TRUE(run_until(*reactor, [&] { return done; }));
  EXPECT_GE(ticks, 5);
  reactor->cancel(*timer);
}

// A relief's cpu.max must not wait behind the restores and journal bookkeeping the previous
// trigger left queued: urgent work overtakes queued normal work, in its own submission order.
TEST(BlockingExecutor, UrgentWorkOvertakesQueuedNormalWork) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  BlockingExecutor executor(*reactor);
  std::atomic<bool> started{false};
  std::atomic<bool> release{false};
  std::vector<std::string> order;  // only touched by the worker until drain()
  executor.submit([&] {
    started = true;
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    order.push_back("running");
  });
  const auto deadline = SteadyClock::now() + seconds(10);
  while (!started && SteadyClock::now() < deadline) std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(started);  // the worker holds the first job: everything below queues
  executor.submit([&] { order.push_back("restore 1"); });
  executor.submit([&] { order.push_back("restore 2"); });
  executor.submit([&] { order.push_back("relief a"); }, {}, BlockingExecutor::Lane::kUrgent);
  executor.submit([&] { order.push_back("restore 3"); });
  executor.submit([&] { order.push_back("relief b"); }, {}, BlockingExecutor::Lane::kUrgent);
  release = true;
  executor.drain();
  EXPECT_EQ(order, (std::vector<std::string>{"running", "relief a", "relief b", "restore 1",
                                             "restore 2", "restore 3"}));
}

TEST(BlockingExecutor, DrainWaitsForQueuedWorkAndCompletionsArePosted) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  BlockingExecutor executor(*reactor);
  std::atomic<int> ran{0};
  int done = 0;
  for (int i = 0; i < 10; ++i) {
    executor.submit([&] { ++ran; }, [&] { ++done; });
  }
  executor.drain();
  EXPECT_EQ(ran, 10);
  // drain() returns after every completion was posted; one loop pass runs them all.
  EXPECT_TRUE(reactor->run_once(seconds(1)));
  EXPECT_EQ(done, 10);
}

TEST(BlockingExecutor, AThrowingJobDoesNotKillTheWorker) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  BlockingExecutor executor(*reactor);
  std::atomic<bool> later{false};
  bool done_after_throw = false;
  executor.submit([] { throw std::runtime_error("disk on fire"); },
                  [&] { done_after_throw = true; });
  executor.submit([&] { later = true; });
  executor.drain();
  EXPECT_TRUE(later);
  ASSERT_TRUE(run_until(*reactor, [&] { return done_after_throw; }));
}

TEST(BlockingExecutor, DestructorFinishesQueuedWork) {
  auto reactor = make_reactor();
  ASSERT_TRUE(reactor);
  std::atomic<int> ran{0};
  {
    BlockingExecutor executor(*reactor);
    for (int i = 0; i < 50; ++i) {
      executor.submit([&] {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran, 50);
}

}  // namespace
}  // namespace adrg
