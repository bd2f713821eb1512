// Synthetic governed units for the pure rule tests.
#pragma once

#include <string>

#include "sensors/snapshot.h"

namespace adrg::testing {

// A unit named after its id; tier 0 is always protected, as the inventory makes it.
inline UnitSnapshot unit(std::string id, int tier, bool is_protected = false) {
  UnitSnapshot u;
  u.id = id;
  u.name = std::move(id);
  u.tier = tier;
  u.is_protected = is_protected || tier == 0;
  return u;
}

}  // namespace adrg::testing
