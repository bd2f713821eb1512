// What adrg believes the kernel (and Docker) hold because of it: the actuator's view, shown by
// /status and `adrgctl status`. A value appears here only once its write completed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

struct AppliedUnit {
  std::string unit_id;
  std::string name;
  UnitKind kind = UnitKind::kContainer;
  std::string cgroup_dir;  // absolute

  bool paused = false;
  std::string paused_via;  // "cgroup.freeze" | "docker" while paused
  std::vector<std::string> paused_by;
  std::optional<double> cpu_max_percent;  // of the whole machine, from the quota written
  std::vector<std::string> cpu_max_by;
  std::optional<IoLimit> io_max;
  std::vector<std::string> io_max_by;
  std::optional<std::uint64_t> memory_high;
  std::vector<std::string> memory_high_by;
  std::optional<int> cpu_weight;
  std::optional<int> io_weight;
  std::optional<std::uint64_t> memory_max;

  // Every override in force: "cpu.max" -> "40000 100000", "io.max 254:0" -> "254:0 rbps=..".
  std::map<std::string, std::string> files;
  // Last failure per file, cleared by the next success ("io.max 254:0" -> "write ...: EINVAL").
  std::map<std::string, std::string> errors;
  bool pending = false;  // a write or a Docker call is in flight
  // The relief throttle (near-zero cpu.max, low io.max) holds the unit while Docker pauses it.
  bool relief = false;
};

struct AppliedState {
  std::map<std::string, AppliedUnit> units;  // by unit id; units with nothing applied are absent
  bool dry_run = false;
};

}  // namespace adrg
