// The per-unit part of GET /status that shows what the actuator applied: the "applied" object
// (files adrg governs and their errors) and "limits" (for each limit file, the user's own value,
// adrg's and the effective one; README's /status section documents the schema).
#pragma once

#include "actuator/applied_state.h"
#include "core/json_writer.h"

namespace adrg {

// Writes the keys "applied" and "limits" into the open object of one unit; `unit` is null when
// nothing is applied to it (both objects are then empty).
void write_applied_unit(JsonWriter& w, const AppliedUnit* unit);

}  // namespace adrg
