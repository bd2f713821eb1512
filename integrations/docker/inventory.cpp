#include "integrations/docker/inventory.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>

#include "core/fs.h"

namespace adrg::docker {
namespace {

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::uint64_t> read_u64(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return std::nullopt;
  std::string trimmed = trim(*text);
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

// Bounds the "died, not destroyed" set when destroys were missed during a dockerd outage.
constexpr std::size_t kMaxStoppedIds = 4096;

}  // namespace

std::string_view to_string(UnitChangeKind kind) {
  switch (kind) {
    case UnitChangeKind::kStarted:
      return "started";
    case UnitChangeKind::kRestarted:
      return "restarted";
    case UnitChangeKind::kRemoved:
      return "removed";
    case UnitChangeKind::kRenamed:
      return "renamed";
    case UnitChangeKind::kTierChanged:
      return "tier_changed";
    case UnitChangeKind::kPaused:
      return "paused";
    case UnitChangeKind::kUnpaused:
      return "unpaused";
    case UnitChangeKind::kUnpausedExternally:
      return "unpaused_externally";
    case UnitChangeKind::kUpdated:
      return "updated";
  }
  return "unknown";
}

std::string detect_cgroup_v2_root(const std::string& cgroup_root) {
  if (path_exists(join_path(cgroup_root, "cgroup.controllers"))) return cgroup_root;
  std::string unified = join_path(cgroup_root, "unified");
  if (path_exists(join_path(unified, "cgroup.controllers"))) return unified;
  return {};
}

std::string resolve_container_cgroup_by_id(const std::string& v2_root, const std::string& id) {
  if (v2_root.empty() || id.empty()) return {};
  for (const std::string& candidate :
       {v2_root + "/docker/" + id, v2_root + "/system.slice/docker-" + id + ".scope"}) {
    if (path_exists(candidate)) return candidate;
  }
  return {};
}

std::string resolve_container_cgroup(const std::string& v2_root, const ProcCgroup& cgroup,
                                     const std::string& id) {
  if (v2_root.empty()) return {};
  std::string direct = v2_root + cgroup.path;
  if (!cgroup.outside_namespace && path_exists(direct)) return direct;
  if (std::string by_id = resolve_container_cgroup_by_id(v2_root, id); !by_id.empty()) {
    return by_id;
  }
  if (cgroup.outside_namespace && path_exists(direct)) return direct;
  return {};
}

DockerInventory::DockerInventory(Reactor& reactor, DockerClient& client, const Config& config,
                                 const Clock& clock, InventoryOptions options)
    : reactor_(reactor),
      client_(client),
      clock_(clock),
      options_(std::move(options)),
      tiers_(config.tiers),
      protected_patterns_(config.protected_containers),
      backoff_(options_.backoff_initial, options_.backoff_max) {
  v2_root_ = detect_cgroup_v2_root(options_.cgroup_root);
  if (v2_root_.empty()) {
    spdlog::warn("docker: no cgroup v2 hierarchy under {}; container cgroup paths stay empty",
                 options_.cgroup_root);
  }
}

DockerInventory::~DockerInventory() {
  stop();
  alive_.reset();
}

void DockerInventory::start() {
  if (phase_ != Phase::kStopped) return;
  connect();
}

void DockerInventory::stop() {
  if (stream_ != 0) client_.cancel(stream_);
  stream_ = 0;
  if (retry_timer_ != 0) reactor_.cancel(retry_timer_);
  retry_timer_ = 0;
  ++epoch_;
  queued_.clear();
  phase_ = Phase::kStopped;
  connected_ = false;  // no callback: stop() runs from destructors too
}

void DockerInventory::resync() {
  if (phase_ == Phase::kLive) {
    start_sync();  // the stream stays; its events queue until the sync is applied
  } else if (phase_ == Phase::kWaitingRetry) {
    connect();
  }
}

void DockerInventory::set_connected(bool connected) {
  if (connected == connected_) return;
  connected_ = connected;
  if (on_connection_) on_connection_(connected);
}

void DockerInventory::connect() {
  if (stream_ != 0) client_.cancel(stream_);
  stream_ = 0;
  if (retry_timer_ != 0) reactor_.cancel(retry_timer_);
  retry_timer_ = 0;
  phase_ = Phase::kConnecting;
  std::uint64_t epoch = ++epoch_;
  std::weak_ptr<bool> alive = alive_;
  // Negotiate on every connect: the daemon that comes back may be another version.
  client_.negotiate([this, alive, epoch](const Result<VersionInfo>& version) {
    if (alive.expired() || epoch != epoch_) return;
    if (!version.ok()) {
      fail(version.error().describe());
      return;
    }
    subscribe();
  });
}

void DockerInventory::subscribe() {
  std::uint64_t epoch = epoch_;
  phase_ = Phase::kSyncing;
  queued_.clear();
  std::weak_ptr<bool> alive = alive_;
  // Subscribe first, with since=now, then list: an event between the two is replayed by Docker
  // instead of lost. Events are queued until the listed state is applied, then run in order.
  double since = clock_.wall_seconds();
  stream_ = client_.watch_events(
      [this, alive, epoch](const DockerEvent& event) {
        if (alive.expired() || epoch != epoch_) return;
        if (phase_ == Phase::kSyncing) {
          queued_.push_back(event);
        } else {
          handle_event(event);
        }
      },
      [this, alive, epoch](const Status& status) {
        if (alive.expired() || epoch != epoch_) return;
        stream_ = 0;
        fail(status.ok() ? std::string("docker events stream ended") : status.error().describe());
      },
      since);
  start_sync();
}

void DockerInventory::start_sync() {
  std::uint64_t epoch = epoch_;
  std::uint64_t sync = ++sync_id_;
  phase_ = Phase::kSyncing;
  std::weak_ptr<bool> alive = alive_;
  client_.list_running([this, alive, epoch, sync](Result<std::vector<ContainerSummary>> list) {
    if (alive.expired() || epoch != epoch_ || sync != sync_id_) return;
    if (!list.ok()) {
      fail(list.error().describe());
      return;
    }
    std::vector<std::string> ids;
    for (const ContainerSummary& summary : *list) {
      if (std::find(ids.begin(), ids.end(), summary.id) == ids.end()) ids.push_back(summary.id);
    }
    client_.inspect_all(
        ids, [this, alive, epoch, sync, ids](std::vector<Result<ContainerInspect>> inspected) {
          if (alive.expired() || epoch != epoch_ || sync != sync_id_) return;
          finish_sync(ids, std::move(inspected));
        });
  });
}

void DockerInventory::finish_sync(const std::vector<std::string>& ids,
                                  std::vector<Result<ContainerInspect>> inspected) {
  std::uint64_t epoch = epoch_;
  std::vector<UnitChange> changes;
  std::set<std::string> running;
  for (std::size_t i = 0; i < inspected.size(); ++i) {
    Result<ContainerInspect>& result = inspected[i];
    if (!result.ok()) {
      // 404: gone between list and inspect. Anything else is a hiccup: keep what we knew.
      spdlog::debug("docker: resync inspect failed: {}", result.error().describe());
      if (result.error().code != std::errc::no_such_file_or_directory) running.insert(ids[i]);
      continue;
    }
    if (result->running) running.insert(result->id);
    apply_inspect(*result, changes);
  }
  // What we knew but Docker no longer runs died while we were not listening.
  std::vector<std::string> vanished;
  for (const auto& [id, entry] : entries_) {
    if (!running.contains(id)) vanished.push_back(id);
  }
  for (const std::string& id : vanished) remove_entry(id, false, changes);
  // Inspect generations of containers that are not running: this sync is newer than any
  // answer still in flight for them, and destroys missed during an outage would leak here.
  std::erase_if(inspect_gen_, [this](const auto& item) { return !entries_.contains(item.first); });

  ++sync_count_;
  phase_ = Phase::kLive;
  backoff_.reset();
  failures_ = 0;
  last_error_.clear();
  rebuild_units();
  spdlog::info("docker: inventory synced: {} governed, {} unmanaged, {} changes (API {})",
               units_.size(), entries_.size() - units_.size(), changes.size(),
               client_.api_version());
  set_connected(true);
  if (epoch != epoch_) return;  // a callback restarted us
  if (!ready_) {
    ready_ = true;
    if (on_ready_) on_ready_(units_);
  } else {
    publish(changes);
  }
  if (epoch != epoch_) return;
  auto queued = std::move(queued_);
  queued_.clear();
  for (std::size_t i = 0; i < queued.size(); ++i) {
    if (phase_ == Phase::kSyncing) {
      // A callback asked for another resync: the rest waits for that one, in order.
      queued_.insert(queued_.begin(), queued.begin() + static_cast<std::ptrdiff_t>(i),
                     queued.end());
      return;
    }
    handle_event(queued[i]);
    if (epoch != epoch_) return;
  }
}

void DockerInventory::fail(const std::string& why) {
  if (stream_ != 0) client_.cancel(stream_);
  stream_ = 0;
  ++epoch_;
  queued_.clear();
  last_error_ = why;
  phase_ = Phase::kWaitingRetry;
  Duration delay = backoff_.next();
  // A long outage retries every 5 s: say so at the start and then once a minute.
  if (failures_++ % 12 == 0) {
    spdlog::warn("docker: {}; reconnecting in {:.1f} s", why, to_seconds(delay));
  } else {
    spdlog::debug("docker: {}; reconnecting in {:.1f} s", why, to_seconds(delay));
  }
  set_connected(false);
  if (phase_ != Phase::kWaitingRetry) return;  // the callback stopped or restarted us
  std::weak_ptr<bool> alive = alive_;
  auto timer = reactor_.add_timer(delay, Duration::zero(), [this, alive]() {
    if (alive.expired()) return;
    retry_timer_ = 0;
    if (phase_ == Phase::kWaitingRetry) connect();
  });
  if (!timer.ok()) {
    spdlog::error("docker: cannot arm the reconnect timer: {}", timer.error().describe());
    return;
  }
  retry_timer_ = *timer;
}

void DockerInventory::handle_event(const DockerEvent& event) {
  if (event.type != "container" || event.id.empty()) return;
  const std::string& action = event.action;
  std::vector<UnitChange> changes;
  auto it = entries_.find(event.id);
  if (action == "start") {
    inspect_and_apply(event.id);
  } else if (action == "die") {
    inspect_gen_[event.id] = next_gen_++;  // an inspect in flight must not re-add it
    remove_entry(event.id, false, changes);
  } else if (action == "destroy") {
    inspect_gen_.erase(event.id);
    remove_entry(event.id, true, changes);
  } else if (it == entries_.end()) {
    // pause/rename/... of a container whose start inspect is still in flight: that answer may
    // predate this event, so ask again.
    if (inspect_gen_.contains(event.id) &&
        (action == "pause" || action == "unpause" || action == "rename")) {
      inspect_and_apply(event.id);
    }
  } else if (action == "kill") {
    it->second.stopping = true;
  } else if (action == "pause") {
    Entry& entry = it->second;
    if (!entry.paused) {
      entry.paused = true;
      entry.paused_externally = !entry.paused_by_adrg;
      if (entry.tier) changes.push_back({UnitChangeKind::kPaused, entry.id, entry.name});
      if (entry.paused_externally) spdlog::info("docker: {} paused (not by adrg)", entry.name);
    }
  } else if (action == "unpause") {
    Entry& entry = it->second;
    if (entry.paused) {
      bool external = entry.paused_by_adrg && !entry.stopping;
      entry.paused = false;
      entry.paused_by_adrg = false;
      entry.paused_externally = false;
      if (external) {
        spdlog::warn("docker: {} was paused by adrg and has been unpaused by someone else",
                     entry.name);
      }
      if (entry.tier) {
        changes.push_back(
            {external ? UnitChangeKind::kUnpausedExternally : UnitChangeKind::kUnpaused, entry.id,
             entry.name});
      }
    }
  } else if (action == "rename") {
    Entry& entry = it->second;
    if (!event.name.empty() && event.name != entry.name) {
      std::string old_name = entry.name;
      entry.name = event.name;
      evaluate_tier(entry, old_name, true, changes);
    }
  } else if (action == "oom") {
    spdlog::warn("docker: {} hit its memory limit (OOM kill)", it->second.name);
  } else if (action == "update") {
    if (it->second.tier) changes.push_back({UnitChangeKind::kUpdated, it->first, it->second.name});
  }
  publish(changes);
}

void DockerInventory::inspect_and_apply(const std::string& id) {
  std::uint64_t gen = next_gen_++;
  inspect_gen_[id] = gen;
  std::uint64_t epoch = epoch_;
  std::weak_ptr<bool> alive = alive_;
  client_.inspect(id, [this, alive, epoch, gen, id](Result<ContainerInspect> inspect) {
    if (alive.expired() || epoch != epoch_) return;
    auto it = inspect_gen_.find(id);
    if (it == inspect_gen_.end() || it->second != gen) return;  // a die/destroy came since
    if (!inspect.ok()) {
      spdlog::debug("docker: inspect after event failed: {}", inspect.error().describe());
      return;
    }
    std::vector<UnitChange> changes;
    apply_inspect(*inspect, changes);
    publish(changes);
  });
}

void DockerInventory::apply_inspect(const ContainerInspect& inspect,
                                    std::vector<UnitChange>& changes) {
  if (!inspect.running || inspect.pid <= 0) {
    remove_entry(inspect.id, false, changes);
    return;
  }
  auto it = entries_.find(inspect.id);
  if (it == entries_.end()) {
    bool was_stopped = stopped_.erase(inspect.id) > 0;
    Entry entry;
    entry.id = inspect.id;
    entry.name = inspect.name;
    entry.labels = inspect.labels;
    entry.pid = inspect.pid;
    entry.paused = inspect.paused;
    entry.paused_externally = inspect.paused;  // unless adopt_paused() says otherwise
    read_cgroup(entry);
    read_memory(entry);
    Entry& stored = entries_.emplace(entry.id, std::move(entry)).first->second;
    std::string label_error;
    stored.tier = match_tier(stored.name, stored.labels, tiers_, &label_error);
    if (!label_error.empty()) spdlog::warn("docker: {}: {}", stored.name, label_error);
    stored.is_protected =
        stored.tier && is_protected_container(stored.name, *stored.tier, protected_patterns_);
    if (stored.tier) {
      changes.push_back({was_stopped ? UnitChangeKind::kRestarted : UnitChangeKind::kStarted,
                         stored.id, stored.name});
      spdlog::debug("docker: {} {} (tier {}, pid {}, cgroup {})", stored.name,
                    was_stopped ? "restarted" : "started", *stored.tier, stored.pid,
                    stored.cgroup_path);
    }
    return;
  }
  Entry& entry = it->second;
  if (inspect.pid != entry.pid) {
    // Same id, new process: restarted while we did not see the die (outage) or raced it.
    entry.pid = inspect.pid;
    entry.stopping = false;
    entry.paused = inspect.paused;
    entry.paused_by_adrg = false;
    entry.paused_externally = inspect.paused;
    read_cgroup(entry);
    read_memory(entry);
    if (entry.tier) changes.push_back({UnitChangeKind::kRestarted, entry.id, entry.name});
  } else if (inspect.paused != entry.paused) {
    // Only a resync gets here (events keep `paused` current otherwise).
    entry.paused = inspect.paused;
    UnitChangeKind kind = UnitChangeKind::kPaused;
    if (inspect.paused) {
      entry.paused_externally = !entry.paused_by_adrg;
    } else {
      kind = entry.paused_by_adrg ? UnitChangeKind::kUnpausedExternally : UnitChangeKind::kUnpaused;
      if (entry.paused_by_adrg) {
        spdlog::warn("docker: {} was paused by adrg and is running again", entry.name);
      }
      entry.paused_by_adrg = false;
      entry.paused_externally = false;
    }
    if (entry.tier) changes.push_back({kind, entry.id, entry.name});
  }
  if (inspect.name != entry.name) {
    std::string old_name = entry.name;
    entry.name = inspect.name;
    evaluate_tier(entry, old_name, true, changes);
  }
}

void DockerInventory::remove_entry(const std::string& id, bool destroyed,
                                   std::vector<UnitChange>& changes) {
  if (destroyed) {
    stopped_.erase(id);
  } else {
    if (stopped_.size() >= kMaxStoppedIds) stopped_.clear();
    stopped_.insert(id);
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (it->second.tier) {
    changes.push_back({UnitChangeKind::kRemoved, id, it->second.name});
    spdlog::debug("docker: {} removed", it->second.name);
  }
  entries_.erase(it);
}

void DockerInventory::evaluate_tier(Entry& entry, const std::string& old_name, bool was_known,
                                    std::vector<UnitChange>& changes) {
  std::optional<int> old_tier = entry.tier;
  bool old_protected = entry.is_protected;
  std::string label_error;
  entry.tier = match_tier(entry.name, entry.labels, tiers_, &label_error);
  if (!label_error.empty()) spdlog::warn("docker: {}: {}", entry.name, label_error);
  entry.is_protected =
      entry.tier && is_protected_container(entry.name, *entry.tier, protected_patterns_);
  bool renamed = was_known && old_name != entry.name;
  if (!old_tier && entry.tier) {
    changes.push_back({UnitChangeKind::kStarted, entry.id, entry.name, old_name});
  } else if (old_tier && !entry.tier) {
    changes.push_back({UnitChangeKind::kRemoved, entry.id, entry.name, old_name});
  } else if (old_tier && entry.tier) {
    if (renamed) changes.push_back({UnitChangeKind::kRenamed, entry.id, entry.name, old_name});
    if (*old_tier != *entry.tier || old_protected != entry.is_protected) {
      changes.push_back({UnitChangeKind::kTierChanged, entry.id, entry.name, old_name, *old_tier});
    }
  }
}

void DockerInventory::read_cgroup(Entry& entry) {
  std::string proc_file = options_.proc_root + "/" + std::to_string(entry.pid) + "/cgroup";
  auto text = read_text_file(proc_file);
  if (!text.ok()) {
    // adrg in a container without --pid host does not see the host's pids: Docker's own
    // layouts by id still find the cgroup (container_env.h logs the fix once at start-up).
    entry.cgroup_path = resolve_container_cgroup_by_id(v2_root_, entry.id);
    entry.v1_memory_path.clear();
    if (entry.cgroup_path.empty()) {
      spdlog::warn("docker: {}: {}", entry.name, text.error().describe());
    } else {
      spdlog::debug("docker: {}: {} not readable, cgroup found by id: {}", entry.name, proc_file,
                    entry.cgroup_path);
    }
    return;
  }
  auto parsed = parse_cgroup_file(*text);
  if (!parsed.ok()) {
    spdlog::warn("docker: {}: {}", entry.name, parsed.error().describe());
    entry.cgroup_path.clear();
    return;
  }
  entry.cgroup_path = resolve_container_cgroup(v2_root_, *parsed, entry.id);
  entry.v1_memory_path = parsed->v1_memory_path;
}

void DockerInventory::read_memory(Entry& entry) const {
  if (!entry.cgroup_path.empty()) {
    if (auto value = read_u64(entry.cgroup_path + "/memory.current")) {
      entry.memory_current = *value;
      return;
    }
  }
  // Hybrid hosts have no memory controller in v2: the v1 memory cgroup has the same number.
  if (!entry.v1_memory_path.empty()) {
    if (auto value = read_u64(options_.cgroup_root + "/memory" + entry.v1_memory_path +
                              "/memory.usage_in_bytes")) {
      entry.memory_current = *value;
      return;
    }
  }
  entry.memory_current = 0;
}

UnitSnapshot DockerInventory::to_unit(const Entry& entry) const {
  UnitSnapshot unit;
  unit.id = entry.id;
  unit.name = entry.name;
  unit.kind = UnitKind::kContainer;
  unit.tier = entry.tier.value_or(1);
  unit.is_protected = entry.is_protected;
  unit.cgroup_path = entry.cgroup_path;
  unit.memory_current = entry.memory_current;
  unit.running = true;
  unit.paused_externally = entry.paused && entry.paused_externally;
  return unit;
}

void DockerInventory::rebuild_units() {
  units_.clear();
  for (const auto& [id, entry] : entries_) {
    if (entry.tier) units_.push_back(to_unit(entry));
  }
  std::sort(units_.begin(), units_.end(), [](const UnitSnapshot& a, const UnitSnapshot& b) {
    return a.name != b.name ? a.name < b.name : a.id < b.id;
  });
}

void DockerInventory::publish(const std::vector<UnitChange>& changes) {
  if (changes.empty()) return;
  rebuild_units();
  if (!ready_) return;  // the first sync reports everything through on_ready
  if (on_change_) on_change_(units_, changes);
}

void DockerInventory::reconfigure(const Config& config) {
  tiers_ = config.tiers;
  protected_patterns_ = config.protected_containers;
  std::vector<UnitChange> changes;
  for (auto& [id, entry] : entries_) evaluate_tier(entry, entry.name, false, changes);
  publish(changes);
}

const UnitSnapshot* DockerInventory::find(std::string_view id) const {
  for (const UnitSnapshot& unit : units_) {
    if (unit.id == id) return &unit;
  }
  return nullptr;
}

const UnitSnapshot* DockerInventory::find_by_name(std::string_view name) const {
  for (const UnitSnapshot& unit : units_) {
    if (unit.name == name) return &unit;
  }
  return nullptr;
}

std::vector<std::string> DockerInventory::unmanaged() const {
  std::vector<std::string> names;
  for (const auto& [id, entry] : entries_) {
    if (!entry.tier) names.push_back(entry.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool DockerInventory::is_paused(std::string_view id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.paused;
}

bool DockerInventory::paused_by_adrg(std::string_view id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.paused_by_adrg;
}

int DockerInventory::pid(std::string_view id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? 0 : it->second.pid;
}

void DockerInventory::refresh_memory() {
  for (auto& [id, entry] : entries_) {
    if (entry.tier) read_memory(entry);
  }
  for (UnitSnapshot& unit : units_) {
    if (auto it = entries_.find(unit.id); it != entries_.end()) {
      unit.memory_current = it->second.memory_current;
    }
  }
}

void DockerInventory::adopt_paused(const std::string& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.paused_by_adrg = true;
  it->second.paused_externally = false;
  rebuild_units();
}

void DockerInventory::pause_all(const std::vector<std::string>& ids, DockerClient::BatchDone done) {
  // Intent first: the pause event may arrive before the HTTP answer.
  for (const std::string& id : ids) {
    if (auto it = entries_.find(id); it != entries_.end()) it->second.paused_by_adrg = true;
  }
  std::weak_ptr<bool> alive = alive_;
  client_.pause_all(ids, [this, alive, done = std::move(done)](std::vector<OpResult> results) {
    if (alive.expired()) return;
    for (const OpResult& result : results) {
      // A timed-out pause may still land: the claim stays, so its late pause event is ours
      // (the actuator keeps it journaled and unpauses it when no longer wanted).
      if (result.status.ok() || outcome_unknown(result.status.error())) continue;
      if (auto it = entries_.find(result.id); it != entries_.end() && !it->second.paused) {
        it->second.paused_by_adrg = false;
      }
    }
    if (done) done(std::move(results));
  });
}

void DockerInventory::unpause_all(const std::vector<std::string>& ids,
                                  DockerClient::BatchDone done) {
  // Drop the claim first, so the unpause event that follows is not taken for a human's.
  std::set<std::string> were_ours;
  for (const std::string& id : ids) {
    if (auto it = entries_.find(id); it != entries_.end() && it->second.paused_by_adrg) {
      were_ours.insert(id);
      it->second.paused_by_adrg = false;
    }
  }
  std::weak_ptr<bool> alive = alive_;
  client_.unpause_all(ids, [this, alive, were_ours = std::move(were_ours),
                            done = std::move(done)](std::vector<OpResult> results) {
    if (alive.expired()) return;
    for (const OpResult& result : results) {
      // An unpause that may still land is not re-claimed: its late event is not a human's.
      if (result.status.ok() || !were_ours.contains(result.id) ||
          outcome_unknown(result.status.error())) {
        continue;
      }
      if (auto it = entries_.find(result.id); it != entries_.end() && it->second.paused) {
        it->second.paused_by_adrg = true;  // still paused: still ours
      }
    }
    if (done) done(std::move(results));
  });
}

void DockerInventory::restart_all(const std::vector<std::string>& ids, int stop_timeout_seconds,
                                  DockerClient::BatchDone done) {
  std::weak_ptr<bool> alive = alive_;
  client_.restart_all(ids, stop_timeout_seconds,
                      [alive, done = std::move(done)](std::vector<OpResult> results) {
                        if (alive.expired()) return;
                        if (done) done(std::move(results));
                      });
}

}  // namespace adrg::docker
