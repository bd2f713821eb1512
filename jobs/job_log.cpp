#include "jobs/job_log.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/fs.h"

namespace adrg {

namespace {

Result<std::uint64_t> file_size(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error::from_errno("stat " + path);
  return static_cast<std::uint64_t>(st.st_size);
}

// Moves [drop, end of file) to the start and truncates behind it. For filesystems without
// FALLOC_FL_COLLAPSE_RANGE (tmpfs, btrfs, NFS, ...). The job keeps appending meanwhile: whatever
// it appended while this copied is moved too, but a write that lands between the last size check
// and the ftruncate is lost. That window is microseconds; the collapse has none (it holds the
// inode lock, as the job's appends do).
Result<JobLogTrim> copy_tail_to_head(int fd, const std::string& path, std::uint64_t size,
                                     std::uint64_t drop) {
  std::vector<char> buffer(std::size_t{256} * 1024);
  std::uint64_t src = drop, dst = 0, end = size;
  for (;;) {
    while (src < end) {
      std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end - src));
      ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(src));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::from_errno("read " + path);
      if (n == 0) break;  // shrunk under us (the job truncated its own log): keep what was read
      for (ssize_t done = 0; done < n;) {
        ssize_t w = ::pwrite(fd, buffer.data() + done, static_cast<std::size_t>(n - done),
                             static_cast<off_t>(dst + static_cast<std::uint64_t>(done)));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Error::from_errno("write " + path);
        done += w;
      }
      src += static_cast<std::uint64_t>(n);
      dst += static_cast<std::uint64_t>(n);
    }
    auto now = file_size(fd, path);
    if (!now) return now.error();
    if (*now <= end || src < end) break;
    end = *now;
  }
  if (::ftruncate(fd, static_cast<off_t>(dst)) != 0) return Error::from_errno("truncate " + path);
  return JobLogTrim{drop, dst, false};
}

}  // namespace

Result<JobLogTrim> trim_job_log(const std::string& path, std::uint64_t max_bytes,
                                JobLogTrimMethod method) {
  // O_NOFOLLOW: the file belongs to the job's owner; the directory does not, but never follow.
  FdCloser fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return JobLogTrim{};
    return Error::from_errno("open " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno("stat " + path);
  if (!S_ISREG(st.st_mode)) {
    return Error{std::make_error_code(std::errc::invalid_argument), path + " is not a file"};
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size <= max_bytes) return JobLogTrim{0, size, false};
  const std::uint64_t keep = max_bytes - max_bytes / 8;
  std::uint64_t drop = size - keep;

  if (method == JobLogTrimMethod::kAuto) {
    // fallocate(2): the collapsed range must be a multiple of the filesystem block and end
    // before EOF. Rounding up keeps at most `keep` bytes. ext4 and XFS do it by moving extents,
    // not data (it writes the file's dirty pages back first: blocking, hence the worker).
    const std::uint64_t block =
        st.st_blksize > 0 ? static_cast<std::uint64_t>(st.st_blksize) : 4096;
    const std::uint64_t aligned = (drop + block - 1) / block * block;
    if (aligned < size) {
      if (::fallocate(fd.get(), FALLOC_FL_COLLAPSE_RANGE, 0, static_cast<off_t>(aligned)) == 0) {
        auto after = file_size(fd.get(), path);
        if (!after) return after.error();
        return JobLogTrim{aligned, *after, true};
      }
      // EOPNOTSUPP: the filesystem cannot (tmpfs, btrfs); EINVAL: not block-aligned after all
      // (st_blksize is only a hint; ENOTSUP is EOPNOTSUPP on Linux); ENOSYS on odd kernels.
      // Anything else is real.
      if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENOSYS) {
        return Error::from_errno("collapse the head of " + path);
      }
    }
  }
  return copy_tail_to_head(fd.get(), path, size, drop);
}

Result<JobLogSlice> read_job_log(const std::string& path, std::uint64_t dropped,
                                 std::uint64_t offset, std::size_t max) {
  JobLogSlice slice;
  slice.next = offset;
  FdCloser fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW));
  if (fd.get() < 0) {
    if (errno == ENOENT) return slice;  // queued, or never wrote anything
    return Error::from_errno("open " + path);
  }
  std::uint64_t physical = 0;
  if (offset < dropped) {
    slice.skipped = dropped - offset;  // the reader was behind the cut: resume at the oldest kept
  } else {
    physical = offset - dropped;
  }
  slice.data.resize(max);
  ssize_t n;
  do {
    n = ::pread(fd.get(), slice.data.data(), max, static_cast<off_t>(physical));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return Error::from_errno("read " + path);
  slice.data.resize(static_cast<std::size_t>(n));
  slice.next = dropped + physical + static_cast<std::uint64_t>(n);
  return slice;
}

}  // namespace adrg
