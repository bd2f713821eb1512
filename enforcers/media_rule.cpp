#include "enforcers/media_rule.h"

#include <fmt/format.h>

#include "enforcers/rule_util.h"

namespace adrg {

RuleOutput MediaRule::evaluate(const Config& config, const Snapshot& snapshot, TimePoint now,
                               const std::vector<TriggerEvent>& triggers) {
  RuleOutput out;
  const MediaModeConfig& cfg = config.media_mode;
  throttle_downloads_ = cfg.download_throttle.enabled;
  auto transition = [&](bool to, std::string_view event, std::string reason) {
    std::string from(stage_name());
    in_effect_ = to;
    out.decisions.push_back(Decision{std::string(kName),
                                     std::string(event),
                                     std::move(from),
                                     std::string(stage_name()),
                                     std::move(reason),
                                     {}});
  };

  if (!cfg.enabled || cfg.provider == "none") {
    manual_start_ = false;
    streaming_ = false;
    last_active_.reset();
    if (in_effect_) transition(false, "media_mode_deactivated", "media mode disabled");
    return out;
  }

  std::string trigger_note;
  for (const auto& trigger : triggers) {
    if (trigger.kind == TriggerKind::kMediaStart) {
      manual_start_ = true;
      trigger_note = "media_start trigger";
    } else if (trigger.kind == TriggerKind::kMediaStop) {
      if (manual_start_) last_active_ = now;  // the manual episode was active until now
      manual_start_ = false;
      trigger_note = "media_stop trigger";
    }
  }

  const bool was_streaming = streaming_;
  streaming_ = snapshot.media_sessions > 0 || manual_start_;
  if (streaming_) last_active_ = now;

  if (streaming_ && !in_effect_) {
    transition(true, "media_mode_activated",
               snapshot.media_sessions > 0 ? fmt::format("{} active media session(s) ({})",
                                                         snapshot.media_sessions, cfg.provider)
                                           : "manual media_start trigger");
  } else if (!streaming_ && in_effect_) {
    const Duration cooldown = from_seconds(cfg.cooldown_seconds);
    if (!last_active_ || now - *last_active_ >= cooldown) {
      transition(false, "media_mode_deactivated",
                 fmt::format("no active media for {:.0f} s (cooldown)", cfg.cooldown_seconds));
    } else if (was_streaming) {
      out.decisions.push_back(Decision{
          std::string(kName),
          "media_mode_cooldown",
          "active",
          "cooldown",
          trigger_note.empty() ? fmt::format("media ended; releasing in {:.0f} s unless it "
                                             "resumes",
                                             cfg.cooldown_seconds)
                               : trigger_note + fmt::format(": releasing in {:.0f} s unless "
                                                            "media resumes",
                                                            cfg.cooldown_seconds),
          {}});
    }
  } else if (streaming_ && in_effect_ && !was_streaming) {
    out.decisions.push_back(Decision{std::string(kName),
                                     "media_mode_resumed",
                                     "cooldown",
                                     "active",
                                     "media resumed during the cooldown",
                                     {}});
  }

  if (in_effect_) {
    std::string reason = fmt::format("media mode {}", stage_name());
    for (const auto* unit : eligible_units(snapshot, 3)) {
      out.claims.push_back(make_pause_claim(*unit, std::string(kName), reason));
    }
    const double cpu = cfg.tier2_cpu_max_percent;
    const IoLimit io{mb_per_sec_to_bps(cfg.tier2_io_max_read_mb_per_sec),
                     mb_per_sec_to_bps(cfg.tier2_io_max_write_mb_per_sec)};
    for (const auto* unit : eligible_units(snapshot, 2)) {
      if (cpu > 0 && cpu < 100) {
        Claim claim;
        claim.unit_id = unit->id;
        claim.kind = ClaimKind::kCpuMax;
        claim.by = std::string(kName);
        claim.cpu_max_percent = cpu;
        claim.reason = reason + fmt::format(": tier 2 cpu.max {}% of the machine", cpu);
        out.claims.push_back(std::move(claim));
      }
      if (io.read_bps != 0 || io.write_bps != 0) {
        Claim claim;
        claim.unit_id = unit->id;
        claim.kind = ClaimKind::kIoMax;
        claim.by = std::string(kName);
        claim.io = io;
        claim.reason = reason + fmt::format(": tier 2 io.max read {} MiB/s write {} MiB/s",
                                            cfg.tier2_io_max_read_mb_per_sec,
                                            cfg.tier2_io_max_write_mb_per_sec);
        out.claims.push_back(std::move(claim));
      }
    }
  }
  return out;
}

}  // namespace adrg
