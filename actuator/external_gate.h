// The actuator's gate in front of an ExternalLimit (external_limit.h): the one place that
// decides whether the limit is touched. A real run starts it (a leftover is given back), follows
// the plan's wish and releases it on shutdown; a dry run calls none of that and logs, on each
// change of wish, what a real run would do.
#pragma once

#include <functional>

#include "actuator/external_limit.h"
#include "core/result.h"

namespace adrg {

class ExternalGate {
 public:
  explicit ExternalGate(bool dry_run) : dry_run_(dry_run) {}

  // Takes the limit (nullptr: none) and starts it; a dry run only reports a leftover.
  Status adopt(ExternalLimit* limit);
  // The plan's wish, every apply(): only changes do anything.
  void follow(bool wanted);
  // After the limit was reconfigured (SIGHUP): the current wish again.
  void refresh();
  // Shutdown: the program's own value back; done runs on the reactor (in a dry run, or with no
  // limit, at once).
  void release(std::function<void(Status)> done);
  // Dry run: whether a real run would hold the limit now.
  bool would_engage() const { return dry_run_ && limit_ != nullptr && wanted_ && limit_->active(); }
  bool dry_run() const { return dry_run_; }

 private:
  void log_dry_run_wish();

  bool dry_run_;
  ExternalLimit* limit_ = nullptr;
  bool wanted_ = false;
  bool logged_engaged_ = false;  // the last "would" logged, so only changes are logged
};

// `adrg --cleanup`: a leftover (a limit a killed run left) is given back, or with dry_run only
// reported. True when a give-back was started and is to be waited for.
Result<bool> give_back_external_leftover(ExternalLimit& limit, bool dry_run);

}  // namespace adrg
