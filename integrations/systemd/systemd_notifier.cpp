#include "integrations/systemd/systemd_notifier.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>
#include <cstring>

#include "core/result.h"

namespace adrg {

namespace {

std::string monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::to_string(static_cast<long long>(ts.tv_sec) * 1000000LL + ts.tv_nsec / 1000);
}

// STATUS= is one line: a newline would start a new assignment in the datagram.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

SystemdNotifier::SystemdNotifier() {
  enabled_ = std::getenv("NOTIFY_SOCKET") != nullptr;
  std::uint64_t usec = 0;
  // unset_environment=0: children (none today) are not our concern, and tests re-read it.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_period_ = std::chrono::microseconds(usec / 2);
  }
}

void SystemdNotifier::send(const std::string& message) {
  if (!enabled_) return;
  int r = sd_notify(0, message.c_str());
  if (r < 0) spdlog::warn("sd_notify failed: {}", errno_text(-r));
}

void SystemdNotifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + one_line(status));
}

void SystemdNotifier::status(std::string_view status) { send("STATUS=" + one_line(status)); }

void SystemdNotifier::reloading() {
  // MONOTONIC_USEC lets Type=notify-reload (systemd 253+) match the reload; older ones ignore it.
  send("RELOADING=1\nMONOTONIC_USEC=" + monotonic_usec());
}

void SystemdNotifier::stopping() { send("STOPPING=1"); }

void SystemdNotifier::watchdog_ping() { send("WATCHDOG=1"); }

Status SystemdNotifier::arm_watchdog(Reactor& reactor) {
  if (!enabled_ || !watchdog_period_) return {};
  auto id = reactor.add_timer(*watchdog_period_, *watchdog_period_, [this] { watchdog_ping(); });
  if (!id) return id.error();
  spdlog::info("systemd watchdog armed: ping every {} ms",
               std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_period_).count());
  return {};
}

}  // namespace adrg
