// The job runner (issue 8): a registry of jobs and their state machine
//   queued -> running -> exited | killed     (queued -> refused after max_queue_seconds,
//   queued -> killed by request, queued -> failed when the start fails)
// Jobs are started in their own cgroup under jobs.cgroup_root and appear as governed units
// (UnitKind::kJob, frozen through cgroup.freeze by the journaled actuator) with their tier, so
// the rules pause and throttle them exactly like containers.
//
// Threading: every public method runs on the reactor thread. Work that may block — creating the
// cgroup (cgroupfs writes), opening the log on a possibly busy disk (inside the spawn), NSS
// lookups of the caller's groups, fsync of the record, killing and removing a cgroup — goes to
// the BlockingExecutor worker; its completion comes back to the loop. The job's exit is the
// pidfd turning readable (POLLIN, watched by the reactor), then a non-blocking reap.
//
// Logs: each job's log is kept to its newest jobs.max_log_bytes (jobs/job_log.h says why
// the job writes the file itself). While jobs run, a one-shot timer hands the running logs to
// the worker, which trims those over the cap; the next check comes sooner the faster a log grows
// towards its cap (20 ms .. 1 s), so a flood overshoots the cap briefly and a quiet job costs one
// stat a second. A job's end trims its log a last time.
//
// Jobs are never killed by adrg stopping: their cgroups lie outside adrg's own, the records in
// jobs.state_dir let a restarted adrg re-adopt them (exit status unknown then: an adopted job is
// not adrg's child), and the actuator's journal thaws whatever adrg froze.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/blocking_executor.h"
#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "jobs/job_host.h"
#include "jobs/job_record.h"
#include "sensors/snapshot.h"

namespace adrg {

// Who asked, from SO_PEERCRED of the unix socket connection.
struct JobCaller {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
};

// Errors carry the HTTP meaning in their code: invalid_argument 400, permission_denied 403,
// no_such_file_or_directory 404, file_exists / device_or_resource_busy 409, timed_out 408,
// operation_not_permitted 422 (refused), anything else 500.
class JobManager {
 public:
  using Done = std::function<void(Result<JobRecord>)>;
  using EventFn =
      std::function<void(std::string_view action, std::string_view job, std::string_view reason)>;

  // executor may be nullptr (blocking work then runs inline: unit tests only).
  JobManager(Reactor& reactor, BlockingExecutor* executor, const Clock& clock, JobHost& host,
             JobsConfig config);
  ~JobManager();  // closes pidfds; never kills a job
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Creates state_dir (0700), loads the records, re-adopts running jobs. Synchronous: runs once
  // before the loop serves anything, like the actuator's journal load.
  Status start();
  // Thresholds, limits and retention take effect now; the roots need a restart (warned).
  void reconfigure(const JobsConfig& config);

  // Called when the set of running job units changed (a job started or ended).
  void set_on_units_changed(std::function<void()> fn) { on_units_changed_ = std::move(fn); }
  void set_on_event(EventFn fn) { on_event_ = std::move(fn); }

  // 201 semantics: done gets the job (running, or queued when wait_for_calm and not calm).
  void submit(JobSubmission submission, JobCaller caller, Done done);
  Result<JobRecord> get(const std::string& id) const;
  std::vector<JobRecord> list() const;  // oldest first
  // Starts the kill (cgroup.kill on the worker) and returns the job as it is now.
  Result<JobRecord> kill(const std::string& id, JobCaller caller);
  void remove(const std::string& id, JobCaller caller, std::function<void(Status)> done);
  // done(job) once the job is final, or an Error timed_out (carrying the state) after timeout.
  void wait(const std::string& id, Duration timeout, Done done);
  struct LogChunk {
    std::string data;
    std::uint64_t next = 0;
    std::uint64_t skipped = 0;  // bytes from the requested offset on that the cap dropped
    JobState state = JobState::kQueued;
  };
  // caller: who asks over the unix socket; only root and the job's owner may read its log (403
  // for anyone else). nullopt: a TCP request, which the HTTP layer let through on the token.
  void read_log(const std::string& id, std::optional<JobCaller> caller, std::uint64_t offset,
                std::size_t max, std::function<void(Result<LogChunk>)> done);
  bool frozen(const std::string& id) const;

  // The governor's view: running jobs as units, with their own limits as baselines.
  std::vector<UnitSnapshot> units() const;
  void refresh_memory();
  // Every evaluation: admission of queued jobs (one start per call), queue timeouts, retention.
  void on_snapshot(const Snapshot& snapshot);
  // A live OOM kill seen by the governor's memory.events watcher (unit id "job:<id>").
  void on_oom_kill(const std::string& unit_id, std::uint64_t total);

  static constexpr std::string_view kUnitPrefix = "job:";
  static constexpr Duration kLogCheckMin = std::chrono::milliseconds(20);
  static constexpr Duration kLogCheckMax = std::chrono::seconds(1);

 private:
  struct Entry;

  Entry* find(const std::string& id);
  const Entry* find(const std::string& id) const;
  std::size_t active_count() const;
  void start_job(Entry& entry, bool at_submission, Done done);
  void on_started(const std::string& id, bool at_submission, Result<SpawnedProcess> spawned,
                  std::vector<gid_t> groups, const Done& done);
  void watch_exit(Entry& entry);
  void on_exit_readable(const std::string& id);
  void finish(Entry& entry, JobState state);
  void persist(const JobRecord& record);
  void blocking(std::function<void()> work, std::function<void()> done);
  void notify_waiters(Entry& entry);
  void prune_finished();
  void adopt(Entry& entry);
  void emit(std::string_view action, const Entry& entry, std::string_view reason);
  struct LogProbe;
  void schedule_log_check(Duration delay);
  void check_logs();
  void on_logs_checked(const std::vector<LogProbe>& probes);

  Reactor& reactor_;
  BlockingExecutor* executor_;
  const Clock& clock_;
  JobHost& host_;
  JobsConfig config_;
  std::map<std::string, std::unique_ptr<Entry>> jobs_;
  std::optional<PsiStats> last_cpu_, last_memory_, last_io_;
  bool have_snapshot_ = false;
  Reactor::Id log_timer_ = 0;
  bool log_check_running_ = false;
  bool log_check_soon_ = false;  // a job started during a check: the next one comes at once
  Duration log_check_interval_ = kLogCheckMax;
  std::function<void()> on_units_changed_;
  EventFn on_event_;
  std::shared_ptr<bool> alive_;
};

}  // namespace adrg
