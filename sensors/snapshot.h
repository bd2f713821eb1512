// What the sensors read of the world, handed to the pure rules. Plain data, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adrg {

// One line of a PSI file: "some avg10=1.00 avg60=0.50 avg300=0.10 total=12345".
struct PsiLine {
  double avg10 = 0;
  double avg60 = 0;
  double avg300 = 0;
  std::uint64_t total_us = 0;
};

struct PsiStats {
  PsiLine some;
  PsiLine full;
  bool has_full = false;  // /proc/pressure/cpu had no "full" line before 5.13
};

enum class UnitKind { kContainer, kJob };

// Bytes a cgroup's tasks read and wrote (io.stat, summed over the devices), since it was made.
struct IoBytes {
  std::uint64_t read = 0;
  std::uint64_t written = 0;
};

// A governed unit: a Docker container or a job adrg started itself.
struct UnitSnapshot {
  std::string id;    // stable key: Docker's full container id, or the job id
  std::string name;  // container name without Docker's leading '/'
  UnitKind kind = UnitKind::kContainer;
  int tier = 1;                      // 0..3
  bool is_protected = false;         // tier 0 or listed in protected_containers: never touched
  std::string cgroup_path;           // absolute cgroup v2 directory, "" while unknown
  std::uint64_t memory_current = 0;  // bytes, from memory.current
  std::optional<IoBytes> io;         // tier 3, while the io rule holds its cap: io.stat
  bool running = true;
  bool paused_externally = false;  // paused by someone other than adrg (docker pause by hand)
  // A job's own limits (adrgctl run --cpu-weight/--memory-high/--memory-max) replace its tier's
  // baselines; rules still tighten memory.high below them.
  std::optional<int> cpu_weight_baseline;
  std::optional<std::uint64_t> memory_high_baseline;
  std::optional<std::uint64_t> memory_max_baseline;
};

struct Snapshot {
  std::optional<PsiStats> cpu;
  std::optional<PsiStats> memory;
  std::optional<PsiStats> io;
  std::optional<double> temperature_c;  // max over thermal zones; nullopt when none readable
  int media_sessions = 0;               // sessions that count (playing, or paused if configured)
  bool media_provider_reachable = true;
  std::vector<UnitSnapshot> units;
  // A kernel PSI trigger edge (POLLPRI) was observed on the system io / memory pressure file
  // since the previous evaluation. Lets the io and memory rules take adrg's fast path (stall
  // measured from total_us deltas) instead of waiting ~10 s for avg10 to catch up.
  bool io_trigger_fired = false;
  bool memory_trigger_fired = false;
  // When the edge itself (not a follow-up) is what this evaluation reacts to: the stall share
  // the armed trigger proves (PsiTriggerSpec::proven_percent, e.g. 75 ms in 500 ms = 15 %), else
  // 0. A rule whose threshold is below it may act on the edge without measuring anything.
  double io_trigger_proven_percent = 0;
  double memory_trigger_proven_percent = 0;
};

}  // namespace adrg
