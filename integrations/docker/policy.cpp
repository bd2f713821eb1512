#include "integrations/docker/policy.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

namespace adrg::docker {

bool RepausePolicy::should_repause(const std::string& id, bool claim_still_holds, TimePoint now) {
  if (!claim_still_holds) {
    last_repause_.erase(id);
    return false;
  }
  auto it = last_repause_.find(id);
  if (it != last_repause_.end() && now - it->second < cooldown_) return false;
  last_repause_[id] = now;
  return true;
}

std::string resolve_socket_path(const std::string& configured, const char* docker_host) {
  if (docker_host == nullptr || *docker_host == '\0') return configured;
  std::string_view host(docker_host);
  constexpr std::string_view kUnix = "unix://";
  if (host.starts_with(kUnix) && host.size() > kUnix.size()) {
    return std::string(host.substr(kUnix.size()));
  }
  spdlog::warn("docker: DOCKER_HOST={} is not unix:///path; using {}", host, configured);
  return configured;
}

std::string resolve_socket_path(const std::string& configured) {
  return resolve_socket_path(configured, std::getenv("DOCKER_HOST"));
}

Duration Backoff::next() {
  Duration delay = next_;
  next_ = std::min(next_ * 2, max_);
  return delay;
}

}  // namespace adrg::docker
