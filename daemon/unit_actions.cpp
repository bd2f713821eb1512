#include "daemon/unit_actions.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace adrg {

std::string unit_name(const std::vector<UnitSnapshot>& units, const std::string& id) {
  for (const auto& u : units) {
    if (u.id == id) return u.name;
  }
  return id;
}

std::vector<UnitAction> unit_actions(const DesiredState& before, const DesiredState& after,
                                     const std::vector<UnitSnapshot>& units) {
  std::vector<UnitAction> out;
  for (const auto& [id, want] : after.units) {
    auto was = before.units.find(id);
    const bool known = was != before.units.end();
    const bool was_paused = known && was->second.paused;
    const bool was_cpu = known && was->second.cpu_max_percent.has_value();
    const bool was_io = known && was->second.io_max.has_value();
    std::string name = unit_name(units, id);
    if (want.paused != was_paused) {
      out.push_back({want.paused ? "pause" : "resume", name,
                     fmt::format("by {}", fmt::join(want.paused_by, ","))});
    }
    if (want.cpu_max_percent.has_value() != was_cpu) {
      out.push_back({want.cpu_max_percent ? "cpu_max" : "cpu_max_release", name,
                     want.cpu_max_percent
                         ? fmt::format("{:.1f}% of the machine by {}", *want.cpu_max_percent,
                                       fmt::join(want.cpu_max_by, ","))
                         : "released"});
    }
    if (want.io_max.has_value() != was_io) {
      out.push_back({want.io_max ? "io_max" : "io_max_release", name,
                     want.io_max
                         ? fmt::format("rbps={} wbps={} by {}", want.io_max->read_bps,
                                       want.io_max->write_bps, fmt::join(want.io_max_by, ","))
                         : "released"});
    }
  }
  for (const auto& restart : after.restarts) {
    out.push_back({"restart", unit_name(units, restart.unit_id), restart.reason});
  }
  return out;
}

}  // namespace adrg
