// End-to-end under a real systemd as PID 1: boots the e2e VM with build-rootfs.sh's Debian
// bookworm root (run-vm.sh --systemd) and runs tests/e2e/vm/guest/systemd-checks.sh there. The
// guest installs the repo's integrations/systemd/adrg.service unchanged, hardening included,
// with the adrg binary under test, and proves: `systemctl start` returns only after READY=1
// (Type=notify), a trigger freezes tier-3 cgroups, `systemctl reload` (SIGHUP) keeps the same
// process, `systemctl stop` exits clean with every cgroup value back byte-exact, and with a
// test-only stall (--fault-stall-seconds) the watchdog kills adrg while tier 3 is frozen,
// ExecStopPost's `adrg --cleanup` leaves nothing frozen or throttled, Restart=on-failure brings
// it back. The first rootfs build costs a debootstrap (minutes, then cached).
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
const std::string kUnit = ADRG_SOURCE_DIR "/integrations/systemd/adrg.service";

// Both under ctest's 600 s per test; a debootstrap from scratch took ~340 s on a loaded host.
constexpr std::chrono::seconds kRootfsBuildTimeout(570);
constexpr int kVmTimeoutSeconds = 540;

TEST(DaemonSystemdVm, RootfsBuildsWithDebootstrap) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: debootstrap needs root";
  build_systemd_vm_images(kRootfsBuildTimeout);
  if (IsSkipped() || HasFatalFailure()) return;
  const std::string image = systemd_vm_rootfs();
  EXPECT_EQ(::access(image.c_str(), R_OK), 0) << "'" << image << "'";
}

TEST(DaemonSystemdVm, ShippedUnitUnderRealSystemd) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: debootstrap and QEMU setup need root";
  ASSERT_EQ(::access(kAdrg.c_str(), X_OK), 0) << kAdrg << " not built";
  build_systemd_vm_images(kRootfsBuildTimeout);  // cached by the test above: seconds
  if (IsSkipped() || HasFatalFailure()) return;

  TempDir work;
  VmRun vm = run_vm("--systemd " ADRG_SOURCE_DIR "/tests/e2e/vm/guest/systemd-checks.sh " + kUnit +
                        ":files/adrg.service",
                    work.path(), kAdrg, kVmTimeoutSeconds);
  expect_vm_checks_pass(
      vm, {"pid1", "libraries", "workload", "start_notify", "status_api", "hardened_paths",
           "baseline", "freeze_tier3", "thaw_tier3", "reload", "stop", "restore_after_stop",
           "restore_after_watchdog", "watchdog", "restore_after_final_stop", "sanitizers"});
  if (HasFailure()) {
    std::printf("--- adrg.service journal\n%s\n",
                read_or(work.path() + "/adrg-journal.txt", "(none)").c_str());
  }
}

}  // namespace
}  // namespace adrg
