// MemoryRule: squeeze (threshold boundary, value, floor, fixed per episode, hold release), the
// PSI-trigger fast path, critical and emergency restarts (victim choice, cooldown boundary,
// poll spacing, tier-2 escalation), missing PSI, protection.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "core/clock.h"
#include "enforcers/memory_rule.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;
constexpr std::uint64_t kMiB = 1ull << 20;

UnitSnapshot unit(std::string id, int tier, std::uint64_t mem, bool is_protected = false) {
  UnitSnapshot u;
  u.id = id;
  u.name = id;
  u.tier = tier;
  u.memory_current = mem;
  u.is_protected = is_protected || tier == 0;
  return u;
}

class MemoryRuleTest : public ::testing::Test {
 protected:
  MemoryRuleTest() {
    snapshot_.units = {unit("t0", 0, 9000 * kMiB),       unit("t1", 1, 8000 * kMiB),
                       unit("t2a", 2, 700 * kMiB),       unit("t2b", 2, 900 * kMiB),
                       unit("t3a", 3, 400 * kMiB),       unit("t3b", 3, 1000 * kMiB),
                       unit("t3p", 3, 5000 * kMiB, true)};
  }
  RuleOutput eval(double some10, double some60 = 0, double full10 = 0, bool fired = false) {
    PsiStats psi;
    psi.some = {some10, some60, 0, some_total_};
    psi.full = {full10, 0, 0, 0};
    psi.has_full = true;
    snapshot_.memory = psi;
    snapshot_.memory_trigger_fired = fired;
    return rule_.evaluate(config_, snapshot_, clock_.now());
  }
  static std::map<std::string, std::uint64_t> highs(const RuleOutput& out) {
    std::map<std::string, std::uint64_t> m;
    for (const auto& c : out.claims) {
      if (c.kind == ClaimKind::kMemoryHigh) m[c.unit_id] = c.memory_high;
    }
    return m;
  }
  static std::vector<std::string> restarts(const RuleOutput& out) {
    std::vector<std::string> ids;
    for (const auto& c : out.claims) {
      if (c.kind == ClaimKind::kRestart) ids.push_back(c.unit_id);
    }
    return ids;
  }

  Config config_;
  Snapshot snapshot_;
  FakeClock clock_;
  MemoryRule rule_;
  std::uint64_t some_total_ = 1'000'000;
};

TEST_F(MemoryRuleTest, SqueezeNotAtExactlyThreshold) {
  auto out = eval(50.0);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(rule_.stage(), MemoryStage::kNormal);
}

TEST_F(MemoryRuleTest, SqueezeAboveThresholdOnTier3Only) {
  auto out = eval(50.01);
  EXPECT_EQ(rule_.stage(), MemoryStage::kSqueeze);
  auto m = highs(out);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m["t3a"], 300 * kMiB);  // 400 MiB * 0.75
  EXPECT_EQ(m["t3b"], 750 * kMiB);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "memory_squeeze");
  EXPECT_TRUE(restarts(out).empty());
}

TEST_F(MemoryRuleTest, SqueezeFloorAndUnknownMemory) {
  snapshot_.units = {unit("small", 3, 10 * kMiB), unit("unknown", 3, 0)};
  auto m = highs(eval(60));
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(m["small"], MemoryRule::kMemoryHighFloor);
}

TEST_F(MemoryRuleTest, SqueezeValueFixedForTheEpisodeNoRatchet) {
  (void)eval(60);
  snapshot_.units[5].memory_current = 100 * kMiB;  // t3b shrank under the squeeze
  clock_.advance_seconds(5);
  EXPECT_EQ(highs(eval(60))["t3b"], 750 * kMiB);
  snapshot_.units.push_back(unit("t3new", 3, 200 * kMiB));
  EXPECT_EQ(highs(eval(60))["t3new"], 150 * kMiB);
}

TEST_F(MemoryRuleTest, SqueezeReleasedAfterHoldBelowThreshold) {
  (void)eval(60);
  clock_.advance_seconds(1);
  (void)eval(49.99);  // calm starts
  clock_.advance(milliseconds(29999));
  EXPECT_EQ(highs(eval(10)).size(), 2u);
  clock_.advance(milliseconds(1));
  auto out = eval(10);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(rule_.stage(), MemoryStage::kNormal);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "memory_recovered");
  // A new episode recomputes from the current memory_current.
  snapshot_.units[5].memory_current = 100 * kMiB;
  EXPECT_EQ(highs(eval(70))["t3b"], 75 * kMiB);
}

TEST_F(MemoryRuleTest, ExactlyThresholdOrHotResetsReleaseHold) {
  (void)eval(60);
  clock_.advance_seconds(1);
  (void)eval(40);
  clock_.advance_seconds(20);
  (void)eval(50.0);  // not below: hold restarts
  clock_.advance_seconds(1);
  (void)eval(40);
  clock_.advance_seconds(29);
  EXPECT_EQ(highs(eval(40)).size(), 2u);
  clock_.advance_seconds(1);
  EXPECT_TRUE(eval(40).claims.empty());
}

TEST_F(MemoryRuleTest, FastPathEngagesOnTriggerEdgeWithMeasuredStall) {
  (void)eval(0);
  clock_.advance_seconds(1);
  some_total_ += 600'000;  // 60 % of 1 s stalled; avg10 still lags at 5
  auto out = eval(5, 0, 0, /*fired=*/true);
  EXPECT_TRUE(rule_.squeeze_engaged());
  EXPECT_EQ(highs(out).size(), 2u);
  EXPECT_NE(out.decisions.at(0).reason.find("fast path"), std::string::npos);
}

TEST_F(MemoryRuleTest, EdgeWhoseProvenShareClearsTheThresholdSqueezesAtOnce) {
  config_.memory_pressure.some_avg10_threshold = 10;
  snapshot_.memory_trigger_proven_percent = 10;  // not above: no squeeze, no history either
  EXPECT_TRUE(eval(1, 0, 0, /*fired=*/true).claims.empty());
  snapshot_.memory_trigger_proven_percent = 15;
  clock_.advance(
      std::chrono::milliseconds(50));  // too short for the StallMeter: only the edge's proof acts
  auto out = eval(1, 0, 0, /*fired=*/true);
  EXPECT_EQ(highs(out).size(), 2u);
  EXPECT_NE(out.decisions.at(0).reason.find("proven by the PSI trigger edge"), std::string::npos);
}

TEST_F(MemoryRuleTest, FastPathNeedsTheEdgeFlag) {
  (void)eval(0);
  clock_.advance_seconds(1);
  some_total_ += 900'000;
  EXPECT_TRUE(eval(5).claims.empty());
}

TEST_F(MemoryRuleTest, FastPathNeedsTwoHundredMillisecondsOfHistory) {
  (void)eval(0);
  clock_.advance(milliseconds(199));
  some_total_ += 190'000;  // 95 % over 199 ms: too short to judge, baseline kept
  EXPECT_TRUE(eval(5, 0, 0, true).claims.empty());
  clock_.advance(milliseconds(801));
  some_total_ += 400'000;  // 590 ms of 1000 ms since the kept baseline = 59 %
  EXPECT_EQ(highs(eval(5, 0, 0, true)).size(), 2u);
}

TEST_F(MemoryRuleTest, FastPathStallBelowThresholdDoesNothing) {
  (void)eval(0);
  clock_.advance_seconds(1);
  some_total_ += 500'000;  // exactly 50 %: not above
  EXPECT_TRUE(eval(5, 0, 0, true).claims.empty());
}

TEST_F(MemoryRuleTest, CriticalRestartsHighestTier3ThenNextAfterSpacing) {
  auto out = eval(0, 40.01);
  EXPECT_EQ(rule_.stage(), MemoryStage::kCritical);
  EXPECT_EQ(restarts(out), std::vector<std::string>{"t3b"});
  ASSERT_EQ(out.decisions.size(), 2u);
  EXPECT_EQ(out.decisions[1].event, "memory_critical_restart");
  EXPECT_EQ(out.decisions[1].unit_ids, std::vector<std::string>{"t3b"});
  clock_.advance(milliseconds(4999));  // within one poll interval: no second restart
  EXPECT_TRUE(restarts(eval(0, 45)).empty());
  clock_.advance(milliseconds(1));
  EXPECT_EQ(restarts(eval(0, 45)), std::vector<std::string>{"t3a"});
  clock_.advance_seconds(5);  // every tier-3 unit in cooldown; critical never touches tier 2
  EXPECT_TRUE(restarts(eval(0, 45)).empty());
}

TEST_F(MemoryRuleTest, CriticalNotAtExactlyThreshold) {
  EXPECT_TRUE(restarts(eval(0, 40.0)).empty());
}

TEST_F(MemoryRuleTest, RestartCooldownBoundaryIsInclusive) {
  snapshot_.units = {unit("only", 3, 100 * kMiB)};
  EXPECT_EQ(restarts(eval(0, 90)).size(), 1u);
  clock_.advance(milliseconds(299'999));
  EXPECT_TRUE(restarts(eval(0, 90)).empty());
  clock_.advance(milliseconds(1));
  EXPECT_EQ(restarts(eval(0, 90)), std::vector<std::string>{"only"});
  EXPECT_EQ(rule_.last_restarts().at("only"), clock_.now());
}

TEST_F(MemoryRuleTest, EmergencyEscalatesToTier2WhenTier3Exhausted) {
  auto out = eval(0, 0, 25.01);
  EXPECT_EQ(rule_.stage(), MemoryStage::kEmergency);
  EXPECT_EQ(restarts(out), std::vector<std::string>{"t3b"});
  EXPECT_EQ(out.decisions.back().event, "memory_emergency_restart");
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) {
    clock_.advance_seconds(5);
    for (auto& id : restarts(eval(0, 0, 30))) order.push_back(id);
  }
  // t3a next, then tier 2 by memory (t2b 900 MiB before t2a 700 MiB), then nothing left.
  EXPECT_EQ(order, (std::vector<std::string>{"t3a", "t2b", "t2a"}));
}

TEST_F(MemoryRuleTest, EmergencyWithNoTier3UnitsGoesToTier2) {
  snapshot_.units = {unit("t2a", 2, 10 * kMiB), unit("t3p", 3, 100 * kMiB, true)};
  EXPECT_EQ(restarts(eval(0, 0, 80)), std::vector<std::string>{"t2a"});
}

TEST_F(MemoryRuleTest, EmergencyTakesPrecedenceOverCritical) {
  auto out = eval(60, 60, 60);
  EXPECT_EQ(restarts(out).size(), 1u);
  EXPECT_EQ(out.decisions.back().event, "memory_emergency_restart");
  EXPECT_EQ(highs(out).size(), 2u);  // the squeeze holds alongside
}

TEST_F(MemoryRuleTest, NotRunningUnitsAreNeverRestarted) {
  snapshot_.units[5].running = false;  // t3b
  EXPECT_EQ(restarts(eval(0, 90)), std::vector<std::string>{"t3a"});
}

TEST_F(MemoryRuleTest, EmergencyIgnoredWithoutFullLine) {
  PsiStats psi;
  psi.full.avg10 = 99;
  psi.has_full = false;
  snapshot_.memory = psi;
  EXPECT_TRUE(rule_.evaluate(config_, snapshot_, clock_.now()).claims.empty());
}

TEST_F(MemoryRuleTest, MissingPsiHoldsSqueezeAndRestartsNothing) {
  (void)eval(60);
  snapshot_.memory.reset();
  clock_.advance_seconds(1000);
  auto out = rule_.evaluate(config_, snapshot_, clock_.now());
  EXPECT_EQ(highs(out).size(), 2u);
  EXPECT_TRUE(restarts(out).empty());
  EXPECT_EQ(rule_.stage(), MemoryStage::kSqueeze);
}

TEST_F(MemoryRuleTest, ProtectedAndTier0NeverTouched) {
  for (int i = 0; i < 20; ++i) {
    clock_.advance_seconds(5);
    for (const auto& c : eval(99, 99, 99).claims) {
      EXPECT_NE(c.unit_id, "t0");
      EXPECT_NE(c.unit_id, "t3p");
      EXPECT_NE(c.unit_id, "t1");
    }
  }
}

TEST_F(MemoryRuleTest, DisablingReleasesEverything) {
  (void)eval(60, 60);
  config_.memory_pressure.enabled = false;
  auto out = eval(60, 60, 60);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(rule_.stage(), MemoryStage::kNormal);
}

}  // namespace
}  // namespace adrg
