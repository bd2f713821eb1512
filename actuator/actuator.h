// The only code that changes the world: diffs the planner's DesiredState against what it has
// applied and writes cgroup v2 files (Documentation/admin-guide/cgroup-v2.rst), or asks Docker to
// pause a container. Every override is journaled with the file's ORIGINAL content before the
// file is written, and released by writing that original back. Dry-run lives here alone.
//
// A limit the user set is never loosened (limit_merge.h): memory.max, memory.high, cpu.max and
// io.max get the stricter of the user's value and adrg's. The user's value is the journaled
// original, or the file as it is when adrg has no entry for it. When the user's is stricter
// the file is left as it is (nothing written, nothing journaled; a value adrg wrote earlier is
// restored and its entry dropped), so a later `docker update` of that limit stands and is
// compared the next time adrg's wanted value changes. While adrg has an entry, the journaled
// original is what counts: a `docker update` then is not re-read (a restart of the container
// is not either: same cgroup path, same journal entries) and release writes the original back.
//
// Threading: apply(), start(), release_all(), on_unit_restarted() and every UnitPauser `done`
// run on the reactor thread. With a BlockingExecutor, journal fsyncs and cgroup writes (a
// memory.high / memory.max write reclaims synchronously and can take seconds) run on its worker,
// and the applied state changes when the completion is posted back. Without one (tests, the
// --cleanup CLI) everything runs inline.
//
// Per file at most one operation is in flight; when it completes and the desired value moved
// meanwhile, the next one starts at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actuator/applied_state.h"
#include "actuator/external_gate.h"
#include "actuator/journal.h"
#include "core/blocking_executor.h"
#include "core/result.h"
#include "enforcers/claims.h"
#include "sensors/snapshot.h"

namespace adrg {

struct ActuatorOptions {
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string journal_path = "/run/adrg/journal.json";
  std::string proc_root = "/proc";  // where the kernel's boot_id is read (Journal)
  bool dry_run = false;
  int cpu_count = 0;  // 0 = detect from <sys_root>/devices/system/cpu/online
  // "MAJ:MIN" of the disks io.max caps go to; empty = detect_io_devices(sys_root).
  std::vector<std::string> io_devices;
  std::string sys_root = "/sys";
  int cpu_period_us = 100000;
  // Relief (actuator/relief.h): hold a container at a near-zero cpu.max and a low io.max
  // while Docker pauses it. Off only to measure what it buys (general.instant_relief).
  bool instant_relief = true;
};

// Pauses a container through its runtime (Docker's pause API, which uses the v1 freezer Docker
// can see). Implemented in integrations/docker; `done` must run on the reactor thread. Both
// calls should be idempotent: "already paused" / "not paused" count as success, because after
// a crash the actuator replays its journal and may ask again.
class UnitPauser {
 public:
  virtual ~UnitPauser() = default;
  virtual void pause(const UnitSnapshot& unit, std::function<void(Status)> done) = 0;
  virtual void unpause(const UnitSnapshot& unit, std::function<void(Status)> done) = 0;
  // True when a failed call may still take effect (it timed out after reaching the runtime): a
  // pause that may land later stays journaled, so it is undone once no longer wanted.
  virtual bool outcome_unknown(const Error& /*error*/) const { return false; }
};

// Restarts a container through its runtime (Docker's restart API, which recreates its cgroup).
// A restart cannot be undone, so it is not journaled; it is still an effect, planned by the
// rules and made here, so dry-run and the count live in one place. `done` runs on the reactor
// thread.
class UnitRestarter {
 public:
  virtual ~UnitRestarter() = default;
  virtual void restart(const UnitSnapshot& unit, std::function<void(Status)> done) = 0;
};

class Actuator {
 public:
  Actuator(ActuatorOptions options, BlockingExecutor* executor, UnitPauser* container_pauser);
  ~Actuator();  // drains the executor; does NOT release (a crash must behave the same)
  Actuator(const Actuator&) = delete;
  Actuator& operator=(const Actuator&) = delete;

  // Loads the journal of a previous run. Its overrides are treated as applied-but-unknown: the
  // first apply() restores every one no longer claimed and rewrites the claimed ones. A corrupt
  // journal is logged at error level, moved aside, and start() still succeeds (the daemon can
  // govern; the lost originals cannot be recovered by refusing to run). Errors: unreadable file.
  Status start();

  // Where DesiredState::restarts go (none: they are logged and dropped).
  void set_restarter(UnitRestarter* restarter) { restarter_ = restarter; }
  // The effect DesiredState::cap_downloads stands for (external_limit.h). A real run starts it
  // here (a limit left by a crashed run is given back); a dry run only reports that leftover.
  Status adopt_external_limit(ExternalLimit* limit) { return external_.adopt(limit); }
  // After the limit's settings changed (SIGHUP): the current wish again.
  void refresh_external_limit() { external_.refresh(); }
  // Shutdown: the external program gets its own value back (done at once in a dry run).
  void release_external_limit(std::function<void(Status)> done) {
    external_.release(std::move(done));
  }
  // Dry run: whether a real run would hold the external limit now.
  bool external_limit_would_engage() const { return external_.would_engage(); }

  // Diff desired vs applied and write only what changed. A unit is written only when it is in
  // both `desired` and `units` (running, with a cgroup path); anything adrg had applied to a unit
  // that is no longer desired (or no longer seen) gets its original back. A unit's cgroup path
  // may be absolute or relative to cgroup_root ("/docker/<id>" as /proc/<pid>/cgroup shows it).
  // DesiredState::restarts go to the restarter last, after every write of this apply() (in
  // dry-run they are logged and counted only).
  void apply(const DesiredState& desired, const std::vector<UnitSnapshot>& units);

  // Restores every journaled original synchronously (after draining the executor) and starts
  // unpausing what adrg paused through the pauser (asynchronous: see pending_operations()).
  // Used on shutdown. Returns the first failure; what failed stays journaled.
  Status release_all();

  const AppliedState& applied() const { return applied_; }

  // general.instant_relief on a reload; a relief in force is lifted by the next apply().
  void set_instant_relief(bool on) { options_.instant_relief = on; }

  // A restarted container lost its overrides (its cgroup was recreated, maybe at a new path):
  // everything is re-applied on the next apply(). Originals journaled for the same path are
  // kept (Docker recreates the cgroup from the same container config); a new path starts over.
  void on_unit_restarted(const std::string& unit_id, const std::string& new_cgroup_path);
  // `docker update` may have rewritten the unit's limit files in place: each file adrg holds is
  // written again on the next apply(); a Docker pause is not touched (it survives an update).
  void on_unit_files_rewritten(const std::string& unit_id);

  // Restarts asked of the restarter since construction (none in dry-run).
  std::uint64_t restarts_requested() const { return restarts_requested_; }

  // Operations in flight (writes on the executor, Docker calls); 0 when everything settled.
  std::size_t pending_operations() const;

  // Resolved options (cpu count and io devices after detection; valid after construction).
  int cpu_count() const { return cpu_count_; }
  const std::vector<std::string>& io_devices() const { return io_devices_; }

 private:
  struct KeyState;
  struct UnitState;
  using UnitKey = std::pair<std::string, std::string>;  // (unit id, cgroup dir)
  using FileKey = std::pair<std::string, std::string>;  // (file, device)
  enum class OpKind { kOverride, kRestore, kForget };
  enum class Outcome { kOk, kMissingFile, kCgroupGone, kFailed };
  struct OpResult {
    Outcome outcome = Outcome::kOk;
    std::string message;
    // An override of a limit file (limit_merge.h): the user's value, adrg's and the effective.
    std::optional<AppliedLimit> limit;
    // An override left no journal entry: the user's own limit was stricter, the file holds it.
    bool journaled = true;
    // A failed Docker pause that may still land (outcome unknown): it stays journaled and counts
    // as possibly in force, so the next apply either pauses again or unpauses.
    bool maybe_applied = false;
  };

  std::string resolve_dir(const std::string& cgroup_path) const;
  void set_targets(UnitState& state, const DesiredUnit& want, const UnitSnapshot& snap);
  // After a Docker pause completed: recompute the unit's targets and write the files whose
  // relief ended (or, after an unpause raced a new pause, began).
  void retarget_relief(const UnitKey& unit_key, std::string_view why);
  void kick(const UnitKey& unit_key, const FileKey& file_key);
  void forget_written(const std::string& unit_id, const std::string& new_cgroup_path,
                      bool keep_pause);
  void start_file_op(UnitState& state, const FileKey& file_key, KeyState& key, OpKind kind,
                     const std::string& text);
  void start_pauser_op(UnitState& state, const FileKey& file_key, KeyState& key, OpKind kind);
  void run_blocking(std::function<OpResult()> work, std::function<void(OpResult)> done,
                    BlockingExecutor::Lane lane = BlockingExecutor::Lane::kNormal);
  void complete(const UnitKey& unit_key, const FileKey& file_key, std::uint64_t epoch, OpKind kind,
                const std::string& text, const OpResult& result);
  void refresh_applied();
  void prune();
  // One cgroup file operation for the worker.
  struct FileOp {
    JournalKey key;
    OpKind kind;
    std::string text;
    std::optional<JournalPause> pause;
    std::function<void(OpResult)> done;  // on the reactor thread
  };
  // An override journaled (in memory) and ready to be written once the journal is saved.
  struct PreparedWrite {
    JournalKey key;
    std::string path;
    std::string value;
    std::string was;
    std::optional<AppliedLimit> limit;
    std::optional<OpResult> done;  // finished without a write (error, user's limit, dry run)
    bool added = false;
    std::vector<JournalKey> also_added;  // other io.max devices journaled with this read
    std::optional<JournalOverride> previous;
    std::optional<JournalPause> pause;
    bool pause_added = false;
  };
  void submit_file_op(FileOp op);
  void flush_file_ops(BlockingExecutor::Lane lane);
  OpResult do_file_op(const JournalKey& key, OpKind kind, const std::string& text,
                      const std::optional<JournalPause>& pause);
  std::vector<OpResult> do_file_ops(const std::vector<FileOp>& ops);
  PreparedWrite prepare_override(const JournalKey& key, const std::string& text,
                                 const std::optional<JournalPause>& pause);
  OpResult roll_back(const PreparedWrite& prepared, const Error& why);
  // Writes the prepared value; its log line goes to `log` when given (logged later), else out.
  OpResult write_prepared(const PreparedWrite& prepared, std::vector<std::string>* log = nullptr);
  OpResult undo_file_op(const JournalKey& key, OpKind kind,
                        const std::optional<JournalPause>& pause, bool save);
  OpResult leave_to_user(const JournalKey& key, const Result<std::string>& current,
                         const AppliedLimit& limit);
  void seed_from_journal(bool skip_pauser_records);
  // After an undo (worker thread, journal mutex held): one save queued behind the work at
  // hand, not one per restore. An undo needs no write-ahead: a stale entry only means one more
  // harmless restore after a crash.
  void save_journal_later();

  ActuatorOptions options_;
  BlockingExecutor* executor_;
  UnitPauser* pauser_;
  UnitRestarter* restarter_ = nullptr;
  ExternalGate external_{options_.dry_run};  // declared after options_
  std::uint64_t restarts_requested_ = 0;
  std::size_t restarts_in_flight_ = 0;
  void restart_units(const std::vector<RestartRequest>& restarts,
                     const std::map<std::string, const UnitSnapshot*>& by_id);
  int cpu_count_ = 1;
  std::vector<std::string> io_devices_;
  // The journal is touched only by blocking work (worker thread) or when nothing is in flight;
  // the mutex makes that explicit.
  std::shared_ptr<std::mutex> journal_mutex_;
  std::shared_ptr<Journal> journal_;
  // Set and cleared under journal_mutex_ on the worker; read by pending_operations().
  std::atomic<bool> journal_save_queued_{false};
  std::map<UnitKey, std::unique_ptr<UnitState>> units_;
  AppliedState applied_;
  std::set<std::string> warned_;      // "unit file" pairs already warned about (missing file)
  std::size_t release_unpauses_ = 0;  // Docker unpauses started by release_all()
  // While apply() kicks every key, file operations gather here and go to the worker as one
  // group (one journal save); outside apply() each goes on its own.
  bool gathering_ = false;
  std::vector<FileOp> gathered_;
  bool started_ = false;
  std::shared_ptr<bool> alive_;  // completions posted after destruction see it expired
};

// Pure helpers, exposed for tests and for cleanup.
// "<quota> <period>": quota = percent/100 * cpu_count * period, at least 1000 us (the kernel's
// minimum quota), at most cpu_count * period.
std::string cpu_max_text(double percent_of_machine, int cpu_count, int period_us);
// "MAJ:MIN rbps=N wbps=N"; a 0 direction is "max".
std::string io_max_line(const std::string& device, const IoLimit& limit);
// The line of `device` in io.max content ("254:0 rbps=... wbps=... riops=... wiops=..."), ""
// when the device has none (io.max lists only devices with a limit).
std::string io_max_device_line(std::string_view content, std::string_view device);
// What to write to restore `entry.original`: the content without its trailing newline; for
// io.max the original device line or "MAJ:MIN rbps=max wbps=max"; for io.weight the "default"
// line (per-device weights are never touched).
std::string restore_text(const JournalOverride& entry);
// Physical whole disks under <sys_root>/block: no "partition" file, not virtual (loop*, ram*,
// zram*, nbd*, dm-*, md*, sr*, or resolving into /devices/virtual/), size > 0. Sorted "MAJ:MIN".
std::vector<std::string> detect_io_devices(const std::string& sys_root);
// Restores every override in `journal` (writes restore_text, ENOENT = the cgroup is gone, also
// fine), erases what was restored together with its cgroup.freeze pause record, saves. Docker
// pause records are left for the caller. Returns the first failure; failures stay journaled.
Status restore_journaled_overrides(Journal& journal, bool dry_run);
// Online CPUs from <sys_root>/devices/system/cpu/online ("0-3,5"); sysconf as a fallback.
int detect_cpu_count(const std::string& sys_root);

}  // namespace adrg
