// Locating a container's cgroup v2 directory on fake cgroup trees (TempDir): pure v2, the hybrid
// layout of this host (v2 at <root>/unified), systemd's scope naming, and adrg itself running in
// a container whose /proc/<pid>/cgroup paths climb out of its cgroup namespace.
#include <gtest/gtest.h>

#include "integrations/docker/docker_parse.h"
#include "integrations/docker/inventory.h"
#include "tests/support/temp_dir.h"

namespace adrg::docker {
namespace {

using adrg::testing::TempDir;

constexpr const char* kId = "89466b5ddd5b2b4bd1a9cc0fd475af54758b72944cfa293408fbc351ee77d821";

TEST(DetectCgroupV2Root, PureV2HybridAndNone) {
  TempDir pure;
  pure.write("cgroup.controllers", "cpu io memory pids\n");
  pure.mkdir("unified");  // a stray directory must not matter when the root is v2 itself
  EXPECT_EQ(detect_cgroup_v2_root(pure.path()), pure.path());

  TempDir hybrid;  // v1 controllers at the root, an empty v2 hierarchy at unified/
  hybrid.mkdir("memory/docker");
  hybrid.mkdir("cpu");
  hybrid.write("unified/cgroup.controllers", "");
  EXPECT_EQ(detect_cgroup_v2_root(hybrid.path()), hybrid.path() + "/unified");

  TempDir v1_only;
  v1_only.mkdir("memory");
  EXPECT_EQ(detect_cgroup_v2_root(v1_only.path()), "");
}

TEST(ResolveContainerCgroup, DirectPathCgroupfsAndSystemd) {
  TempDir root;
  std::string cgroupfs = root.mkdir(std::string("docker/") + kId);
  auto parsed = parse_cgroup_file(std::string("0::/docker/") + kId + "\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(resolve_container_cgroup(root.path(), *parsed, kId), cgroupfs);

  std::string scope = root.mkdir(std::string("system.slice/docker-") + kId + ".scope");
  auto systemd = parse_cgroup_file(std::string("0::/system.slice/docker-") + kId + ".scope\n");
  ASSERT_TRUE(systemd.ok());
  EXPECT_EQ(resolve_container_cgroup(root.path(), *systemd, kId), scope);
}

TEST(ResolveContainerCgroup, OutsideNamespaceFallsBackToKnownLayoutsById) {
  TempDir root;
  // adrg in a container at /docker/<adrg>: a sibling reads "0::/../<id>", which stripped is
  // "/<id>" - not where it lives. The id finds it in Docker's cgroupfs layout.
  std::string real = root.mkdir(std::string("docker/") + kId);
  auto sibling = parse_cgroup_file(std::string("0::/../") + kId + "\n");
  ASSERT_TRUE(sibling.ok());
  ASSERT_TRUE(sibling->outside_namespace);
  EXPECT_EQ(resolve_container_cgroup(root.path(), *sibling, kId), real);

  TempDir systemd_root;
  std::string scope = systemd_root.mkdir(std::string("system.slice/docker-") + kId + ".scope");
  auto escaped = parse_cgroup_file(std::string("0::/../docker-") + kId + ".scope\n");
  ASSERT_TRUE(escaped.ok());
  EXPECT_EQ(resolve_container_cgroup(systemd_root.path(), *escaped, kId), scope);
}

TEST(ResolveContainerCgroup, NothingOnDiskOrNoV2) {
  TempDir root;
  auto parsed = parse_cgroup_file(std::string("0::/docker/") + kId + "\n");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(resolve_container_cgroup(root.path(), *parsed, kId), "");
  EXPECT_EQ(resolve_container_cgroup("", *parsed, kId), "");
}

}  // namespace
}  // namespace adrg::docker
