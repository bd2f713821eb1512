#include "tests/support/vm_run.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <sstream>

#include "core/fs.h"
#include "tests/support/process.h"

namespace adrg::testing {

namespace {
const std::string kVmDir = ADRG_SOURCE_DIR "/tests/e2e/vm";
}  // namespace

std::string vm_cache_dir() {
  const char* env = std::getenv("E2E_CACHE");
  return env != nullptr && *env != '\0' ? env : "/var/cache/adrg-e2e";
}

CommandResult run_vm_script(const std::string& script_and_args, std::chrono::seconds timeout,
                            const std::string& env) {
  return run_command(
      "E2E_CACHE=" + vm_cache_dir() + " " + env + " " + kVmDir + "/" + script_and_args, timeout);
}

namespace {
void build_vm_images(std::initializer_list<const char*> scripts, std::chrono::seconds timeout) {
  for (const char* script : scripts) {
    auto r = run_vm_script(script, timeout);
    if (r.exit_code == kVmUnavailable) {
      GTEST_SKIP() << "SKIPPED LOUDLY: " << script
                   << " cannot get QEMU, the kernel or debootstrap here:\n"
                   << r.output;
    }
    ASSERT_EQ(r.exit_code, 0) << script << "\n" << r.output;
  }
}
}  // namespace

void build_vm_image(std::chrono::seconds timeout) { build_vm_images({"build-image.sh"}, timeout); }

void build_systemd_vm_images(std::chrono::seconds timeout) {
  build_vm_images({"build-image.sh", "build-rootfs.sh"}, timeout);
}

std::string systemd_vm_rootfs() {
  auto r = run_vm_script("build-rootfs.sh --print-image 2>/dev/null", std::chrono::seconds(30));
  std::string path = r.output;
  while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
  return r.exit_code == 0 ? path : "";
}

VmRun run_vm(const std::string& run_vm_args, const std::string& work_dir,
             const std::string& adrg_binary, int timeout_seconds, const std::string& env) {
  VmRun run;
  auto started = std::chrono::steady_clock::now();
  // The host waits a little longer than QEMU's own deadline so run-vm.sh can report it.
  auto vm =
      run_vm_script("run-vm.sh " + run_vm_args, std::chrono::seconds(timeout_seconds + 30),
                    "E2E_WORK=" + work_dir + " E2E_TIMEOUT=" + std::to_string(timeout_seconds) +
                        " ADRG_BIN=" + adrg_binary + " " + env);
  run.exit_code = vm.exit_code;
  run.seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
          .count();
  run.result = read_or(work_dir + "/result.txt", "(no result.txt)");
  run.console = read_or(work_dir + "/console.log", "");
  run.context = "run-vm.sh exit " + std::to_string(vm.exit_code) + " after " +
                std::to_string(run.seconds) + " s\n--- run-vm.sh\n" + vm.output +
                "\n--- result.txt\n" + run.result + "\n--- guest.log\n" +
                read_or(work_dir + "/guest.log", "(no guest.log)");
  // Written by the systemd guest when its test.sh overran, and by docker-lib.sh's run_ctr when
  // a docker run never returned (adrg-e2e-diagnose): shown even when the retry passed, so that
  // a rare hang of the container runtime leaves its evidence in the CI log.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name != "hang-diagnosis.txt" && !name.starts_with("run-hang-")) continue;
    std::string text = read_or(entry.path().string(), "");
    constexpr std::size_t kShown = 60000;
    if (text.size() > kShown) text = text.substr(0, kShown) + "\n[... cut]";
    run.diagnosis += "\n--- " + name + "\n" + text;
  }
  run.context += run.diagnosis;
  return run;
}

void expect_vm_checks_pass(const VmRun& run, const std::vector<std::string>& required) {
  // Shown on success too: the measured values in the verdicts are the point of these tests.
  std::printf("%s\nVM run: %lld s\n%s", run.result.c_str(), run.seconds,
              run.exit_code == 0 ? run.diagnosis.c_str() : "");
  if (run.exit_code == 2) {
    ADD_FAILURE() << "no verdict from the guest (boot failure or timeout)\n"
                  << run.context << "\n--- console\n"
                  << run.console;
    return;
  }
  auto verdicts = parse_verdicts(run.result);
  for (const auto& check : required) {
    auto it = verdicts.find(check);
    if (it == verdicts.end()) {
      ADD_FAILURE() << "guest never reported " << check << "\n" << run.context;
      continue;
    }
    EXPECT_EQ(it->second.rfind("PASS ", 0), 0u) << it->second;
  }
  for (const auto& [name, line] : verdicts) EXPECT_EQ(line.rfind("PASS ", 0), 0u) << line;
  EXPECT_EQ(run.exit_code, 0) << run.context;
}

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

void print_docker_guest_journals(const std::string& work_dir) {
  std::printf("--- adrg.service journal\n%s\n--- docker/containerd journal\n%s\n",
              read_or(work_dir + "/adrg-journal.txt", "(none)").c_str(),
              read_or(work_dir + "/docker-journal.txt", "(none)").c_str());
}

}  // namespace adrg::testing
