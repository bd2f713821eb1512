// Thermal rule (ADRG 1.1 semantics, reference config `thermal:`):
//   warn   : temperature >= warn_temp_c    -> log only (a Decision, no claim)
//   stage1 : temperature >= stage1_temp_c  -> pause every non-protected tier-3 unit
//   stage2 : temperature >= stage2_temp_c  -> pause every non-protected tier-2 and tier-3 unit
// Escalation is immediate on the evaluation that sees the crossing (a stage's own temperature
// counts as reached). De-escalation only after the temperature stayed strictly below
// recovery_temp_c continuously for recovery_hold_seconds; any reading at or above
// recovery_temp_c resets that hold timer. After the hold the stage drops straight to what the
// current temperature calls for (normally "normal"), not one stage at a time, as ADRG did.
// A missing reading (no thermal zone readable: VM, CI, sensor glitch) changes nothing: the stage
// holds, the hold timer neither restarts nor completes (recovery needs a real reading).
#pragma once

#include <optional>
#include <string_view>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/decision.h"
#include "sensors/snapshot.h"

namespace adrg {

enum class ThermalStage { kNormal = 0, kWarn = 1, kStage1 = 2, kStage2 = 3 };
std::string_view to_string(ThermalStage stage);

class ThermalRule {
 public:
  static constexpr std::string_view kName = "thermal";

  RuleOutput evaluate(const Config& config, const Snapshot& snapshot, TimePoint now);

  ThermalStage stage() const { return stage_; }
  // Start of the current below-recovery streak, if one is running (for /status).
  std::optional<TimePoint> below_recovery_since() const { return below_since_; }
  std::optional<double> last_temperature_c() const { return last_temperature_c_; }

 private:
  ThermalStage stage_ = ThermalStage::kNormal;
  std::optional<TimePoint> below_since_;
  std::optional<double> last_temperature_c_;
};

}  // namespace adrg
