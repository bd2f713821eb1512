// Tier matching and protection (enforcers/tiers.h): globs in tier order, the adrg.tier label,
// protected names; and the classifier the cgroup inventory is given.
#include <gtest/gtest.h>

#include "config/config.h"
#include "enforcers/tiers.h"

namespace adrg {
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

TEST(TierClassifier, MatchesByNameAndMarksProtection) {
  Config config;
  config.tiers = tiers();
  config.protected_containers = {"backup1"};
  auto classify = tier_classifier(config);
  config.tiers[3].containers.clear();  // the classifier keeps its own copy
  ASSERT_TRUE(classify("tdarr-node").has_value());
  EXPECT_EQ(classify("tdarr-node")->tier, 3);
  EXPECT_FALSE(classify("tdarr-node")->is_protected);
  EXPECT_TRUE(classify("backup1")->is_protected);
  EXPECT_TRUE(classify("traefik")->is_protected);  // tier 0
  EXPECT_FALSE(classify("unknown").has_value());
}

}  // namespace
}  // namespace adrg
