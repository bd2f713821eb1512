// The rule evaluation loop: observe -> GovernorPolicy (pure) -> Actuator -> what changed. Every
// edge (PSI trigger, Docker event, thermal reading, HTTP trigger, reconcile tick) runs it once;
// a run asked for while one is in progress (a callback of the actuator or of Docker) folds into
// one more pass instead of recursing. Effects first: the events and their log lines come after
// the actuator has its plan, so they never stand between a decision and the first throttle.
// Time is the injected Clock; the snapshot comes from the `observe` hook, so a test drives it
// with a FakeClock, scripted snapshots and an Actuator on a temporary cgroup tree.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "actuator/actuator.h"
#include "config/config.h"
#include "core/clock.h"
#include "daemon/unit_actions.h"
#include "enforcers/governor_policy.h"

namespace adrg {

struct EvaluationHooks {
  // The snapshot of this pass (SnapshotAssembler::build).
  std::function<Snapshot(const GovernorPolicy& policy)> observe;
  // After the actuator was handed the plan: each decision, then each unit's action.
  std::function<void(const Decision&, const Snapshot&)> decision;
  std::function<void(const UnitAction&)> action;
  // Last, with the plan and the snapshot it was made from (event watches, the download
  // client's wish, job admission).
  std::function<void(const PolicyResult&, const Snapshot&)> after;
};

class EvaluationLoop {
 public:
  EvaluationLoop(const Clock& clock, GovernorPolicy& policy, Actuator& actuator,
                 EvaluationHooks hooks)
      : clock_(clock), policy_(policy), actuator_(actuator), hooks_(std::move(hooks)) {}

  // A trigger (media_start, pause_tier3, ...) for the next pass.
  void queue(TriggerEvent event) { pending_triggers_.push_back(std::move(event)); }
  // One pass now (or one more after the pass in progress). Nothing once stopped.
  void run(const Config& config, std::string_view why);
  void stop() { stopped_ = true; }

  std::uint64_t evaluations() const { return evaluations_; }
  const PolicyResult& last_result() const { return last_result_; }
  const Snapshot& last_snapshot() const { return last_snapshot_; }

 private:
  const Clock& clock_;
  GovernorPolicy& policy_;
  Actuator& actuator_;
  EvaluationHooks hooks_;
  std::vector<TriggerEvent> pending_triggers_;
  PolicyResult last_result_;
  Snapshot last_snapshot_;
  std::uint64_t evaluations_ = 0;
  bool running_ = false;
  bool again_ = false;
  bool stopped_ = false;
};

}  // namespace adrg
