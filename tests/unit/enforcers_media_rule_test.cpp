// MediaRule and ManualTriggers: activation by sessions and by media_start, claims (pause tier 3,
// cpu.max and io.max on tier 2), cooldown boundary, resume during cooldown, media_stop against
// a provider still streaming, disabled/none, download throttle flag, trigger parsing,
// tier3_pause/resume.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "core/clock.h"
#include "enforcers/manual_triggers.h"
#include "enforcers/media_rule.h"
#include "tests/support/units.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;

using testing::unit;

std::set<std::string> ids_of(const RuleOutput& out, ClaimKind kind) {
  std::set<std::string> ids;
  for (const auto& c : out.claims) {
    if (c.kind == kind) ids.insert(c.unit_id);
  }
  return ids;
}

class MediaRuleTest : public ::testing::Test {
 protected:
  MediaRuleTest() {
    config_.media_mode.enabled = true;
    snapshot_.units = {unit("t0", 0),        unit("t1", 1),  unit("t2a", 2),
                       unit("t2p", 2, true), unit("t3a", 3), unit("t3p", 3, true)};
  }
  RuleOutput eval(int sessions, std::vector<TriggerEvent> triggers = {}) {
    snapshot_.media_sessions = sessions;
    return rule_.evaluate(config_, snapshot_, clock_.now(), triggers);
  }

  Config config_;
  Snapshot snapshot_;
  FakeClock clock_;
  MediaRule rule_;
};

TEST_F(MediaRuleTest, InactiveWithoutSessions) {
  auto out = eval(0);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_FALSE(rule_.active());
  EXPECT_EQ(rule_.stage_name(), "inactive");
}

TEST_F(MediaRuleTest, SessionActivatesWithAllClaims) {
  auto out = eval(1);
  EXPECT_TRUE(rule_.active());
  EXPECT_EQ(ids_of(out, ClaimKind::kPause), std::set<std::string>{"t3a"});
  EXPECT_EQ(ids_of(out, ClaimKind::kCpuMax), std::set<std::string>{"t2a"});
  EXPECT_EQ(ids_of(out, ClaimKind::kIoMax), std::set<std::string>{"t2a"});
  for (const auto& c : out.claims) {
    EXPECT_EQ(c.by, "media");
    if (c.kind == ClaimKind::kCpuMax) {
      EXPECT_DOUBLE_EQ(c.cpu_max_percent, 20);
    }
    if (c.kind == ClaimKind::kIoMax) {
      EXPECT_EQ(c.io.read_bps, 10ull << 20);
      EXPECT_EQ(c.io.write_bps, 5ull << 20);
    }
  }
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "media_mode_activated");
}

TEST_F(MediaRuleTest, CooldownBoundaryThenRelease) {
  (void)eval(2);
  clock_.advance_seconds(5);
  auto out = eval(0);  // last active moment was 5 s ago
  EXPECT_TRUE(rule_.active());
  EXPECT_EQ(rule_.stage_name(), "cooldown");
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "media_mode_cooldown");
  clock_.advance(milliseconds(54999));  // 59.999 s after the last active moment
  EXPECT_EQ(ids_of(eval(0), ClaimKind::kPause).size(), 1u);
  clock_.advance(milliseconds(1));
  out = eval(0);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_FALSE(rule_.active());
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "media_mode_deactivated");
}

TEST_F(MediaRuleTest, ResumeDuringCooldownKeepsClaimsAndRestartsCooldown) {
  (void)eval(1);
  clock_.advance_seconds(30);
  (void)eval(0);
  clock_.advance_seconds(20);
  auto out = eval(1);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "media_mode_resumed");
  clock_.advance_seconds(10);
  (void)eval(0);  // the cooldown runs from the last evaluation that saw media (10 s ago)
  clock_.advance_seconds(49);
  EXPECT_FALSE(eval(0).claims.empty());
  clock_.advance_seconds(1);
  EXPECT_TRUE(eval(0).claims.empty());
}

TEST_F(MediaRuleTest, ManualStartOverridesProviderUntilStop) {
  auto out = eval(0, {{TriggerKind::kMediaStart, "http"}});
  EXPECT_TRUE(rule_.active());
  EXPECT_TRUE(rule_.manual_start());
  EXPECT_EQ(out.decisions.at(0).event, "media_mode_activated");
  clock_.advance_seconds(600);
  EXPECT_FALSE(eval(0).claims.empty());  // no cooldown while manually started
  out = eval(0, {{TriggerKind::kMediaStop, "http"}});
  EXPECT_FALSE(rule_.manual_start());
  EXPECT_EQ(rule_.stage_name(), "cooldown");  // cooldown from the stop
  clock_.advance_seconds(60);
  EXPECT_TRUE(eval(0).claims.empty());
}

TEST_F(MediaRuleTest, MediaStopWithProviderStillStreamingStaysActive) {
  (void)eval(1, {{TriggerKind::kMediaStart, "http"}});
  auto out = eval(1, {{TriggerKind::kMediaStop, "http"}});
  EXPECT_TRUE(rule_.streaming());
  EXPECT_FALSE(out.claims.empty());
  clock_.advance_seconds(1000);
  EXPECT_FALSE(eval(1).claims.empty());
}

TEST_F(MediaRuleTest, StartAndStopInOneBatchEndInStop) {
  (void)eval(0, {{TriggerKind::kMediaStart, ""}, {TriggerKind::kMediaStop, ""}});
  EXPECT_FALSE(rule_.manual_start());
}

TEST_F(MediaRuleTest, DisabledOrProviderNoneIgnoresEverything) {
  config_.media_mode.enabled = false;
  EXPECT_TRUE(eval(3, {{TriggerKind::kMediaStart, ""}}).claims.empty());
  config_.media_mode.enabled = true;
  config_.media_mode.provider = "none";
  EXPECT_TRUE(eval(3, {{TriggerKind::kMediaStart, ""}}).claims.empty());
  config_.media_mode.provider = "jellyfin";
  (void)eval(3);
  config_.media_mode.enabled = false;  // disable while in effect: release at once
  auto out = eval(3);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(out.decisions.at(0).event, "media_mode_deactivated");
}

TEST_F(MediaRuleTest, CpuCapSkippedWhenNotAPercentLimit) {
  config_.media_mode.tier2_cpu_max_percent = 100;
  EXPECT_TRUE(ids_of(eval(1), ClaimKind::kCpuMax).empty());
  config_.media_mode.tier2_cpu_max_percent = 0;
  EXPECT_TRUE(ids_of(eval(1), ClaimKind::kCpuMax).empty());
}

TEST_F(MediaRuleTest, DownloadThrottleWantedFollowsEffect) {
  config_.media_mode.download_throttle.enabled = true;
  EXPECT_FALSE(rule_.download_throttle_wanted());
  (void)eval(1);
  EXPECT_TRUE(rule_.download_throttle_wanted());
  clock_.advance_seconds(1);
  (void)eval(0);
  EXPECT_TRUE(rule_.download_throttle_wanted());  // cooldown keeps it
  clock_.advance_seconds(60);
  (void)eval(0);
  EXPECT_FALSE(rule_.download_throttle_wanted());
  config_.media_mode.download_throttle.enabled = false;
  (void)eval(1);
  EXPECT_FALSE(rule_.download_throttle_wanted());
}

TEST_F(MediaRuleTest, ZeroCooldownReleasesOnFirstIdleEvaluation) {
  config_.media_mode.cooldown_seconds = 0;
  (void)eval(1);
  EXPECT_TRUE(eval(0).claims.empty());
}

TEST(ManualTriggersTest, ParseKnownAndUnknown) {
  EXPECT_EQ(*parse_trigger("tier3_pause"), TriggerKind::kTier3Pause);
  EXPECT_EQ(*parse_trigger("tier3_resume"), TriggerKind::kTier3Resume);
  EXPECT_EQ(*parse_trigger("media_start"), TriggerKind::kMediaStart);
  EXPECT_EQ(*parse_trigger("media_stop"), TriggerKind::kMediaStop);
  for (const char* bad : {"", "Tier3_Pause", "tier3", "media_start ", "pause"}) {
    auto r = parse_trigger(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, std::make_error_code(std::errc::invalid_argument));
    EXPECT_NE(r.error().message.find("tier3_pause"), std::string::npos);
  }
}

TEST(ManualTriggersTest, PauseUntilResume) {
  Snapshot snapshot;
  snapshot.units = {unit("t0", 0), unit("t2", 2), unit("t3a", 3), unit("t3p", 3, true)};
  ManualTriggers manual;
  auto out = manual.evaluate(snapshot, {{TriggerKind::kTier3Pause, "http"}});
  EXPECT_EQ(ids_of(out, ClaimKind::kPause), std::set<std::string>{"t3a"});
  EXPECT_EQ(out.claims[0].by, "manual");
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "tier3_manual_pause");
  out = manual.evaluate(snapshot, {{TriggerKind::kTier3Pause, "http"}});  // idempotent
  EXPECT_TRUE(out.decisions.empty());
  EXPECT_EQ(out.claims.size(), 1u);
  EXPECT_EQ(manual.evaluate(snapshot, {}).claims.size(), 1u);  // persists without triggers
  out = manual.evaluate(snapshot, {{TriggerKind::kMediaStart, "http"}});  // not ours
  EXPECT_EQ(out.claims.size(), 1u);
  out = manual.evaluate(snapshot, {{TriggerKind::kTier3Resume, "cli"}});
  EXPECT_TRUE(out.claims.empty());
  EXPECT_EQ(out.decisions.at(0).event, "tier3_manual_resume");
  EXPECT_FALSE(manual.tier3_paused());
}

}  // namespace
}  // namespace adrg
