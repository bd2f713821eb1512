// adrg's own surroundings on fake roots (TempDir): a plain host, a well-run container (--pid host,
// --cgroupns host, the host's /sys/fs/cgroup), Docker's defaults (private pid and cgroup
// namespaces, its own cgroup mount), and the half-way cases; each gap names its docker run flag.
// The same detection runs on the real kernel in the Docker image test
// (tests/integration/daemon_docker_image_test.cpp).
#include <gtest/gtest.h>

#include "integrations/docker/container_env.h"
#include "integrations/docker/inventory.h"
#include "tests/support/temp_dir.h"

namespace adrg::docker {
namespace {

using adrg::testing::TempDir;

constexpr pid_t kPid = 4242;
constexpr const char* kSelf = "/docker/0123456789abcdef";

// A fake machine: / (markers), /proc, and a cgroup2 mount.
struct FakeMachine {
  TempDir root;
  TempDir proc;
  TempDir cgroup;

  ContainerEnvRoots roots() const {
    ContainerEnvRoots r;
    r.root = root.path();
    r.proc_root = proc.path();
    r.cgroup_root = cgroup.path();
    r.cgroup_v2_root = detect_cgroup_v2_root(cgroup.path());
    r.self_pid = kPid;
    return r;
  }
  // The host's real root cgroup: cgroup.controllers, no cgroup.freeze / cgroup.type.
  void host_cgroup_tree() const { cgroup.write("cgroup.controllers", "cpu io memory pids\n"); }
  // What Docker mounts in a private cgroupns: the container's own (non-root) cgroup.
  void own_cgroup_mount() const {
    cgroup.write("cgroup.controllers", "cpu io memory pids\n");
    cgroup.write("cgroup.freeze", "0\n");
    cgroup.write("cgroup.type", "domain\n");
    cgroup.write("cgroup.procs", "1\n");
  }
  void host_pids() const {
    proc.write("1/cgroup", "0::/init.scope\n");
    proc.write("2/comm", "kthreadd\n");
  }
  // adrg in the host's cgroup namespace: /proc/self/cgroup names where its pid really is.
  void host_cgroupns() const {
    proc.write("self/cgroup", std::string("0::") + kSelf + "\n");
    cgroup.write(std::string(kSelf).substr(1) + "/cgroup.procs", "17\n4242\n");
  }
  // A private cgroupns: adrg sits at the root of its namespace.
  void private_cgroupns() const {
    proc.write("self/cgroup", "0::/\n");
    cgroup.write(std::string(kSelf).substr(1) + "/cgroup.procs", "4242\n");
  }
};

TEST(ContainerEnv, PlainHostIsNotAContainerAndHasNothingToFix) {
  FakeMachine m;
  m.host_cgroup_tree();
  m.host_pids();
  m.proc.write("self/cgroup", "0::/system.slice/adrg.service\n");
  m.cgroup.write("system.slice/adrg.service/cgroup.procs", "4242\n");
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_FALSE(env.in_container);
  EXPECT_TRUE(env.host_pids_visible);
  EXPECT_TRUE(env.host_cgroup_tree);
  EXPECT_TRUE(env.host_cgroup_namespace);
  EXPECT_TRUE(env.problems.empty());
}

TEST(ContainerEnv, DockerWithHostPidHostCgroupnsAndTheHostTreeIsComplete) {
  FakeMachine m;
  m.root.write(".dockerenv", "");
  m.host_cgroup_tree();
  m.host_pids();
  m.host_cgroupns();
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_TRUE(env.in_container);
  EXPECT_EQ(env.evidence, "/.dockerenv");
  EXPECT_TRUE(env.host_pids_visible);
  EXPECT_TRUE(env.host_cgroup_tree);
  EXPECT_TRUE(env.host_cgroup_namespace);
  EXPECT_TRUE(env.problems.empty()) << env.problems.front();
}

TEST(ContainerEnv, DockerDefaultsNameTheCgroupMountAndPidHost) {
  FakeMachine m;
  m.root.write(".dockerenv", "");
  m.own_cgroup_mount();
  m.proc.write("1/cgroup", "0::/\n");  // pid 1 is the container's entrypoint; no kthreadd
  m.proc.write("self/cgroup", "0::/\n");
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_TRUE(env.in_container);
  EXPECT_FALSE(env.host_pids_visible);
  EXPECT_FALSE(env.host_cgroup_tree);
  ASSERT_EQ(env.problems.size(), 2u);
  EXPECT_NE(env.problems[0].find("-v /sys/fs/cgroup:/sys/fs/cgroup"), std::string::npos)
      << env.problems[0];
  EXPECT_NE(env.problems[0].find("--cgroupns host"), std::string::npos) << env.problems[0];
  EXPECT_NE(env.problems[1].find("--pid host"), std::string::npos) << env.problems[1];
}

TEST(ContainerEnv, HostTreeButPrivateCgroupnsAsksForCgroupnsHost) {
  FakeMachine m;
  m.root.write(".dockerenv", "");
  m.host_cgroup_tree();
  m.host_pids();
  m.private_cgroupns();  // "0::/" but the host root's cgroup.procs does not list adrg
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_TRUE(env.host_cgroup_tree);
  EXPECT_FALSE(env.host_cgroup_namespace);
  ASSERT_EQ(env.problems.size(), 1u);
  EXPECT_NE(env.problems[0].find("--cgroupns host"), std::string::npos) << env.problems[0];
  EXPECT_NE(env.problems[0].find("docker/<id>"), std::string::npos) << env.problems[0];
}

TEST(ContainerEnv, PrivatePidNamespaceAloneAsksForPidHost) {
  FakeMachine m;
  m.root.write("run/.containerenv", "engine=\"podman\"\n");
  m.host_cgroup_tree();
  m.host_cgroupns();
  m.proc.write("1/cgroup", "0::/\n");
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_EQ(env.evidence, "/run/.containerenv");
  ASSERT_EQ(env.problems.size(), 1u);
  EXPECT_NE(env.problems[0].find("--pid host"), std::string::npos) << env.problems[0];
}

TEST(ContainerEnv, InitInADockerCgroupIsEvidenceWithoutMarkerFiles) {
  FakeMachine m;
  m.host_cgroup_tree();
  m.host_cgroupns();
  m.proc.write("1/cgroup", "12:memory:/docker/abc\n0::/docker/abc\n");
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_TRUE(env.in_container);
  EXPECT_EQ(env.evidence, "/proc/1/cgroup");
}

TEST(ContainerEnv, NoCgroupV2AtAllAsksForTheMount) {
  FakeMachine m;
  m.root.write(".dockerenv", "");
  m.host_pids();
  m.cgroup.mkdir("memory");  // v1 only
  ContainerEnv env = detect_container_env(m.roots());
  EXPECT_FALSE(env.host_cgroup_tree);
  ASSERT_EQ(env.problems.size(), 1u);
  EXPECT_NE(env.problems[0].find("no cgroup v2 hierarchy under " + m.cgroup.path()),
            std::string::npos)
      << env.problems[0];
}

TEST(ResolveContainerCgroupById, FindsDockerLayoutsWithoutProc) {
  TempDir cgroup;
  const std::string id = "89466b5ddd5b";
  EXPECT_EQ(resolve_container_cgroup_by_id(cgroup.path(), id), "");
  std::string scope = cgroup.mkdir("system.slice/docker-" + id + ".scope");
  EXPECT_EQ(resolve_container_cgroup_by_id(cgroup.path(), id), scope);
  std::string cgroupfs = cgroup.mkdir("docker/" + id);
  EXPECT_EQ(resolve_container_cgroup_by_id(cgroup.path(), id), cgroupfs);
  EXPECT_EQ(resolve_container_cgroup_by_id("", id), "");
  EXPECT_EQ(resolve_container_cgroup_by_id(cgroup.path(), ""), "");
}

}  // namespace
}  // namespace adrg::docker
