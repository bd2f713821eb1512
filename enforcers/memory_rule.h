// Memory-pressure rule (ADRG 1.1 semantics, reference config `memory_pressure:`), on the system
// PSI file /proc/pressure/memory:
//   squeeze   : some avg10 > some_avg10_threshold (or adrg's fast path, below) -> memory.high
//               claim on every non-protected tier-3 unit = memory_current *
//               memory_high_reduction_factor, never below kMemoryHighFloor. The value is fixed
//               when a unit is first squeezed in an episode (recomputing it every tick from the
//               already-squeezed memory_current would ratchet the limit down without end).
//               Released after some avg10 stayed strictly below the threshold continuously for
//               recovery_hold_seconds (adrg extension key; ADRG never released it).
//   critical  : some avg60 > critical_avg60_threshold -> restart the running tier-3 unit with
//               the highest memory_current not restarted within restart_cooldown_seconds.
//   emergency : full avg10 > emergency_full_avg10_threshold -> same, escalating to tier 2 when
//               every tier-3 unit is in cooldown or there is none. Takes precedence over
//               critical in the same evaluation.
// Rate limits: a unit is restarted again only once restart_cooldown_seconds have passed (exactly
// the cooldown is allowed), and at most one restart is issued per general.poll_interval_seconds:
// ADRG restarted at most one container per poll cycle; adrg also evaluates on PSI edges, and
// avg60/avg10 lag the relief of a restart, so without the spacing one episode would restart
// every tier-3 unit within seconds.
// Fast path (adrg extension): when the snapshot carries memory_trigger_fired, the squeeze also
// engages if the "some" stall share measured from total_us since the previous evaluation (over
// >= 200 ms), or the share the edge itself proves (memory_trigger_proven_percent: stall_ms /
// window_ms of the armed trigger), exceeds some_avg10_threshold. Restarts never take the fast
// path.
// Missing memory PSI (kernel without PSI): the squeeze state holds, no restart is issued.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/decision.h"
#include "enforcers/rule_util.h"
#include "sensors/snapshot.h"

namespace adrg {

enum class MemoryStage { kNormal = 0, kSqueeze = 1, kCritical = 2, kEmergency = 3 };
std::string_view to_string(MemoryStage stage);

class MemoryRule {
 public:
  static constexpr std::string_view kName = "memory";
  // A memory.high below this makes a container thrash in reclaim instead of making progress.
  static constexpr std::uint64_t kMemoryHighFloor = 32ull << 20;

  RuleOutput evaluate(const Config& config, const Snapshot& snapshot, TimePoint now);

  MemoryStage stage() const { return stage_; }
  bool squeeze_engaged() const { return squeeze_engaged_; }
  const std::map<std::string, TimePoint>& last_restarts() const { return last_restart_; }
  const std::map<std::string, std::uint64_t>& squeeze_values() const { return squeeze_values_; }

 private:
  MemoryStage stage_ = MemoryStage::kNormal;
  bool squeeze_engaged_ = false;
  std::optional<TimePoint> calm_since_;
  std::map<std::string, std::uint64_t> squeeze_values_;  // unit id -> memory.high bytes
  std::map<std::string, TimePoint> last_restart_;        // unit id -> when adrg restarted it
  std::optional<TimePoint> last_any_restart_;
  StallMeter meter_;
};

}  // namespace adrg
