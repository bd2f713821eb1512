// Pure decisions of the Docker integration: whether a container a human unpaused should be
// paused again, the socket path and the reconnect backoff
// (tiers: enforcers/tiers.h). No I/O and no clock reads: `now` is an argument.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "enforcers/tiers.h"
#include "integrations/docker/docker_parse.h"

namespace adrg::docker {

// Re-pause after a human unpaused a container adrg had paused.
// A human who runs `docker unpause` on a container adrg paused usually wants it to run (to
// look at it, to finish something). adrg therefore pauses it again only when the rule that
// paused it still claims the pause, and at most once per cooldown per container: a second
// manual unpause within the cooldown wins, and the container runs until the cooldown ends and
// the claim is re-evaluated. The cooldown defaults to media_mode.cooldown_seconds (60 s),
// ADRG's "how long before media mode lets go": the same human-scale patience.
class RepausePolicy {
 public:
  explicit RepausePolicy(Duration cooldown = std::chrono::seconds(60)) : cooldown_(cooldown) {}

  // Called when the inventory reports "unpaused externally" (or on each reconcile tick while
  // the container runs unpaused). True means: pause it again now; the attempt is recorded.
  bool should_repause(const std::string& id, bool claim_still_holds, TimePoint now);
  // The claim was released or the container went away: forget its history.
  void forget(const std::string& id) { last_repause_.erase(id); }
  void set_cooldown(Duration cooldown) { cooldown_ = cooldown; }
  Duration cooldown() const { return cooldown_; }

 private:
  Duration cooldown_;
  std::map<std::string, TimePoint> last_repause_;
};

// Exponential reconnect backoff for the events stream: initial, doubled per failure, capped.
// Socket path: DOCKER_HOST=unix:///path in the environment wins over the configured socket (the
// docker CLI convention); any other DOCKER_HOST scheme is ignored with a warning, we speak unix
// only.
std::string resolve_socket_path(const std::string& configured);
// The same rule with the environment value passed in (for tests).
std::string resolve_socket_path(const std::string& configured, const char* docker_host);

class Backoff {
 public:
  Backoff(Duration initial = std::chrono::milliseconds(100), Duration max = std::chrono::seconds(5))
      : initial_(initial), max_(max), next_(initial) {}
  // The delay before the next attempt; each call doubles the following one up to max.
  Duration next();
  void reset() { next_ = initial_; }

 private:
  Duration initial_;
  Duration max_;
  Duration next_;
};

}  // namespace adrg::docker
