#include "tests/support/cgroup2.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/fs.h"
#include "tests/support/wait.h"

namespace adrg::testing {

std::string find_freezable_cgroup2() {
  for (const char* dir : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    std::string probe = std::string(dir) + "/adrg-probe-" + std::to_string(::getpid());
    if (::mkdir(probe.c_str(), 0755) == 0) {
      bool freezable = ::access((probe + "/cgroup.freeze").c_str(), W_OK) == 0;
      ::rmdir(probe.c_str());
      if (freezable) return dir;
    }
  }
  return "";
}

bool cgroup_frozen(const std::string& cgroup_dir) {
  auto events = read_text_file(cgroup_dir + "/cgroup.events");
  return events && events->find("frozen 1") != std::string::npos;
}

void remove_cgroup_tree(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) remove_cgroup_tree(entry.path().string());
  }
  auto empty = [&] {
    auto procs = read_text_file(dir + "/cgroup.procs");
    return !procs || trim(*procs).empty();
  };
  if (!empty()) {
    (void)write_kernel_file(dir + "/cgroup.kill", "1");
    wait_until(empty);
  }
  ::rmdir(dir.c_str());
}

}  // namespace adrg::testing
