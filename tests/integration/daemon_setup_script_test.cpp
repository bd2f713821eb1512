// setup.sh for real: installs into a staging root (--root) with the binaries this build made,
// twice, through both install paths (--prebuilt files and `cmake --install` of a build tree);
// the service is enabled offline with `systemctl --root` (this machine's PID 1 is not systemd;
// the VM harness proves a running service). The uninstall path is proven on the real kernel: a
// cgroup2 unit frozen by the installed daemon, which is then killed -9, is thawed by
// `setup.sh --uninstall` before anything is removed. The kernel checks run on fake /sys, /proc
// and /boot trees (ADRG_SETUP_* roots) and once on this machine's real ones.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/fs.h"
#include "tests/support/cgroup2.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using testing::run_command;
using testing::TempDir;
using testing::wait_until;

const std::string kSetup = ADRG_SOURCE_DIR "/setup.sh";
const std::string kAdrg = ADRG_DAEMON_BIN;
const std::string kAdrgctl = ADRG_CTL_BIN;

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

std::string read_file(const std::string& path) {
  auto text = read_text_file(path);
  return text.ok() ? *text : std::string("<unreadable " + path + ">");
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

class SetupScript : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "setup.sh installs as root";
    if (run_command("command -v systemctl").exit_code != 0) {
      GTEST_SKIP() << "no systemctl (systemd package) to enable the unit with";
    }
    root_ = dir_.mkdir("root");
    prebuilt_ = dir_.mkdir("prebuilt");
    std::filesystem::create_symlink(kAdrg, prebuilt_ + "/adrg");
    std::filesystem::create_symlink(kAdrgctl, prebuilt_ + "/adrgctl");
  }

  testing::CommandResult setup(const std::string& args) {
    return run_command(kSetup + " --root " + root_ + " " + args + " 2>&1",
                       std::chrono::seconds(300));
  }
  std::string at(const std::string& path) const { return root_ + path; }

  TempDir dir_;
  std::string root_;
  std::string prebuilt_;
};

TEST_F(SetupScript, InstallsTwiceWithoutChangingAnythingTheSecondTimeAndKeepsUserEdits) {
  auto first = setup("--prebuilt " + prebuilt_);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(read_file(at("/usr/sbin/adrg")), read_file(kAdrg));
  EXPECT_EQ(mode_of(at("/usr/sbin/adrg")), 0755u);
  EXPECT_EQ(read_file(at("/usr/bin/adrgctl")), read_file(kAdrgctl));
  EXPECT_EQ(read_file(at("/etc/adrg/config.yaml")),
            read_file(ADRG_SOURCE_DIR "/config/config.yaml"));
  EXPECT_EQ(mode_of(at("/etc/adrg/adrg.env")), 0640u);
  // The .deb's template, which offers (commented out) every ${ADRG_...} secret of the default
  // config.
  std::string env = read_file(at("/etc/adrg/adrg.env"));
  EXPECT_EQ(env, read_file(ADRG_SOURCE_DIR "/config/adrg.env"));
  std::string config = read_file(ADRG_SOURCE_DIR "/config/config.yaml");
  int offered = 0;
  for (std::size_t pos = config.find("${ADRG_"); pos != std::string::npos;
       pos = config.find("${ADRG_", pos + 2)) {
    std::string name = config.substr(pos + 2, config.find_first_of(":}", pos) - pos - 2);
    EXPECT_NE(env.find("\n#" + name + "="), std::string::npos) << name << " not offered:\n" << env;
    ++offered;
  }
  EXPECT_GE(offered, 8);
  std::string unit = read_file(at("/usr/lib/systemd/system/adrg.service"));
  EXPECT_NE(unit.find("ExecStart=/usr/sbin/adrg --config /etc/adrg/config.yaml"),
            std::string::npos);
  // Enabled: systemctl --root made the WantedBy= link.
  EXPECT_TRUE(exists(at("/etc/systemd/system/multi-user.target.wants/adrg.service")))
      << first.output;
  EXPECT_NE(first.output.find("/etc/adrg/config.yaml: OK"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("enabled: adrg.service"), std::string::npos) << first.output;

  // The user edits both files; a rerun keeps them and changes nothing else.
  std::string edited = read_file(at("/etc/adrg/config.yaml")) + "# my edit\n";
  ASSERT_TRUE(write_file_atomic(at("/etc/adrg/config.yaml"), edited, 0644).ok());
  ASSERT_TRUE(
      write_file_atomic(at("/etc/adrg/adrg.env"), "ADRG_MEDIA_API_KEY=secret\n", 0640).ok());
  auto second = setup("--prebuilt " + prebuilt_);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("done: nothing changed"), std::string::npos) << second.output;
  EXPECT_EQ(count(second.output, "installed:"), 0u) << second.output;
  EXPECT_NE(second.output.find("kept: /etc/adrg/config.yaml (yours"), std::string::npos)
      << second.output;
  EXPECT_EQ(read_file(at("/etc/adrg/config.yaml")), edited);
  EXPECT_EQ(read_file(at("/etc/adrg/adrg.env")), "ADRG_MEDIA_API_KEY=secret\n");
  EXPECT_EQ(mode_of(at("/etc/adrg/adrg.env")), 0640u);
}

TEST_F(SetupScript, CmakeInstallPathHonoursThePrefixAndIsIdempotent) {
  // `cmake --install` of this (already built) tree: --no-build, so the test never compiles in
  // the tree it runs from (a stale tree would rebuild here, for minutes).
  auto first = setup("--no-deps --no-build --build-dir " ADRG_BINARY_DIR " --prefix /usr/local");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(read_file(at("/usr/local/sbin/adrg")), read_file(kAdrg));
  EXPECT_EQ(read_file(at("/usr/local/bin/adrgctl")), read_file(kAdrgctl));
  EXPECT_TRUE(exists(at("/usr/local/share/adrg/config.yaml")));
  std::string unit = read_file(at("/usr/local/lib/systemd/system/adrg.service"));
  EXPECT_NE(unit.find("ExecStart=/usr/local/sbin/adrg --config"), std::string::npos) << unit;
  EXPECT_NE(unit.find("ExecStopPost=/usr/local/sbin/adrg --config"), std::string::npos) << unit;
  EXPECT_EQ(unit.find("/usr/sbin/adrg"), std::string::npos) << unit;
  EXPECT_GE(count(first.output, "installed: /usr/local/"), 5u) << first.output;

  auto second = setup("--no-deps --no-build --build-dir " ADRG_BINARY_DIR " --prefix /usr/local");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("done: nothing changed"), std::string::npos) << second.output;
  EXPECT_GE(count(second.output, "up to date: /usr/local/"), 5u) << second.output;
}

TEST_F(SetupScript, UninstallThawsWhatAKilledInstalledDaemonFrozeBeforeRemovingAnything) {
  std::string v2 = testing::find_freezable_cgroup2();
  if (v2.empty()) GTEST_SKIP() << "no writable cgroup2 with cgroup.freeze on this machine";
  auto installed = setup("--no-deps --prebuilt " + prebuilt_);
  ASSERT_EQ(installed.exit_code, 0) << installed.output;

  // A real cgroup2 unit with a process in it, governed through the installed config (the
  // user's edit: plain cgroup units, no Docker, journal in the temp dir).
  std::string units_root = v2 + "/adrg-setup-" + std::to_string(::getpid());
  std::string unit = units_root + "/bulk-job";
  ASSERT_EQ(::mkdir(units_root.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(unit.c_str(), 0755), 0);
  pid_t worker = ::fork();
  if (worker == 0) {
    ::execl("/bin/sleep", "sleep", "300", nullptr);
    ::_exit(127);
  }
  // Whatever fails below, the unit is thawed, emptied and removed.
  struct UnitGuard {
    std::string units_root, unit;
    pid_t worker;
    ~UnitGuard() {
      (void)write_kernel_file(unit + "/cgroup.freeze", "0");
      ::kill(worker, SIGKILL);
      ::waitpid(worker, nullptr, 0);
      wait_until([&] { return ::rmdir(unit.c_str()) == 0; }, std::chrono::seconds(5));
      ::rmdir(units_root.c_str());
    }
  } guard{units_root, unit, worker};
  ASSERT_TRUE(write_kernel_file(unit + "/cgroup.procs", std::to_string(worker)).ok());
  int port = testing::free_tcp_port();
  std::string config = at("/etc/adrg/config.yaml");
  testing::DaemonConfig yaml(dir_);
  yaml.poll_interval_seconds = std::nullopt;
  yaml.state_file = std::nullopt;
  yaml.cgroup_units_root = units_root;
  yaml.thermal_root = dir_.path() + "/none";
  yaml.hwmon_root = dir_.path() + "/none";
  yaml.port = port;
  yaml.unix_socket = "";
  yaml.extra = "tiers:\n  3: {name: Bulk, containers: [\"bulk-*\"]}\n";
  ASSERT_TRUE(write_file_atomic(config, daemon_yaml(yaml), 0644).ok());
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  {
    testing::ChildProcess daemon({at("/usr/sbin/adrg"), "--config", config},
                                 dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] {
      return run_command("curl -sf --max-time 1 " + url + "/healthz").exit_code == 0;
    })) << daemon.log();
    auto trig = run_command("curl -sf --max-time 2 -X POST -d '{\"event\":\"tier3_pause\"}' " +
                            url + "/trigger");
    ASSERT_EQ(trig.exit_code, 0) << trig.output;
    ASSERT_TRUE(wait_until([&] { return testing::cgroup_frozen(unit); })) << daemon.log();
    daemon.signal(SIGKILL);
    daemon.wait_exit();
  }
  ASSERT_TRUE(testing::cgroup_frozen(unit)) << "SIGKILL cannot thaw: the uninstall must";

  auto removed = setup("--uninstall");
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_TRUE(wait_until([&] { return !testing::cgroup_frozen(unit); })) << removed.output;
  auto restoring = removed.output.find("restoring everything adrg changed");
  auto first_removal = removed.output.find("removed: ");
  ASSERT_NE(restoring, std::string::npos) << removed.output;
  ASSERT_NE(first_removal, std::string::npos) << removed.output;
  EXPECT_LT(restoring, first_removal) << "cleanup must run before anything is removed";
  EXPECT_FALSE(exists(at("/usr/sbin/adrg")));
  EXPECT_FALSE(exists(at("/usr/bin/adrgctl")));
  EXPECT_FALSE(exists(at("/usr/lib/systemd/system/adrg.service")));
  EXPECT_FALSE(exists(at("/etc/systemd/system/multi-user.target.wants/adrg.service")));
  EXPECT_TRUE(exists(config)) << "the user's config is kept without --purge";
  EXPECT_TRUE(exists(at("/etc/adrg/adrg.env")));

  auto again = setup("--uninstall");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("done: nothing to remove"), std::string::npos) << again.output;
  auto purge = setup("--uninstall --purge");
  EXPECT_EQ(purge.exit_code, 0) << purge.output;
  EXPECT_FALSE(exists(at("/etc/adrg")));
}

// --- kernel checks on fake roots -----------------------------------------------------------------

struct FakeKernel {
  TempDir sys, proc, boot;
  std::string kconfig = boot.path() + "/config";

  void pure_v2(const std::string& controllers) const {
    sys.write("fs/cgroup/cgroup.controllers", controllers + "\n");
  }
  void psi() const {
    for (const char* r : {"cpu", "memory", "io"}) {
      proc.write(std::string("pressure/") + r, "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    }
  }
  testing::CommandResult check() const {
    return run_command("ADRG_SETUP_SYSFS=" + sys.path() + " ADRG_SETUP_PROCFS=" + proc.path() +
                       " ADRG_SETUP_BOOT=" + boot.path() + " ADRG_SETUP_KCONFIG=" + kconfig + " " +
                       kSetup + " --check 2>&1");
  }
};

TEST(SetupCheck, PureV2WithControllersAndPsiPasses) {
  FakeKernel k;
  k.pure_v2("cpuset cpu io memory hugetlb pids rdma misc");
  k.psi();
  k.proc.write("cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n");
  auto r = k.check();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("all kernel features present"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("MISSING"), std::string::npos) << r.output;
}

TEST(SetupCheck, RaspberryPiOsDefaultsNameCmdlineTxtMemoryCgroupAndPsi) {
  FakeKernel k;
  k.pure_v2("cpuset cpu io pids");  // Raspberry Pi OS: memory controller off by default
  k.boot.write("firmware/cmdline.txt", "console=serial0,115200 root=PARTUUID=x rootwait\n");
  k.proc.write("device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0") + '\0');
  k.proc.write("cmdline", "console=serial0,115200 cgroup_disable=memory root=PARTUUID=x\n");
  k.boot.write("config", "CONFIG_PSI=y\nCONFIG_PSI_DEFAULT_DISABLED=y\n");  // no /proc/pressure
  auto r = k.check();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("MISSING: cgroup v2 controller(s) memory"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("append 'cgroup_enable=memory cgroup_memory=1' to the single line in " +
                          k.boot.path() + "/firmware/cmdline.txt"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("cgroup_disable=memory: remove it"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MISSING: PSI (/proc/pressure): compiled in but disabled"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("append 'psi=1'"), std::string::npos) << r.output;
}

TEST(SetupCheck, HybridHostAsksForTheUnifiedHierarchyThroughGrub) {
  FakeKernel k;
  k.sys.mkdir("fs/cgroup/memory");
  k.sys.write("fs/cgroup/unified/cgroup.controllers", "");
  k.psi();
  auto r = k.check();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("this host is hybrid"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("add 'systemd.unified_cgroup_hierarchy=1' to GRUB_CMDLINE_LINUX"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("ok: PSI"), std::string::npos) << r.output;
}

TEST(SetupCheck, PsiOffOnTheCommandLineOrNotBuiltAreToldApart) {
  FakeKernel off;
  off.pure_v2("cpu io memory");
  off.proc.write("cmdline", "root=/dev/sda1 psi=0 quiet\n");
  auto r = off.check();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the kernel command line has psi=0"), std::string::npos) << r.output;

  FakeKernel unbuilt;
  unbuilt.pure_v2("cpu io memory");
  unbuilt.boot.write("config", "CONFIG_CGROUPS=y\n# CONFIG_PSI is not set\n");
  auto u = unbuilt.check();
  EXPECT_EQ(u.exit_code, 1) << u.output;
  EXPECT_NE(u.output.find("built without CONFIG_PSI"), std::string::npos) << u.output;
}

TEST(SetupCheck, ThisMachinesRealKernel) {
  auto r = run_command(kSetup + " --check 2>&1");
  bool pure = exists("/sys/fs/cgroup/cgroup.controllers");
  bool hybrid = !pure && exists("/sys/fs/cgroup/unified/cgroup.controllers");
  if (pure) {
    EXPECT_NE(r.output.find("ok: cgroup v2 (unified hierarchy)"), std::string::npos) << r.output;
  } else if (hybrid) {
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("this host is hybrid"), std::string::npos) << r.output;
  }
  bool psi = exists("/proc/pressure/cpu");
  EXPECT_EQ(r.output.find("ok: PSI") != std::string::npos, psi) << r.output;
}

}  // namespace
}  // namespace adrg
