#include "enforcers/planner.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "enforcers/rule_util.h"

namespace adrg {

namespace {

void add_by(std::vector<std::string>& by, const std::string& rule) {
  auto it = std::lower_bound(by.begin(), by.end(), rule);
  if (it == by.end() || *it != rule) by.insert(it, rule);
}

std::uint64_t strictest_nonzero(std::uint64_t current, std::uint64_t claimed) {
  if (claimed == 0) return current;
  if (current == 0) return claimed;
  return std::min(current, claimed);
}

}  // namespace

DesiredState plan(const Config& config, const Snapshot& snapshot,
                  const std::vector<Claim>& claims) {
  DesiredState state;
  std::map<std::string, const UnitSnapshot*> touchable;
  for (const auto& unit : snapshot.units) {
    DesiredUnit desired;
    desired.unit_id = unit.id;
    const TierConfig& tier = config.tiers[static_cast<size_t>(std::clamp(unit.tier, 0, 3))];
    desired.cpu_weight = unit.cpu_weight_baseline ? unit.cpu_weight_baseline : tier.cpu_weight;
    desired.io_weight = tier.io_weight;
    desired.memory_high = unit.memory_high_baseline ? unit.memory_high_baseline : tier.memory_high;
    desired.memory_max = unit.memory_max_baseline ? unit.memory_max_baseline : tier.memory_max;
    state.units[unit.id] = std::move(desired);
    if (!is_untouchable(unit)) touchable[unit.id] = &unit;
  }

  std::set<std::string> restarted;
  for (const auto& claim : claims) {
    if (!touchable.contains(claim.unit_id)) continue;  // protected, tier 0, or gone
    DesiredUnit& unit = state.units[claim.unit_id];
    switch (claim.kind) {
      case ClaimKind::kPause:
        unit.paused = true;
        add_by(unit.paused_by, claim.by);
        break;
      case ClaimKind::kCpuMax:
        if (!std::isfinite(claim.cpu_max_percent) || claim.cpu_max_percent <= 0) break;
        unit.cpu_max_percent = unit.cpu_max_percent
                                   ? std::min(*unit.cpu_max_percent, claim.cpu_max_percent)
                                   : claim.cpu_max_percent;
        add_by(unit.cpu_max_by, claim.by);
        break;
      case ClaimKind::kIoMax: {
        if (claim.io.read_bps == 0 && claim.io.write_bps == 0) break;
        IoLimit merged = unit.io_max.value_or(IoLimit{});
        merged.read_bps = strictest_nonzero(merged.read_bps, claim.io.read_bps);
        merged.write_bps = strictest_nonzero(merged.write_bps, claim.io.write_bps);
        unit.io_max = merged;
        add_by(unit.io_max_by, claim.by);
        break;
      }
      case ClaimKind::kMemoryHigh:
        if (claim.memory_high == 0) break;
        unit.memory_high =
            unit.memory_high ? std::min(*unit.memory_high, claim.memory_high) : claim.memory_high;
        add_by(unit.memory_high_by, claim.by);
        break;
      case ClaimKind::kRestart:
        if (restarted.insert(claim.unit_id).second) {
          state.restarts.push_back(RestartRequest{claim.unit_id, claim.by, claim.reason});
        }
        break;
    }
  }
  return state;
}

}  // namespace adrg
