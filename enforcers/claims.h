// Claims are what a rule wants done to a unit; the planner merges them into a DesiredState.
// Effective constraint = union of claims: paused if any rule pauses; cpu.max / io.max /
// memory.high take the strictest value claimed. A claim names its rule in `by`.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace adrg {

enum class ClaimKind { kPause, kCpuMax, kIoMax, kMemoryHigh, kRestart };

// Bytes per second; 0 means no limit in that direction.
struct IoLimit {
  std::uint64_t read_bps = 0;
  std::uint64_t write_bps = 0;
  bool operator==(const IoLimit&) const = default;
};

struct Claim {
  std::string unit_id;
  ClaimKind kind = ClaimKind::kPause;
  std::string by;                 // rule name: "thermal", "memory", "io", "media", "manual"
  double cpu_max_percent = 0;     // kCpuMax: percent of the whole machine (all CPUs)
  IoLimit io;                     // kIoMax
  std::uint64_t memory_high = 0;  // kMemoryHigh: bytes
  std::string reason;             // human sentence with the values that fired it
};

struct DesiredUnit {
  std::string unit_id;
  bool paused = false;
  std::vector<std::string> paused_by;
  std::optional<double> cpu_max_percent;
  std::vector<std::string> cpu_max_by;
  std::optional<IoLimit> io_max;
  std::vector<std::string> io_max_by;
  // Effective memory.high: min(tier baseline, claims). memory_high_by lists claiming rules
  // only (empty when the value is the tier baseline alone).
  std::optional<std::uint64_t> memory_high;
  std::vector<std::string> memory_high_by;
  // Tier baselines.
  std::optional<int> cpu_weight;
  std::optional<int> io_weight;
  std::optional<std::uint64_t> memory_max;

  bool operator==(const DesiredUnit&) const = default;
};

struct RestartRequest {
  std::string unit_id;
  std::string by;
  std::string reason;
};

struct DesiredState {
  std::map<std::string, DesiredUnit> units;  // by unit id; protected units have baselines only
  std::vector<RestartRequest> restarts;
  // The download client capped while media plays (media_mode.download_throttle).
  bool cap_downloads = false;
};

}  // namespace adrg
