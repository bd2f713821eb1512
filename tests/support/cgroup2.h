// Real-kernel test helpers for cgroup v2.
#pragma once

#include <string>

namespace adrg::testing {

// A cgroup2 mount where child directories get a working cgroup.freeze: /sys/fs/cgroup/unified
// on a hybrid host, /sys/fs/cgroup on a pure v2 one. "" when neither is writable (not root, no
// cgroup2): the caller skips with that reason.
std::string find_freezable_cgroup2();

// True when the cgroup's cgroup.events says "frozen 1", as the kernel reports a completed freeze.
bool cgroup_frozen(const std::string& cgroup_dir);

// Removes a test's cgroup subtree bottom-up: kills what still runs in each cgroup (cgroup.kill),
// waits until it is empty, rmdirs it (cgroupfs refuses unlink, and rmdir while populated).
void remove_cgroup_tree(const std::string& dir);

}  // namespace adrg::testing
