// End-to-end on a real pure cgroup v2 kernel: boots Debian's kernel in QEMU (TCG) with a
// busybox initramfs (tests/e2e/vm/build-image.sh), runs tests/e2e/vm/guest/governor-checks.sh
// there against the real adrg binary, and asserts each of the guest's verdicts. One boot runs
// every check (TCG is slow; a boot is ~10-30 s before any check starts).
//
// What the guest measures (see the script for details): tier-2 cpu.max by media_start measured
// from cpu.stat, io.max read/write caps measured with O_DIRECT on a virtio disk, memory.high
// squeeze from a real memory PSI trigger, tier-3 freeze seen as "frozen 1", the io PSI trigger
// path, byte-exact restore of every governed file after SIGTERM and after kill -9 + --cleanup
// or restart.
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

// Under ctest's 600 s default per test: the guest run has its own, shorter deadline.
constexpr int kVmTimeoutSeconds = 540;

TEST(DaemonVm, ImageBuildsFromDebianPackages) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: the VM image build needs root (apt-get)";
  auto r = run_vm_script("build-image.sh", std::chrono::seconds(420));
  if (r.exit_code == kVmUnavailable) {
    GTEST_SKIP() << "SKIPPED LOUDLY: QEMU or the Debian kernel package is unavailable here:\n"
                 << r.output;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"vmlinuz", "initrd.cpio.gz", "disk.img", "e2e-helper"}) {
    EXPECT_EQ(::access((vm_cache_dir() + "/" + f).c_str(), R_OK), 0) << f;
  }
}

TEST(DaemonVm, GovernsPureCgroupV2UnitsInQemu) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: the VM image build needs root (apt-get)";
  ASSERT_EQ(::access(kAdrg.c_str(), X_OK), 0) << kAdrg << " not built";
  // Cached after the first call: only the initramfs is rebuilt (about a second).
  build_vm_image(std::chrono::seconds(420));
  if (IsSkipped() || HasFatalFailure()) return;

  TempDir work;
  VmRun vm = run_vm(ADRG_SOURCE_DIR "/tests/e2e/vm/guest/governor-checks.sh", work.path(), kAdrg,
                    kVmTimeoutSeconds);
  expect_vm_checks_pass(vm, {"start", "baseline", "psi_trigger_io", "memory_high_squeeze",
                             "freeze_tier3", "cpu_max_tier2", "io_max_tier2", "media_release",
                             "restore_after_sigterm", "kill9_summary"});
  if (HasFailure()) {
    std::printf("--- adrg-main.log\n%s\n", read_or(work.path() + "/adrg-main.log", "").c_str());
  }
}

}  // namespace
}  // namespace adrg
