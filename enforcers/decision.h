// A Decision is the structured record of one state transition inside the policy: which rule,
// which stage it left and entered, and why (with the values that fired it). The daemon logs
// every Decision, publishes it on /events and hands those whose `event` is listed in
// notifications.notify_on (ADRG's names: thermal_stage1, media_mode_activated,
// memory_critical_restart, ...) to the notifiers. Enforcers are pure, so this is how they "log".
#pragma once

#include <string>
#include <vector>

#include "enforcers/claims.h"

namespace adrg {

struct Decision {
  std::string rule;    // "thermal", "memory", "io", "media", "manual"
  std::string event;   // ADRG notify_on name where one exists, e.g. "thermal_stage1"
  std::string from;    // stage before, e.g. "normal"
  std::string to;      // stage after, e.g. "stage1"
  std::string reason;  // human sentence with values: "max temperature 76.0 °C >= stage1 75.0 °C"
  std::vector<std::string> unit_ids;  // units a restart decision names; empty otherwise

  bool operator==(const Decision&) const = default;
};

// What one rule evaluation produces: the claims it holds now (recomputed from scratch on every
// evaluation, so dropping a claim is how a rule releases it) and the transitions it made.
struct RuleOutput {
  std::vector<Claim> claims;
  std::vector<Decision> decisions;
};

}  // namespace adrg
