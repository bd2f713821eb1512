// Machine temperature: the maximum over <thermal_root>/thermal_zone*/temp (ADRG read "the
// maximum temperature across all thermal zones"), falling back to
// <hwmon_root>/hwmon*/temp*_input when no thermal zone is readable (many desktop boards expose
// only hwmon, e.g. k10temp/coretemp without ACPI thermal zones). Both report millidegrees
// Celsius (Documentation/ABI/testing/sysfs-class-thermal, Documentation/hwmon/sysfs-interface).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"

namespace adrg {

// Pure parser: "45000\n" -> 45.0. Rejects empty, non-integer text and values outside
// [kMinPlausibleC, kMaxPlausibleC] (disabled zones report e.g. -273200 or 0x7fffffff).
Result<double> parse_millidegrees(std::string_view text);
inline constexpr double kMinPlausibleC = -60;
inline constexpr double kMaxPlausibleC = 200;

// Max °C; an error with ENOENT when no sensor is readable (VMs, containers, CI). Unreadable or
// implausible individual sensors (a zone whose driver returns EINVAL/ENODATA while the device
// sleeps) are skipped.
Result<double> read_max_temperature(const std::string& thermal_root, const std::string& hwmon_root);

// Polls read_max_temperature on a reactor timer and calls back with the value, or nullopt when
// nothing is readable (the thermal rule then holds its stage).
class ThermalSensor {
 public:
  using Callback = std::function<void(std::optional<double> celsius)>;

  ThermalSensor(Reactor& reactor, std::string thermal_root, std::string hwmon_root, Duration period,
                Callback callback);
  ~ThermalSensor();
  ThermalSensor(const ThermalSensor&) = delete;
  ThermalSensor& operator=(const ThermalSensor&) = delete;

  // Reads once at once, then every period.
  Status start();
  void stop();
  // Reads now (also what the timer does); returns and reports the value.
  std::optional<double> poll();
  std::optional<double> last() const { return last_; }

 private:
  Reactor& reactor_;
  std::string thermal_root_;
  std::string hwmon_root_;
  Duration period_;
  Callback callback_;
  Reactor::Id timer_ = 0;
  std::optional<double> last_;
  bool reported_missing_ = false;
};

}  // namespace adrg
