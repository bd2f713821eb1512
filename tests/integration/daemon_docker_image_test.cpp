// The Docker install path for real: the Dockerfile (--build-arg PREBUILT, fed with
// the binaries this build made; the full compile inside `docker build` is a documented manual
// command, too slow for CI) is built on a local debootstrap base image (no registry here), run
// against the real dockerd with the documented flags, and must govern the HOST's containers: a
// busybox container by tier, listed in /status with its host cgroup path, paused by
// /trigger tier3_pause and unpaused by tier3_resume. Without the flags, adrg names the missing
// ones at start-up (container_env.h); without --pid host it still finds cgroups by id.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/fs.h"
#include "tests/support/daemon_config.h"
#include "tests/support/docker_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::wait_until;

const std::string kSource = ADRG_SOURCE_DIR;
const std::string kAdrg = ADRG_DAEMON_BIN;
const std::string kAdrgctl = ADRG_CTL_BIN;
const std::string kBase = "local/debian:bookworm";
const std::string kImage = "local/adrg:test";
// The documented run line (README "Docker install"), minus -d/--name and the config volumes.
// --cap-add SYS_RESOURCE (sub-2 s PSI trigger windows) only where this machine can grant it:
// the test machine is itself a container whose bounding set lacks it, and Docker then refuses
// to start any container asking for it (the same reason --privileged cannot be tested here).
std::string documented_flags() {
  auto status = read_text_file("/proc/self/status");
  std::string caps = status.ok() ? *status : "";
  auto at = caps.find("CapBnd:");
  bool sys_resource = at != std::string::npos &&
                      (std::stoull(caps.substr(at + 7), nullptr, 16) & (1ull << 24)) != 0;
  if (!sys_resource) std::printf("[ note  ] no CAP_SYS_RESOURCE here: run without --cap-add\n");
  return std::string(sys_resource ? "--cap-add SYS_RESOURCE " : "") +
         "--pid host --cgroupns host --network host -v /sys/fs/cgroup:/sys/fs/cgroup "
         "-v /var/run/docker.sock:/var/run/docker.sock";
}

class DockerImage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (!testing::ensure_docker(&why)) {
      skip_ = "no docker: " + why;
      return;
    }
    auto base = run_command(kSource + "/tools/docker-base-image.sh " + kBase + " 2>&1",
                            std::chrono::seconds(480));
    if (base.exit_code != 0) {
      skip_ = "no local base image (debootstrap needs Debian's mirror): " + base.output;
      return;
    }
    // A context with only what the prebuilt target copies (a repo context would send GBs).
    ctx_ = std::make_unique<testing::TempDir>();
    for (const char* file : {"Dockerfile", "tools/packages.sh", "config/config.yaml"}) {
      std::filesystem::create_directories(
          std::filesystem::path(ctx_->path() + "/" + file).parent_path());
      std::filesystem::copy_file(kSource + "/" + file, ctx_->path() + "/" + file);
    }
    std::filesystem::create_directories(ctx_->path() + "/prebuilt");
    std::filesystem::copy_file(kAdrg, ctx_->path() + "/prebuilt/adrg");
    std::filesystem::copy_file(kAdrgctl, ctx_->path() + "/prebuilt/adrgctl");
    // The CI build is ASan+UBSan: its runtime libraries go into the test image.
    std::string extra = run_command("ldd " + kAdrg + " | grep -q libasan").exit_code == 0
                            ? "libasan8 libubsan1"
                            : "";
    std::string old_id = testing::run_stdout("docker image inspect -f '{{.Id}}' " + kImage).output;
    auto start = std::chrono::steady_clock::now();
    auto build = run_command(
        "DOCKER_BUILDKIT=0 docker build -q --network host --build-arg PREBUILT=prebuilt "
        "--build-arg BASE=" +
            kBase + " --build-arg RUNTIME_BASE=" + kBase + " --build-arg 'EXTRA_PACKAGES=" + extra +
            "' -t " + kImage + " " + ctx_->path() + " 2>&1",
        std::chrono::seconds(480));
    if (build.exit_code != 0) {
      build_error_ = build.output;
      return;
    }
    std::printf("[ image ] %s built in %.1f s\n", kImage.c_str(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::string new_id = testing::run_stdout("docker image inspect -f '{{.Id}}' " + kImage).output;
    if (!old_id.empty() && old_id != new_id) (void)run_command("docker rmi " + old_id);
  }
  static void TearDownTestSuite() { ctx_.reset(); }

  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    ASSERT_TRUE(build_error_.empty()) << "docker build failed:\n" << build_error_;
    label_ = testing::unique_test_label();
    prefix_ = "adrgimg" + std::to_string(::getpid());
    ASSERT_TRUE(docker_.run_detached_parallel(
        {"--label " + label_ + " --name " + prefix_ +
             "-bulk local/busybox sh -c 'while :; do sleep 1; done'",
         "--label " + label_ + " --name " + prefix_ +
             "-web local/busybox sh -c 'while :; do sleep 1; done'"}));
    port_ = testing::free_tcp_port();
    etc_ = dir_.mkdir("etc");
    state_ = dir_.mkdir("state");
    // Read inside the adrg container: its journal and Docker socket are the image's defaults.
    testing::DaemonConfig config(dir_);
    config.poll_interval_seconds = std::nullopt;
    config.journal_file = std::nullopt;
    config.state_file = std::nullopt;
    config.thermal_root = "/nonexistent";
    config.hwmon_root = "/nonexistent";
    config.docker_socket = std::nullopt;
    config.port = port_;
    config.unix_socket = "";
    config.extra =
        "tiers:\n"
        "  1: {name: Interactive, containers: [\"" +
        prefix_ +
        "-web\"]}\n"
        "  3: {name: Bulk, containers: [\"" +
        prefix_ + "-bulk\"]}\n";
    dir_.write("etc/config.yaml", daemon_yaml(config));
  }

  void TearDown() override {
    if (!label_.empty()) {
      // The adrg container first: its SIGTERM path unpauses what it paused.
      (void)run_command("docker stop -t 20 " + prefix_ + "-adrg");
      docker_.remove_by_label(label_);
    }
  }

  // docker run -d <flags> the image; the adrg container carries the label for cleanup.
  std::string run_adrg(const std::string& flags) {
    auto r = testing::run_stdout("docker run -d --name " + prefix_ + "-adrg --label " + label_ +
                                 " " + flags + " -v " + etc_ + ":/etc/adrg:ro -v " + state_ +
                                 ":/var/lib/adrg " + kImage);
    EXPECT_TRUE(r.ok()) << r.output;
    return r.output;
  }
  std::string logs() { return run_command("docker logs " + prefix_ + "-adrg 2>&1").output; }
  std::string status() {
    return run_command("curl -s --max-time 2 http://127.0.0.1:" + std::to_string(port_) + "/status")
        .output;
  }
  std::string full_id(const std::string& name) {
    return testing::run_stdout("docker inspect -f '{{.Id}}' " + name).output;
  }
  bool paused(const std::string& name) {
    return testing::run_stdout("docker inspect -f '{{.State.Paused}}' " + name).output == "true";
  }
  void trigger(const std::string& event) {
    auto r = run_command("curl -sf --max-time 2 -X POST -d '{\"event\":\"" + event +
                         "\"}' http://127.0.0.1:" + std::to_string(port_) + "/trigger");
    ASSERT_EQ(r.exit_code, 0) << r.output << logs();
  }
  // The host path of a container's cgroup v2 directory, as adrg resolves it on the host.
  std::string host_cgroup(const std::string& id) {
    for (const std::string& v2 :
         {std::string("/sys/fs/cgroup"), std::string("/sys/fs/cgroup/unified")}) {
      if (!std::filesystem::exists(v2 + "/cgroup.controllers")) continue;
      for (const std::string& dir :
           {v2 + "/docker/" + id, v2 + "/system.slice/docker-" + id + ".scope"}) {
        if (std::filesystem::exists(dir)) return dir;
      }
    }
    return "";
  }

  static inline std::string skip_;
  static inline std::string build_error_;
  static inline std::unique_ptr<testing::TempDir> ctx_;
  testing::TempDir dir_;
  testing::DockerCli docker_;
  std::string label_, prefix_, etc_, state_;
  int port_ = 0;
};

TEST_F(DockerImage, GovernsTheHostsContainersWithTheDocumentedFlags) {
  run_adrg(documented_flags());
  const std::string bulk = prefix_ + "-bulk", web = prefix_ + "-web";
  ASSERT_TRUE(wait_until([&] { return status().find("\"" + bulk + "\"") != std::string::npos; },
                         std::chrono::seconds(60)))
      << logs();
  std::string s = status();
  EXPECT_NE(s.find("\"" + web + "\""), std::string::npos) << s;
  // The cgroup adrg resolved from inside its container is the host's directory of that container.
  std::string cgroup = host_cgroup(full_id(bulk));
  ASSERT_FALSE(cgroup.empty()) << "no cgroup v2 directory for " << bulk << " on this host";
  EXPECT_NE(s.find("\"cgroup\":\"" + cgroup + "\""), std::string::npos) << cgroup << "\n" << s;
  std::string log = logs();
  EXPECT_NE(log.find("running in a container (/.dockerenv): host cgroup tree yes, host pids yes, "
                     "host cgroupns yes"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find("container: "), std::string::npos) << "no missing flag expected:\n" << log;

  trigger("tier3_pause");
  EXPECT_TRUE(wait_until([&] { return paused(bulk); })) << logs();
  EXPECT_FALSE(paused(web));
  EXPECT_TRUE(wait_until([&] {
    return status().find("\"paused_by\":[\"manual\"]") != std::string::npos;
  })) << status();
  trigger("tier3_resume");
  EXPECT_TRUE(wait_until([&] { return !paused(bulk); })) << logs();

  // docker stop (SIGTERM) restores everything: pause again, stop adrg, the bulk one runs.
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return paused(bulk); })) << logs();
  auto stop = run_command("docker stop -t 20 " + prefix_ + "-adrg");
  EXPECT_EQ(stop.exit_code, 0) << stop.output;
  EXPECT_FALSE(paused(bulk)) << logs();
}

TEST_F(DockerImage, WithoutPidHostCgroupsAreFoundByIdAndTheFlagIsNamed) {
  run_adrg(
      "--cgroupns host --network host -v /sys/fs/cgroup:/sys/fs/cgroup "
      "-v /var/run/docker.sock:/var/run/docker.sock");
  const std::string bulk = prefix_ + "-bulk";
  ASSERT_TRUE(wait_until([&] { return status().find("\"" + bulk + "\"") != std::string::npos; },
                         std::chrono::seconds(60)))
      << logs();
  std::string cgroup = host_cgroup(full_id(bulk));
  ASSERT_FALSE(cgroup.empty());
  EXPECT_NE(status().find("\"cgroup\":\"" + cgroup + "\""), std::string::npos) << status();
  std::string log = logs();
  EXPECT_NE(log.find("host pids no"), std::string::npos) << log;
  EXPECT_NE(log.find("add --pid host"), std::string::npos) << log;
  trigger("tier3_pause");
  EXPECT_TRUE(wait_until([&] { return paused(bulk); })) << logs();
}

TEST_F(DockerImage, CheckConfigNamesEveryMissingFlag) {
  // `adrg --check-config` in a throw-away container with the given flags.
  auto check_config = [&](const std::string& flags) {
    return run_command("docker run --rm --label " + label_ + " --network host " + flags +
                       " -v /var/run/docker.sock:/var/run/docker.sock -v " + etc_ +
                       ":/etc/adrg:ro " + kImage +
                       " --config /etc/adrg/config.yaml --check-config 2>&1");
  };
  // Docker's defaults: private pid namespace, private cgroup namespace, its own cgroup mount.
  auto r = check_config("--cgroupns private");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("running in a container (/.dockerenv)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("-v /sys/fs/cgroup:/sys/fs/cgroup"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("add --pid host"), std::string::npos) << r.output;

  // The host's tree and pids, but a private cgroup namespace: only that flag is missing.
  auto ns = check_config("--pid host --cgroupns private -v /sys/fs/cgroup:/sys/fs/cgroup");
  EXPECT_EQ(ns.exit_code, 0) << ns.output;
  EXPECT_NE(ns.output.find("the cgroup namespace is private"), std::string::npos) << ns.output;
  EXPECT_NE(ns.output.find("add --cgroupns host"), std::string::npos) << ns.output;
  EXPECT_EQ(ns.output.find("add --pid host"), std::string::npos) << ns.output;
  EXPECT_EQ(ns.output.find("-v /sys/fs/cgroup:/sys/fs/cgroup"), std::string::npos) << ns.output;
}

}  // namespace
}  // namespace adrg
