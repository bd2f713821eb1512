// What changed for each unit between two plans, as the actions /events shows ("pause",
// "resume", "cpu_max", "cpu_max_release", "io_max", "io_max_release", "restart"), each with the
// rules that asked and their values. Pure: two DesiredStates and the units' names in, actions out.
#pragma once

#include <string>
#include <vector>

#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

struct UnitAction {
  std::string action;
  std::string unit;  // the unit's name (its id when the snapshot does not know it)
  std::string reason;
  bool operator==(const UnitAction&) const = default;
};

// Transitions of every unit in `after` (a unit only in `before` is released by the actuator as
// it leaves the plan and announced by no action), then one "restart" per restart request.
std::vector<UnitAction> unit_actions(const DesiredState& before, const DesiredState& after,
                                     const std::vector<UnitSnapshot>& units);

std::string unit_name(const std::vector<UnitSnapshot>& units, const std::string& id);

}  // namespace adrg
