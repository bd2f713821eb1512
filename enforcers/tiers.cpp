#include "enforcers/tiers.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>

namespace adrg {
namespace {

bool glob_match(const std::string& pattern, std::string_view name) {
  std::string subject(name);
  return fnmatch(pattern.c_str(), subject.c_str(), 0) == 0;
}

}  // namespace

std::optional<int> match_tier(std::string_view name, const UnitLabels& labels,
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

UnitClassifier tier_classifier(const Config& config) {
  return [tiers = config.tiers, patterns = config.protected_containers](
             std::string_view name) -> std::optional<UnitClass> {
    auto tier = match_tier(name, {}, tiers);
    if (!tier) return std::nullopt;
    return UnitClass{*tier, is_protected_container(name, *tier, patterns)};
  };
}

}  // namespace adrg
