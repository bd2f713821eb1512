// I/O-pressure rule (ADRG 1.1 semantics, reference config `io_pressure:`), on the system PSI
// file /proc/pressure/io:
//   engage : some avg10 > trigger_avg10_threshold -> io.max claim on every non-protected tier-3
//            unit with tier3_io_max_read/write_mb_per_sec (MiB/s -> bytes/s, x 1024 * 1024 as
//            ADRG did; 0 = that direction unlimited). The actuator writes it for every
//            physical disk (io_pressure.devices) — devices are not the rule's business.
//   hold   : recovery_avg10_threshold <= avg10 <= trigger: nothing changes, and a running
//            recovery countdown restarts.
//   release: avg10 strictly below recovery_avg10_threshold continuously for
//            recovery_hold_seconds, AND (adrg extension) no capped unit still presses against
//            its cap: a unit reading or writing at >= half its cap between two evaluations
//            (io.stat) restarts the countdown. Under the cap a storm makes little pressure, so
//            the calm may be the cap's own doing; ADRG lifted it anyway and the storm came
//            back at full depth (a player's read then waited ~0.5 s behind its queue).
// Fast path (adrg extension): ADRG waited for avg10, which lags a sudden stall by ~10 s. When
// the snapshot carries io_trigger_fired (a kernel PSI trigger edge since the last evaluation),
// the rule also engages if the "some" stall share measured from total_us over the interval
// since the previous evaluation (>= 200 ms) exceeds trigger_avg10_threshold, or at once if the
// share the edge itself proves (io_trigger_proven_percent: the trigger's stall_ms / window_ms,
// since the kernel fires only after that much stall within the window) exceeds it. Such a
// fast-path edge also restarts a running recovery countdown.
// Missing io PSI: the state holds; the countdown neither restarts nor completes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/claims.h"
#include "enforcers/decision.h"
#include "enforcers/rule_util.h"
#include "sensors/snapshot.h"

namespace adrg {

class IoRule {
 public:
  static constexpr std::string_view kName = "io";

  RuleOutput evaluate(const Config& config, const Snapshot& snapshot, TimePoint now);

  bool engaged() const { return engaged_; }
  std::string_view stage_name() const { return engaged_ ? "throttled" : "normal"; }
  std::optional<TimePoint> calm_since() const { return calm_since_; }

 private:
  // Whether a capped unit moved >= half its cap since the previous evaluation; its name.
  std::optional<std::string> pressing_unit(const Snapshot& snapshot, const IoLimit& cap,
                                           TimePoint now);

  bool engaged_ = false;
  std::optional<TimePoint> calm_since_;
  StallMeter meter_;
  struct IoSample {
    TimePoint at;
    IoBytes bytes;
  };
  std::map<std::string, IoSample> io_samples_;  // unit id -> its io.stat at the last evaluation
};

}  // namespace adrg
