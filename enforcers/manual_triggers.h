// Manual triggers (ADRG's POST /trigger events): tier3_pause, tier3_resume, media_start,
// media_stop. tier3_pause holds a "manual" pause claim on every non-protected tier-3 unit until
// tier3_resume; other rules' claims are unaffected (tier3_resume releases only the manual one,
// so a thermal or media pause stays in force). media_start/media_stop are handled by MediaRule.
#pragma once

#include <string_view>
#include <vector>

#include "core/result.h"
#include "enforcers/decision.h"
#include "sensors/snapshot.h"

namespace adrg {

enum class TriggerKind { kTier3Pause, kTier3Resume, kMediaStart, kMediaStop };

std::string_view to_string(TriggerKind kind);
// Exact ADRG names; anything else is an error naming the accepted values.
Result<TriggerKind> parse_trigger(std::string_view name);

struct TriggerEvent {
  TriggerKind kind = TriggerKind::kTier3Pause;
  std::string source;  // who sent it: "http", "jellyfin-webhook", "plex-webhook", "cli"
};

class ManualTriggers {
 public:
  static constexpr std::string_view kName = "manual";

  // Applies the tier3 triggers in order (media ones are ignored here) and returns the manual
  // pause claims in force afterwards.
  RuleOutput evaluate(const Snapshot& snapshot, const std::vector<TriggerEvent>& triggers);

  bool tier3_paused() const { return tier3_paused_; }

 private:
  bool tier3_paused_ = false;
};

}  // namespace adrg
