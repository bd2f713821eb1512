// Helpers shared by the rules: which units a rule may touch, unit conversions, and the PSI
// stall meter behind adrg's fast path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

// Tier 0 and protected_containers are never touched by any rule (ADRG: "will NEVER pause,
// throttle, or restart these containers"). The planner filters again; rules skip them too so
// their claim lists and decisions never name such a unit.
bool is_untouchable(const UnitSnapshot& unit);

// Units of `tier` that a rule may act on, in snapshot order.
std::vector<const UnitSnapshot*> eligible_units(const Snapshot& snapshot, int tier);

// ADRG's "mb_per_sec" values were MiB/s (Python: mb * 1024 * 1024), so adrg converts the same
// way. Negative or non-finite input means "no limit" (0).
std::uint64_t mb_per_sec_to_bps(double mb_per_sec);

Claim make_pause_claim(const UnitSnapshot& unit, std::string by, std::string reason);

// adrg fast path: when a kernel PSI trigger fires, avg10 still lags by up to ~10 s. The stall
// share over the last interval, measured from the cumulative `total` (µs) between two
// evaluations, reacts at once: stall% = Δtotal_us / Δt_us * 100.
class StallMeter {
 public:
  // Minimum interval for a meaningful percentage: over a few ms a single stalled task reads as
  // 100 %. A shorter interval keeps the older baseline so the next call measures a longer one.
  static constexpr Duration kMinInterval = std::chrono::milliseconds(200);

  // Feeds the sample and returns the stall percentage since the baseline, or nullopt when there
  // is no baseline yet, the interval is shorter than kMinInterval, or the counter went back.
  std::optional<double> update(std::uint64_t total_us, TimePoint now);
  void reset() { baseline_.reset(); }

 private:
  struct Sample {
    std::uint64_t total_us;
    TimePoint at;
  };
  std::optional<Sample> baseline_;
};

// adrg fast path for a rule whose threshold is `threshold` (% of "some" stall): with a PSI edge
// pending (`fired`), engage when the share the trigger itself proves (stall/window,
// Snapshot::*_trigger_proven_percent) or the share measured by StallMeter (`stall`) is above
// the threshold. Returns the decision's reason, or nullopt when the fast path does not apply.
std::optional<std::string> fast_path_reason(std::string_view resource, bool fired,
                                            double proven_percent, std::optional<double> stall,
                                            double threshold, double avg10);

}  // namespace adrg
