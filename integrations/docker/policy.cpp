#include "integrations/docker/policy.h"

#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>

namespace adrg::docker {
namespace {

bool glob_match(const std::string& pattern, std::string_view name) {
  std::string subject(name);
  return fnmatch(pattern.c_str(), subject.c_str(), 0) == 0;
}

}  // namespace

std::optional<int> match_tier(std::string_view name, const Labels& labels,
                              const std::array<TierConfig, 4>& tiers, std::string* label_error) {
  if (auto it = labels.find(std::string(kTierLabel)); it != labels.end()) {
    const std::string& text = it->second;
    int tier = -1;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), tier);
    if (ec == std::errc() && ptr == text.data() + text.size() && tier >= 0 && tier <= 3) {
      return tier;
    }
    if (label_error != nullptr) {
      *label_error = "label " + std::string(kTierLabel) + "=" + text + " is not a tier 0..3";
    }
  }
  std::array<const TierConfig*, 4> ordered{};
  for (std::size_t i = 0; i < tiers.size(); ++i) ordered[i] = &tiers[i];
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const TierConfig* a, const TierConfig* b) { return a->id < b->id; });
  for (const TierConfig* tier : ordered) {
    for (const std::string& pattern : tier->containers) {
      if (glob_match(pattern, name)) return tier->id;
    }
  }
  return std::nullopt;
}

bool is_protected_container(std::string_view name, int tier,
                            const std::vector<std::string>& protected_patterns) {
  if (tier == 0) return true;
  return std::any_of(protected_patterns.begin(), protected_patterns.end(),
                     [&](const std::string& pattern) { return glob_match(pattern, name); });
}

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
