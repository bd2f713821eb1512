#include "enforcers/thermal_rule.h"

#include <fmt/format.h>

#include "enforcers/rule_util.h"

namespace adrg {

std::string_view to_string(ThermalStage stage) {
  switch (stage) {
    case ThermalStage::kNormal:
      return "normal";
    case ThermalStage::kWarn:
      return "warn";
    case ThermalStage::kStage1:
      return "stage1";
    case ThermalStage::kStage2:
      return "stage2";
  }
  return "unknown";
}

namespace {

ThermalStage classify(const ThermalConfig& cfg, double temp_c) {
  if (temp_c >= cfg.stage2_temp_c) return ThermalStage::kStage2;
  if (temp_c >= cfg.stage1_temp_c) return ThermalStage::kStage1;
  if (temp_c >= cfg.warn_temp_c) return ThermalStage::kWarn;
  return ThermalStage::kNormal;
}

std::string_view event_for(ThermalStage to, bool escalation) {
  if (!escalation) return "thermal_recovered";
  switch (to) {
    case ThermalStage::kWarn:
      return "thermal_warn";
    case ThermalStage::kStage1:
      return "thermal_stage1";
    case ThermalStage::kStage2:
      return "thermal_stage2";
    case ThermalStage::kNormal:
      break;
  }
  return "thermal_recovered";
}

}  // namespace

RuleOutput ThermalRule::evaluate(const Config& config, const Snapshot& snapshot, TimePoint now) {
  RuleOutput out;
  const ThermalConfig& cfg = config.thermal;
  auto transition = [&](ThermalStage to, std::string reason) {
    out.decisions.push_back(Decision{std::string(kName),
                                     std::string(event_for(to, to > stage_)),
                                     std::string(to_string(stage_)),
                                     std::string(to_string(to)),
                                     std::move(reason),
                                     {}});
    stage_ = to;
  };

  if (!cfg.enabled) {
    if (stage_ != ThermalStage::kNormal) transition(ThermalStage::kNormal, "thermal rule disabled");
    below_since_.reset();
    return out;
  }

  if (snapshot.temperature_c) {
    const double temp = *snapshot.temperature_c;
    last_temperature_c_ = temp;
    const ThermalStage wanted = classify(cfg, temp);
    if (wanted > stage_) {
      transition(wanted, fmt::format("max temperature {:.1f} °C >= {} threshold {:.1f} °C", temp,
                                     to_string(wanted),
                                     wanted == ThermalStage::kStage2   ? cfg.stage2_temp_c
                                     : wanted == ThermalStage::kStage1 ? cfg.stage1_temp_c
                                                                       : cfg.warn_temp_c));
      below_since_.reset();
    } else if (temp < cfg.recovery_temp_c) {
      if (!below_since_) below_since_ = now;
      if (wanted < stage_ && now - *below_since_ >= from_seconds(cfg.recovery_hold_seconds)) {
        transition(wanted,
                   fmt::format("max temperature {:.1f} °C stayed below recovery {:.1f} °C for "
                               "{:.0f} s",
                               temp, cfg.recovery_temp_c, to_seconds(now - *below_since_)));
        below_since_.reset();
      }
    } else {
      below_since_.reset();  // a reading at or above recovery_temp_c restarts the hold
    }
  }
  // No reading: hold the stage (documented above).

  std::string reason;
  if (stage_ == ThermalStage::kStage1 || stage_ == ThermalStage::kStage2) {
    reason = fmt::format("thermal {}", to_string(stage_));
    for (const auto* unit : eligible_units(snapshot, 3)) {
      out.claims.push_back(make_pause_claim(*unit, std::string(kName), reason));
    }
  }
  if (stage_ == ThermalStage::kStage2) {
    for (const auto* unit : eligible_units(snapshot, 2)) {
      out.claims.push_back(make_pause_claim(*unit, std::string(kName), reason));
    }
  }
  return out;
}

}  // namespace adrg
