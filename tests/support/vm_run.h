// Runs the QEMU e2e VM (tests/e2e/vm) from a test: image builds with their "cannot be had here"
// exit status, one guest run with everything a failure message needs, and the guest's
// "PASS|FAIL <check> <details>" lines.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace adrg::testing {

// The VM scripts exit 77 when QEMU, the kernel package or debootstrap cannot be had.
constexpr int kVmUnavailable = 77;

// $E2E_CACHE or /var/cache/adrg-e2e.
std::string vm_cache_dir();
// tests/e2e/vm/<script> with E2E_CACHE (and `env`, "K=V ...") set, bounded by `timeout`.
CommandResult run_vm_script(const std::string& script_and_args, std::chrono::seconds timeout,
                            const std::string& env = "");

// build-image.sh (kernel + busybox initramfs + scratch disk), bounded by `timeout`: GTEST_SKIPs
// loudly when QEMU or the kernel cannot be had here, fails the test when the build fails.
// Callers return when IsSkipped() || HasFatalFailure().
void build_vm_image(std::chrono::seconds timeout);

// The root image build-rootfs.sh builds for this checkout's package list (its --print-image).
std::string systemd_vm_rootfs();

// build-image.sh then build-rootfs.sh (the Debian root for --systemd runs),
// each bounded by `timeout`: GTEST_SKIPs loudly when QEMU, the kernel or debootstrap cannot be
// had here, fails the test when a build fails. Callers return when IsSkipped() ||
// HasFatalFailure().
void build_systemd_vm_images(std::chrono::seconds timeout);

struct VmRun {
  int exit_code = -1;  // run-vm.sh: 0 pass, 1 a check failed, 2 no verdict
  long long seconds = 0;
  std::string result;   // result.txt
  std::string context;  // run-vm.sh output, result.txt, guest.log, for failure messages
  std::string console;  // console.log (serial)
  // What the guest saved when something it waited on never answered (hang-diagnosis.txt,
  // run-hang-*.txt); empty when nothing hung.
  std::string diagnosis;
};
// run-vm.sh RUN_VM_ARGS with the share in `work_dir`; the guest gets `timeout_seconds`. `env`
// ("K=V ...") adds run-vm.sh settings, e.g. E2E_MEM.
VmRun run_vm(const std::string& run_vm_args, const std::string& work_dir,
             const std::string& adrg_binary, int timeout_seconds, const std::string& env = "");

// Prints the verdicts and the run's wall time; then every check in `required` was reported and
// every reported line is a PASS (gtest failures otherwise, each with the run's context), and
// the run's own exit status is 0. No verdict at all (boot failure, timeout) is one failure
// carrying the console.
void expect_vm_checks_pass(const VmRun& run, const std::vector<std::string>& required);

// "PASS name details" / "FAIL name details" lines -> name -> full line.
std::map<std::string, std::string> parse_verdicts(const std::string& text);

// A file's contents, or `fallback` when it cannot be read.
std::string read_or(const std::string& path, const std::string& fallback);

// After a failed Docker suite: the adrg.service and docker/containerd journals the guest saved
// on the share (adrg-journal.txt, docker-journal.txt), printed for the CI log.
void print_docker_guest_journals(const std::string& work_dir);

}  // namespace adrg::testing
