// A job's own limits replace its tier's baselines in the plan; a rule still tightens
// memory.high below them.
#include <gtest/gtest.h>

#include "enforcers/planner.h"
#include "tests/support/units.h"

namespace adrg {
namespace {

TEST(PlannerJobBaseline, OwnLimitsReplaceTheTierBaselines) {
  Config config;
  Snapshot snapshot;
  UnitSnapshot job = testing::unit("job:backup", 3);
  job.kind = UnitKind::kJob;
  job.cpu_weight_baseline = 50;
  job.memory_high_baseline = 256ull << 20;
  job.memory_max_baseline = 512ull << 20;
  UnitSnapshot plain = testing::unit("job:plain", 3);
  plain.kind = UnitKind::kJob;
  snapshot.units = {job, plain};

  DesiredState state = plan(config, snapshot, {});
  const DesiredUnit& own = state.units.at("job:backup");
  EXPECT_EQ(own.cpu_weight, 50);
  EXPECT_EQ(own.memory_high, 256ull << 20);
  EXPECT_EQ(own.memory_max, 512ull << 20);
  EXPECT_EQ(own.io_weight, config.tiers[3].io_weight);
  const DesiredUnit& tier = state.units.at("job:plain");
  EXPECT_EQ(tier.cpu_weight, config.tiers[3].cpu_weight);
  EXPECT_EQ(tier.memory_high, config.tiers[3].memory_high);
  EXPECT_EQ(tier.memory_max, config.tiers[3].memory_max);

  Claim squeeze;
  squeeze.unit_id = "job:backup";
  squeeze.kind = ClaimKind::kMemoryHigh;
  squeeze.by = "memory";
  squeeze.memory_high = 100ull << 20;
  Claim looser = squeeze;
  looser.memory_high = 1ull << 30;
  looser.by = "other";
  state = plan(config, snapshot, {squeeze});
  EXPECT_EQ(state.units.at("job:backup").memory_high, 100ull << 20);
  state = plan(config, snapshot, {looser});
  EXPECT_EQ(state.units.at("job:backup").memory_high, 256ull << 20) << "never loosened";
}

}  // namespace
}  // namespace adrg
