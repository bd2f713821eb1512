// The planner merges the claims of every rule with the tier baselines into the DesiredState the
// actuator converges to. It is a pure, stateless function of (config, snapshot, claims): a rule
// releasing its claim restores only what no other rule still claims simply because the plan is
// recomputed from the claims in force each time.
//
// Merge semantics (ADRG: "effective constraint = union of claims"):
//   paused      : any pause claim; paused_by = every claiming rule, sorted, unique.
//   cpu_max     : the smallest percent claimed (claims <= 0 are ignored); cpu_max_by = every
//                 claiming rule.
//   io_max      : per direction the smallest non-zero bytes/s claimed (0 = that direction
//                 unlimited); io_max_by = every claiming rule.
//   memory_high : min(tier baseline, claims); memory_high_by = claiming rules only.
//   restarts    : one RestartRequest per unit (first claim wins), in claim order.
//   baselines   : cpu_weight, io_weight, memory_high, memory_max of config.tiers[unit.tier].
// Protection is enforced here whatever the rules emit: tier-0 and protected units
// (UnitSnapshot::is_protected) get their baselines only — never a pause, cpu.max, io.max,
// memory.high claim or restart. Claims naming a unit absent from the snapshot are dropped.
#pragma once

#include <vector>

#include "config/config.h"
#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

DesiredState plan(const Config& config, const Snapshot& snapshot, const std::vector<Claim>& claims);

}  // namespace adrg
