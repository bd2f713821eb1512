// cgroup v2 event files (Documentation/admin-guide/cgroup-v2.rst): cgroup.events
// ("populated 1\nfrozen 0") and memory.events (low/high/max/oom/oom_kill/oom_group_kill). The
// kernel raises IN_MODIFY on both whenever a value changes (cgroup_file_notify), which is how
// the completion of a cgroup.freeze ("frozen 1") and OOM kills are seen without polling.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/reactor.h"
#include "core/result.h"

namespace adrg {

struct CgroupEvents {
  bool populated = false;
  bool frozen = false;  // absent before 5.2: reads as false
  bool operator==(const CgroupEvents&) const = default;
};

struct MemoryEvents {
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  std::uint64_t max = 0;
  std::uint64_t oom = 0;
  std::uint64_t oom_kill = 0;
  std::uint64_t oom_group_kill = 0;  // since 5.17: reads as 0 before
  bool operator==(const MemoryEvents&) const = default;
};

// Pure parsers of "key value" lines. Unknown keys are ignored (the kernel adds keys over time);
// a line that is not exactly "key value" with an unsigned value, a duplicate key, or a missing
// required key (cgroup.events: populated; memory.events: low high max oom oom_kill) is an error.
Result<CgroupEvents> parse_cgroup_events(std::string_view text);
Result<MemoryEvents> parse_memory_events(std::string_view text);

struct CgroupEvent {
  enum class Kind { kPopulatedChanged, kFrozenChanged, kOomKill };
  Kind kind = Kind::kFrozenChanged;
  std::string unit_id;
  std::string cgroup_dir;
  bool value = false;       // new populated / frozen value
  std::uint64_t delta = 0;  // kOomKill: how many OOM kills since the last read
  std::uint64_t total = 0;  // kOomKill: oom_kill counter now
};
std::string_view to_string(CgroupEvent::Kind kind);

// Watches cgroup.events and (when present: the memory controller may not be enabled on the
// hierarchy) memory.events of each governed cgroup through Reactor::watch_path (IN_MODIFY), and
// reports what changed since the previous read. The first read when a cgroup is added sets the
// baseline and reports nothing.
class CgroupEventsWatcher {
 public:
  using Callback = std::function<void(const CgroupEvent& event)>;

  CgroupEventsWatcher(Reactor& reactor, Callback callback);
  ~CgroupEventsWatcher();
  CgroupEventsWatcher(const CgroupEventsWatcher&) = delete;
  CgroupEventsWatcher& operator=(const CgroupEventsWatcher&) = delete;

  // Replaces an earlier watch of the same unit. Fails when cgroup.events cannot be read/watched.
  Status watch(const std::string& unit_id, const std::string& cgroup_dir);
  void unwatch(const std::string& unit_id);
  void clear();
  // Re-reads every watched cgroup (after an inotify queue overflow, or on the reconcile tick).
  void rescan();

  bool watching(const std::string& unit_id) const { return units_.contains(unit_id); }
  std::optional<CgroupEvents> events(const std::string& unit_id) const;
  std::optional<MemoryEvents> memory_events(const std::string& unit_id) const;

 private:
  struct Unit {
    std::string cgroup_dir;
    Reactor::Id events_watch = 0;
    Reactor::Id memory_watch = 0;
    CgroupEvents events;
    std::optional<MemoryEvents> memory;
  };
  void on_cgroup_events(const std::string& unit_id, std::uint32_t mask);
  void on_memory_events(const std::string& unit_id, std::uint32_t mask);
  void cancel_watches(Unit& unit);

  Reactor& reactor_;
  Callback callback_;
  std::map<std::string, std::unique_ptr<Unit>> units_;
};

}  // namespace adrg
