// Units that are plain cgroup v2 directories rather than Docker containers: every child of
// general.cgroup_units_root is a unit named after its directory, with the tier its name matches
// (the same globs as containers: the daemon hands in enforcers/tiers.h's matching as a
// UnitClassifier, so this observation knows no policy). adrg freezes these with cgroup.freeze,
// which is safe here because no container runtime owns them. New and removed directories are seen
// through inotify on the root, so a unit gets its baseline as soon as it appears.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.h"
#include "core/result.h"
#include "sensors/snapshot.h"

namespace adrg {

// The tier a unit's name puts it in and whether it is protected; nullopt: not governed.
struct UnitClass {
  int tier = 0;
  bool is_protected = false;
};
using UnitClassifier = std::function<std::optional<UnitClass>(std::string_view name)>;

class CgroupInventory {
 public:
  CgroupInventory(Reactor& reactor, std::string root, UnitClassifier classify);
  ~CgroupInventory();
  CgroupInventory(const CgroupInventory&) = delete;
  CgroupInventory& operator=(const CgroupInventory&) = delete;

  void set_on_change(std::function<void()> callback) { on_change_ = std::move(callback); }
  Status start();
  // New tiers (a reload): rescans at once when started.
  void reconfigure(UnitClassifier classify);
  // Re-reads the directory; calls on_change when the set of units or a tier changed.
  void rescan();
  void refresh_memory();
  const std::vector<UnitSnapshot>& units() const { return units_; }

 private:
  std::vector<UnitSnapshot> scan() const;

  Reactor& reactor_;
  std::string root_;
  UnitClassifier classify_;
  std::function<void()> on_change_;
  Reactor::Id watch_ = 0;
  std::vector<UnitSnapshot> units_;
};

}  // namespace adrg
