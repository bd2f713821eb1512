// A job's log bounded to its newest jobs.max_log_bytes (jobs/job_log): the head is cut
// off (collapsed where the filesystem can, else copied), the tail kept byte for byte, the
// dropped count reported, and readers' offsets keep counting every byte the job wrote.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "jobs/job_log.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

constexpr std::uint64_t kCap = 64 * 1024;

// Numbered lines, so any cut shows in the bytes: "line 000001\n" ...
std::string numbered(int from, int count) {
  std::string out;
  char line[32];
  for (int i = from; i < from + count; ++i) {
    int n = std::snprintf(line, sizeof line, "line %06d\n", i);
    out.append(line, static_cast<std::size_t>(n));
  }
  return out;
}

class JobLogTrimTest : public ::testing::TestWithParam<JobLogTrimMethod> {};

TEST_P(JobLogTrimTest, KeepsTheNewestBytesAndCountsTheDropped) {
  TempDir dir;
  std::string written = numbered(0, 20000);  // 240000 bytes, well over the 64 KiB cap
  std::string path = dir.write("job.log", written);
  auto trim = trim_job_log(path, kCap, GetParam());
  ASSERT_TRUE(trim) << trim.error().describe();
  std::string kept = dir.read("job.log");
  EXPECT_EQ(trim->size, kept.size());
  EXPECT_EQ(trim->dropped + kept.size(), written.size());
  // Trimmed to at most 7/8 of the cap (slack until the next trim), and not much below it.
  EXPECT_LE(kept.size(), kCap - kCap / 8);
  EXPECT_GE(kept.size(), kCap - kCap / 8 - 4096);
  EXPECT_EQ(kept, written.substr(trim->dropped)) << "the kept bytes are exactly the tail";
  if (GetParam() == JobLogTrimMethod::kCopy) {
    EXPECT_FALSE(trim->collapsed);
  }

  // Under the cap nothing happens; a missing file is not an error.
  auto again = trim_job_log(path, kCap, GetParam());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->dropped, 0u);
  EXPECT_EQ(again->size, kept.size());
  auto missing = trim_job_log(dir.path() + "/none.log", kCap, GetParam());
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->dropped, 0u);
}

TEST_P(JobLogTrimTest, AWriterThatKeepsAppendingLosesNothingAfterTheCut) {
  // The job's own O_APPEND fd stays open across the trim: its next write lands at the new end.
  TempDir dir;
  std::string path = dir.write("job.log", "");
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string first = numbered(0, 10000);
  ASSERT_EQ(::write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  auto trim = trim_job_log(path, kCap, GetParam());
  ASSERT_TRUE(trim) << trim.error().describe();
  ASSERT_GT(trim->dropped, 0u);
  std::string more = numbered(10000, 10);
  ASSERT_EQ(::write(fd, more.data(), more.size()), static_cast<ssize_t>(more.size()));
  ::close(fd);
  EXPECT_EQ(dir.read("job.log"), first.substr(trim->dropped) + more);
}

INSTANTIATE_TEST_SUITE_P(Methods, JobLogTrimTest,
                         ::testing::Values(JobLogTrimMethod::kAuto, JobLogTrimMethod::kCopy),
                         [](const auto& info) {
                           return info.param == JobLogTrimMethod::kAuto ? "CollapseOrCopy" : "Copy";
                         });

TEST(JobLogTrim, CollapsesOnAFilesystemThatCan) {
  // Proves the kernel path is really taken where the test's temp dir is ext4 or XFS; elsewhere
  // (tmpfs, btrfs) the copy above is what adrg uses, so say so instead of failing.
  TempDir dir;
  std::string path = dir.write("job.log", numbered(0, 20000));
  auto trim = trim_job_log(path, kCap);
  ASSERT_TRUE(trim) << trim.error().describe();
  if (!trim->collapsed) {
    GTEST_SKIP() << "SKIPPED: " << dir.path()
                 << " cannot FALLOC_FL_COLLAPSE_RANGE; the copy fallback was used";
  }
  EXPECT_EQ(trim->dropped % 512, 0u) << "a collapse cuts whole blocks";
}

TEST(JobLogRead, OffsetsCountEveryByteWrittenAndReportWhatWasDropped) {
  TempDir dir;
  std::string written = numbered(0, 20000);
  std::string path = dir.write("job.log", written);
  auto trim = trim_job_log(path, kCap);
  ASSERT_TRUE(trim);
  const std::uint64_t dropped = trim->dropped;
  ASSERT_GT(dropped, 0u);

  // A reader from the start is told how much it missed and gets the oldest byte still kept.
  auto from_start = read_job_log(path, dropped, 0, 100);
  ASSERT_TRUE(from_start) << from_start.error().describe();
  EXPECT_EQ(from_start->skipped, dropped);
  EXPECT_EQ(from_start->data, written.substr(dropped, 100));
  EXPECT_EQ(from_start->next, dropped + 100);

  // A follower past the cut continues where it was, nothing skipped.
  auto follow = read_job_log(path, dropped, dropped + 100, 1 << 20);
  ASSERT_TRUE(follow);
  EXPECT_EQ(follow->skipped, 0u);
  EXPECT_EQ(follow->data, written.substr(dropped + 100));
  EXPECT_EQ(follow->next, written.size());

  // At the end: nothing new, the same offset again.
  auto end = read_job_log(path, dropped, written.size(), 100);
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->data.empty());
  EXPECT_EQ(end->next, written.size());

  // No file yet (a queued job): empty, not an error.
  auto none = read_job_log(dir.path() + "/queued.log", 0, 0, 100);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->data.empty());
  EXPECT_EQ(none->next, 0u);
}

}  // namespace
}  // namespace adrg
