// Units that are plain cgroup v2 directories rather than Docker containers: every child of
// general.cgroup_units_root is a unit named after its directory, with the tier its name matches
// (the same globs as containers). adrg freezes these with cgroup.freeze, which is safe here
// because no container runtime owns them. New and removed directories are seen through
// inotify on the root, so a unit gets its baseline as soon as it appears.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/reactor.h"
#include "core/result.h"
#include "sensors/snapshot.h"

namespace adrg {

class CgroupInventory {
 public:
  CgroupInventory(Reactor& reactor, std::string root, const Config& config);
  ~CgroupInventory();
  CgroupInventory(const CgroupInventory&) = delete;
  CgroupInventory& operator=(const CgroupInventory&) = delete;

  void set_on_change(std::function<void()> callback) { on_change_ = std::move(callback); }
  Status start();
  void reconfigure(const Config& config);
  // Re-reads the directory; calls on_change when the set of units or a tier changed.
  void rescan();
  void refresh_memory();
  const std::vector<UnitSnapshot>& units() const { return units_; }

 private:
  std::vector<UnitSnapshot> scan() const;

  Reactor& reactor_;
  std::string root_;
  std::array<TierConfig, 4> tiers_;
  std::vector<std::string> protected_patterns_;
  std::function<void()> on_change_;
  Reactor::Id watch_ = 0;
  std::vector<UnitSnapshot> units_;
};

}  // namespace adrg
