// Media rule (ADRG 1.1 semantics, reference config `media_mode:`). Media is "active" while the
// provider reports sessions that count (snapshot.media_sessions > 0) or a manual media_start is
// in force. While active, and for cooldown_seconds after the last active moment:
//   - pause every non-protected tier-3 unit,
//   - cpu.max on every non-protected tier-2 unit at tier2_cpu_max_percent of the whole machine
//     (skipped when <= 0 or >= 100: no cap),
//   - io.max on tier 2 with tier2_io_max_read/write_mb_per_sec (MiB/s as ADRG; 0 = unlimited),
//   - download_throttle_wanted() is true when download_throttle.enabled.
// media_start forces media active regardless of the provider; media_stop ends a manual start
// only — a provider still reporting sessions keeps media active — and the cooldown then runs
// from that moment. An unreachable provider reports 0 sessions (snapshot.media_sessions), so
// media ends after the cooldown, as in ADRG.
// enabled: false or provider "none" disables media mode entirely (ADRG: "none — Disable media
// mode entirely"), manual media triggers included; a disable while in effect releases at once.
// Cooldown boundary: the claims are released on the first evaluation with
// now - last_active >= cooldown_seconds.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/decision.h"
#include "enforcers/manual_triggers.h"
#include "sensors/snapshot.h"

namespace adrg {

class MediaRule {
 public:
  static constexpr std::string_view kName = "media";

  RuleOutput evaluate(const Config& config, const Snapshot& snapshot, TimePoint now,
                      const std::vector<TriggerEvent>& triggers);

  // Claims in force (active, or inside the cooldown).
  bool active() const { return in_effect_; }
  // Sessions or a manual start right now (false during the cooldown).
  bool streaming() const { return streaming_; }
  bool manual_start() const { return manual_start_; }
  bool download_throttle_wanted() const { return in_effect_ && throttle_downloads_; }
  std::optional<TimePoint> last_active() const { return last_active_; }
  std::string_view stage_name() const {
    return !in_effect_ ? "inactive" : streaming_ ? "active" : "cooldown";
  }

 private:
  bool in_effect_ = false;
  bool streaming_ = false;
  bool manual_start_ = false;
  bool throttle_downloads_ = false;
  std::optional<TimePoint> last_active_;
};

}  // namespace adrg
