// Jobs (`adrgctl run`) on a real pure cgroup v2 kernel: boots the busybox-initramfs VM
// (tests/e2e/vm/build-image.sh), runs tests/e2e/vm/guest/jobs-checks.sh there with the real adrg
// and adrgctl over the unix socket, and asserts each of the guest's verdicts.
//
// What the guest proves (the host's hybrid hierarchy has no cpu/memory/io/pids controllers to
// delegate): the job runs in jobs.cgroup_root/ID from its first instruction (clone3), an
// OOM-killed job reports state killed, signal 9, oom_kills and exit 137 through wait, cpu.max
// measured from cpu.stat, pids.max refusing forks, io.max measured with O_DIRECT, a tier-3 job
// frozen and a tier-2 job throttled by media_start and restored to its own limits by media_stop,
// --wait-for-calm queued under a real I/O PSI storm and admitted once it decays, and a job that
// survives adrg's SIGTERM thawed and is re-adopted by the next adrg.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "tests/support/temp_dir.h"
#include "tests/support/vm_run.h"

namespace adrg {
namespace {

using namespace testing;

const std::string kAdrg = ADRG_DAEMON_BIN;
const std::string kAdrgctl = ADRG_CTL_BIN;

// Under ctest's 600 s per test: the guest run has its own, shorter deadline.
constexpr int kVmTimeoutSeconds = 480;

TEST(DaemonJobsVm, JobLimitsAndRulesOnPureCgroupV2) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: the VM image build needs root (apt-get)";
  ASSERT_EQ(::access(kAdrg.c_str(), X_OK), 0) << kAdrg << " not built";
  ASSERT_EQ(::access(kAdrgctl.c_str(), X_OK), 0) << kAdrgctl << " not built";
  build_vm_image(std::chrono::seconds(420));  // cached: only the initramfs is rebuilt
  if (IsSkipped() || HasFatalFailure()) return;

  TempDir work;
  VmRun vm = run_vm(ADRG_SOURCE_DIR "/tests/e2e/vm/guest/jobs-checks.sh " + kAdrgctl, work.path(),
                    kAdrg, kVmTimeoutSeconds);
  expect_vm_checks_pass(
      vm, {"start", "job_in_cgroup", "oom_kill", "cpu_max_job", "freeze_tier3_job", "release_job",
           "pids_max_job", "job_cgroup_removed", "io_max_job", "admission_real_psi", "restart_job",
           "adopted_job_killed"});
  if (HasFailure()) {
    for (const char* log : {"adrg-jobs.log", "adrg-jobs-restart.log"}) {
      std::printf("--- %s\n%s\n", log, read_or(work.path() + "/" + log, "(none)").c_str());
    }
  }
}

}  // namespace
}  // namespace adrg
