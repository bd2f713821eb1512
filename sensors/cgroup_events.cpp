#include "sensors/cgroup_events.h"

#include <spdlog/spdlog.h>
#include <sys/inotify.h>

#include <charconv>
#include <set>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace adrg {

namespace {

Error parse_error(std::string_view file, std::string what) {
  return Error{std::make_error_code(std::errc::invalid_argument),
               std::string(file) + ": " + std::move(what)};
}

// Calls on_pair(key, value) for each "key value" line; blank lines are skipped.
template <typename F>
Status parse_flat_keyed(std::string_view file, std::string_view text, F on_pair) {
  std::set<std::string, std::less<>> seen;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    auto space = line.find_first_of(" \t");
    if (space == std::string::npos) return parse_error(file, "line without a value: " + line);
    std::string_view key(line.data(), space);
    std::string_view value = std::string_view(line).substr(space);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    std::uint64_t number = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size()) {
      return parse_error(file, "bad value in line: " + line);
    }
    if (!seen.emplace(key).second) return parse_error(file, "duplicate key " + std::string(key));
    on_pair(key, number);
  }
  return {};
}

}  // namespace

Result<CgroupEvents> parse_cgroup_events(std::string_view text) {
  CgroupEvents events;
  bool have_populated = false;
  auto st = parse_flat_keyed("cgroup.events", text, [&](std::string_view key, std::uint64_t v) {
    if (key == "populated") {
      events.populated = v != 0;
      have_populated = true;
    } else if (key == "frozen") {
      events.frozen = v != 0;
    }
  });
  if (!st) return st.error();
  if (!have_populated) return parse_error("cgroup.events", "no populated key");
  return events;
}

Result<MemoryEvents> parse_memory_events(std::string_view text) {
  MemoryEvents events;
  int required = 0;
  auto st = parse_flat_keyed("memory.events", text, [&](std::string_view key, std::uint64_t v) {
    struct Field {
      std::string_view name;
      std::uint64_t MemoryEvents::*member;
      bool required;
    };
    static constexpr Field kFields[] = {{"low", &MemoryEvents::low, true},
                                        {"high", &MemoryEvents::high, true},
                                        {"max", &MemoryEvents::max, true},
                                        {"oom", &MemoryEvents::oom, true},
                                        {"oom_kill", &MemoryEvents::oom_kill, true},
                                        {"oom_group_kill", &MemoryEvents::oom_group_kill, false}};
    for (const auto& field : kFields) {
      if (key == field.name) {
        events.*field.member = v;
        required += field.required ? 1 : 0;
      }
    }
  });
  if (!st) return st.error();
  if (required != 5) {
    return parse_error("memory.events", "missing one of low, high, max, oom, oom_kill");
  }
  return events;
}

std::string_view to_string(CgroupEvent::Kind kind) {
  switch (kind) {
    case CgroupEvent::Kind::kPopulatedChanged:
      return "populated_changed";
    case CgroupEvent::Kind::kFrozenChanged:
      return "frozen_changed";
    case CgroupEvent::Kind::kOomKill:
      return "oom_kill";
  }
  return "unknown";
}

CgroupEventsWatcher::CgroupEventsWatcher(Reactor& reactor, Callback callback)
    : reactor_(reactor), callback_(std::move(callback)) {}

CgroupEventsWatcher::~CgroupEventsWatcher() { clear(); }

Status CgroupEventsWatcher::watch(const std::string& unit_id, const std::string& cgroup_dir) {
  unwatch(unit_id);
  auto unit = std::make_unique<Unit>();
  unit->cgroup_dir = cgroup_dir;
  const std::string events_path = join_path(cgroup_dir, "cgroup.events");
  // Watch first, then read the baseline: a change in between is then seen by the watch.
  auto events_watch = reactor_.watch_path(
      events_path, IN_MODIFY,
      [this, unit_id](std::uint32_t mask, std::string_view) { on_cgroup_events(unit_id, mask); });
  if (!events_watch) return events_watch.error();
  unit->events_watch = *events_watch;
  auto text = read_text_file(events_path);
  auto parsed = text ? parse_cgroup_events(*text) : Result<CgroupEvents>(text.error());
  if (!parsed) {
    cancel_watches(*unit);
    return parsed.error();
  }
  unit->events = *parsed;

  const std::string memory_path = join_path(cgroup_dir, "memory.events");
  if (auto mtext = read_text_file(memory_path)) {
    if (auto mparsed = parse_memory_events(*mtext)) {
      auto memory_watch = reactor_.watch_path(
          memory_path, IN_MODIFY, [this, unit_id](std::uint32_t mask, std::string_view) {
            on_memory_events(unit_id, mask);
          });
      if (memory_watch) {
        unit->memory_watch = *memory_watch;
        unit->memory = *mparsed;
      } else {
        spdlog::warn("cgroup events: cannot watch {}: {}", memory_path,
                     memory_watch.error().describe());
      }
    } else {
      spdlog::warn("cgroup events: {}", mparsed.error().describe());
    }
  }  // else: no memory controller on this cgroup (hybrid hierarchy): no OOM events
  units_[unit_id] = std::move(unit);
  return {};
}

void CgroupEventsWatcher::cancel_watches(Unit& unit) {
  if (unit.events_watch) reactor_.cancel(unit.events_watch);
  if (unit.memory_watch) reactor_.cancel(unit.memory_watch);
  unit.events_watch = unit.memory_watch = 0;
}

void CgroupEventsWatcher::unwatch(const std::string& unit_id) {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return;
  cancel_watches(*it->second);
  units_.erase(it);
}

void CgroupEventsWatcher::clear() {
  for (auto& [id, unit] : units_) cancel_watches(*unit);
  units_.clear();
}

void CgroupEventsWatcher::rescan() {
  std::vector<std::string> ids;
  for (const auto& [id, unit] : units_) ids.push_back(id);
  for (const auto& id : ids) {
    on_cgroup_events(id, IN_MODIFY);
    on_memory_events(id, IN_MODIFY);
  }
}

std::optional<CgroupEvents> CgroupEventsWatcher::events(const std::string& unit_id) const {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return std::nullopt;
  return it->second->events;
}

std::optional<MemoryEvents> CgroupEventsWatcher::memory_events(const std::string& unit_id) const {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return std::nullopt;
  return it->second->memory;
}

void CgroupEventsWatcher::on_cgroup_events(const std::string& unit_id, std::uint32_t mask) {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return;
  Unit& unit = *it->second;
  if (mask & IN_IGNORED) {  // the cgroup was removed: the kernel dropped the watch
    unit.events_watch = 0;
    return;
  }
  auto text = read_text_file(join_path(unit.cgroup_dir, "cgroup.events"));
  if (!text) return;  // removed under us; IN_IGNORED follows
  auto parsed = parse_cgroup_events(*text);
  if (!parsed) {
    spdlog::warn("cgroup events of {}: {}", unit_id, parsed.error().describe());
    return;
  }
  const CgroupEvents before = unit.events;
  unit.events = *parsed;
  const std::string dir = unit.cgroup_dir;  // the callbacks below may unwatch this unit
  if (before.populated != parsed->populated && callback_) {
    callback_(CgroupEvent{CgroupEvent::Kind::kPopulatedChanged, unit_id, dir, parsed->populated});
  }
  if (before.frozen != parsed->frozen && callback_) {
    callback_(CgroupEvent{CgroupEvent::Kind::kFrozenChanged, unit_id, dir, parsed->frozen});
  }
}

void CgroupEventsWatcher::on_memory_events(const std::string& unit_id, std::uint32_t mask) {
  auto it = units_.find(unit_id);
  if (it == units_.end() || !it->second->memory) return;
  Unit& unit = *it->second;
  if (mask & IN_IGNORED) {
    unit.memory_watch = 0;
    return;
  }
  auto text = read_text_file(join_path(unit.cgroup_dir, "memory.events"));
  if (!text) return;
  auto parsed = parse_memory_events(*text);
  if (!parsed) {
    spdlog::warn("memory events of {}: {}", unit_id, parsed.error().describe());
    return;
  }
  const std::uint64_t before = unit.memory->oom_kill;
  unit.memory = *parsed;
  if (parsed->oom_kill > before && callback_) {
    CgroupEvent event{CgroupEvent::Kind::kOomKill, unit_id, unit.cgroup_dir, false};
    event.delta = parsed->oom_kill - before;
    event.total = parsed->oom_kill;
    callback_(event);
  }
}

}  // namespace adrg
