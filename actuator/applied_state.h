// What adrg believes the kernel (and Docker) hold because of it: the actuator's view, shown by
// /status and `adrgctl status`. A value appears here only once its write completed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actuator/limit_merge.h"
#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

// A limit the user may have set (memory.max, memory.high, cpu.max, one device's io.max): adrg
// never loosens it, so the file holds the stricter of the user's value and adrg's (issue 17).
struct AppliedLimit {
  std::string user;       // the user's own: the file's original as journaled ("max" = none)
  std::string adrg;       // what adrg wants: the tier baseline or the strictest rule claim
  std::string effective;  // what the file holds
  LimitSource source = LimitSource::kAdrg;  // whose value that is (io.max: maybe both)
  bool operator==(const AppliedLimit&) const = default;
};

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

  // Every file adrg governs, with what it holds: "cpu.max" -> "40000 100000", "io.max 254:0" ->
  // "254:0 rbps=..". For a limit that is the effective value (the user's when stricter), and the
  // typed fields above are read from it too.
  std::map<std::string, std::string> files;
  // The limits among `files`, same keys: the user's value, adrg's and the effective one.
  std::map<std::string, AppliedLimit> limits;
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
