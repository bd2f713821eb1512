// The re-pause policy, the socket path and the reconnect backoff: pure functions, time injected
// as `now` from a FakeClock (tier matching: enforcers_tiers_test).
#include <gtest/gtest.h>

#include "config/config.h"
#include "core/clock.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/policy.h"

namespace adrg::docker {
namespace {

TEST(RepausePolicy, OncePerCooldownWhileClaimHolds) {
  FakeClock clock;
  RepausePolicy policy(std::chrono::seconds(60));
  EXPECT_TRUE(policy.should_repause("a", true, clock.now()));
  clock.advance(std::chrono::seconds(5));
  // The human unpaused it again within the cooldown: leave it running.
  EXPECT_FALSE(policy.should_repause("a", true, clock.now()));
  clock.advance(std::chrono::seconds(54));
  EXPECT_FALSE(policy.should_repause("a", true, clock.now()));  // 59 s
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(policy.should_repause("a", true, clock.now()));  // 60 s: allowed again
  // Other containers have their own history.
  EXPECT_TRUE(policy.should_repause("b", true, clock.now()));
}

TEST(RepausePolicy, NeverWithoutClaimAndReleaseForgets) {
  FakeClock clock;
  RepausePolicy policy(std::chrono::seconds(60));
  EXPECT_FALSE(policy.should_repause("a", false, clock.now()));
  EXPECT_TRUE(policy.should_repause("a", true, clock.now()));
  clock.advance(std::chrono::seconds(1));
  // The claim went away and came back (a new media session): a fresh pause is fine.
  EXPECT_FALSE(policy.should_repause("a", false, clock.now()));
  EXPECT_TRUE(policy.should_repause("a", true, clock.now()));
  clock.advance(std::chrono::seconds(1));
  policy.forget("a");
  EXPECT_TRUE(policy.should_repause("a", true, clock.now()));
}

TEST(Backoff, DoublesToCapAndResets) {
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::seconds(5));
  std::vector<long> delays;
  for (int i = 0; i < 9; ++i) {
    delays.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(backoff.next()).count());
  }
  EXPECT_EQ(delays, (std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
  backoff.reset();
  EXPECT_EQ(backoff.next(), std::chrono::milliseconds(100));
}

TEST(ResolveSocketPath, DockerHostOverrides) {
  EXPECT_EQ(resolve_socket_path("/var/run/docker.sock", nullptr), "/var/run/docker.sock");
  EXPECT_EQ(resolve_socket_path("/var/run/docker.sock", ""), "/var/run/docker.sock");
  EXPECT_EQ(resolve_socket_path("/var/run/docker.sock", "unix:///tmp/d.sock"), "/tmp/d.sock");
  EXPECT_EQ(resolve_socket_path("/var/run/docker.sock", "tcp://10.0.0.1:2375"),
            "/var/run/docker.sock");
}

}  // namespace
}  // namespace adrg::docker
