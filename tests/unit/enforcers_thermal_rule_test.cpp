// ThermalRule: every stage up and down, boundaries at exactly the thresholds, the recovery hold
// (exact boundary, reset by a warm reading), missing readings, protection.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/clock.h"
#include "enforcers/thermal_rule.h"
#include "tests/support/units.h"

namespace adrg {
namespace {

using testing::unit;

class ThermalRuleTest : public ::testing::Test {
 protected:
  ThermalRuleTest() {
    snapshot_.units = {unit("t0", 0),  unit("t1", 1),  unit("t2a", 2),      unit("t2p", 2, true),
                       unit("t3a", 3), unit("t3b", 3), unit("t3p", 3, true)};
  }
  RuleOutput at(std::optional<double> temp) {
    snapshot_.temperature_c = temp;
    return rule_.evaluate(config_, snapshot_, clock_.now());
  }
  static std::set<std::string> paused(const RuleOutput& out) {
    std::set<std::string> ids;
    for (const auto& c : out.claims) {
      EXPECT_EQ(c.kind, ClaimKind::kPause);
      EXPECT_EQ(c.by, "thermal");
      ids.insert(c.unit_id);
    }
    return ids;
  }

  Config config_;
  Snapshot snapshot_;
  FakeClock clock_;
  ThermalRule rule_;
};

const std::set<std::string> kTier3 = {"t3a", "t3b"};
const std::set<std::string> kTier23 = {"t2a", "t3a", "t3b"};

TEST_F(ThermalRuleTest, StaysNormalBelowWarn) {
  auto out = at(69.9);
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_TRUE(out.decisions.empty());
}

TEST_F(ThermalRuleTest, WarnIsLogOnlyAtExactlyWarnTemp) {
  auto out = at(70.0);
  EXPECT_EQ(rule_.stage(), ThermalStage::kWarn);
  EXPECT_TRUE(out.claims.empty());
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "thermal_warn");
  EXPECT_EQ(out.decisions[0].from, "normal");
  EXPECT_EQ(out.decisions[0].to, "warn");
}

TEST_F(ThermalRuleTest, Stage1PausesTier3OnlyAtExactlyStage1Temp) {
  EXPECT_EQ(at(74.9).claims.size(), 0u);
  auto out = at(75.0);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage1);
  EXPECT_EQ(paused(out), kTier3);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "thermal_stage1");
  EXPECT_EQ(out.decisions[0].from, "warn");
  EXPECT_NE(out.decisions[0].reason.find("75.0"), std::string::npos);
}

TEST_F(ThermalRuleTest, JumpStraightToStage2PausesTier2And3) {
  auto out = at(80.0);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage2);
  EXPECT_EQ(paused(out), kTier23);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "thermal_stage2");
  EXPECT_EQ(out.decisions[0].from, "normal");
}

TEST_F(ThermalRuleTest, EscalationIsImmediateFromStage1) {
  (void)at(76);
  clock_.advance(std::chrono::milliseconds(1));
  auto out = at(80.5);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage2);
  EXPECT_EQ(paused(out), kTier23);
}

TEST_F(ThermalRuleTest, NoDeEscalationBetweenStagesWithoutRecovery) {
  (void)at(85);
  for (double t : {79.0, 75.0, 70.0, 66.0, 65.0}) {
    clock_.advance_seconds(100);
    auto out = at(t);
    EXPECT_EQ(rule_.stage(), ThermalStage::kStage2) << t;
    EXPECT_EQ(paused(out), kTier23) << t;
  }
}

TEST_F(ThermalRuleTest, RecoveryNeedsFullHoldBelowRecoveryTemp) {
  (void)at(85);
  clock_.advance_seconds(1);
  (void)at(64.9);  // hold starts here
  clock_.advance(std::chrono::milliseconds(29999));
  EXPECT_EQ(paused(at(60)), kTier23);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage2);
  clock_.advance(std::chrono::milliseconds(1));  // exactly 30 s below recovery
  auto out = at(60);
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
  EXPECT_TRUE(out.claims.empty());
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "thermal_recovered");
  EXPECT_EQ(out.decisions[0].from, "stage2");
  EXPECT_EQ(out.decisions[0].to, "normal");
}

TEST_F(ThermalRuleTest, ExactlyRecoveryTempIsNotBelowAndResetsHold) {
  (void)at(76);
  clock_.advance_seconds(1);
  (void)at(64);
  clock_.advance_seconds(20);
  (void)at(65.0);  // not strictly below: the hold restarts
  EXPECT_FALSE(rule_.below_recovery_since().has_value());
  clock_.advance_seconds(1);
  (void)at(64);
  clock_.advance_seconds(29);
  (void)at(64);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage1);
  clock_.advance_seconds(1);
  (void)at(64);
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
}

TEST_F(ThermalRuleTest, WarmReadingResetsHoldTimer) {
  (void)at(76);
  clock_.advance_seconds(1);
  (void)at(60);
  clock_.advance_seconds(25);
  (void)at(68);  // above recovery: reset
  clock_.advance_seconds(1);
  (void)at(60);
  clock_.advance_seconds(25);
  EXPECT_EQ(paused(at(60)), kTier3);
  clock_.advance_seconds(5);
  EXPECT_TRUE(at(60).claims.empty());
}

TEST_F(ThermalRuleTest, ReEscalationDuringHold) {
  (void)at(76);
  clock_.advance_seconds(1);
  (void)at(60);
  clock_.advance_seconds(10);
  auto out = at(81);
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage2);
  EXPECT_FALSE(rule_.below_recovery_since().has_value());
  EXPECT_EQ(paused(out), kTier23);
}

TEST_F(ThermalRuleTest, WarnAlsoRecoversOnlyThroughHold) {
  (void)at(71);
  clock_.advance_seconds(100);
  (void)at(67);  // below warn but above recovery: stays warn (no log flapping around 70)
  EXPECT_EQ(rule_.stage(), ThermalStage::kWarn);
  (void)at(50);
  clock_.advance_seconds(30);
  auto out = at(50);
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].from, "warn");
}

TEST_F(ThermalRuleTest, MissingReadingHoldsStageAndCannotCompleteRecovery) {
  (void)at(77);
  EXPECT_EQ(paused(at(std::nullopt)), kTier3);
  clock_.advance_seconds(1);
  (void)at(60);
  clock_.advance_seconds(100);
  auto out = at(std::nullopt);  // hold elapsed, but no reading: still stage1
  EXPECT_EQ(rule_.stage(), ThermalStage::kStage1);
  EXPECT_EQ(paused(out), kTier3);
  EXPECT_TRUE(out.decisions.empty());
  // The gap did not reset the timer: the next real cold reading completes recovery.
  EXPECT_TRUE(at(60).claims.empty());
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
}

TEST_F(ThermalRuleTest, MissingReadingFromNormalDoesNothing) {
  auto out = at(std::nullopt);
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
  EXPECT_TRUE(out.claims.empty());
}

TEST_F(ThermalRuleTest, NewUnitsPickedUpWhileInStage) {
  (void)at(76);
  snapshot_.units.push_back(unit("t3new", 3));
  auto ids = paused(at(76));
  EXPECT_TRUE(ids.contains("t3new"));
}

TEST_F(ThermalRuleTest, ProtectedAndTier0NeverClaimed) {
  for (double t : {70.0, 75.0, 80.0, 99.0}) {
    auto ids = paused(at(t));
    EXPECT_FALSE(ids.contains("t0"));
    EXPECT_FALSE(ids.contains("t2p"));
    EXPECT_FALSE(ids.contains("t3p"));
    EXPECT_FALSE(ids.contains("t1"));
  }
}

TEST_F(ThermalRuleTest, DisablingReleasesAtOnce) {
  (void)at(85);
  config_.thermal.enabled = false;
  auto out = at(85);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(rule_.stage(), ThermalStage::kNormal);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "thermal_recovered");
}

}  // namespace
}  // namespace adrg
