#include "enforcers/manual_triggers.h"

#include <string>

#include "enforcers/rule_util.h"

namespace adrg {

std::string_view to_string(TriggerKind kind) {
  switch (kind) {
    case TriggerKind::kTier3Pause:
      return "tier3_pause";
    case TriggerKind::kTier3Resume:
      return "tier3_resume";
    case TriggerKind::kMediaStart:
      return "media_start";
    case TriggerKind::kMediaStop:
      return "media_stop";
  }
  return "unknown";
}

Result<TriggerKind> parse_trigger(std::string_view name) {
  for (TriggerKind kind : {TriggerKind::kTier3Pause, TriggerKind::kTier3Resume,
                           TriggerKind::kMediaStart, TriggerKind::kMediaStop}) {
    if (name == to_string(kind)) return kind;
  }
  return Error{std::make_error_code(std::errc::invalid_argument),
               "unknown trigger \"" + std::string(name) +
                   "\" (expected tier3_pause, tier3_resume, media_start or media_stop)"};
}

RuleOutput ManualTriggers::evaluate(const Snapshot& snapshot,
                                    const std::vector<TriggerEvent>& triggers) {
  RuleOutput out;
  for (const auto& trigger : triggers) {
    bool to;
    if (trigger.kind == TriggerKind::kTier3Pause) {
      to = true;
    } else if (trigger.kind == TriggerKind::kTier3Resume) {
      to = false;
    } else {
      continue;
    }
    if (to == tier3_paused_) continue;  // repeated trigger: idempotent, no transition
    out.decisions.push_back(
        Decision{std::string(kName),
                 to ? "tier3_manual_pause" : "tier3_manual_resume",
                 tier3_paused_ ? "tier3_paused" : "normal",
                 to ? "tier3_paused" : "normal",
                 std::string(to_string(trigger.kind)) + " trigger from " +
                     (trigger.source.empty() ? std::string("unknown source") : trigger.source),
                 {}});
    tier3_paused_ = to;
  }
  if (tier3_paused_) {
    for (const auto* unit : eligible_units(snapshot, 3)) {
      out.claims.push_back(make_pause_claim(*unit, std::string(kName), "manual tier3_pause"));
    }
  }
  return out;
}

}  // namespace adrg
