// The actuator against the REAL kernel: freezing a job's cgroup v2 through cgroup.freeze
// (Documentation/admin-guide/cgroup-v2.rst, "Core Interface Files": cgroup.freeze, and
// cgroup.events "frozen" once every task stopped), thawing it on release, and after a
// simulated crash. Works on a hybrid host (cgroup2 at /sys/fs/cgroup/unified, no controllers)
// and on a pure v2 host; skips loudly where no writable cgroup2 exists.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "actuator/actuator.h"
#include "actuator/cleanup.h"
#include "core/fs.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

extern char** environ;

namespace adrg {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::TempDir;
using testing::wait_until;

bool is_cgroup2(const std::string& path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// Hybrid hosts mount cgroup2 at /sys/fs/cgroup/unified; a pure v2 host has it at /sys/fs/cgroup
// (recognised by cgroup.controllers at its root). Returns "" and a reason when there is none.
std::string find_cgroup2(std::string& why) {
  if (::geteuid() != 0) {
    why = "needs root to create a cgroup";
    return {};
  }
  if (is_cgroup2("/sys/fs/cgroup/unified")) return "/sys/fs/cgroup/unified";
  if (is_cgroup2("/sys/fs/cgroup") &&
      std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers")) {
    return "/sys/fs/cgroup";
  }
  why = "no cgroup2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup";
  return {};
}

pid_t spawn(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  return pid;
}

std::string proc_field(pid_t pid, const std::string& file, const std::string& key) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/" + file);
  if (!text) return {};
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(key + ":")) return trim(line.substr(key.size() + 1));
  }
  return {};
}

// utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15).
long long cpu_ticks(pid_t pid) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return -1;
  auto close = text->rfind(')');
  std::istringstream in(text->substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; in >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) {
      stime = std::stoll(field);
      break;
    }
  }
  return utime + stime;
}

std::string wchan(pid_t pid) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/wchan");
  return text ? trim(*text) : std::string();
}

class CgroupFreezeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    root_ = find_cgroup2(why);
    if (root_.empty()) GTEST_SKIP() << "SKIPPED (real cgroup2 needed): " << why;
    dir_ = root_ + "/adrg-itest-" + std::to_string(::getpid());
    if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
      std::string reason = Error::from_errno("mkdir " + dir_).describe();
      dir_.clear();
      GTEST_SKIP() << "SKIPPED (cgroup2 at " << root_ << " is not writable): " << reason;
    }
    if (!std::filesystem::exists(dir_ + "/cgroup.freeze")) {
      GTEST_SKIP() << "SKIPPED: kernel without the cgroup v2 freezer (cgroup.freeze, 5.2+)";
    }
    sleeper_ = spawn({"sleep", "60"});
    spinner_ = spawn({"sh", "-c", "while :; do :; done"});
    ASSERT_GT(sleeper_, 0);
    ASSERT_GT(spinner_, 0);
    for (pid_t pid : {sleeper_, spinner_}) {
      auto st = write_kernel_file(dir_ + "/cgroup.procs", std::to_string(pid));
      ASSERT_TRUE(st.ok()) << st.error().describe();
    }
    auto procs = read_text_file(dir_ + "/cgroup.procs");
    ASSERT_TRUE(procs.ok());
    ASSERT_NE(procs->find(std::to_string(sleeper_)), std::string::npos) << *procs;
  }

  void TearDown() override {
    // SIGKILL gets through the v2 freezer; thaw anyway so nothing lingers frozen if the kill
    // failed, then wait for the cgroup to empty before removing it.
    for (pid_t pid : {sleeper_, spinner_}) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    if (dir_.empty()) return;
    (void)write_kernel_file(dir_ + "/cgroup.freeze", "0");
    wait_until([&] {
      auto procs = read_text_file(dir_ + "/cgroup.procs");
      return procs && trim(*procs).empty();
    });
    wait_until([&] { return ::rmdir(dir_.c_str()) == 0 || errno == ENOENT; });
  }

  std::string events() const {
    auto text = read_text_file(dir_ + "/cgroup.events");
    return text ? *text : std::string();
  }
  bool frozen() const { return events().find("frozen 1") != std::string::npos; }
  bool thawed() const { return events().find("frozen 0") != std::string::npos; }

  ActuatorOptions options() const {
    ActuatorOptions o;
    o.cgroup_root = root_;
    o.journal_path = tmp_.path() + "/journal.json";
    o.cpu_count = 2;
    return o;
  }
  UnitSnapshot job() const {
    UnitSnapshot u;
    u.id = "itest-job";
    u.name = "itest";
    u.kind = UnitKind::kJob;
    u.tier = 3;
    u.cgroup_path = dir_;
    return u;
  }
  static DesiredState paused(bool with_cpu_max = false) {
    DesiredState d;
    auto& u = d.units["itest-job"];
    u.unit_id = "itest-job";
    u.paused = true;
    u.paused_by = {"thermal"};
    if (with_cpu_max) u.cpu_max_percent = 10;
    return d;
  }

  // The spinner's CPU time stops while frozen: proof that the freeze is real, not a flag.
  bool spinner_stopped() const {
    long long before = cpu_ticks(spinner_);
    std::this_thread::sleep_for(milliseconds(300));
    return cpu_ticks(spinner_) == before;
  }

  TempDir tmp_;
  std::string root_;
  std::string dir_;
  pid_t sleeper_ = -1;
  pid_t spinner_ = -1;
};

TEST_F(CgroupFreezeTest, PauseFreezesTheJobAndReleaseThawsIt) {
  ASSERT_TRUE(thawed()) << events();
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  // On a hybrid host the unified tree has no cpu controller: cpu.max is skipped with a warning,
  // the freeze still happens.
  actuator.apply(paused(/*with_cpu_max=*/true), {job()});
  ASSERT_TRUE(wait_until([&] { return frozen(); }, seconds(10))) << events();
  EXPECT_TRUE(actuator.applied().units.at("itest-job").paused);
  if (!std::filesystem::exists(dir_ + "/cpu.max")) {
    EXPECT_FALSE(actuator.applied().units.at("itest-job").cpu_max_percent);
  }
  // Frozen tasks sit in the freezer trap of the signal path ("S", wchan get_signal) and run no
  // more: the busy loop's CPU time stands still.
  EXPECT_TRUE(wait_until([&] { return wchan(sleeper_) == "get_signal"; }, seconds(5)))
      << "sleeper state " << proc_field(sleeper_, "status", "State") << " wchan "
      << wchan(sleeper_);
  EXPECT_TRUE(proc_field(spinner_, "status", "State").starts_with("S"))
      << proc_field(spinner_, "status", "State");
  EXPECT_TRUE(spinner_stopped());

  // The journal holds the original before the freeze happened.
  Journal journal(options().journal_path);
  ASSERT_TRUE(journal.load().ok());
  const auto* entry = journal.find({"itest-job", dir_, "cgroup.freeze", ""});
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(trim(entry->original), "0");
  EXPECT_EQ(journal.data().pauses.size(), 1u);

  ASSERT_TRUE(actuator.release_all().ok());
  ASSERT_TRUE(wait_until([&] { return thawed(); }, seconds(10))) << events();
  EXPECT_EQ(trim(*read_text_file(dir_ + "/cgroup.freeze")), "0");
  EXPECT_TRUE(wait_until([&] { return !spinner_stopped(); }, seconds(5)));
  ASSERT_TRUE(journal.load().ok());
  EXPECT_TRUE(journal.data().empty());
}

TEST_F(CgroupFreezeTest, DesiredStateWithoutThePauseThawsIt) {
  Actuator actuator(options(), nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(paused(), {job()});
  ASSERT_TRUE(wait_until([&] { return frozen(); }, seconds(10))) << events();
  actuator.apply(DesiredState{}, {job()});
  ASSERT_TRUE(wait_until([&] { return thawed(); }, seconds(10))) << events();
  EXPECT_TRUE(actuator.applied().units.empty());
}

TEST_F(CgroupFreezeTest, ACrashedRunIsThawedByTheNextStart) {
  {
    Actuator a(options(), nullptr, nullptr);
    ASSERT_TRUE(a.start().ok());
    a.apply(paused(), {job()});
    ASSERT_TRUE(wait_until([&] { return frozen(); }, seconds(10))) << events();
  }  // no release: a SIGKILLed daemon
  EXPECT_TRUE(frozen()) << events();
  Actuator b(options(), nullptr, nullptr);
  ASSERT_TRUE(b.start().ok());
  b.apply(DesiredState{}, {job()});
  ASSERT_TRUE(wait_until([&] { return thawed(); }, seconds(10))) << events();
}

TEST_F(CgroupFreezeTest, CleanupFromJournalThaws) {
  {
    Actuator a(options(), nullptr, nullptr);
    a.apply(paused(), {job()});
    ASSERT_TRUE(wait_until([&] { return frozen(); }, seconds(10))) << events();
  }
  ASSERT_TRUE(cleanup_from_journal(options()).ok());
  ASSERT_TRUE(wait_until([&] { return thawed(); }, seconds(10))) << events();
}

TEST_F(CgroupFreezeTest, DryRunDoesNotFreeze) {
  auto opts = options();
  opts.dry_run = true;
  Actuator actuator(opts, nullptr, nullptr);
  ASSERT_TRUE(actuator.start().ok());
  actuator.apply(paused(), {job()});
  EXPECT_FALSE(spinner_stopped());
  EXPECT_TRUE(thawed()) << events();
  EXPECT_FALSE(std::filesystem::exists(opts.journal_path));
}

}  // namespace
}  // namespace adrg
