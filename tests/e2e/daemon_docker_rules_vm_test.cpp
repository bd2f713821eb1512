// End-to-end with real Docker on a real pure cgroup v2 kernel, the rules around the pause: boots
// the systemd e2e VM once (run-vm.sh --systemd, build-rootfs.sh's Debian bookworm root with
// docker.io 20.10, systemd cgroup driver) and runs tests/e2e/vm/guest/docker-rules-checks.sh
// with adrg as the shipped unit and the default docker_socket. The guest proves: the user's own
// `docker run` limits are never loosened (effective = stricter of the user's and adrg's, both
// in /status); a trigger cycle and kill -9 at random points (tools/kill9-soak.sh, then the
// unit's ExecStopPost) leave every file byte-exact; a fio storm in tier 3 gets io.max and loses
// it only after the recovery hold; a stress-ng memory storm squeezes tier 3's memory.high and
// restarts the highest-RSS tier-3 container, never tier 0/1; a dockerd restart while media is
// active is reported on /events and /status and everything is paused and throttled again.
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
const std::string kGuest = ADRG_SOURCE_DIR "/tests/e2e/vm/guest/";
const std::string kUnit = ADRG_SOURCE_DIR "/integrations/systemd/adrg.service";
const std::string kSoak = ADRG_SOURCE_DIR "/tools/kill9-soak.sh";

constexpr std::chrono::seconds kRootfsBuildTimeout(570);
// Boot, dockerd, ~8 docker runs at 10-20 s each, storms and a dockerd restart under TCG: 8-13 min
// measured, ~10 min of it with a second guest on the host's 2 cores (ctest's TIMEOUT for e2e is
// 1200 s).
constexpr int kVmTimeoutSeconds = 1140;
constexpr int kGuestMemMiB = 2048;  // dockerd, containerd, shims and a 400 MB memory hog

TEST(DaemonDockerRulesVm, UserLimitsKillNinePressureAndDockerdRestart) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: debootstrap and QEMU setup need root";
  ASSERT_EQ(::access(kAdrg.c_str(), X_OK), 0) << kAdrg << " not built";
  build_systemd_vm_images(kRootfsBuildTimeout);
  if (IsSkipped() || HasFatalFailure()) return;

  TempDir work;
  VmRun vm =
      run_vm("--systemd " + kGuest + "docker-rules-checks.sh " + kUnit + ":files/adrg.service " +
                 kSoak + ":kill9-soak.sh",
             work.path(), kAdrg, kVmTimeoutSeconds, "E2E_MEM=" + std::to_string(kGuestMemMiB));
  expect_vm_checks_pass(vm, {"user_limits", "user_limits_media", "cycle_restores", "kill9_soak",
                             "io_storm", "io_lift", "memory_squeeze", "memory_restart",
                             "docker_restart", "docker_restart_release", "sanitizers"});
  if (HasFailure()) print_docker_guest_journals(work.path());
}

}  // namespace
}  // namespace adrg
