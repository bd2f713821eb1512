// plan(): baselines, union/strictest merge, protection filtering even against rogue claims,
// statelessness. GovernorPolicy: overlapping claims of two rules released in either order.
#include <gtest/gtest.h>

#include "core/clock.h"
#include "enforcers/governor_policy.h"
#include "enforcers/planner.h"

namespace adrg {
namespace {

UnitSnapshot unit(std::string id, int tier, bool is_protected = false) {
  UnitSnapshot u;
  u.id = id;
  u.name = id;
  u.tier = tier;
  u.is_protected = is_protected || tier == 0;
  u.memory_current = 400ull << 20;
  return u;
}

Claim claim(std::string id, ClaimKind kind, std::string by) {
  Claim c;
  c.unit_id = std::move(id);
  c.kind = kind;
  c.by = std::move(by);
  return c;
}

class PlannerTest : public ::testing::Test {
 protected:
  PlannerTest() {
    snapshot_.units = {unit("t0", 0), unit("t1", 1), unit("t2", 2), unit("t3", 3),
                       unit("t3p", 3, true)};
  }
  Config config_;
  Snapshot snapshot_;
};

TEST_F(PlannerTest, BaselinesOnlyWithoutClaims) {
  auto state = plan(config_, snapshot_, {});
  ASSERT_EQ(state.units.size(), 5u);
  EXPECT_EQ(state.units["t0"].cpu_weight, 1000);
  EXPECT_FALSE(state.units["t0"].memory_high.has_value());
  EXPECT_EQ(state.units["t2"].memory_high, 3ull << 29);
  EXPECT_EQ(state.units["t3"].io_weight, 10);
  EXPECT_EQ(state.units["t3"].memory_max, 3ull << 30);
  EXPECT_FALSE(state.units["t3"].paused);
  EXPECT_TRUE(state.restarts.empty());
}

TEST_F(PlannerTest, UnionAndStrictest) {
  std::vector<Claim> claims;
  claims.push_back(claim("t3", ClaimKind::kPause, "thermal"));
  claims.push_back(claim("t3", ClaimKind::kPause, "media"));
  claims.push_back(claim("t3", ClaimKind::kPause, "thermal"));
  auto cpu1 = claim("t2", ClaimKind::kCpuMax, "media");
  cpu1.cpu_max_percent = 20;
  auto cpu2 = claim("t2", ClaimKind::kCpuMax, "other");
  cpu2.cpu_max_percent = 35;
  auto io1 = claim("t2", ClaimKind::kIoMax, "media");
  io1.io = {10 << 20, 0};
  auto io2 = claim("t2", ClaimKind::kIoMax, "io");
  io2.io = {20 << 20, 2 << 20};
  auto mem1 = claim("t3", ClaimKind::kMemoryHigh, "memory");
  mem1.memory_high = 300ull << 20;
  auto mem2 = claim("t2", ClaimKind::kMemoryHigh, "memory");
  mem2.memory_high = 4ull << 30;  // above the tier baseline: baseline stays
  claims.insert(claims.end(), {cpu1, cpu2, io1, io2, mem1, mem2});
  auto state = plan(config_, snapshot_, claims);
  const auto& t3 = state.units["t3"];
  EXPECT_TRUE(t3.paused);
  EXPECT_EQ(t3.paused_by, (std::vector<std::string>{"media", "thermal"}));
  EXPECT_EQ(t3.memory_high, 300ull << 20);
  EXPECT_EQ(t3.memory_high_by, std::vector<std::string>{"memory"});
  const auto& t2 = state.units["t2"];
  EXPECT_EQ(t2.cpu_max_percent, 20);
  EXPECT_EQ(t2.cpu_max_by, (std::vector<std::string>{"media", "other"}));
  ASSERT_TRUE(t2.io_max.has_value());
  EXPECT_EQ(t2.io_max->read_bps, 10u << 20);
  EXPECT_EQ(t2.io_max->write_bps, 2u << 20);
  EXPECT_EQ(t2.io_max_by, (std::vector<std::string>{"io", "media"}));
  EXPECT_EQ(t2.memory_high, 3ull << 29);
  EXPECT_FALSE(state.units["t1"].paused);
}

TEST_F(PlannerTest, ProtectionFilteredEvenForRogueClaims) {
  std::vector<Claim> claims;
  for (const char* id : {"t0", "t3p"}) {
    for (auto kind : {ClaimKind::kPause, ClaimKind::kCpuMax, ClaimKind::kIoMax,
                      ClaimKind::kMemoryHigh, ClaimKind::kRestart}) {
      auto c = claim(id, kind, "rogue");
      c.cpu_max_percent = 5;
      c.io = {1, 1};
      c.memory_high = 1;
      claims.push_back(c);
    }
  }
  claims.push_back(claim("ghost", ClaimKind::kPause, "thermal"));  // not in the snapshot
  auto state = plan(config_, snapshot_, claims);
  EXPECT_TRUE(state.restarts.empty());
  EXPECT_EQ(state.units.count("ghost"), 0u);
  for (const char* id : {"t0", "t3p"}) {
    const auto& u = state.units[id];
    EXPECT_FALSE(u.paused);
    EXPECT_TRUE(u.paused_by.empty());
    EXPECT_FALSE(u.cpu_max_percent.has_value());
    EXPECT_FALSE(u.io_max.has_value());
    EXPECT_TRUE(u.memory_high_by.empty());
  }
  EXPECT_EQ(state.units["t3p"].memory_high, 2ull << 30);  // its baseline only
}

TEST_F(PlannerTest, RestartsDeduplicatedAndInvalidClaimsIgnored) {
  auto r1 = claim("t3", ClaimKind::kRestart, "memory");
  r1.reason = "first";
  auto r2 = claim("t3", ClaimKind::kRestart, "memory");
  auto bad_cpu = claim("t2", ClaimKind::kCpuMax, "media");
  bad_cpu.cpu_max_percent = 0;
  auto bad_io = claim("t2", ClaimKind::kIoMax, "media");
  auto state = plan(config_, snapshot_, {r1, r2, bad_cpu, bad_io});
  ASSERT_EQ(state.restarts.size(), 1u);
  EXPECT_EQ(state.restarts[0].reason, "first");
  EXPECT_FALSE(state.units["t2"].cpu_max_percent.has_value());
  EXPECT_FALSE(state.units["t2"].io_max.has_value());
}

TEST_F(PlannerTest, StatelessReleaseRestoresOnlyUnclaimed) {
  auto a = claim("t3", ClaimKind::kPause, "thermal");
  auto b = claim("t3", ClaimKind::kPause, "media");
  EXPECT_EQ(plan(config_, snapshot_, {a, b}).units["t3"].paused_by.size(), 2u);
  auto only_b = plan(config_, snapshot_, {b}).units["t3"];
  EXPECT_TRUE(only_b.paused);
  EXPECT_EQ(only_b.paused_by, std::vector<std::string>{"media"});
  EXPECT_EQ(plan(config_, snapshot_, {a}).units, plan(config_, snapshot_, {a}).units);
  EXPECT_EQ(plan(config_, snapshot_, {}).units["t3"], plan(Config{}, snapshot_, {}).units["t3"]);
}

// Thermal stage1 and media both pause tier 3; release in either order.
class OverlapTest : public ::testing::TestWithParam<bool> {};

TEST_P(OverlapTest, ThermalAndMediaPauseTier3) {
  const bool thermal_first = GetParam();
  Config config;
  config.media_mode.enabled = true;
  config.media_mode.cooldown_seconds = 10;
  Snapshot s;
  s.units = {unit("t2", 2), unit("t3", 3)};
  FakeClock clock;
  GovernorPolicy policy;
  s.temperature_c = 76;
  s.media_sessions = 1;
  auto r = policy.evaluate(config, s, clock.now());
  EXPECT_EQ(r.desired.units["t3"].paused_by, (std::vector<std::string>{"media", "thermal"}));
  // Release the first one.
  if (thermal_first) {
    s.temperature_c = 50;
    (void)policy.evaluate(config, s, clock.now());
    clock.advance_seconds(30);
  } else {
    s.media_sessions = 0;
    clock.advance_seconds(10);
    s.temperature_c = 76;
  }
  r = policy.evaluate(config, s, clock.now());
  const std::string remaining = thermal_first ? "media" : "thermal";
  EXPECT_TRUE(r.desired.units["t3"].paused);
  EXPECT_EQ(r.desired.units["t3"].paused_by, std::vector<std::string>{remaining});
  // The tier-2 throttle belongs to media alone.
  EXPECT_EQ(r.desired.units["t2"].cpu_max_percent.has_value(), thermal_first);
  // Release the second one.
  s.media_sessions = 0;
  s.temperature_c = 50;
  (void)policy.evaluate(config, s, clock.now());
  clock.advance_seconds(30);
  r = policy.evaluate(config, s, clock.now());
  EXPECT_FALSE(r.desired.units["t3"].paused);
  EXPECT_TRUE(r.claims.empty());
}

INSTANTIATE_TEST_SUITE_P(EitherOrder, OverlapTest, ::testing::Bool());

// io (tier 3) and media (tier 2) both claim io.max on different tiers, independently.
TEST(OverlapIoTest, IoAndMediaOnDifferentTiers) {
  Config config;
  config.media_mode.enabled = true;
  config.media_mode.cooldown_seconds = 0;
  Snapshot s;
  s.units = {unit("t2", 2), unit("t3", 3)};
  FakeClock clock;
  GovernorPolicy policy;
  PsiStats io;
  io.some.avg10 = 80;
  s.io = io;
  s.media_sessions = 1;
  auto r = policy.evaluate(config, s, clock.now());
  EXPECT_EQ(r.desired.units["t2"].io_max_by, std::vector<std::string>{"media"});
  EXPECT_EQ(r.desired.units["t3"].io_max_by, std::vector<std::string>{"io"});
  EXPECT_EQ(r.desired.units["t3"].io_max->read_bps, 5u << 20);
  s.media_sessions = 0;  // media releases first: io's tier-3 cap stays
  r = policy.evaluate(config, s, clock.now());
  EXPECT_FALSE(r.desired.units["t2"].io_max.has_value());
  EXPECT_EQ(r.desired.units["t3"].io_max_by, std::vector<std::string>{"io"});
  EXPECT_FALSE(r.desired.units["t3"].paused);
  s.media_sessions = 1;  // media again, then io releases first
  s.io->some.avg10 = 1;
  (void)policy.evaluate(config, s, clock.now());
  clock.advance_seconds(30);
  r = policy.evaluate(config, s, clock.now());
  EXPECT_FALSE(r.desired.units["t3"].io_max.has_value());
  EXPECT_EQ(r.desired.units["t2"].io_max_by, std::vector<std::string>{"media"});
  EXPECT_TRUE(r.desired.units["t3"].paused);
  EXPECT_EQ(r.desired.units["t3"].paused_by, std::vector<std::string>{"media"});
}

TEST(GovernorPolicyTest, ManualPauseSurvivesOtherReleasesAndStatus) {
  Config config;
  Snapshot s;
  s.units = {unit("t3", 3)};
  FakeClock clock;
  GovernorPolicy policy;
  auto r = policy.evaluate(config, s, clock.now(), {{TriggerKind::kTier3Pause, "http"}});
  EXPECT_EQ(r.desired.units["t3"].paused_by, std::vector<std::string>{"manual"});
  ASSERT_EQ(r.decisions.size(), 1u);
  EXPECT_EQ(r.decisions[0].event, "tier3_manual_pause");
  s.temperature_c = 90;
  r = policy.evaluate(config, s, clock.now());
  EXPECT_EQ(r.desired.units["t3"].paused_by, (std::vector<std::string>{"manual", "thermal"}));
  EXPECT_EQ(policy.status().thermal_stage, "stage2");
  EXPECT_TRUE(policy.status().tier3_manual_pause);
  r = policy.evaluate(config, s, clock.now(), {{TriggerKind::kTier3Resume, "http"}});
  EXPECT_EQ(r.desired.units["t3"].paused_by, std::vector<std::string>{"thermal"});
}

}  // namespace
}  // namespace adrg
