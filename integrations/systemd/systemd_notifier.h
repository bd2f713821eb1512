// Type=notify support through libsystemd's sd_notify: READY=1 once the first inventory is in
// and rules are armed, STATUS= lines, RELOADING=1/READY=1 around SIGHUP, STOPPING=1, and
// WATCHDOG=1 sent from a reactor timer, so a stuck loop thread really misses its deadline and
// systemd kills it (a separate watchdog thread would keep pinging a dead loop).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"

namespace adrg {

class SystemdNotifier {
 public:
  SystemdNotifier();  // reads NOTIFY_SOCKET / WATCHDOG_USEC / WATCHDOG_PID once

  bool enabled() const { return enabled_; }
  // Half of WATCHDOG_USEC (sd_watchdog_enabled(3) recommends pinging at half the timeout);
  // nullopt when the watchdog is off for this process.
  std::optional<Duration> watchdog_period() const { return watchdog_period_; }

  void ready(std::string_view status);
  void status(std::string_view status);
  void reloading();
  void stopping();
  void watchdog_ping();

  // Periodic WATCHDOG=1 on the reactor; a no-op when the watchdog is off.
  Status arm_watchdog(Reactor& reactor);

 private:
  void send(const std::string& message);

  bool enabled_ = false;
  std::optional<Duration> watchdog_period_;
};

}  // namespace adrg
