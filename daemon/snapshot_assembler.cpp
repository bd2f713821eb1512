#include "daemon/snapshot_assembler.h"

#include <utility>

#include "sensors/io_stat.h"
#include "sensors/psi.h"

namespace adrg {

void SnapshotAssembler::psi_edge(const std::string& resource, double proven_percent) {
  if (resource == "io") {
    io_edge_ = true;
    io_edge_proven_ = proven_percent;
  } else if (resource == "memory") {
    memory_edge_ = true;
    memory_edge_proven_ = proven_percent;
  }
}

std::vector<UnitSnapshot> SnapshotAssembler::units() const {
  std::vector<UnitSnapshot> all;
  for (const auto& source : sources_) {
    auto units = source.units();
    all.insert(all.end(), std::make_move_iterator(units.begin()),
               std::make_move_iterator(units.end()));
  }
  return all;
}

Snapshot SnapshotAssembler::build(bool read_tier3_io) {
  Snapshot s;
  if (auto r = read_psi(system_psi_path(proc_root_, PsiResource::kCpu))) s.cpu = *r;
  if (auto r = read_psi(system_psi_path(proc_root_, PsiResource::kMemory))) s.memory = *r;
  if (auto r = read_psi(system_psi_path(proc_root_, PsiResource::kIo))) s.io = *r;
  s.temperature_c = temperature_c_;
  for (const auto& source : sources_) {
    if (source.refresh_memory) source.refresh_memory();
  }
  s.units = units();
  // Whether tier 3 still presses against the io cap: not read on every evaluation, a
  // media_start's included.
  if (read_tier3_io) {
    for (UnitSnapshot& unit : s.units) {
      if (unit.tier == 3 && !unit.is_protected && !unit.cgroup_path.empty()) {
        unit.io = read_io_stat(unit.cgroup_path);
      }
    }
  }
  if (media_) {
    s.media_sessions = media_->sessions();
    s.media_provider_reachable = media_->reachable();
  }
  s.io_trigger_fired = std::exchange(io_edge_, false);
  s.memory_trigger_fired = std::exchange(memory_edge_, false);
  s.io_trigger_proven_percent = std::exchange(io_edge_proven_, 0);
  s.memory_trigger_proven_percent = std::exchange(memory_edge_proven_, 0);
  return s;
}

}  // namespace adrg
