// Instant relief: while Docker pauses a container (dockerd and runc take ~50 ms a container, and
// seconds under load or emulation), the actuator holds the container's own cgroup at a
// near-zero cpu.max and a low io.max, and lifts that throttle once Docker reports the container
// paused, the pause failed, or the pause is no longer wanted. The throttle is an ordinary
// journaled override of those files: a crash restores the original, and what a rule claims for
// the same file is written (or the original restored) as soon as the relief ends. Docker does
// not read these files, so the throttle cannot confuse it the way a cgroup.freeze behind its
// back would. Units frozen through cgroup.freeze (jobs) need none: freezing them is instant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "enforcers/claims.h"

namespace adrg {

// sched-bwc.rst: the smallest quota the kernel accepts is 1 ms. Against the default 100 ms
// period that is 1 % of one CPU. A longer period would cut the share further but leave a
// throttled task waiting up to a whole period for CPU, and every task must run briefly to
// reach the freezer trap when Docker's freeze arrives: 100 ms bounds that wait.
inline constexpr std::string_view kReliefCpuMax = "1000 100000";
// 1 MiB/s a direction a disk: below every io cap the rules claim by default (2 MiB/s at the
// least), yet a task blocked on one throttled 128 KiB readahead waits ~125 ms, about one CPU
// period, before it can be frozen. Only rbps/wbps: restore_text resets exactly those two.
inline constexpr std::uint64_t kReliefIoBps = 1 << 20;
// Named in the applied state's cpu_max_by / io_max_by while the throttle is in force.
inline constexpr std::string_view kReliefBy = "relief";

// The stricter of a claimed cpu.max ("<quota> <period>" or "max <period>") and the relief's.
// A claim the relief would loosen (a 1 ms quota per a longer period) stays.
std::string relief_cpu_max(const std::optional<std::string>& claimed);
// Per direction the stricter of the claim and the relief (0 = no limit).
IoLimit relief_io_max(const std::optional<IoLimit>& claimed);

}  // namespace adrg
