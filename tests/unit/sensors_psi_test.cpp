// parse_psi on good and malformed text, read_psi from a fake /proc tree, the path helpers, the
// unprivileged-window retry decision, trigger formatting and config requests.
#include <gtest/gtest.h>

#include <cerrno>

#include "sensors/psi.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

constexpr std::string_view kKernelText =
    "some avg10=1.50 avg60=0.75 avg300=0.10 total=12345\n"
    "full avg10=0.20 avg60=0.05 avg300=0.00 total=678\n";

TEST(ParsePsiTest, KernelFormat) {
  auto r = parse_psi(kKernelText);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_DOUBLE_EQ(r->some.avg10, 1.5);
  EXPECT_DOUBLE_EQ(r->some.avg60, 0.75);
  EXPECT_DOUBLE_EQ(r->some.avg300, 0.1);
  EXPECT_EQ(r->some.total_us, 12345u);
  EXPECT_TRUE(r->has_full);
  EXPECT_DOUBLE_EQ(r->full.avg10, 0.2);
  EXPECT_EQ(r->full.total_us, 678u);
}

TEST(ParsePsiTest, MissingFullLineAsOldCpuFile) {
  auto r = parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_full);
  EXPECT_EQ(r->full.total_us, 0u);
}

TEST(ParsePsiTest, ExtraWhitespaceOrderAndUnknownKeys) {
  auto r = parse_psi(
      "\n  full   total=5 avg300=0 avg60=1 avg10=2  \r\n\n"
      "\tsome avg10=99.99\tavg60=50 avg300=12.5 total=18446744073709551615 future=7\n\n");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_DOUBLE_EQ(r->some.avg10, 99.99);
  EXPECT_EQ(r->some.total_us, 18446744073709551615ull);
  EXPECT_DOUBLE_EQ(r->full.avg10, 2);
  EXPECT_TRUE(r->has_full);
}

TEST(ParsePsiTest, NoTrailingNewline) {
  auto r = parse_psi("some avg10=3.00 avg60=2.00 avg300=1.00 total=9");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->some.total_us, 9u);
}

TEST(ParsePsiTest, RejectsMalformed) {
  const char* bad[] = {
      "",
      "\n\n",
      "full avg10=0 avg60=0 avg300=0 total=0\n",  // no some line
      "some avg10=0 avg60=0 avg300=0\n",          // no total
      "some avg10=0 avg60=0 total=0\n",           // no avg300
      "some avg10=x avg60=0 avg300=0 total=0\n",
      "some avg10=1.0abc avg60=0 avg300=0 total=0\n",
      "some avg10=-1 avg60=0 avg300=0 total=0\n",
      "some avg10= avg60=0 avg300=0 total=0\n",
      "some avg10=0 avg60=0 avg300=0 total=-5\n",
      "some avg10=0 avg60=0 avg300=0 total=1.5\n",
      "some avg10=0 avg60=0 avg300=0 total=0 garbage\n",
      "some avg10=nan avg60=0 avg300=0 total=0\n",
      "some avg10=0 avg60=0 avg300=0 total=0\nsome avg10=0 avg60=0 avg300=0 total=0\n",
      "some avg10=0 avg60=0 avg300=0 total=0\nhalf avg10=0 avg60=0 avg300=0 total=0\n",
      "avg10=0 avg60=0 avg300=0 total=0\n",
  };
  for (const char* text : bad) {
    auto r = parse_psi(text);
    EXPECT_FALSE(r.ok()) << "accepted: \"" << text << "\"";
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, std::make_error_code(std::errc::invalid_argument));
    }
  }
}

TEST(PsiPathsTest, InjectedRoots) {
  EXPECT_EQ(system_psi_path("/proc", PsiResource::kCpu), "/proc/pressure/cpu");
  EXPECT_EQ(system_psi_path("/tmp/x/proc/", PsiResource::kIo), "/tmp/x/proc/pressure/io");
  EXPECT_EQ(cgroup_psi_path("/sys/fs/cgroup/system.slice/docker-1.scope", PsiResource::kMemory),
            "/sys/fs/cgroup/system.slice/docker-1.scope/memory.pressure");
}

TEST(ReadPsiTest, FakeProcTree) {
  testing::TempDir dir;
  dir.write("proc/pressure/memory", kKernelText);
  dir.write("proc/pressure/io", "some avg10=oops\n");
  const std::string proc = dir.path() + "/proc";
  auto good = read_psi(system_psi_path(proc, PsiResource::kMemory));
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->some.total_us, 12345u);
  auto malformed = read_psi(system_psi_path(proc, PsiResource::kIo));
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.error().message.find("pressure/io"), std::string::npos);
  auto missing = read_psi(system_psi_path(proc, PsiResource::kCpu));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code.value(), ENOENT);
}

TEST(ReadPsiTest, PerCgroupFile) {
  testing::TempDir dir;
  dir.write("cg/app/cpu.pressure", "some avg10=4.00 avg60=3.00 avg300=2.00 total=100\n");
  auto r = read_psi(cgroup_psi_path(dir.path() + "/cg/app", PsiResource::kCpu));
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->some.avg10, 4);
}

TEST(UnprivilegedWindowTest, RoundsUpOnlyNonMultiplesOnPermissionOrInvalid) {
  EXPECT_EQ(unprivileged_window_retry(EINVAL, 500000), 2000000u);
  EXPECT_EQ(unprivileged_window_retry(EPERM, 1000000), 2000000u);
  EXPECT_EQ(unprivileged_window_retry(EINVAL, 2000001), 4000000u);
  EXPECT_EQ(unprivileged_window_retry(EINVAL, 3999999), 4000000u);
  EXPECT_EQ(unprivileged_window_retry(EINVAL, 9500000), 10000000u);
  // Already a multiple: the error is about something else, retrying cannot help.
  EXPECT_FALSE(unprivileged_window_retry(EINVAL, 2000000).has_value());
  EXPECT_FALSE(unprivileged_window_retry(EPERM, 4000000).has_value());
  EXPECT_FALSE(unprivileged_window_retry(EINVAL, 0).has_value());
  // Other errors never retry.
  EXPECT_FALSE(unprivileged_window_retry(ENOENT, 500000).has_value());
  EXPECT_FALSE(unprivileged_window_retry(EBUSY, 500000).has_value());
}

TEST(PsiTriggerFormatTest, KernelSyntax) {
  PsiTriggerSpec spec{"full", 150000, 1000000};
  EXPECT_EQ(format_psi_trigger(spec), "full 150000 1000000");
  PsiTriggerConfig cfg{true, "some", 100, 500};
  auto from = PsiTriggerSpec::from_config(cfg);
  EXPECT_EQ(from.stall_us, 100000u);
  EXPECT_EQ(from.window_us, 500000u);
}

// What an edge proves: the kernel fires only after stall_us within window_us, so the share was at
// least their ratio; a window rounded up to 2 s (no CAP_SYS_RESOURCE) proves less.
TEST(PsiTriggerFormatTest, ProvenPercentIsStallOverWindow) {
  PsiTriggerSpec spec{"some", 150000, 1000000};
  EXPECT_DOUBLE_EQ(spec.proven_percent(), 15.0);
  spec.window_us = 2000000;
  EXPECT_DOUBLE_EQ(spec.proven_percent(), 7.5);
  spec.window_us = 0;
  EXPECT_DOUBLE_EQ(spec.proven_percent(), 0.0);
}

TEST(PsiTriggerTest, RejectsBadTypeAndMissingFile) {
  EXPECT_FALSE(PsiTrigger::open("/proc/pressure/cpu", {"most", 1000, 2000000}).ok());
  testing::TempDir dir;
  auto r = PsiTrigger::open(dir.path() + "/nope", {"some", 1000, 2000000});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code.value(), ENOENT);
}

TEST(SystemTriggerRequestsTest, FollowsConfig) {
  Config config;
  config.general.proc_root = "/fake/proc";
  auto requests = system_psi_trigger_requests(config);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].name, "memory");
  EXPECT_EQ(requests[0].path, "/fake/proc/pressure/memory");
  EXPECT_EQ(requests[0].spec.stall_us, 75000u);
  EXPECT_EQ(requests[0].spec.window_us, 500000u);
  EXPECT_EQ(requests[1].name, "io");
  config.io_pressure.trigger.enabled = false;
  config.memory_pressure.enabled = false;
  EXPECT_TRUE(system_psi_trigger_requests(config).empty());
}

}  // namespace
}  // namespace adrg
