// The actuator's gate in front of an external limit (the download client's cap): the one place
// that decides whether it is touched. A dry run never calls it, not even to give back a leftover.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "actuator/external_gate.h"

namespace adrg {
namespace {

class RecordingLimit : public ExternalLimit {
 public:
  std::string describe() const override { return "qbittorrent at http://127.0.0.1:8080"; }
  std::string describe_limit() const override { return "1 MiB/s"; }
  bool active() const override { return active_; }
  bool has_leftover() const override { return leftover_; }
  Status start() override {
    calls.push_back("start");
    return {};
  }
  void set_engaged(bool engaged) override { calls.push_back(engaged ? "engage" : "disengage"); }
  void release(std::function<void(Status)> done) override {
    calls.push_back("release");
    done(Status{});
  }

  std::vector<std::string> calls;
  bool active_ = true;
  bool leftover_ = false;
};

TEST(ExternalGate, ARealRunStartsFollowsTheWishAndReleases) {
  RecordingLimit limit;
  ExternalGate gate(/*dry_run=*/false);
  ASSERT_TRUE(gate.adopt(&limit));
  gate.follow(true);
  gate.follow(false);
  bool released = false;
  gate.release([&](Status st) { released = st.ok(); });
  EXPECT_TRUE(released);
  EXPECT_EQ(limit.calls, (std::vector<std::string>{"start", "engage", "disengage", "release"}));
  EXPECT_FALSE(gate.would_engage());  // a real run reports what it holds, not a wish
}

TEST(ExternalGate, ADryRunNeverCallsTheLimitAndSaysWhatItWouldHold) {
  RecordingLimit limit;
  limit.leftover_ = true;  // even a leftover is only reported
  ExternalGate gate(/*dry_run=*/true);
  ASSERT_TRUE(gate.adopt(&limit));
  gate.follow(true);
  EXPECT_TRUE(gate.would_engage());
  gate.refresh();
  limit.active_ = false;  // download_throttle disabled by a reload
  EXPECT_FALSE(gate.would_engage());
  gate.follow(false);
  bool released = false;
  gate.release([&](Status st) { released = st.ok(); });
  EXPECT_TRUE(released);
  EXPECT_TRUE(limit.calls.empty());
}

TEST(ExternalGate, CleanupGivesBackALeftoverOnlyInARealRun) {
  RecordingLimit limit;
  auto none = give_back_external_leftover(limit, /*dry_run=*/false);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);  // nothing left, nothing to wait for
  limit.leftover_ = true;
  auto dry = give_back_external_leftover(limit, /*dry_run=*/true);
  ASSERT_TRUE(dry);
  EXPECT_FALSE(*dry);
  EXPECT_TRUE(limit.calls.empty());
  auto real = give_back_external_leftover(limit, /*dry_run=*/false);
  ASSERT_TRUE(real);
  EXPECT_TRUE(*real);
  EXPECT_EQ(limit.calls, (std::vector<std::string>{"start"}));
}

TEST(ExternalGate, WithoutALimitEverythingIsANoOp) {
  ExternalGate gate(/*dry_run=*/false);
  ASSERT_TRUE(gate.adopt(nullptr));
  gate.follow(true);
  bool released = false;
  gate.release([&](Status st) { released = st.ok(); });
  EXPECT_TRUE(released);
}

}  // namespace
}  // namespace adrg
