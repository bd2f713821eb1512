// The HTTP listener's connection policy on a fake clock: per-source and total caps evict the
// oldest idle connection, busy and parked ones are never evicted, and the request deadline
// closes slow clients however they trickle.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "integrations/http_api/connection_table.h"

namespace adrg {
namespace {

using std::chrono::seconds;

const void* key(int n) { return reinterpret_cast<const void*>(static_cast<std::uintptr_t>(n)); }

ConnectionLimits small_limits() {
  ConnectionLimits limits;
  limits.total = 4;
  limits.per_source = 2;
  limits.request_timeout = seconds(10);
  return limits;
}

TEST(ConnectionTable, ASourceOverItsCapLosesItsOwnOldestIdleConnection) {
  FakeClock clock;
  ConnectionTable table(small_limits());
  ASSERT_TRUE(table.admit("10.0.0.1").accept);
  table.opened(key(1), 101, "10.0.0.1", clock.now());
  clock.advance(seconds(1));
  ASSERT_TRUE(table.admit("10.0.0.1").accept);
  table.opened(key(2), 102, "10.0.0.1", clock.now());
  table.opened(key(3), 103, "10.0.0.2", clock.now() - seconds(5));  // older, another source

  auto third = table.admit("10.0.0.1");
  EXPECT_TRUE(third.accept);
  ASSERT_TRUE(third.evict_fd);
  EXPECT_EQ(*third.evict_fd, 101);  // its own oldest, not the other source's older one
  EXPECT_EQ(table.open_from("10.0.0.1"), 1u);
  table.opened(key(4), 104, "10.0.0.1", clock.now());
  table.closed(key(1));  // MHD closed the evicted one
  EXPECT_EQ(table.open_count(), 3u);
}

TEST(ConnectionTable, BusyAndParkedConnectionsAreNeverEvicted) {
  FakeClock clock;
  ConnectionTable table(small_limits());
  table.opened(key(1), 101, "a", clock.now());
  table.opened(key(2), 102, "a", clock.now());
  table.request_complete(key(1));  // its handler runs
  table.parked(key(2));            // an /events stream
  auto refused = table.admit("a");
  EXPECT_FALSE(refused.accept);
  EXPECT_FALSE(refused.evict_fd);
  // Once a response is done the connection is idle again, and evictable.
  table.response_done(key(1), clock.now());
  auto admitted = table.admit("a");
  EXPECT_TRUE(admitted.accept);
  EXPECT_EQ(admitted.evict_fd, 101);
}

TEST(ConnectionTable, TheTotalCapEvictsTheOldestIdleConnectionOfAnySource) {
  FakeClock clock;
  ConnectionTable table(small_limits());
  for (int i = 1; i <= 4; ++i) {
    table.opened(key(i), 100 + i, "s" + std::to_string(i), clock.now());
    clock.advance(seconds(1));
  }
  auto admission = table.admit("s9");
  EXPECT_TRUE(admission.accept);
  EXPECT_EQ(admission.evict_fd, 101);
  EXPECT_EQ(table.open_count(), 3u);
}

TEST(ConnectionTable, RequestDeadlineClosesSlowClientsOnceAndSparesCompletedRequests) {
  FakeClock clock;
  ConnectionTable table(small_limits());
  table.opened(key(1), 101, "a", clock.now());
  clock.advance(seconds(4));
  table.opened(key(2), 102, "b", clock.now());
  table.opened(key(3), 103, "c", clock.now());
  table.request_complete(key(3));
  EXPECT_EQ(table.next_deadline(), clock.now() + seconds(6));
  clock.advance(seconds(5));
  EXPECT_TRUE(table.overdue(clock.now()).empty());
  clock.advance(seconds(1));
  EXPECT_EQ(table.overdue(clock.now()), std::vector<int>{101});
  EXPECT_TRUE(table.overdue(clock.now()).empty());  // reported once
  EXPECT_EQ(table.next_deadline(), clock.now() + seconds(4));
  clock.advance(seconds(4));
  EXPECT_EQ(table.overdue(clock.now()), std::vector<int>{102});
  EXPECT_FALSE(table.next_deadline());  // 3 is being served
  // After its response, a keep-alive connection has a fresh deadline for its next request.
  table.response_done(key(3), clock.now());
  EXPECT_EQ(table.next_deadline(), clock.now() + seconds(10));
}

}  // namespace
}  // namespace adrg
