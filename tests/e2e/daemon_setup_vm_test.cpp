// setup.sh under a real systemd as PID 1: boots the e2e VM with build-rootfs.sh's Debian
// bookworm root (run-vm.sh --systemd) and runs tests/e2e/vm/guest/setup-systemd-checks.sh there:
// `setup.sh --prebuilt` installs this build's adrg and adrgctl, enables and starts adrg.service
// (Type=notify: READY reached), /status answers; a second run after a user edit of
// /etc/adrg/config.yaml changes nothing (same MainPID, the edit kept); `setup.sh --uninstall`
// runs adrg --cleanup, stops, disables and removes it and keeps /etc/adrg.
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
const std::string kSrc = ADRG_SOURCE_DIR;

constexpr std::chrono::seconds kRootfsBuildTimeout(570);
constexpr int kVmTimeoutSeconds = 540;

TEST(DaemonSetupVm, SetupScriptTwiceRunningServiceThenUninstall) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: debootstrap and QEMU setup need root";
  ASSERT_EQ(::access(kAdrgctl.c_str(), X_OK), 0) << kAdrgctl << " not built";
  build_systemd_vm_images(kRootfsBuildTimeout);
  if (IsSkipped() || HasFatalFailure()) return;
  // What setup.sh --prebuilt reads besides the binaries, at the same relative paths.
  std::string extras = kAdrgctl;
  for (const char* file : {"setup.sh", "tools/packages.sh", "integrations/systemd/adrg.service",
                           "config/config.yaml", "config/adrg.env", "README.md"}) {
    extras += " " + kSrc + "/" + file + ":src/" + file;
  }
  TempDir work;
  VmRun vm = run_vm("--systemd " + kSrc + "/tests/e2e/vm/guest/setup-systemd-checks.sh " + extras,
                    work.path(), kAdrg, kVmTimeoutSeconds);
  expect_vm_checks_pass(
      vm, {"systemd-is-pid1", "setup-first-run", "unit-enabled", "service-active", "status-answers",
           "env-mode-0640", "setup-second-run", "setup-idempotent", "config-edit-kept",
           "not-restarted", "still-active", "adrgctl-status", "uninstall-run",
           "uninstall-cleanup-first", "service-gone", "binaries-gone", "unit-gone", "config-kept"});
  if (HasFailure()) {
    std::printf("--- setup-checks.log\n%s\n",
                read_or(work.path() + "/setup-checks.log", "(none)").c_str());
  }
}

}  // namespace
}  // namespace adrg
