// A job as adrg keeps it: the state machine's data, its API object (GET /jobs/ID) and its
// on-disk record <state_dir>/<ID>.json, which lets a restarted adrg re-adopt a running job and
// keep listing finished ones. Pure data and (de)serialisation; the file I/O is in save/load.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "jobs/job_cgroup.h"

namespace adrg {

enum class JobState { kQueued, kRunning, kExited, kKilled, kFailed, kRefused };
std::string_view to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);
// exited, killed, failed, refused: nothing will happen to the job any more.
bool is_final(JobState state);

struct JobRecord {
  std::string id;
  int tier = 3;
  JobState state = JobState::kQueued;
  std::vector<std::string> argv;
  std::vector<std::string> env;  // on disk only (0600): environments carry secrets
  std::string cwd;
  JobLimits limits;
  bool wait_for_calm = false;
  uid_t uid = 0;  // the caller's SO_PEERCRED; 0 = root (the job keeps the daemon's credentials)
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::optional<pid_t> pid;
  std::string cgroup;  // <cgroup_root>/<id>, kept after the directory is removed
  std::string log;     // <state_dir>/<id>.log
  // Bytes cut off the head of the log (jobs.max_log_bytes): log offsets count every byte the job
  // wrote, the file holds those from log_dropped on.
  std::uint64_t log_dropped = 0;
  bool clone_into_cgroup = false;
  double created_at = 0;  // wall seconds since the epoch
  std::optional<double> started_at;
  std::optional<double> ended_at;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::uint64_t oom_kills = 0;
  std::string reason;    // why queued / refused / failed / killed, "" = none
  bool adopted = false;  // re-adopted by a restarted adrg: its exit status cannot be known
};

// "2024-05-01T12:00:00.250Z".
std::string rfc3339_utc(double wall_seconds);

// The API object of the contract (no env). `frozen` comes from the live cgroup.
std::string job_json(const JobRecord& job, bool frozen);
// The on-disk record: everything, env included.
std::string job_record_json(const JobRecord& job);
// Strict: a record that is not the JSON job_record_json writes (or a bad id / state / tier) is
// an error naming what is wrong.
Result<JobRecord> parse_job_record(std::string_view text);
// The "limits" member of POST /jobs and of the record: {"cpu_max":"50000 100000",...}; unknown
// members are errors.
std::string job_limits_json(const JobLimits& limits);

// POST /jobs: what a caller asks for. The credentials come from the connection, not the body.
struct JobSubmission {
  std::string id;
  int tier = 3;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  bool wait_for_calm = false;
  JobLimits limits;
};
// Strict: unknown members, wrong types, a bad id, a tier outside 1..3, an empty argv, an env
// entry without '=', a relative cwd, NUL bytes or limits the kernel would refuse are errors
// (std::errc::invalid_argument) whose message names the member.
Result<JobSubmission> parse_job_submission(std::string_view body);

// <dir>/<id>.json written with temp + fsync + rename (0600).
Status save_job_record(const std::string& dir, const JobRecord& job);
Status delete_job_files(const std::string& dir, const std::string& id);  // record and log

struct LoadedJobRecords {
  std::vector<JobRecord> records;
  std::vector<std::string> problems;  // one sentence per corrupt record (moved to *.corrupt)
};
// Every <id>.json in dir. A corrupt record is renamed to <id>.json.corrupt (so it is neither
// lost nor re-read) and reported; the others load. A missing dir is an empty result.
LoadedJobRecords load_job_records(const std::string& dir);

}  // namespace adrg
