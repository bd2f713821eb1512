// GovernorPolicy owns every rule and its hysteresis state. One evaluate() per edge or reconcile
// tick: triggers are applied first (manual tier-3 pause/resume, media start/stop), then each
// rule maps (config, snapshot, now, its state) to claims, and the planner merges them. Pure:
// no I/O and no clock reads; the caller passes `now`.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/claims.h"
#include "enforcers/decision.h"
#include "enforcers/io_rule.h"
#include "enforcers/manual_triggers.h"
#include "enforcers/media_rule.h"
#include "enforcers/memory_rule.h"
#include "enforcers/planner.h"
#include "enforcers/thermal_rule.h"
#include "sensors/snapshot.h"

namespace adrg {

struct PolicyResult {
  DesiredState desired;
  std::vector<Decision> decisions;  // in rule order: manual, media, thermal, memory, io
  std::vector<Claim> claims;        // every claim in force, for /status and debugging
};

// Everything the policy believes, for /status (`adrgctl status`).
struct PolicyStatus {
  std::string thermal_stage;  // normal | warn | stage1 | stage2
  std::string memory_stage;   // normal | squeeze | critical | emergency
  std::string io_stage;       // normal | throttled
  std::string media_stage;    // inactive | active | cooldown
  bool media_active = false;  // media claims in force (active or cooldown)
  bool media_manual_start = false;
  bool tier3_manual_pause = false;
  bool download_throttle_wanted = false;
};

class GovernorPolicy {
 public:
  PolicyResult evaluate(const Config& config, const Snapshot& snapshot, TimePoint now,
                        const std::vector<TriggerEvent>& triggers = {});

  PolicyStatus status() const;
  const ThermalRule& thermal() const { return thermal_; }
  const MemoryRule& memory() const { return memory_; }
  const IoRule& io() const { return io_; }
  const MediaRule& media() const { return media_; }
  const ManualTriggers& manual() const { return manual_; }

 private:
  ManualTriggers manual_;
  MediaRule media_;
  ThermalRule thermal_;
  MemoryRule memory_;
  IoRule io_;
};

}  // namespace adrg
