// job_cgroup on a fake cgroup tree in a temp dir: which files get written, which errors come back
// (the real kernel's side is in tests/integration/daemon_job_spawner_test.cpp).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "jobs/job_cgroup.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

// A cgroup2 mount's top ("root") with adrg.slice below it; every level offers `offered`.
// with_jobs_root: the jobs root exists already, as the kernel would have made it.
void lay_out_tree(const TempDir& tmp, const std::string& offered, bool with_jobs_root = false) {
  std::vector<std::string> dirs = {"root", "root/adrg.slice"};
  if (with_jobs_root) dirs.emplace_back("root/adrg.slice/jobs");
  for (const std::string& dir : dirs) {
    tmp.write(dir + "/cgroup.controllers", offered + "\n");
    tmp.write(dir + "/cgroup.subtree_control", "\n");
    tmp.write(dir + "/cgroup.procs", "");
  }
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

TEST(JobCgroup, CreatesRootAndJobDirWithoutLimitsTouchingNoSubtreeControl) {
  TempDir tmp;
  lay_out_tree(tmp, "");
  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs", "backup", {});
  ASSERT_TRUE(dir) << dir.error().describe();
  EXPECT_EQ(*dir, tmp.path() + "/root/adrg.slice/jobs/backup");
  EXPECT_TRUE(is_dir(*dir));
  EXPECT_EQ(tmp.read("root/cgroup.subtree_control"), "\n");
  EXPECT_EQ(tmp.read("root/adrg.slice/cgroup.subtree_control"), "\n");
}

TEST(JobCgroup, EnablesControllersTopDownAndWritesEveryLimit) {
  TempDir tmp;
  lay_out_tree(tmp, "cpuset cpu io memory pids", true);
  tmp.write("root/adrg.slice/jobs/cgroup.subtree_control", "memory\n");  // enabled already
  JobLimits limits;
  limits.cpu_max = "50000 100000";
  limits.cpu_weight = 50;
  limits.memory_max = 1073741824;
  limits.memory_high = 805306368;
  limits.io_max = {"8:0 rbps=1048576", "259:0 wiops=max riops=100"};
  limits.pids_max = 64;

  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs/", "nightly_backup-2.x", limits);
  ASSERT_TRUE(dir) << dir.error().describe();
  EXPECT_EQ(tmp.read("root/cgroup.subtree_control"), "+cpu +io +memory +pids");
  EXPECT_EQ(tmp.read("root/adrg.slice/cgroup.subtree_control"), "+cpu +io +memory +pids");
  EXPECT_EQ(tmp.read("root/adrg.slice/jobs/cgroup.subtree_control"), "+cpu +io +pids");
  std::string job = "root/adrg.slice/jobs/nightly_backup-2.x/";
  EXPECT_EQ(tmp.read(job + "cpu.max"), "50000 100000");
  EXPECT_EQ(tmp.read(job + "cpu.weight"), "50");
  EXPECT_EQ(tmp.read(job + "memory.max"), "1073741824");
  EXPECT_EQ(tmp.read(job + "memory.high"), "805306368");
  // io.max takes one device per write; on a plain file the last one stays.
  EXPECT_EQ(tmp.read(job + "io.max"), "259:0 wiops=max riops=100");
  EXPECT_EQ(tmp.read(job + "pids.max"), "64");
  // The job's own directory never gets controllers enabled: it holds the job's processes.
  EXPECT_EQ(tmp.read(job + "cgroup.subtree_control"), "");
}

TEST(JobCgroup, MissingControllerNamesControllerAndFile) {
  TempDir tmp;
  lay_out_tree(tmp, "cpu io pids");
  JobLimits limits;
  limits.memory_max = 1 << 20;
  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs", "j1", limits);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, std::errc::not_supported);
  std::string text = dir.error().describe();
  EXPECT_NE(text.find("'memory'"), std::string::npos) << text;
  EXPECT_NE(text.find(tmp.path() + "/root/cgroup.controllers"), std::string::npos) << text;
  EXPECT_FALSE(is_dir(tmp.path() + "/root/adrg.slice/jobs/j1"));
}

TEST(JobCgroup, RefusesToEnableControllersInACgroupHoldingProcesses) {
  TempDir tmp;
  lay_out_tree(tmp, "cpu memory");
  tmp.write("root/adrg.slice/cgroup.procs", "1234\n");
  JobLimits limits;
  limits.cpu_weight = 10;
  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs", "j1", limits);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, std::errc::device_or_resource_busy);
  std::string text = dir.error().describe();
  EXPECT_NE(text.find(tmp.path() + "/root/adrg.slice/cgroup.subtree_control"), std::string::npos)
      << text;
  EXPECT_NE(text.find("holds processes"), std::string::npos) << text;
  EXPECT_EQ(tmp.read("root/adrg.slice/cgroup.subtree_control"), "\n");
}

TEST(JobCgroup, TopOfTheMountMayHoldProcesses) {
  TempDir tmp;
  lay_out_tree(tmp, "cpu", true);
  tmp.write("root/cgroup.procs", "1\n");  // the root cgroup is exempt from the rule
  JobLimits limits;
  limits.cpu_weight = 10;
  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs", "j1", limits);
  ASSERT_TRUE(dir) << dir.error().describe();
  EXPECT_EQ(tmp.read("root/cgroup.subtree_control"), "+cpu");
}

TEST(JobCgroup, ExistingJobDirIsAnError) {
  TempDir tmp;
  lay_out_tree(tmp, "", true);
  tmp.mkdir("root/adrg.slice/jobs/j1");
  auto dir = create_job_cgroup(tmp.path() + "/root/adrg.slice/jobs", "j1", {});
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, std::errc::file_exists);
}

TEST(JobCgroup, OutsideACgroupHierarchyIsAnError) {
  TempDir tmp;
  auto dir = create_job_cgroup(tmp.path() + "/jobs", "j1", {});
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().describe().find("not in a cgroup v2 hierarchy"), std::string::npos);
}

TEST(JobCgroup, InvalidIdOrLimitsWriteNothing) {
  TempDir tmp;
  lay_out_tree(tmp, "cpu io memory pids");
  std::string root = tmp.path() + "/root/adrg.slice/jobs";
  EXPECT_FALSE(create_job_cgroup(root, "../escape", {}));
  JobLimits bad_weight;
  bad_weight.cpu_weight = 0;
  EXPECT_FALSE(create_job_cgroup(root, "j1", bad_weight));
  EXPECT_FALSE(is_dir(root));
  EXPECT_FALSE(create_job_cgroup("relative/jobs", "j1", {}));
}

TEST(JobCgroup, ValidJobId) {
  for (std::string id : {"a", "backup", "Backup-2024.01_x", "9"})
    EXPECT_TRUE(valid_job_id(id)) << id;
  EXPECT_TRUE(valid_job_id(std::string(64, 'x')));
  for (const char* id : {"", ".hidden", "-x", "_x", "a..b", "a/b", "a b", "a\nb", "é",
                         "cgroup.procs", "memory.max", "cpu.weight", "io.max", "pids.max"}) {
    EXPECT_FALSE(valid_job_id(id)) << id;
  }
  EXPECT_FALSE(valid_job_id(std::string(65, 'x')));
  EXPECT_TRUE(valid_job_id("cpuhog"));  // only the "cpu." interface prefix is reserved
}

TEST(JobCgroup, LimitValidation) {
  auto check = [](auto set) {
    JobLimits limits;
    set(limits);
    return validate_job_limits(limits).ok();
  };
  EXPECT_TRUE(check([](JobLimits& l) { l.cpu_max = "max 100000"; }));
  EXPECT_TRUE(check([](JobLimits& l) { l.cpu_max = "max"; }));
  EXPECT_TRUE(check([](JobLimits& l) { l.cpu_max = "200000 1000000"; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_max = "50000/100000"; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_max = "500 100000"; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_max = "50000 2000000"; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_max = "1 2 3"; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_max = ""; }));
  EXPECT_TRUE(check([](JobLimits& l) { l.cpu_weight = 10000; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.cpu_weight = 10001; }));
  EXPECT_TRUE(check([](JobLimits& l) { l.io_max = {"8:16 rbps=1 wbps=max riops=3 wiops=4"}; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.io_max = {"sda rbps=1"}; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.io_max = {"8:0"}; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.io_max = {"8:0 speed=1"}; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.io_max = {"8:0 rbps=1M"}; }));
  EXPECT_FALSE(check([](JobLimits& l) { l.pids_max = 0; }));
  EXPECT_TRUE(check([](JobLimits& l) { l.pids_max = 4194304; }));
  JobLimits all;
  all.cpu_weight = 1;
  all.io_max = {"8:0 rbps=1"};
  all.memory_high = 1;
  all.pids_max = 1;
  EXPECT_EQ(controllers_needed(all), (std::vector<std::string>{"cpu", "io", "memory", "pids"}));
  EXPECT_TRUE(controllers_needed({}).empty());
}

TEST(JobCgroup, ParseOomKills) {
  auto kills = parse_oom_kills("low 0\nhigh 12\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n");
  ASSERT_TRUE(kills);
  EXPECT_EQ(*kills, 2u);
  kills = parse_oom_kills("low 0\nhigh 0\n");
  ASSERT_TRUE(kills);
  EXPECT_EQ(*kills, 0u);
  EXPECT_FALSE(parse_oom_kills("oom_kill x\n"));
  EXPECT_FALSE(parse_oom_kills("oom_kill -1\n"));
}

TEST(JobCgroup, ReadOomKillsFromFileOrZeroWithoutMemoryController) {
  TempDir tmp;
  auto dir = tmp.mkdir("job");
  auto kills = read_oom_kills(dir);
  ASSERT_TRUE(kills) << kills.error().describe();
  EXPECT_EQ(*kills, 0u);
  tmp.write("job/memory.events", "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n");
  kills = read_oom_kills(dir);
  ASSERT_TRUE(kills);
  EXPECT_EQ(*kills, 1u);
  tmp.write("job/memory.events", "oom_kill many\n");
  kills = read_oom_kills(dir);
  ASSERT_FALSE(kills);
  EXPECT_NE(kills.error().message.find(dir + "/memory.events"), std::string::npos);
}

TEST(JobCgroup, KillWritesCgroupKill) {
  TempDir tmp;
  tmp.write("job/cgroup.kill", "0");
  ASSERT_TRUE(kill_job_cgroup(tmp.path() + "/job"));
  EXPECT_EQ(tmp.read("job/cgroup.kill"), "1");
}

TEST(JobCgroup, KillWithoutCgroupKillFallsBackToProcsAndStopsWhenEmpty) {
  TempDir tmp;
  tmp.write("job/cgroup.procs", "");
  EXPECT_TRUE(kill_job_cgroup(tmp.path() + "/job"));
  EXPECT_FALSE(kill_job_cgroup(tmp.path() + "/missing"));
}

TEST(JobCgroup, RemoveDirAndToleratesMissing) {
  TempDir tmp;
  auto dir = tmp.mkdir("job");
  EXPECT_TRUE(remove_job_cgroup(dir));
  EXPECT_FALSE(is_dir(dir));
  EXPECT_TRUE(remove_job_cgroup(dir));
  tmp.write("full/file", "x");  // a plain directory with content: rmdir fails (ENOTEMPTY)
  EXPECT_FALSE(remove_job_cgroup(tmp.path() + "/full"));
}

}  // namespace
}  // namespace adrg
