#include "enforcers/rule_util.h"

#include <fmt/format.h>

#include <cmath>
#include <utility>

namespace adrg {

bool is_untouchable(const UnitSnapshot& unit) { return unit.is_protected || unit.tier <= 0; }

std::vector<const UnitSnapshot*> eligible_units(const Snapshot& snapshot, int tier) {
  std::vector<const UnitSnapshot*> out;
  for (const auto& unit : snapshot.units) {
    if (unit.tier == tier && !is_untouchable(unit)) out.push_back(&unit);
  }
  return out;
}

std::uint64_t mb_per_sec_to_bps(double mb_per_sec) {
  if (!std::isfinite(mb_per_sec) || mb_per_sec <= 0) return 0;
  return static_cast<std::uint64_t>(std::llround(mb_per_sec * 1024.0 * 1024.0));
}

Claim make_pause_claim(const UnitSnapshot& unit, std::string by, std::string reason) {
  Claim claim;
  claim.unit_id = unit.id;
  claim.kind = ClaimKind::kPause;
  claim.by = std::move(by);
  claim.reason = std::move(reason);
  return claim;
}

std::optional<double> StallMeter::update(std::uint64_t total_us, TimePoint now) {
  if (!baseline_ || total_us < baseline_->total_us || now < baseline_->at) {
    baseline_ = Sample{total_us, now};
    return std::nullopt;
  }
  Duration interval = now - baseline_->at;
  if (interval < kMinInterval) return std::nullopt;
  double interval_us = std::chrono::duration<double, std::micro>(interval).count();
  double percent = static_cast<double>(total_us - baseline_->total_us) / interval_us * 100.0;
  baseline_ = Sample{total_us, now};
  return percent;
}

std::optional<std::string> fast_path_reason(std::string_view resource, bool fired,
                                            double proven_percent, std::optional<double> stall,
                                            double threshold, double avg10) {
  if (!fired) return std::nullopt;
  if (proven_percent > threshold) {
    return fmt::format(
        "{} some stall >= {:.1f}% proven by the PSI trigger edge > {:.2f}% (fast path; avg10 "
        "{:.2f})",
        resource, proven_percent, threshold, avg10);
  }
  if (stall && *stall > threshold) {
    return fmt::format(
        "{} some stall {:.1f}% since last evaluation > {:.2f}% (PSI trigger fast path; avg10 "
        "{:.2f})",
        resource, *stall, threshold, avg10);
  }
  return std::nullopt;
}

}  // namespace adrg
