// IoRule: engage above the trigger (boundary), MiB/s conversion, hold between thresholds,
// release after the recovery hold (boundary, reset), fast path, missing PSI, protection.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "core/clock.h"
#include "enforcers/io_rule.h"
#include "sensors/io_stat.h"
#include "tests/support/units.h"

namespace adrg {
namespace {

using std::chrono::milliseconds;

using testing::unit;

class IoRuleTest : public ::testing::Test {
 protected:
  IoRuleTest() {
    snapshot_.units = {unit("t0", 0),  unit("t1", 1),  unit("t2", 2),
                       unit("t3a", 3), unit("t3b", 3), unit("t3p", 3, true)};
  }
  RuleOutput eval(double avg10, bool fired = false) {
    PsiStats psi;
    psi.some = {avg10, 0, 0, total_};
    snapshot_.io = psi;
    snapshot_.io_trigger_fired = fired;
    return rule_.evaluate(config_, snapshot_, clock_.now());
  }
  static std::set<std::string> throttled(const RuleOutput& out) {
    std::set<std::string> ids;
    for (const auto& c : out.claims) {
      EXPECT_EQ(c.kind, ClaimKind::kIoMax);
      EXPECT_EQ(c.by, "io");
      ids.insert(c.unit_id);
    }
    return ids;
  }

  Config config_;
  Snapshot snapshot_;
  FakeClock clock_;
  IoRule rule_;
  std::uint64_t total_ = 5'000'000;
};

const std::set<std::string> kTier3 = {"t3a", "t3b"};

TEST_F(IoRuleTest, NotAtExactlyTrigger) {
  EXPECT_TRUE(eval(60.0).claims.empty());
  EXPECT_FALSE(rule_.engaged());
}

TEST_F(IoRuleTest, EngagesAboveTriggerWithMiBPerSecond) {
  auto out = eval(60.01);
  EXPECT_TRUE(rule_.engaged());
  EXPECT_EQ(throttled(out), kTier3);
  EXPECT_EQ(out.claims[0].io.read_bps, 5ull * 1024 * 1024);
  EXPECT_EQ(out.claims[0].io.write_bps, 2ull * 1024 * 1024);
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "io_throttle_engaged");
  EXPECT_EQ(out.decisions[0].to, "throttled");
}

TEST_F(IoRuleTest, FractionalAndZeroDirection) {
  config_.io_pressure.tier3_io_max_read_mb_per_sec = 0.5;
  config_.io_pressure.tier3_io_max_write_mb_per_sec = 0;
  auto out = eval(90);
  ASSERT_FALSE(out.claims.empty());
  EXPECT_EQ(out.claims[0].io.read_bps, 512ull * 1024);
  EXPECT_EQ(out.claims[0].io.write_bps, 0u);
}

TEST_F(IoRuleTest, HoldsBetweenThresholdsIndefinitely) {
  (void)eval(70);
  for (double v : {59.0, 40.0, 20.0, 30.0}) {
    clock_.advance_seconds(100);
    EXPECT_EQ(throttled(eval(v)), kTier3) << v;
  }
}

TEST_F(IoRuleTest, ReleasesAfterHoldBelowRecovery) {
  (void)eval(70);
  clock_.advance_seconds(1);
  (void)eval(19.99);
  clock_.advance(milliseconds(29999));
  EXPECT_EQ(throttled(eval(5)), kTier3);
  clock_.advance(milliseconds(1));
  auto out = eval(5);
  EXPECT_TRUE(out.claims.empty());
  EXPECT_FALSE(rule_.engaged());
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "io_throttle_released");
}

// The calm under a cap can be the cap's own doing: while a capped unit still writes at half
// its cap or more (io.stat), the countdown starts over; once it eases off, the hold runs out.
TEST_F(IoRuleTest, NoReleaseWhileACappedUnitStillPressesAgainstItsCap) {
  const std::uint64_t write_cap = 2ull * 1024 * 1024;  // the default 2 MiB/s
  std::uint64_t written = 0;
  auto storm = [&](std::uint64_t bytes_per_second, int seconds) {
    written += bytes_per_second * static_cast<std::uint64_t>(seconds);
    snapshot_.units[3].io = IoBytes{0, written};  // t3a
    snapshot_.units[4].io = IoBytes{0, 0};        // t3b idle
  };
  storm(0, 0);
  (void)eval(70);
  for (int i = 0; i < 12; ++i) {  // a minute at the cap, the pressure long calm
    clock_.advance_seconds(5);
    storm(write_cap, 5);
    EXPECT_EQ(throttled(eval(1)), kTier3) << "after " << (i + 1) * 5 << " s";
  }
  // Half the cap still counts as pressing against it; just below half does not.
  clock_.advance_seconds(5);
  storm(write_cap / 2, 5);
  EXPECT_EQ(throttled(eval(1)), kTier3);
  for (int i = 0; i < 5; ++i) {
    clock_.advance_seconds(5);
    storm(write_cap / 2 - 1024, 5);
    EXPECT_EQ(throttled(eval(1)), kTier3) << "the hold is 30 s";
  }
  clock_.advance_seconds(5);
  storm(write_cap / 2 - 1024, 5);
  auto out = eval(1);
  EXPECT_TRUE(out.claims.empty());
  ASSERT_EQ(out.decisions.size(), 1u);
  EXPECT_EQ(out.decisions[0].event, "io_throttle_released");
  EXPECT_NE(out.decisions[0].reason.find("below half its cap"), std::string::npos);
}

TEST(IoStat, SumsEveryDeviceAndSkipsWhatItDoesNotKnow) {
  EXPECT_EQ(parse_io_stat("").read, 0u);
  IoBytes b = parse_io_stat(
      "254:0 rbytes=1048576 wbytes=2097152 rios=3 wios=4 dbytes=0 dios=0\n"
      "8:0 rbytes=10 wbytes=20 rios=1 wios=1 dbytes=0 dios=0\n"
      "garbage\n8:16 rbytes=x wbytes=5\n");
  EXPECT_EQ(b.read, 1048586u);
  EXPECT_EQ(b.written, 2097177u);
}

TEST_F(IoRuleTest, ExactlyRecoveryThresholdResetsCountdown) {
  (void)eval(70);
  clock_.advance_seconds(1);
  (void)eval(10);
  clock_.advance_seconds(29);
  (void)eval(20.0);  // not strictly below recovery
  EXPECT_FALSE(rule_.calm_since().has_value());
  clock_.advance_seconds(1);
  (void)eval(10);
  clock_.advance_seconds(29);
  EXPECT_EQ(throttled(eval(10)), kTier3);
  clock_.advance_seconds(1);
  EXPECT_TRUE(eval(10).claims.empty());
}

TEST_F(IoRuleTest, ReTriggerDuringCountdownResets) {
  (void)eval(70);
  clock_.advance_seconds(1);
  (void)eval(10);
  clock_.advance_seconds(20);
  (void)eval(65);
  clock_.advance_seconds(1);
  (void)eval(10);
  clock_.advance_seconds(20);
  EXPECT_EQ(throttled(eval(10)), kTier3);
}

TEST_F(IoRuleTest, FastPathEngagesBeforeAvg10) {
  (void)eval(0);
  clock_.advance_seconds(2);
  total_ += 1'300'000;  // 65 % of 2 s
  auto out = eval(12, /*fired=*/true);
  EXPECT_EQ(throttled(out), kTier3);
  EXPECT_NE(out.decisions.at(0).reason.find("fast path"), std::string::npos);
}

TEST_F(IoRuleTest, FastPathIgnoredWithoutEdgeOrBelowThreshold) {
  (void)eval(0);
  clock_.advance_seconds(2);
  total_ += 1'900'000;
  EXPECT_TRUE(eval(12, false).claims.empty());  // no edge
  clock_.advance_seconds(2);
  total_ += 1'200'000;  // exactly 60 %
  EXPECT_TRUE(eval(12, true).claims.empty());
}

// The edge alone proves stall_ms within window_ms: above the threshold it engages in the very
// evaluation the edge causes, with no StallMeter history at all (first evaluation ever).
TEST_F(IoRuleTest, EdgeWhoseProvenShareClearsTheThresholdEngagesAtOnce) {
  config_.io_pressure.trigger_avg10_threshold = 10;
  snapshot_.io_trigger_proven_percent = 15;  // e.g. "some 150000 1000000"
  auto out = eval(0.5, /*fired=*/true);
  EXPECT_EQ(throttled(out), kTier3);
  EXPECT_NE(out.decisions.at(0).reason.find("proven by the PSI trigger edge"), std::string::npos);
}

TEST_F(IoRuleTest, ProvenShareCountsOnlyAboveTheThresholdAndWithTheEdge) {
  config_.io_pressure.trigger_avg10_threshold = 15;
  snapshot_.io_trigger_proven_percent = 15;  // exactly the threshold is not above it
  EXPECT_TRUE(eval(0.5, /*fired=*/true).claims.empty());
  snapshot_.io_trigger_proven_percent = 30;
  clock_.advance_seconds(1);
  EXPECT_TRUE(eval(0.5, /*fired=*/false).claims.empty());  // no edge: nothing is proven
  EXPECT_FALSE(rule_.engaged());
  clock_.advance_seconds(1);
  EXPECT_EQ(throttled(eval(0.5, /*fired=*/true)), kTier3);
}

TEST_F(IoRuleTest, FastPathEdgeRestartsRecoveryCountdown) {
  (void)eval(70);
  clock_.advance_seconds(1);
  (void)eval(5);
  clock_.advance_seconds(25);
  total_ += 25'000'000;  // 25 s stalled over the last 25 s interval: 100 %
  (void)eval(5, true);
  clock_.advance_seconds(1);
  (void)eval(5);
  clock_.advance_seconds(25);
  EXPECT_TRUE(rule_.engaged());
}

TEST_F(IoRuleTest, CounterGoingBackwardsIsNotAStall) {
  (void)eval(0);
  clock_.advance_seconds(1);
  total_ -= 1'000'000;
  EXPECT_TRUE(eval(0, true).claims.empty());
}

TEST_F(IoRuleTest, MissingPsiHoldsAndCannotCompleteRecovery) {
  (void)eval(70);
  clock_.advance_seconds(1);
  (void)eval(5);
  snapshot_.io.reset();
  clock_.advance_seconds(60);
  EXPECT_EQ(throttled(rule_.evaluate(config_, snapshot_, clock_.now())), kTier3);
  EXPECT_TRUE(eval(5).claims.empty());  // countdown survived the gap
}

TEST_F(IoRuleTest, ProtectedAndTier0NeverThrottled) {
  auto ids = throttled(eval(100));
  EXPECT_FALSE(ids.contains("t0"));
  EXPECT_FALSE(ids.contains("t3p"));
  EXPECT_FALSE(ids.contains("t2"));
}

TEST_F(IoRuleTest, DisablingReleases) {
  (void)eval(100);
  config_.io_pressure.enabled = false;
  EXPECT_TRUE(eval(100).claims.empty());
  EXPECT_FALSE(rule_.engaged());
}

}  // namespace
}  // namespace adrg
