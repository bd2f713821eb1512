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
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "core/fs.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::run_command;

const std::string kVmDir = ADRG_SOURCE_DIR "/tests/e2e/vm";
const std::string kAdrg = ADRG_BINARY_DIR "/core/daemon/adrg";
// build-image.sh exits 77 when QEMU or the kernel package cannot be had (no package mirror).
constexpr int kUnavailable = 77;

// Under ctest's 600 s default per test: the guest run has its own, shorter deadline.
constexpr int kVmTimeoutSeconds = 540;

std::string cache_dir() {
  const char* env = std::getenv("E2E_CACHE");
  return env != nullptr && *env != '\0' ? env : "/var/cache/adrg-e2e";
}

// "PASS name details" / "FAIL name details" lines → name → full line.
std::map<std::string, std::string> parse_verdicts(const std::string& text) {
  std::map<std::string, std::string> verdicts;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string verdict, name;
    if (!(words >> verdict >> name)) continue;
    if (verdict == "PASS" || verdict == "FAIL") verdicts[name] = line;
  }
  return verdicts;
}

std::string read_or(const std::string& path, const std::string& fallback) {
  auto text = read_text_file(path);
  return text ? *text : fallback;
}

TEST(DaemonVm, ImageBuildsFromDebianPackages) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: the VM image build needs root (apt-get)";
  auto r = run_command("E2E_CACHE=" + cache_dir() + " " + kVmDir + "/build-image.sh",
                       std::chrono::seconds(420));
  if (r.exit_code == kUnavailable) {
    GTEST_SKIP() << "SKIPPED LOUDLY: QEMU or the Debian kernel package is unavailable here:\n"
                 << r.output;
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* f : {"vmlinuz", "initrd.cpio.gz", "disk.img", "e2e-helper"}) {
    EXPECT_EQ(::access((cache_dir() + "/" + f).c_str(), R_OK), 0) << f;
  }
}

TEST(DaemonVm, GovernsPureCgroupV2UnitsInQemu) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED LOUDLY: the VM image build needs root (apt-get)";
  ASSERT_EQ(::access(kAdrg.c_str(), X_OK), 0) << kAdrg << " not built";
  // Cached after the first call: only the initramfs is rebuilt (about a second).
  auto image = run_command("E2E_CACHE=" + cache_dir() + " " + kVmDir + "/build-image.sh",
                           std::chrono::seconds(420));
  if (image.exit_code == kUnavailable) {
    GTEST_SKIP() << "SKIPPED LOUDLY: QEMU or the Debian kernel package is unavailable here:\n"
                 << image.output;
  }
  ASSERT_EQ(image.exit_code, 0) << image.output;

  testing::TempDir work;
  auto started = std::chrono::steady_clock::now();
  auto vm = run_command("E2E_CACHE=" + cache_dir() + " E2E_WORK=" + work.path() + " E2E_TIMEOUT=" +
                            std::to_string(kVmTimeoutSeconds) + " ADRG_BIN=" + kAdrg + " " +
                            kVmDir + "/run-vm.sh " + kVmDir + "/guest/governor-checks.sh",
                        std::chrono::seconds(kVmTimeoutSeconds + 30));
  auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  std::string result = read_or(work.path() + "/result.txt", "(no result.txt)");
  std::string guest_log = read_or(work.path() + "/guest.log", "(no guest.log)");
  std::string context = "run-vm.sh exit " + std::to_string(vm.exit_code) + " after " +
                        std::to_string(seconds) + " s\n--- run-vm.sh\n" + vm.output +
                        "\n--- result.txt\n" + result + "\n--- guest.log\n" + guest_log;
  // Shown on success too: the measured values are the point of this test.
  std::printf("%s\n", result.c_str());
  std::printf("VM run: %lld s\n", static_cast<long long>(seconds));
  ASSERT_NE(vm.exit_code, 2) << "no verdict from the guest (boot failure or timeout)\n"
                             << context << "\n--- console\n"
                             << read_or(work.path() + "/console.log", "");

  auto verdicts = parse_verdicts(result);
  for (const char* check : {"start", "baseline", "psi_trigger_io", "memory_high_squeeze",
                            "freeze_tier3", "cpu_max_tier2", "io_max_tier2", "media_release",
                            "restore_after_sigterm", "kill9_summary"}) {
    auto it = verdicts.find(check);
    ASSERT_NE(it, verdicts.end()) << "guest never reported " << check << "\n" << context;
    EXPECT_EQ(it->second.rfind("PASS ", 0), 0u) << it->second;
  }
  for (const auto& [name, line] : verdicts) {
    EXPECT_EQ(line.rfind("PASS ", 0), 0u) << line;
  }
  EXPECT_EQ(vm.exit_code, 0) << context;
  if (HasFailure()) {
    for (const char* log : {"adrg-main.log"}) {
      std::printf("--- %s\n%s\n", log, read_or(work.path() + "/" + log, "").c_str());
    }
  }
}

}  // namespace
}  // namespace adrg
