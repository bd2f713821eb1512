#include "daemon/evaluation_loop.h"

#include <spdlog/spdlog.h>

#include <chrono>
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
    // Wall time, not clock_ (a FakeClock in tests): how long the loop thread took from the
    // edge to the plan handed to the worker, named in the log when it was long.
    using std::chrono::steady_clock;
    const auto start = steady_clock::now();
    Snapshot snapshot = hooks_.observe(policy_);
    const auto observed = steady_clock::now();
    auto triggers = std::exchange(pending_triggers_, {});
    PolicyResult result = policy_.evaluate(config, snapshot, clock_.now(), triggers);
    spdlog::debug("evaluate ({}): {} claims, {} decisions", why, result.claims.size(),
                  result.decisions.size());
    const auto evaluated = steady_clock::now();
    actuator_.apply(result.desired, snapshot.units);
    const auto applied = steady_clock::now();
    if (applied - start >= std::chrono::milliseconds(50)) {
      auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
      spdlog::info(
          "evaluation ({}) took {:.1f} ms to the plan: observe {:.1f} ms, rules {:.1f} "
          "ms, actuator {:.1f} ms",
          why, ms(applied - start), ms(observed - start), ms(evaluated - observed),
          ms(applied - evaluated));
    }
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
