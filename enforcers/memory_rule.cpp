#include "enforcers/memory_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace adrg {

std::string_view to_string(MemoryStage stage) {
  switch (stage) {
    case MemoryStage::kNormal:
      return "normal";
    case MemoryStage::kSqueeze:
      return "squeeze";
    case MemoryStage::kCritical:
      return "critical";
    case MemoryStage::kEmergency:
      return "emergency";
  }
  return "unknown";
}

namespace {

bool in_cooldown(const std::map<std::string, TimePoint>& last, const std::string& id, TimePoint now,
                 Duration cooldown) {
  auto it = last.find(id);
  return it != last.end() && now - it->second < cooldown;
}

// Highest memory_current among running, eligible units of `tier` that are not in cooldown;
// ties go to the smaller id so the choice is deterministic.
const UnitSnapshot* pick_victim(const Snapshot& snapshot, int tier,
                                const std::map<std::string, TimePoint>& last, TimePoint now,
                                Duration cooldown) {
  const UnitSnapshot* best = nullptr;
  for (const auto* unit : eligible_units(snapshot, tier)) {
    if (!unit->running || in_cooldown(last, unit->id, now, cooldown)) continue;
    if (best == nullptr || unit->memory_current > best->memory_current ||
        (unit->memory_current == best->memory_current && unit->id < best->id)) {
      best = unit;
    }
  }
  return best;
}

std::string describe_unit(const UnitSnapshot& unit) {
  return fmt::format("{} (tier {}, memory.current {:.1f} MiB)",
                     unit.name.empty() ? unit.id : unit.name, unit.tier,
                     static_cast<double>(unit.memory_current) / (1 << 20));
}

}  // namespace

RuleOutput MemoryRule::evaluate(const Config& config, const Snapshot& snapshot, TimePoint now) {
  RuleOutput out;
  const MemoryPressureConfig& cfg = config.memory_pressure;
  const Duration cooldown = from_seconds(cfg.restart_cooldown_seconds);

  // Forget restarts whose cooldown is over: the map stays as small as the set of recent victims.
  std::erase_if(last_restart_, [&](const auto& kv) { return now - kv.second >= cooldown; });

  auto set_stage = [&](MemoryStage to, std::string reason) {
    if (to == stage_) return;
    out.decisions.push_back(Decision{
        std::string(kName),
        to == MemoryStage::kNormal ? "memory_recovered" : fmt::format("memory_{}", to_string(to)),
        std::string(to_string(stage_)),
        std::string(to_string(to)),
        std::move(reason),
        {}});
    stage_ = to;
  };

  if (!cfg.enabled) {
    squeeze_engaged_ = false;
    squeeze_values_.clear();
    calm_since_.reset();
    meter_.reset();
    set_stage(MemoryStage::kNormal, "memory rule disabled");
    return out;
  }
  if (!snapshot.memory) {
    // No PSI: hold the squeeze as it is, issue no restart.
    set_stage(squeeze_engaged_ ? MemoryStage::kSqueeze : MemoryStage::kNormal,
              "memory PSI unavailable");
  } else {
    const PsiStats& psi = *snapshot.memory;
    std::optional<double> stall = meter_.update(psi.some.total_us, now);
    std::optional<std::string> fast = fast_path_reason(
        "memory", snapshot.memory_trigger_fired, snapshot.memory_trigger_proven_percent, stall,
        cfg.some_avg10_threshold, psi.some.avg10);
    const bool hot = psi.some.avg10 > cfg.some_avg10_threshold || fast;
    const bool critical = psi.some.avg60 > cfg.critical_avg60_threshold;
    const bool emergency = psi.has_full && psi.full.avg10 > cfg.emergency_full_avg10_threshold;

    std::string why;
    if (hot) {
      calm_since_.reset();
      if (!squeeze_engaged_) {
        squeeze_engaged_ = true;
        why = fast && !(psi.some.avg10 > cfg.some_avg10_threshold)
                  ? *fast
                  : fmt::format("memory some avg10 {:.2f} > {:.2f}", psi.some.avg10,
                                cfg.some_avg10_threshold);
      }
    } else if (squeeze_engaged_ && psi.some.avg10 < cfg.some_avg10_threshold) {
      if (!calm_since_) calm_since_ = now;
      if (now - *calm_since_ >= from_seconds(cfg.recovery_hold_seconds)) {
        squeeze_engaged_ = false;
        squeeze_values_.clear();
        calm_since_.reset();
        why = fmt::format("memory some avg10 {:.2f} stayed below {:.2f} for {:.0f} s",
                          psi.some.avg10, cfg.some_avg10_threshold, cfg.recovery_hold_seconds);
      }
    } else {
      calm_since_.reset();  // exactly at the threshold is not calm
    }

    // Restarts: emergency first, one per evaluation, spaced by the poll interval.
    const Duration spacing = from_seconds(config.general.poll_interval_seconds);
    const bool spaced = !last_any_restart_ || now - *last_any_restart_ >= spacing;
    MemoryStage wanted = emergency          ? MemoryStage::kEmergency
                         : critical         ? MemoryStage::kCritical
                         : squeeze_engaged_ ? MemoryStage::kSqueeze
                                            : MemoryStage::kNormal;
    std::string stage_reason =
        why.empty() ? fmt::format("memory some avg10 {:.2f} avg60 {:.2f}, full avg10 {:.2f}",
                                  psi.some.avg10, psi.some.avg60, psi.full.avg10)
                    : why;
    set_stage(wanted, stage_reason);

    if ((emergency || critical) && spaced) {
      const UnitSnapshot* victim = pick_victim(snapshot, 3, last_restart_, now, cooldown);
      if (victim == nullptr && emergency) {
        victim = pick_victim(snapshot, 2, last_restart_, now, cooldown);
      }
      if (victim != nullptr) {
        Claim claim;
        claim.unit_id = victim->id;
        claim.kind = ClaimKind::kRestart;
        claim.by = std::string(kName);
        claim.reason =
            emergency
                ? fmt::format("memory full avg10 {:.2f} > {:.2f}: emergency restart of {}",
                              psi.full.avg10, cfg.emergency_full_avg10_threshold,
                              describe_unit(*victim))
                : fmt::format("memory some avg60 {:.2f} > {:.2f}: restart of {}", psi.some.avg60,
                              cfg.critical_avg60_threshold, describe_unit(*victim));
        out.decisions.push_back(
            Decision{std::string(kName),
                     emergency ? "memory_emergency_restart" : "memory_critical_restart",
                     std::string(to_string(stage_)),
                     std::string(to_string(stage_)),
                     claim.reason,
                     {victim->id}});
        out.claims.push_back(std::move(claim));
        last_restart_[victim->id] = now;
        last_any_restart_ = now;
      }
    }
  }

  // Squeeze claims, fixed per unit for the episode; units that left are forgotten.
  if (squeeze_engaged_) {
    const double factor = cfg.memory_high_reduction_factor;
    std::map<std::string, std::uint64_t> kept;
    for (const auto* unit : eligible_units(snapshot, 3)) {
      auto it = squeeze_values_.find(unit->id);
      std::uint64_t value = 0;
      if (it != squeeze_values_.end()) {
        value = it->second;
      } else if (unit->memory_current > 0 && std::isfinite(factor) && factor > 0) {
        // memory_current 0 means "not read yet": squeezing to the floor would be a guess.
        value = std::max<std::uint64_t>(
            kMemoryHighFloor,
            static_cast<std::uint64_t>(static_cast<double>(unit->memory_current) * factor));
      }
      if (value == 0) continue;
      kept[unit->id] = value;
      Claim claim;
      claim.unit_id = unit->id;
      claim.kind = ClaimKind::kMemoryHigh;
      claim.by = std::string(kName);
      claim.memory_high = value;
      claim.reason = fmt::format("memory squeeze: memory.high {:.1f} MiB ({} x memory.current)",
                                 static_cast<double>(value) / (1 << 20), factor);
      out.claims.push_back(std::move(claim));
    }
    squeeze_values_ = std::move(kept);
  }
  return out;
}

}  // namespace adrg
