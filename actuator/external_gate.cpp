#include "actuator/external_gate.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace adrg {

Status ExternalGate::adopt(ExternalLimit* limit) {
  limit_ = limit;
  wanted_ = false;
  logged_engaged_ = false;
  if (limit_ == nullptr) return {};
  if (dry_run_) {
    if (limit_->has_leftover()) {
      spdlog::warn(
          "dry-run: {} holds a limit left by an earlier run; a real run would give it its own "
          "limit back (nothing is changed now)",
          limit_->describe());
    }
    return {};
  }
  return limit_->start();
}

void ExternalGate::follow(bool wanted) {
  wanted_ = wanted;
  refresh();
}

void ExternalGate::refresh() {
  if (limit_ == nullptr) return;
  if (dry_run_) {
    log_dry_run_wish();
    return;
  }
  limit_->set_engaged(wanted_);
}

void ExternalGate::log_dry_run_wish() {
  const bool engage = would_engage();
  if (engage == logged_engaged_) return;
  logged_engaged_ = engage;
  if (engage) {
    spdlog::info("dry-run: would cap {} to {} (and journal its own limit first)",
                 limit_->describe(), limit_->describe_limit());
  } else {
    spdlog::info("dry-run: would give {} its own limit back", limit_->describe());
  }
}

void ExternalGate::release(std::function<void(Status)> done) {
  wanted_ = false;
  if (limit_ == nullptr || dry_run_) {
    if (limit_ != nullptr) log_dry_run_wish();
    done(Status{});
    return;
  }
  limit_->release(std::move(done));
}

Result<bool> give_back_external_leftover(ExternalLimit& limit, bool dry_run) {
  if (!limit.has_leftover()) return false;
  if (dry_run) {
    spdlog::info("dry-run: would give {} its own limit back (left by an earlier run)",
                 limit.describe());
    return false;
  }
  if (auto st = limit.start(); !st) return st.error();
  return true;
}

}  // namespace adrg
