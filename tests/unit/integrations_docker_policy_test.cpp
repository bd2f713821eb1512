// Tier assignment, protection, the re-pause policy and the reconnect backoff: pure functions,
// time injected as `now` from a FakeClock.
#include <gtest/gtest.h>

#include "config/config.h"
#include "core/clock.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/policy.h"

namespace adrg::docker {
namespace {

std::array<TierConfig, 4> tiers() {
  Config config;
  config.tiers[0].containers = {"traefik", "postgres*"};
  config.tiers[1].containers = {"jellyfin", "web-*"};
  config.tiers[2].containers = {"sonarr", "radarr", "web-worker*"};
  config.tiers[3].containers = {"tdarr*", "*-batch", "[ab]ackup?"};
  return config.tiers;
}

TEST(MatchTier, GlobsFirstMatchingTierInOrder) {
  auto t = tiers();
  EXPECT_EQ(match_tier("traefik", {}, t), 0);
  EXPECT_EQ(match_tier("postgres-16", {}, t), 0);
  EXPECT_EQ(match_tier("jellyfin", {}, t), 1);
  EXPECT_EQ(match_tier("web-worker-1", {}, t), 1);  // tier 1's "web-*" comes before tier 2
  EXPECT_EQ(match_tier("tdarr-node", {}, t), 3);
  EXPECT_EQ(match_tier("nightly-batch", {}, t), 3);
  EXPECT_EQ(match_tier("backup1", {}, t), 3);
  EXPECT_EQ(match_tier("Jellyfin", {}, t), std::nullopt);  // case-sensitive like Python fnmatch
  EXPECT_EQ(match_tier("unknown", {}, t), std::nullopt);   // unmanaged
}

TEST(MatchTier, TierOrderIsByIdNotArrayPosition) {
  auto t = tiers();
  std::swap(t[0], t[3]);
  t[0].containers.push_back("shared*");
  t[3].containers.push_back("shared*");
  EXPECT_EQ(match_tier("shared-thing", {}, t), 0);
}

TEST(MatchTier, LabelWinsOverGlob) {
  auto t = tiers();
  EXPECT_EQ(match_tier("tdarr", {{"adrg.tier", "1"}}, t), 1);
  EXPECT_EQ(match_tier("unknown", {{"adrg.tier", "2"}}, t), 2);
  EXPECT_EQ(match_tier("traefik", {{"adrg.tier", "3"}}, t), 3);
  std::string error;
  EXPECT_EQ(match_tier("tdarr", {{"adrg.tier", "7"}}, t, &error), 3);  // bad label: globs
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(match_tier("unknown", {{"adrg.tier", "x"}}, t, &error), std::nullopt);
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(match_tier("unknown", {{"adrg.tier", "1 "}}, t), std::nullopt);
}

TEST(Protection, TierZeroAndProtectedGlobs) {
  std::vector<std::string> patterns = {"vaultwarden", "home-assistant*"};
  EXPECT_TRUE(is_protected_container("anything", 0, patterns));
  EXPECT_TRUE(is_protected_container("vaultwarden", 3, patterns));
  EXPECT_TRUE(is_protected_container("home-assistant-db", 2, patterns));
  EXPECT_FALSE(is_protected_container("vaultwarden2", 3, patterns));
  EXPECT_FALSE(is_protected_container("sonarr", 2, patterns));
}

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
