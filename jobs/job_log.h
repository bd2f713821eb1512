// A job's log, <state_dir>/<ID>.log, bounded to its newest jobs.max_log_bytes (issue 16).
//
// The job writes the file itself: its stdout and stderr are the file, opened O_APPEND by the
// spawner. That is what keeps a job alive across an adrg restart — a pipe through the daemon
// would leave the job writing into a pipe nobody reads (EPIPE, SIGPIPE) the moment adrg stops,
// and jobs must outlive adrg. So the bound is kept from outside: the JobManager checks the size
// of running jobs' logs on the blocking worker and, past the cap, cuts the oldest bytes off the
// head in place. O_APPEND makes that safe for the writer: each of its writes lands at whatever
// the end of the file is then.
//
// Offsets stay stable for readers: an offset counts every byte the job ever wrote, so a reader
// maps it to the file by subtracting the bytes dropped so far (kept in the job's record).
//
// Everything here does file I/O: worker thread only.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace adrg {

enum class JobLogTrimMethod {
  kAuto,  // FALLOC_FL_COLLAPSE_RANGE, the copy where the filesystem cannot collapse
  kCopy,  // always the copy (tests prove the fallback on ext4 too)
};

struct JobLogTrim {
  std::uint64_t dropped = 0;  // bytes cut off the head by this call (0: under the cap)
  std::uint64_t size = 0;     // the file's size afterwards (0 when it does not exist)
  bool collapsed = false;     // the kernel collapsed the range (else copied, or nothing to do)
};

// When the file at `path` holds more than `max_bytes`, drops its oldest bytes so that at most
// `max_bytes` - `max_bytes`/8 of the newest remain (the slack keeps a chatty job from costing a
// trim per block). A missing file is not an error.
[[nodiscard]] Result<JobLogTrim> trim_job_log(const std::string& path, std::uint64_t max_bytes,
                                              JobLogTrimMethod method = JobLogTrimMethod::kAuto);

struct JobLogSlice {
  std::string data;
  std::uint64_t next = 0;     // the offset to ask for next (offsets count every byte written)
  std::uint64_t skipped = 0;  // bytes between the requested offset and `data` that were dropped
};

// Up to `max` bytes from `offset` of a log whose first `dropped` bytes were cut off by
// trim_job_log. A missing file reads as empty.
[[nodiscard]] Result<JobLogSlice> read_job_log(const std::string& path, std::uint64_t dropped,
                                               std::uint64_t offset, std::size_t max);

}  // namespace adrg
