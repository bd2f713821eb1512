#include "enforcers/governor_policy.h"

#include <iterator>
#include <utility>

namespace adrg {

PolicyResult GovernorPolicy::evaluate(const Config& config, const Snapshot& snapshot, TimePoint now,
                                      const std::vector<TriggerEvent>& triggers) {
  PolicyResult result;
  auto collect = [&](RuleOutput out) {
    std::move(out.claims.begin(), out.claims.end(), std::back_inserter(result.claims));
    std::move(out.decisions.begin(), out.decisions.end(), std::back_inserter(result.decisions));
  };
  collect(manual_.evaluate(snapshot, triggers));
  collect(media_.evaluate(config, snapshot, now, triggers));
  collect(thermal_.evaluate(config, snapshot, now));
  collect(memory_.evaluate(config, snapshot, now));
  collect(io_.evaluate(config, snapshot, now));
  result.desired = plan(config, snapshot, result.claims);
  result.desired.cap_downloads = media_.download_throttle_wanted();
  return result;
}

PolicyStatus GovernorPolicy::status() const {
  PolicyStatus s;
  s.thermal_stage = std::string(to_string(thermal_.stage()));
  s.memory_stage = std::string(to_string(memory_.stage()));
  s.io_stage = std::string(io_.stage_name());
  s.media_stage = std::string(media_.stage_name());
  s.media_active = media_.active();
  s.media_manual_start = media_.manual_start();
  s.tier3_manual_pause = manual_.tier3_paused();
  s.download_throttle_wanted = media_.download_throttle_wanted();
  return s;
}

}  // namespace adrg
