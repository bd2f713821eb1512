#include "sensors/cgroup_inventory.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>

#include <algorithm>
#include <filesystem>

#include "core/fs.h"

namespace adrg {

CgroupInventory::CgroupInventory(Reactor& reactor, std::string root, UnitClassifier classify)
    : reactor_(reactor), root_(std::move(root)), classify_(std::move(classify)) {}

CgroupInventory::~CgroupInventory() {
  if (watch_ != 0) reactor_.cancel(watch_);
}

Status CgroupInventory::start() {
  auto id = reactor_.watch_path(root_, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM,
                                [this](std::uint32_t, std::string_view) { rescan(); });
  if (!id) return id.error();
  watch_ = *id;
  rescan();
  spdlog::info("cgroup units under {}: {}", root_, units_.size());
  return {};
}

void CgroupInventory::reconfigure(UnitClassifier classify) {
  classify_ = std::move(classify);
  if (watch_ != 0) rescan();
}

std::vector<UnitSnapshot> CgroupInventory::scan() const {
  std::vector<UnitSnapshot> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
    if (!entry.is_directory(ec)) continue;
    std::string name = entry.path().filename().string();
    auto unit_class = classify_(name);
    if (!unit_class) continue;  // like containers: a directory no tier names is left alone
    UnitSnapshot unit;
    unit.id = "cgroup:" + name;
    unit.name = name;
    unit.kind = UnitKind::kJob;
    unit.tier = unit_class->tier;
    unit.is_protected = unit_class->is_protected;
    unit.cgroup_path = entry.path().string();
    out.push_back(std::move(unit));
  }
  std::sort(out.begin(), out.end(),
            [](const UnitSnapshot& a, const UnitSnapshot& b) { return a.name < b.name; });
  return out;
}

void CgroupInventory::rescan() {
  auto next = scan();
  bool changed = next.size() != units_.size();
  for (std::size_t i = 0; !changed && i < next.size(); ++i) {
    changed = next[i].id != units_[i].id || next[i].tier != units_[i].tier ||
              next[i].is_protected != units_[i].is_protected;
  }
  for (auto& unit : next) {
    auto old = std::find_if(units_.begin(), units_.end(),
                            [&](const UnitSnapshot& u) { return u.id == unit.id; });
    if (old != units_.end()) unit.memory_current = old->memory_current;
  }
  units_ = std::move(next);
  if (changed && on_change_) on_change_();
}

void CgroupInventory::refresh_memory() {
  for (auto& unit : units_) {
    auto text = read_text_file(join_path(unit.cgroup_path, "memory.current"));
    if (text) unit.memory_current = std::strtoull(text->c_str(), nullptr, 10);
  }
}

}  // namespace adrg
