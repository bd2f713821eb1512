#include "jobs/job_manager.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "core/fs.h"
#include "jobs/job_admission.h"
#include "jobs/job_log.h"

namespace adrg {

namespace {

Error job_error(std::errc code, std::string message) {
  return Error{std::make_error_code(code), std::move(message)};
}

Error no_job(const std::string& id) {
  return job_error(std::errc::no_such_file_or_directory, "no job " + id);
}

// A job's log as the worker knows it. The worker trims and reads the file under `mutex`, so a
// read pairs the bytes it got with the dropped count they follow. The loop never takes the lock:
// a trim may be writing the file's dirty pages back while it holds it.
struct JobLogState {
  std::mutex mutex;
  std::uint64_t dropped = 0;  // bytes cut off the head so far
  std::uint64_t written = 0;  // dropped + size at the last check: how much it grew since
};

struct LogCheck {
  std::uint64_t dropped = 0;  // in total, after this check
  std::uint64_t size = 0;
  std::uint64_t grew = 0;  // bytes the job wrote since the previous check
  std::optional<Error> error;
};

// Worker thread.
LogCheck trim_log(JobLogState& log, const std::string& path, std::uint64_t max_bytes) {
  std::lock_guard lock(log.mutex);
  LogCheck out;
  auto trim = trim_job_log(path, max_bytes);
  if (trim) {
    log.dropped += trim->dropped;
    out.size = trim->size;
    std::uint64_t written = log.dropped + trim->size;
    out.grew = written > log.written ? written - log.written : 0;
    log.written = written;
  } else {
    out.error = trim.error();
  }
  out.dropped = log.dropped;
  return out;
}

}  // namespace

struct JobManager::LogProbe {
  std::string id;
  std::string path;
  std::shared_ptr<JobLogState> log;
  LogCheck check;
};

struct JobManager::Entry {
  JobRecord record;
  int pidfd = -1;
  Reactor::Id exit_watch = 0;
  bool starting = false;  // create + spawn in flight on the worker
  bool kill_requested = false;
  std::string kill_reason;
  TimePoint queued_since;
  std::uint64_t memory_current = 0;
  struct Waiter {
    std::uint64_t id = 0;
    Reactor::Id timer = 0;
    Done done;
  };
  std::vector<Waiter> waiters;
  std::uint64_t next_waiter = 1;
  std::shared_ptr<JobLogState> log = std::make_shared<JobLogState>();
  bool log_trim_reported = false;  // the first trim and the first trim error are logged once
  bool log_error_reported = false;
  std::optional<TimePoint> log_saved_at;  // the record's last save for a new log_dropped
};

JobManager::JobManager(Reactor& reactor, BlockingExecutor* executor, const Clock& clock,
                       JobHost& host, JobsConfig config)
    : reactor_(reactor),
      executor_(executor),
      clock_(clock),
      host_(host),
      config_(std::move(config)),
      alive_(std::make_shared<bool>(true)) {}

JobManager::~JobManager() {
  alive_.reset();
  if (log_timer_ != 0) reactor_.cancel(log_timer_);
  for (auto& [id, entry] : jobs_) {
    if (entry->exit_watch != 0) reactor_.cancel(entry->exit_watch);
    if (entry->pidfd >= 0) ::close(entry->pidfd);
    for (auto& waiter : entry->waiters) {
      if (waiter.timer != 0) reactor_.cancel(waiter.timer);
    }
  }
}

Status JobManager::start() {
  // 0711: a job's owner may open its own log (<ID>.log, the owner's, 0640) without asking adrg,
  // while nobody but root can list the directory; the records in it stay 0600. Earlier versions
  // made it 0700, hence the chmod.
  if (auto st = make_directories(config_.state_dir, 0711); !st) return st;
  if (::chmod(config_.state_dir.c_str(), 0711) != 0) {
    return Error::from_errno("chmod 0711 " + config_.state_dir);
  }
  LoadedJobRecords loaded = load_job_records(config_.state_dir);
  for (const auto& problem : loaded.problems) spdlog::error("jobs: {}", problem);
  for (auto& record : loaded.records) {
    auto entry = std::make_unique<Entry>();
    entry->record = std::move(record);
    entry->log->dropped = entry->record.log_dropped;
    entry->log->written = entry->record.log_dropped;
    entry->queued_since = clock_.now();  // a queued job's wait starts over with the new adrg
    Entry& ref = *entry;
    jobs_[ref.record.id] = std::move(entry);
    if (ref.record.state == JobState::kRunning) adopt(ref);
  }
  std::size_t running = 0, queued = 0;
  for (const auto& [id, e] : jobs_) {
    running += e->record.state == JobState::kRunning;
    queued += e->record.state == JobState::kQueued;
  }
  spdlog::info("jobs: {} known ({} running re-adopted, {} queued) in {}, cgroups under {}",
               jobs_.size(), running, queued, config_.state_dir, config_.cgroup_root);
  return {};
}

void JobManager::reconfigure(const JobsConfig& config) {
  if (config.cgroup_root != config_.cgroup_root || config.state_dir != config_.state_dir) {
    spdlog::warn("jobs.cgroup_root and jobs.state_dir take effect only after a restart");
  }
  std::string root = config_.cgroup_root;
  std::string dir = config_.state_dir;
  config_ = config;
  config_.cgroup_root = root;
  config_.state_dir = dir;
}

void JobManager::adopt(Entry& entry) {
  JobRecord& r = entry.record;
  auto adopted = host_.adopt(r.pid, r.cgroup);
  r.adopted = true;
  if (adopted) {
    r.pid = adopted->pid;
    entry.pidfd = adopted->pidfd;
    r.reason = "re-adopted after an adrg restart; its exit status will not be known";
    spdlog::info("jobs: re-adopted running job {} (pid {})", r.id, adopted->pid);
    watch_exit(entry);
    schedule_log_check(kLogCheckMin);
    return;
  }
  spdlog::info("jobs: job {} ended while adrg was not running ({})", r.id,
               adopted.error().describe());
  if (auto oom = host_.oom_kills(r.cgroup); oom) r.oom_kills = std::max(r.oom_kills, *oom);
  r.reason = "ended while adrg was not running; exit status unknown";
  finish(entry, JobState::kExited);
}

JobManager::Entry* JobManager::find(const std::string& id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

const JobManager::Entry* JobManager::find(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : it->second.get();
}

std::size_t JobManager::active_count() const {
  std::size_t n = 0;
  for (const auto& [id, e] : jobs_) n += !is_final(e->record.state);
  return n;
}

void JobManager::blocking(std::function<void()> work, std::function<void()> done) {
  if (executor_ == nullptr) {
    work();
    if (done) done();
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  executor_->submit(std::move(work), [alive, done = std::move(done)] {
    if (alive.lock() && done) done();
  });
}

void JobManager::persist(const JobRecord& record) {
  blocking(
      [dir = config_.state_dir, record] {
        if (auto st = save_job_record(dir, record); !st) {
          spdlog::error("jobs: record of {} not saved: {}", record.id, st.error().describe());
        }
      },
      {});
}

void JobManager::emit(std::string_view action, const Entry& entry, std::string_view reason) {
  if (on_event_) on_event_(action, entry.record.id, reason);
}

void JobManager::submit(JobSubmission submission, JobCaller caller, Done done) {
  if (!config_.enabled) {
    return done(
        job_error(std::errc::operation_not_permitted, "jobs are disabled (jobs.enabled: false)"));
  }
  if (const Entry* existing = find(submission.id)) {
    return done(job_error(std::errc::file_exists,
                          fmt::format("job {} already exists (state {}); remove it first",
                                      submission.id, to_string(existing->record.state))));
  }
  if (active_count() >= static_cast<std::size_t>(config_.max_jobs)) {
    return done(job_error(
        std::errc::operation_not_permitted,
        fmt::format("{} jobs are already queued or running (jobs.max_jobs)", active_count())));
  }
  auto owned = std::make_unique<Entry>();
  Entry& entry = *owned;
  JobRecord& r = entry.record;
  r.id = submission.id;
  r.tier = submission.tier;
  r.state = JobState::kQueued;
  r.argv = std::move(submission.argv);
  r.env = std::move(submission.env);
  r.cwd = std::move(submission.cwd);
  r.limits = std::move(submission.limits);
  r.wait_for_calm = submission.wait_for_calm;
  r.uid = caller.uid;
  r.gid = caller.gid;
  r.cgroup = join_path(config_.cgroup_root, r.id);
  r.log = join_path(config_.state_dir, r.id + ".log");
  r.created_at = clock_.wall_seconds();
  entry.queued_since = clock_.now();
  jobs_[r.id] = std::move(owned);

  if (r.wait_for_calm) {
    bool others_waiting = false;
    for (const auto& [id, e] : jobs_) {
      others_waiting = others_waiting || (id != r.id && e->record.state == JobState::kQueued);
    }
    AdmissionVerdict verdict =
        have_snapshot_ ? decide_admission(config_.admission, last_cpu_, last_memory_, last_io_)
                       : AdmissionVerdict{false, "waiting for calm: no pressure reading yet"};
    if (others_waiting && verdict.admit) verdict = {false, "waiting behind earlier queued jobs"};
    if (!verdict.admit) {
      r.reason = verdict.reason;
      spdlog::info("jobs: {} queued: {}", r.id, r.reason);
      persist(r);
      emit("job_queued", entry, r.reason);
      return done(r);
    }
    r.reason = verdict.reason;
  }
  start_job(entry, /*at_submission=*/true, std::move(done));
}

void JobManager::start_job(Entry& entry, bool at_submission, Done done) {
  entry.starting = true;
  JobRecord record = entry.record;
  record.state = JobState::kRunning;
  record.started_at = clock_.wall_seconds();
  entry.record.started_at = record.started_at;

  SpawnRequest request;
  request.argv = record.argv;
  request.env = record.env;
  request.cwd = record.cwd;
  request.log_path = record.log;
  if (record.uid != 0) {  // root keeps the daemon's credentials
    request.uid = record.uid;
    request.gid = record.gid;
  }
  struct Outcome {
    Result<SpawnedProcess> spawned =
        Error{std::make_error_code(std::errc::operation_canceled), "not started"};
    std::vector<gid_t> groups;
  };
  auto outcome = std::make_shared<Outcome>();
  JobHost* host = &host_;
  blocking(
      [host, outcome, request, record, at_submission, root = config_.cgroup_root,
       dir = config_.state_dir]() mutable {
        if (request.uid) {
          outcome->groups = host->supplementary_groups(*request.uid, *request.gid);
          request.groups = outcome->groups;
        }
        auto cgroup = host->create_cgroup(root, record.id, record.limits);
        if (!cgroup) {
          outcome->spawned = cgroup.error();
          return;
        }
        request.cgroup_dir = *cgroup;
        // Written before the spawn: should adrg die right after it, the restarted adrg finds
        // the record and adopts the job from its cgroup.
        record.cgroup = *cgroup;
        (void)save_job_record(dir, record);
        outcome->spawned = host->spawn(request);
        if (!outcome->spawned) {
          (void)host->kill_and_remove(*cgroup);
          if (at_submission) (void)delete_job_files(dir, record.id);
          return;
        }
        record.pid = outcome->spawned->pid;
        record.clone_into_cgroup = outcome->spawned->clone_into_cgroup;
        if (auto st = save_job_record(dir, record); !st) {
          spdlog::error("jobs: record of {} not saved: {}", record.id, st.error().describe());
        }
      },
      [this, outcome, id = record.id, at_submission, done = std::move(done)]() mutable {
        on_started(id, at_submission, std::move(outcome->spawned), std::move(outcome->groups),
                   done);
      });
}

void JobManager::on_started(const std::string& id, bool at_submission,
                            Result<SpawnedProcess> spawned, std::vector<gid_t> groups,
                            const Done& done) {
  Entry* entry = find(id);
  if (entry == nullptr) {  // cannot happen (a starting job is not final, so not removable)
    if (spawned) ::close(spawned->pidfd);
    return;
  }
  entry->starting = false;
  JobRecord& r = entry->record;
  if (!spawned) {
    std::string reason = "could not start: " + spawned.error().describe();
    spdlog::warn("jobs: {} {}", id, reason);
    if (at_submission) {
      jobs_.erase(id);
      if (done) done(job_error(std::errc::operation_not_permitted, reason));
      return;
    }
    r.reason = reason;
    finish(*entry, JobState::kFailed);
    if (done) done(r);
    return;
  }
  r.groups = std::move(groups);
  r.state = JobState::kRunning;
  r.pid = spawned->pid;
  r.clone_into_cgroup = spawned->clone_into_cgroup;
  entry->pidfd = spawned->pidfd;
  spdlog::info("jobs: started {} (pid {}, tier {}, {}) in {}", id, spawned->pid, r.tier,
               spawned->clone_into_cgroup ? "clone3 into the cgroup" : "fork + cgroup.procs",
               r.cgroup);
  watch_exit(*entry);
  schedule_log_check(kLogCheckMin);
  emit("job_started", *entry, fmt::format("pid {} tier {}", spawned->pid, r.tier));
  if (entry->kill_requested) {
    blocking([host = &host_, dir = r.cgroup] { (void)host->kill(dir); }, {});
  }
  if (on_units_changed_) on_units_changed_();
  if (done) done(r);
}

void JobManager::watch_exit(Entry& entry) {
  auto watch = reactor_.watch_fd(
      entry.pidfd, POLLIN, [this, id = entry.record.id](std::uint32_t) { on_exit_readable(id); });
  if (watch) {
    entry.exit_watch = *watch;
  } else {
    spdlog::error("jobs: cannot watch the exit of {}: {}", entry.record.id,
                  watch.error().describe());
  }
}

void JobManager::on_exit_readable(const std::string& id) {
  Entry* entry = find(id);
  if (entry == nullptr || entry->pidfd < 0) return;
  JobRecord& r = entry->record;
  auto reaped = host_.reap(entry->pidfd);
  if (reaped && !reaped->has_value()) return;  // readable but not yet reapable
  reactor_.cancel(std::exchange(entry->exit_watch, 0));
  ::close(std::exchange(entry->pidfd, -1));
  if (auto oom = host_.oom_kills(r.cgroup); oom) r.oom_kills = std::max(r.oom_kills, *oom);
  JobState state = JobState::kExited;
  if (!reaped) {
    // An adopted job is not adrg's child: waitid() cannot tell how it ended.
    r.reason = r.adopted ? "exit status unknown: adrg was restarted while the job ran"
                         : "exit status unknown: " + reaped.error().describe();
    if (entry->kill_requested) state = JobState::kKilled;
  } else {
    const ExitInfo& info = **reaped;
    if (info.signal != 0) {
      state = JobState::kKilled;
      r.signal = info.signal;
      if (entry->kill_requested) {
        r.reason = entry->kill_reason;
      } else if (r.oom_kills > 0) {
        r.reason = fmt::format("killed by the OOM killer (oom_kill {})", r.oom_kills);
      } else {
        r.reason = fmt::format("killed by signal {}{}", info.signal,
                               info.core_dumped ? " (core dumped)" : "");
      }
    } else {
      r.exit_code = info.exit_code;
      r.reason = r.oom_kills > 0 ? fmt::format("exited; the OOM killer killed {} process(es) of it",
                                               r.oom_kills)
                                 : "";
    }
  }
  finish(*entry, state);
}

void JobManager::finish(Entry& entry, JobState state) {
  JobRecord& r = entry.record;
  bool was_running = r.state == JobState::kRunning;
  r.state = state;
  r.ended_at = clock_.wall_seconds();
  spdlog::info("jobs: {} {}{}{}", r.id, to_string(state),
               r.exit_code ? fmt::format(" with code {}", *r.exit_code) : "",
               r.reason.empty() ? "" : ": " + r.reason);
  // Whatever the job left behind goes with it (like KillMode=control-group), so the cgroup can
  // be removed; then its log is trimmed a last time (it may have flooded since the last check)
  // and the record is final on disk.
  auto dropped = std::make_shared<std::uint64_t>(r.log_dropped);
  blocking(
      [host = &host_, dir = config_.state_dir, record = r, log = entry.log,
       max = config_.max_log_bytes, dropped]() mutable {
        if (auto st = host->kill_and_remove(record.cgroup); !st) {
          spdlog::warn("jobs: cgroup of {} not removed: {}", record.id, st.error().describe());
        }
        LogCheck check = trim_log(*log, record.log, max);
        if (check.error) {
          spdlog::warn("jobs: log of {} not trimmed: {}", record.id, check.error->describe());
        }
        record.log_dropped = *dropped = check.dropped;
        if (auto st = save_job_record(dir, record); !st) {
          spdlog::error("jobs: record of {} not saved: {}", record.id, st.error().describe());
        }
      },
      [this, id = r.id, log = entry.log, dropped] {
        Entry* e = find(id);
        if (e != nullptr && e->log == log) {
          e->record.log_dropped = std::max(e->record.log_dropped, *dropped);
        }
      });
  emit("job_ended", entry,
       fmt::format("{}{}", to_string(state), r.reason.empty() ? "" : ": " + r.reason));
  notify_waiters(entry);
  if (was_running && on_units_changed_) on_units_changed_();
}

void JobManager::notify_waiters(Entry& entry) {
  auto waiters = std::exchange(entry.waiters, {});
  JobRecord copy = entry.record;
  for (auto& waiter : waiters) {
    if (waiter.timer != 0) reactor_.cancel(waiter.timer);
    waiter.done(copy);
  }
}

Result<JobRecord> JobManager::get(const std::string& id) const {
  const Entry* entry = find(id);
  if (entry == nullptr) return no_job(id);
  return entry->record;
}

std::vector<JobRecord> JobManager::list() const {
  std::vector<JobRecord> out;
  for (const auto& [id, e] : jobs_) out.push_back(e->record);
  std::stable_sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
    return a.created_at < b.created_at;
  });
  return out;
}

bool JobManager::frozen(const std::string& id) const {
  const Entry* entry = find(id);
  return entry != nullptr && entry->record.state == JobState::kRunning &&
         host_.frozen(entry->record.cgroup);
}

Result<JobRecord> JobManager::kill(const std::string& id, JobCaller caller) {
  Entry* entry = find(id);
  if (entry == nullptr) return no_job(id);
  JobRecord& r = entry->record;
  if (caller.uid != 0 && caller.uid != r.uid) {
    return job_error(std::errc::permission_denied,
                     fmt::format("job {} belongs to uid {}", id, r.uid));
  }
  if (is_final(r.state)) {
    return job_error(std::errc::device_or_resource_busy,
                     fmt::format("job {} has already ended ({})", id, to_string(r.state)));
  }
  entry->kill_requested = true;
  entry->kill_reason = fmt::format("killed on request of uid {}", caller.uid);
  if (r.state == JobState::kQueued && !entry->starting) {
    r.reason = fmt::format("killed while queued (on request of uid {})", caller.uid);
    finish(*entry, JobState::kKilled);
    return r;
  }
  if (r.state == JobState::kRunning) {
    spdlog::info("jobs: killing {} on request of uid {}", id, caller.uid);
    blocking(
        [host = &host_, dir = r.cgroup, id] {
          if (auto st = host->kill(dir); !st) {
            spdlog::error("jobs: kill {}: {}", id, st.error().describe());
          }
        },
        {});
  }
  return r;  // a starting job is killed as soon as its spawn completes
}

void JobManager::remove(const std::string& id, JobCaller caller, std::function<void(Status)> done) {
  Entry* entry = find(id);
  if (entry == nullptr) return done(no_job(id));
  if (caller.uid != 0 && caller.uid != entry->record.uid) {
    return done(job_error(std::errc::permission_denied,
                          fmt::format("job {} belongs to uid {}", id, entry->record.uid)));
  }
  if (!is_final(entry->record.state)) {
    return done(
        job_error(std::errc::device_or_resource_busy,
                  fmt::format("job {} is {}; kill it first", id, to_string(entry->record.state))));
  }
  jobs_.erase(id);
  // The executor is FIFO: a new job with the same id is created only after these files went.
  blocking([dir = config_.state_dir, id] { (void)delete_job_files(dir, id); },
           [done = std::move(done)] { done(Status{}); });
}

void JobManager::wait(const std::string& id, Duration timeout, Done done) {
  Entry* entry = find(id);
  if (entry == nullptr) return done(no_job(id));
  if (is_final(entry->record.state)) return done(entry->record);
  if (timeout <= Duration::zero()) {  // a zero timerfd would never fire
    return done(job_error(std::errc::timed_out, std::string(to_string(entry->record.state))));
  }
  std::uint64_t waiter_id = entry->next_waiter++;
  auto timer = reactor_.add_timer(timeout, Duration::zero(), [this, id, waiter_id] {
    Entry* e = find(id);
    if (e == nullptr) return;
    auto it = std::find_if(e->waiters.begin(), e->waiters.end(),
                           [&](const Entry::Waiter& w) { return w.id == waiter_id; });
    if (it == e->waiters.end()) return;
    Done expired = std::move(it->done);
    e->waiters.erase(it);
    expired(job_error(std::errc::timed_out, std::string(to_string(e->record.state))));
  });
  if (!timer) return done(timer.error());
  entry->waiters.push_back(Entry::Waiter{waiter_id, *timer, std::move(done)});
}

void JobManager::read_log(const std::string& id, std::optional<JobCaller> caller,
                          std::uint64_t offset, std::size_t max,
                          std::function<void(Result<LogChunk>)> done) {
  const Entry* entry = find(id);
  if (entry == nullptr) return done(no_job(id));
  const JobRecord& r = entry->record;
  // The same rule as the file's own mode (the owner's, 0640), minus the group: SO_PEERCRED
  // names the caller's uid and primary gid, not the groups that would make the file readable.
  if (caller && caller->uid != 0 && caller->uid != r.uid) {
    return done(job_error(std::errc::permission_denied,
                          fmt::format("the log of job {} is readable only by its owner (uid {}) "
                                      "and root; this connection is uid {}",
                                      id, r.uid, caller->uid)));
  }
  auto chunk = std::make_shared<Result<LogChunk>>(LogChunk{});
  // The state is taken before the read: a job final now cannot write after it, so "final and
  // nothing new" really is the end for a follower.
  (*chunk)->state = r.state;
  blocking(
      [chunk, path = r.log, log = entry->log, offset, max] {
        std::lock_guard lock(log->mutex);
        auto slice = read_job_log(path, log->dropped, offset, max);
        if (!slice) {
          *chunk = slice.error();
          return;
        }
        LogChunk& c = **chunk;
        c.data = std::move(slice->data);
        c.next = slice->next;
        c.skipped = slice->skipped;
      },
      [chunk, done = std::move(done)] { done(std::move(*chunk)); });
}

void JobManager::schedule_log_check(Duration delay) {
  if (log_check_running_) {  // its completion schedules the next check
    log_check_soon_ = log_check_soon_ || delay <= kLogCheckMin;
    return;
  }
  log_check_interval_ = delay;
  if (log_timer_ != 0) {
    if (auto st = reactor_.rearm_timer(log_timer_, delay, Duration::zero()); st) return;
    reactor_.cancel(std::exchange(log_timer_, 0));
  }
  auto timer = reactor_.add_timer(delay, Duration::zero(), [this] {
    log_timer_ = 0;  // a one-shot is forgotten once it fired
    check_logs();
  });
  if (timer) {
    log_timer_ = *timer;
  } else {
    spdlog::error("jobs: cannot schedule the log size check: {}", timer.error().describe());
  }
}

void JobManager::check_logs() {
  auto probes = std::make_shared<std::vector<LogProbe>>();
  for (const auto& [id, e] : jobs_) {
    if (e->record.state == JobState::kRunning) probes->push_back({id, e->record.log, e->log, {}});
  }
  if (probes->empty()) return;  // the next start schedules a check again
  log_check_running_ = true;
  blocking(
      [probes, max = config_.max_log_bytes] {
        for (LogProbe& probe : *probes) probe.check = trim_log(*probe.log, probe.path, max);
      },
      [this, probes] {
        log_check_running_ = false;
        on_logs_checked(*probes);
      });
}

void JobManager::on_logs_checked(const std::vector<LogProbe>& probes) {
  const std::uint64_t max = config_.max_log_bytes;
  Duration next = kLogCheckMax;
  if (std::exchange(log_check_soon_, false)) next = kLogCheckMin;
  for (const LogProbe& probe : probes) {
    Entry* entry = find(probe.id);
    if (entry == nullptr || entry->log != probe.log) continue;  // removed meanwhile
    JobRecord& r = entry->record;
    const LogCheck& check = probe.check;
    if (check.error && !std::exchange(entry->log_error_reported, true)) {
      spdlog::warn("jobs: log of {} not trimmed: {}", r.id, check.error->describe());
    }
    if (check.dropped > r.log_dropped) {
      if (!std::exchange(entry->log_trim_reported, true)) {
        spdlog::info(
            "jobs: log of {} reached jobs.max_log_bytes ({}); its oldest output is dropped", r.id,
            max);
      }
      r.log_dropped = check.dropped;
      // The record carries the count across an adrg restart, so offsets stay right for the
      // re-adopted job. At most once a second (each save is an fsync), never for a final job
      // (finish() saves that one with the last count).
      const TimePoint now = clock_.now();
      if (!is_final(r.state) &&
          (!entry->log_saved_at || now - *entry->log_saved_at >= kLogCheckMax)) {
        entry->log_saved_at = now;
        persist(r);
      }
    }
    if (check.grew > 0 && r.state == JobState::kRunning) {
      // At the rate it grew over the last interval the log reaches its cap after
      // interval * headroom / grew: look again halfway there.
      const double headroom = check.size < max ? static_cast<double>(max - check.size) : 0;
      const double seconds =
          to_seconds(log_check_interval_) * headroom / static_cast<double>(check.grew) / 2;
      if (seconds < to_seconds(next)) next = std::max(from_seconds(seconds), kLogCheckMin);
    }
  }
  for (const auto& [id, e] : jobs_) {
    if (e->record.state == JobState::kRunning) return schedule_log_check(next);
  }
}

std::vector<UnitSnapshot> JobManager::units() const {
  std::vector<UnitSnapshot> out;
  for (const auto& [id, e] : jobs_) {
    if (e->record.state != JobState::kRunning || e->pidfd < 0) continue;
    UnitSnapshot unit;
    unit.id = std::string(kUnitPrefix) + id;
    unit.name = unit.id;
    unit.kind = UnitKind::kJob;
    unit.tier = e->record.tier;
    unit.cgroup_path = e->record.cgroup;
    unit.memory_current = e->memory_current;
    const JobLimits& limits = e->record.limits;
    if (limits.cpu_weight) unit.cpu_weight_baseline = static_cast<int>(*limits.cpu_weight);
    unit.memory_high_baseline = limits.memory_high;
    unit.memory_max_baseline = limits.memory_max;
    out.push_back(std::move(unit));
  }
  return out;
}

void JobManager::refresh_memory() {
  for (auto& [id, e] : jobs_) {
    if (e->record.state == JobState::kRunning) {
      e->memory_current = host_.memory_current(e->record.cgroup);
    }
  }
}

void JobManager::on_oom_kill(const std::string& unit_id, std::uint64_t total) {
  if (!unit_id.starts_with(kUnitPrefix)) return;
  Entry* entry = find(unit_id.substr(kUnitPrefix.size()));
  if (entry != nullptr) entry->record.oom_kills = std::max(entry->record.oom_kills, total);
}

void JobManager::on_snapshot(const Snapshot& snapshot) {
  last_cpu_ = snapshot.cpu;
  last_memory_ = snapshot.memory;
  last_io_ = snapshot.io;
  have_snapshot_ = true;
  std::vector<Entry*> queued;
  for (auto& [id, e] : jobs_) {
    if (e->record.state == JobState::kQueued && !e->starting) queued.push_back(e.get());
  }
  std::stable_sort(queued.begin(), queued.end(), [](const Entry* a, const Entry* b) {
    return a->record.created_at < b->record.created_at;
  });
  const TimePoint now = clock_.now();
  const double max_wait = config_.admission.max_queue_seconds;
  bool started = false;
  for (Entry* entry : queued) {
    JobRecord& r = entry->record;
    double waited = to_seconds(now - entry->queued_since);
    if (max_wait > 0 && waited > max_wait) {
      r.reason = fmt::format(
          "refused after waiting {:.0f} s for calm (jobs.admission."
          "max_queue_seconds); last: {}",
          waited, r.reason);
      finish(*entry, JobState::kRefused);
      continue;
    }
    if (started) {
      r.reason = "waiting behind earlier queued jobs";
      continue;
    }
    AdmissionVerdict verdict =
        decide_admission(config_.admission, last_cpu_, last_memory_, last_io_);
    r.reason = verdict.reason;
    if (!verdict.admit) continue;
    // One start per evaluation: the pressure a job causes shows in avg10 only seconds later, so
    // a calm moment must not release the whole queue at once.
    started = true;
    spdlog::info("jobs: {} admitted after {:.1f} s in the queue", r.id, waited);
    start_job(*entry, /*at_submission=*/false, {});
  }
  prune_finished();
}

void JobManager::prune_finished() {
  std::vector<Entry*> finished;
  for (auto& [id, e] : jobs_) {
    if (is_final(e->record.state)) finished.push_back(e.get());
  }
  std::sort(finished.begin(), finished.end(), [](const Entry* a, const Entry* b) {
    return a->record.ended_at.value_or(0) > b->record.ended_at.value_or(0);
  });
  const double now = clock_.wall_seconds();
  std::vector<std::string> drop;
  for (std::size_t i = 0; i < finished.size(); ++i) {
    double age = now - finished[i]->record.ended_at.value_or(now);
    if (i >= static_cast<std::size_t>(config_.retain_finished) ||
        age > config_.retain_finished_seconds) {
      drop.push_back(finished[i]->record.id);
    }
  }
  for (const auto& id : drop) {
    spdlog::info("jobs: {} no longer retained (jobs.retain_finished*)", id);
    jobs_.erase(id);
    blocking([dir = config_.state_dir, id] { (void)delete_job_files(dir, id); }, {});
  }
}

}  // namespace adrg
