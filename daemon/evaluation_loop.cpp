#include "daemon/evaluation_loop.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace adrg {

void EvaluationLoop::run(const Config& config, std::string_view why) {
  if (stopped_) return;
  if (running_) {
    again_ = true;
    return;
  }
  running_ = true;
  do {
    again_ = false;
    ++evaluations_;
    Snapshot snapshot = hooks_.observe(policy_);
    auto triggers = std::exchange(pending_triggers_, {});
    PolicyResult result = policy_.evaluate(config, snapshot, clock_.now(), triggers);
    spdlog::debug("evaluate ({}): {} claims, {} decisions", why, result.claims.size(),
                  result.decisions.size());
    actuator_.apply(result.desired, snapshot.units);
    if (hooks_.decision) {
      for (const auto& decision : result.decisions) hooks_.decision(decision, snapshot);
    }
    if (hooks_.action) {
      for (const auto& action :
           unit_actions(last_result_.desired, result.desired, snapshot.units)) {
        hooks_.action(action);
      }
    }
    if (hooks_.after) hooks_.after(result, snapshot);
    last_result_ = std::move(result);
    last_snapshot_ = std::move(snapshot);
  } while (again_ && !stopped_);
  running_ = false;
}

}  // namespace adrg
