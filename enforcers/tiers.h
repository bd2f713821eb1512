// Which tier a unit (a container, or a directory under cgroup_units_root) belongs to, and
// whether it is protected. Pure functions of the configuration and the unit's name and labels:
// the Docker inventory and the cgroup inventory both ask here, so one glob means one thing.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "sensors/cgroup_inventory.h"

namespace adrg {

inline constexpr std::string_view kTierLabel = "adrg.tier";
using UnitLabels = std::map<std::string, std::string>;

// Tier of a unit, or nullopt when it is not governed.
//  1. The label adrg.tier=N (N in 0..3) wins over globs (ADRG 1.1). A label outside 0..3 or
//     not a number is ignored (and reported through `label_error` when given).
//  2. Otherwise the first tier, in id order 0..3, with a glob (fnmatch(3), no flags: Python's
//     fnmatch on POSIX, case-sensitive) matching the name.
//  3. Otherwise nullopt: ADRG leaves units no tier names alone, so adrg does too. They stay out
//     of the inventories' units() and no rule can pause, throttle or restart them.
std::optional<int> match_tier(std::string_view name, const UnitLabels& labels,
                              const std::array<TierConfig, 4>& tiers,
                              std::string* label_error = nullptr);

// Tier 0 or a name matching one of `protected_containers` (exact names or globs).
bool is_protected_container(std::string_view name, int tier,
                            const std::vector<std::string>& protected_patterns);

// match_tier (no labels) and is_protected_container over `config`'s tiers, for the cgroup
// inventory; it keeps its own copy of them.
UnitClassifier tier_classifier(const Config& config);

}  // namespace adrg
