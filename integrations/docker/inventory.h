// DockerInventory: every running container as a UnitSnapshot, kept current from Docker's event
// stream, with a full resync after every (re)connect. It is the governor's only view of
// containers; the actuator re-applies tier baselines and active overrides when it reports a
// unit started/restarted (Docker recreates the cgroup on every start, so direct cgroup writes
// are lost; docs/ARCHITECTURE.md, invariants).
//
// Lifecycle: start() -> GET /version (negotiate) -> GET /events?since=<now> (queued while
// syncing) -> GET /containers/json -> inspect all concurrently -> diff against what we knew ->
// on_ready (first time) or on_change (resync) -> apply the queued events -> live. When the
// stream ends (dockerd restart) the inventory keeps its units, reconnects with exponential
// backoff (100 ms doubling to 5 s) and resyncs.
//
// Containers that no tier names (no glob match, no adrg.tier label) are NOT governed: ADRG
// leaves them alone, so they are tracked internally (a rename can make them governed) but are
// not in units() and produce no changes. See unmanaged().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/reactor.h"
#include "integrations/docker/docker_client.h"
#include "integrations/docker/policy.h"
#include "sensors/snapshot.h"

namespace adrg::docker {

enum class UnitChangeKind {
  kStarted,      // a governed container now runs that did not (new id; compose recreate): apply
                 // the tier baseline and every active override
  kRestarted,    // the same id runs again with a new process (docker restart, restart policy, or a
                 // resync saw a new State.Pid): its cgroup is new, re-apply everything
  kRemoved,      // died, destroyed, vanished during a dockerd outage, or became unmanaged
  kRenamed,      // old_name -> name; a kTierChanged follows when the tier changed with it
  kTierChanged,  // tier or protection changed (rename, reconfigure): re-apply the baseline
  kPaused,       // Docker paused it; UnitSnapshot::paused_externally says whether adrg did
  kUnpaused,     // unpaused by adrg, or thawed by Docker while stopping it
  kUnpausedExternally,  // a container adrg paused was unpaused by someone else (logged)
  kUpdated,  // `docker update`: limits may have been rewritten behind the actuator's back
};
std::string_view to_string(UnitChangeKind kind);

struct UnitChange {
  UnitChangeKind kind;
  std::string id;
  std::string name;
  std::string old_name;  // kRenamed
  int old_tier = -1;     // kTierChanged
};

struct InventoryOptions {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  Duration backoff_initial = std::chrono::milliseconds(100);
  Duration backoff_max = std::chrono::seconds(5);
};

// The cgroup v2 mount under cgroup_root: cgroup_root itself on a pure v2 host (it has
// cgroup.controllers), <cgroup_root>/unified on a hybrid host (Debian 12 with Docker 20.10 here:
// v1 controllers plus an empty v2 hierarchy), "" when there is none.
std::string detect_cgroup_v2_root(const std::string& cgroup_root);

// The container's cgroup v2 directory from its parsed /proc/<pid>/cgroup. When the path
// escaped our cgroup namespace (adrg in a container) or does not exist, the usual Docker
// layouts are tried by id: <v2>/docker/<id> (cgroupfs) and <v2>/system.slice/docker-<id>.scope
// (systemd). "" when nothing exists.
std::string resolve_container_cgroup(const std::string& v2_root, const ProcCgroup& cgroup,
                                     const std::string& id);
// Docker's layouts by container id only: when /proc/<pid>/cgroup cannot be read (adrg in a
// container with a private pid namespace). "" when neither exists.
std::string resolve_container_cgroup_by_id(const std::string& v2_root, const std::string& id);

class DockerInventory {
 public:
  using ReadyCallback = std::function<void(const std::vector<UnitSnapshot>& units)>;
  using ChangeCallback = std::function<void(const std::vector<UnitSnapshot>& units,
                                            const std::vector<UnitChange>& changes)>;
  using ConnectionCallback = std::function<void(bool connected)>;

  DockerInventory(Reactor& reactor, DockerClient& client, const Config& config, const Clock& clock,
                  InventoryOptions options = {});
  ~DockerInventory();  // stops; no callback runs afterwards
  DockerInventory(const DockerInventory&) = delete;
  DockerInventory& operator=(const DockerInventory&) = delete;

  void set_on_ready(ReadyCallback callback) { on_ready_ = std::move(callback); }
  void set_on_change(ChangeCallback callback) { on_change_ = std::move(callback); }
  // Transitions of the events stream (false while dockerd is away; units() stays as last known).
  void set_on_connection(ConnectionCallback callback) { on_connection_ = std::move(callback); }

  void start();
  void stop();
  // Forces a full list + inspect + diff now (the reconnect path uses the same code).
  void resync();
  // SIGHUP: new tiers and protected_containers; every container is re-evaluated and the
  // differences reported (kStarted / kRemoved / kTierChanged).
  void reconfigure(const Config& config);

  bool ready() const { return ready_; }
  bool connected() const { return connected_; }
  const std::string& last_error() const { return last_error_; }
  int sync_count() const { return sync_count_; }
  const std::string& cgroup_v2_root() const { return v2_root_; }

  // Governed containers, sorted by name. References and pointers are valid until the next
  // reactor callback of the inventory.
  const std::vector<UnitSnapshot>& units() const { return units_; }
  const UnitSnapshot* find(std::string_view id) const;
  const UnitSnapshot* find_by_name(std::string_view name) const;
  // Names of running containers that no tier governs (for --check-config and /status).
  std::vector<std::string> unmanaged() const;
  bool is_paused(std::string_view id) const;
  bool paused_by_adrg(std::string_view id) const;
  int pid(std::string_view id) const;

  // Re-reads memory.current of every unit (a few small cgroup file reads, on demand).
  void refresh_memory();

  // Concurrent operations (all requests in flight at once) that also keep the pause
  // bookkeeping: an id adrg paused and someone else unpauses is reported kUnpausedExternally.
  void pause_all(const std::vector<std::string>& ids, DockerClient::BatchDone done);
  void unpause_all(const std::vector<std::string>& ids, DockerClient::BatchDone done);
  void restart_all(const std::vector<std::string>& ids, int stop_timeout_seconds,
                   DockerClient::BatchDone done);
  // After a daemon restart the journal knows which paused containers adrg paused.
  void adopt_paused(const std::string& id);

 private:
  enum class Phase { kStopped, kConnecting, kSyncing, kLive, kWaitingRetry };

  struct Entry {
    std::string id;
    std::string name;
    Labels labels;
    std::optional<int> tier;  // nullopt: unmanaged
    bool is_protected = false;
    int pid = 0;
    bool paused = false;
    bool paused_by_adrg = false;     // adrg asked for the pause (set before the request)
    bool paused_externally = false;  // a pause adrg did not ask for
    bool stopping = false;           // a kill event came: Docker thaws paused containers to stop
    std::string cgroup_path;
    std::string v1_memory_path;
    std::uint64_t memory_current = 0;
  };

  void connect();
  void subscribe();
  void start_sync();
  void finish_sync(const std::vector<std::string>& ids,
                   std::vector<Result<ContainerInspect>> inspected);
  void set_connected(bool connected);
  void fail(const std::string& why);
  void handle_event(const DockerEvent& event);
  void inspect_and_apply(const std::string& id);
  // Upserts a running container or removes a stopped one; appends what changed.
  void apply_inspect(const ContainerInspect& inspect, std::vector<UnitChange>& changes);
  void remove_entry(const std::string& id, bool destroyed, std::vector<UnitChange>& changes);
  void evaluate_tier(Entry& entry, const std::string& old_name, bool was_known,
                     std::vector<UnitChange>& changes);
  void read_cgroup(Entry& entry);
  void read_memory(Entry& entry) const;
  UnitSnapshot to_unit(const Entry& entry) const;
  void publish(const std::vector<UnitChange>& changes);
  void rebuild_units();

  Reactor& reactor_;
  DockerClient& client_;
  const Clock& clock_;
  InventoryOptions options_;
  std::array<TierConfig, 4> tiers_;
  std::vector<std::string> protected_patterns_;
  std::string v2_root_;

  ReadyCallback on_ready_;
  ChangeCallback on_change_;
  ConnectionCallback on_connection_;

  Phase phase_ = Phase::kStopped;
  bool ready_ = false;
  int sync_count_ = 0;
  std::string last_error_;
  bool connected_ = false;
  std::uint64_t epoch_ = 0;    // bumped on every (re)connect: late answers of old ones are dropped
  std::uint64_t sync_id_ = 0;  // bumped per list+inspect round
  DockerClient::StreamId stream_ = 0;
  Reactor::Id retry_timer_ = 0;
  Backoff backoff_;
  int failures_ = 0;                 // consecutive failed (re)connects
  std::vector<DockerEvent> queued_;  // events that arrived while a sync was running

  std::map<std::string, Entry, std::less<>> entries_;  // every running container, governed or not
  std::set<std::string> stopped_;  // died but not destroyed: a later start is a restart
  // Per-id inspect generation: a die/destroy bumps it, so an inspect answer issued before the
  // die cannot resurrect the container.
  std::map<std::string, std::uint64_t> inspect_gen_;
  std::uint64_t next_gen_ = 1;

  std::vector<UnitSnapshot> units_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace adrg::docker
