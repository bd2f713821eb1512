#include "enforcers/io_rule.h"

#include <fmt/format.h>

namespace adrg {

RuleOutput IoRule::evaluate(const Config& config, const Snapshot& snapshot, TimePoint now) {
  RuleOutput out;
  const IoPressureConfig& cfg = config.io_pressure;
  auto transition = [&](bool to, std::string reason) {
    out.decisions.push_back(Decision{std::string(kName),
                                     to ? "io_throttle_engaged" : "io_throttle_released",
                                     std::string(stage_name()),
                                     to ? "throttled" : "normal",
                                     std::move(reason),
                                     {}});
    engaged_ = to;
    calm_since_.reset();
  };

  const IoLimit cap{mb_per_sec_to_bps(cfg.tier3_io_max_read_mb_per_sec),
                    mb_per_sec_to_bps(cfg.tier3_io_max_write_mb_per_sec)};
  if (!cfg.enabled) {
    meter_.reset();
    io_samples_.clear();
    if (engaged_) transition(false, "io rule disabled");
    return out;
  }

  // Sampled at every evaluation while engaged, so each rate spans one interval.
  const bool pressing = engaged_ && pressing_unit(snapshot, cap, now).has_value();
  if (!engaged_) io_samples_.clear();
  if (snapshot.io) {
    const PsiLine& some = snapshot.io->some;
    std::optional<double> stall = meter_.update(some.total_us, now);
    const bool over = some.avg10 > cfg.trigger_avg10_threshold;
    std::optional<std::string> fast =
        fast_path_reason("io", snapshot.io_trigger_fired, snapshot.io_trigger_proven_percent, stall,
                         cfg.trigger_avg10_threshold, some.avg10);
    if (over || fast) {
      if (!engaged_) {
        transition(true, over ? fmt::format("io some avg10 {:.2f} > {:.2f}", some.avg10,
                                            cfg.trigger_avg10_threshold)
                              : *fast);
      }
      calm_since_.reset();
    } else if (engaged_ && some.avg10 < cfg.recovery_avg10_threshold) {
      if (!calm_since_ || pressing) calm_since_ = now;  // calm because of the cap: not yet
      if (now - *calm_since_ >= from_seconds(cfg.recovery_hold_seconds)) {
        transition(
            false,
            fmt::format("io some avg10 {:.2f} stayed below {:.2f} for {:.0f} s and tier 3 "
                        "kept below half its cap",
                        some.avg10, cfg.recovery_avg10_threshold, to_seconds(now - *calm_since_)));
      }
    } else {
      calm_since_.reset();  // between the thresholds: hold, and restart any countdown
    }
  }

  if (engaged_) {
    const IoLimit& limit = cap;
    if (limit.read_bps != 0 || limit.write_bps != 0) {
      std::string reason =
          fmt::format("io pressure: tier 3 io.max read {} MiB/s write {} MiB/s",
                      cfg.tier3_io_max_read_mb_per_sec, cfg.tier3_io_max_write_mb_per_sec);
      for (const auto* unit : eligible_units(snapshot, 3)) {
        Claim claim;
        claim.unit_id = unit->id;
        claim.kind = ClaimKind::kIoMax;
        claim.by = std::string(kName);
        claim.io = limit;
        claim.reason = reason;
        out.claims.push_back(std::move(claim));
      }
    }
  }
  return out;
}

std::optional<std::string> IoRule::pressing_unit(const Snapshot& snapshot, const IoLimit& cap,
                                                 TimePoint now) {
  std::optional<std::string> found;
  std::map<std::string, IoSample> next;
  for (const auto* unit : eligible_units(snapshot, 3)) {
    if (!unit->io) continue;
    next[unit->id] = IoSample{now, *unit->io};
    auto before = io_samples_.find(unit->id);
    if (found || before == io_samples_.end()) continue;
    const double seconds = to_seconds(now - before->second.at);
    if (seconds <= 0) continue;
    // Counters only grow while the cgroup lives; a smaller value is a new cgroup (restart).
    auto rate = [&](std::uint64_t now_bytes, std::uint64_t then_bytes) {
      return now_bytes >= then_bytes ? static_cast<double>(now_bytes - then_bytes) / seconds : 0.0;
    };
    const bool reads = cap.read_bps != 0 && rate(unit->io->read, before->second.bytes.read) >=
                                                0.5 * static_cast<double>(cap.read_bps);
    const bool writes =
        cap.write_bps != 0 && rate(unit->io->written, before->second.bytes.written) >=
                                  0.5 * static_cast<double>(cap.write_bps);
    if (reads || writes) found = unit->name.empty() ? unit->id : unit->name;
  }
  io_samples_ = std::move(next);
  return found;
}

}  // namespace adrg
