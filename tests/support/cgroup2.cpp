#include "tests/support/cgroup2.h"

#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"

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

}  // namespace adrg::testing
