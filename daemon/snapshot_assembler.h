// Observation assembly: everything the rules see in one evaluation, read at that moment. The
// system PSI files under proc_root, the last temperature the thermal sensor reported, the units
// of every source (Docker inventory, cgroup directories, jobs) with their memory.current, the
// media sessions, and the PSI trigger edges seen since the previous snapshot (consumed by it).
// tier 3's io.stat is read only when asked (while the io rule holds its cap).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sensors/snapshot.h"

namespace adrg {

// One inventory as the assembler sees it; units in the order sources were added.
struct UnitSource {
  std::function<void()> refresh_memory;
  std::function<std::vector<UnitSnapshot>()> units;
};

struct MediaSource {
  std::function<int()> sessions;
  std::function<bool()> reachable;
};

class SnapshotAssembler {
 public:
  explicit SnapshotAssembler(std::string proc_root) : proc_root_(std::move(proc_root)) {}

  void add_units(UnitSource source) { sources_.push_back(std::move(source)); }
  void set_media(MediaSource media) { media_ = std::move(media); }
  void set_temperature(std::optional<double> celsius) { temperature_c_ = celsius; }
  std::optional<double> temperature() const { return temperature_c_; }

  // A PSI trigger edge on the system "io" or "memory" file; `proven_percent` is the stall share
  // the trigger itself proves (0 for a follow-up, which measures instead).
  void psi_edge(const std::string& resource, double proven_percent);

  // Every unit of every source, as they stand (no file is read).
  std::vector<UnitSnapshot> units() const;
  // Reads the PSI files and each unit's memory.current (and io.stat of tier 3 when
  // `read_tier3_io`), and consumes the pending edges.
  Snapshot build(bool read_tier3_io);

 private:
  std::string proc_root_;
  std::vector<UnitSource> sources_;
  std::optional<MediaSource> media_;
  std::optional<double> temperature_c_;
  bool io_edge_ = false;
  bool memory_edge_ = false;
  double io_edge_proven_ = 0;
  double memory_edge_proven_ = 0;
};

}  // namespace adrg
