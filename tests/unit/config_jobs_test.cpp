// The `jobs:` section (adrg extension): defaults when absent (ADRG 1.1.2 configs load unchanged),
// every key parsed, bad values as file:line:column errors, unknown keys as warnings.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "tests/support/config_load.h"

namespace adrg {
namespace {

using testing::all_issues;

const std::map<std::string, std::string> kNoEnvironment;

LoadOptions isolated() { return testing::isolated_load_options(&kNoEnvironment); }

void expect_job_defaults(const JobsConfig& j) {
  EXPECT_TRUE(j.enabled);
  EXPECT_EQ(j.cgroup_root, "/sys/fs/cgroup/adrg.slice/jobs");
  EXPECT_EQ(j.state_dir, "/var/lib/adrg/jobs");
  EXPECT_EQ(j.max_jobs, 16);
  EXPECT_EQ(j.retain_finished, 100);
  EXPECT_EQ(j.retain_finished_seconds, 604800);
  EXPECT_EQ(j.max_log_bytes, 8u << 20);
  EXPECT_EQ(j.admission.cpu_some_avg10_max, 40);
  EXPECT_EQ(j.admission.memory_some_avg10_max, 20);
  EXPECT_EQ(j.admission.io_some_avg10_max, 30);
  EXPECT_EQ(j.admission.max_queue_seconds, 3600);
}

TEST(ConfigJobs, AdrgReferenceTemplateGetsJobDefaults) {
  ConfigLoad load = load_config_file(ADRG_TEST_DATA_DIR "/adrg-1.1.2-config.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  expect_job_defaults(load.config->jobs);
  for (const auto& w : load.warnings) EXPECT_EQ(w.message.find("jobs"), std::string::npos);
}

TEST(ConfigJobs, OwnConfigYamlDocumentsTheDefaults) {
  ConfigLoad load = load_config_file(ADRG_SOURCE_DIR "/config/config.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  expect_job_defaults(load.config->jobs);
  expect_job_defaults(default_config().jobs);
}

TEST(ConfigJobs, EveryKeyIsParsed) {
  ConfigLoad load = load_config_text(R"(
jobs:
  enabled: no
  cgroup_root: /sys/fs/cgroup/unified/adrg-jobs
  state_dir: /srv/adrg/jobs
  max_jobs: 3
  retain_finished: 0
  retain_finished_seconds: 60
  max_log_bytes: 64K
  admission:
    cpu_some_avg10_max: 12.5
    memory_some_avg10_max: 0
    io_some_avg10_max: 100
    max_queue_seconds: 0
)",
                                     "jobs.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_TRUE(load.warnings.empty()) << all_issues(load);
  const JobsConfig& j = load.config->jobs;
  EXPECT_FALSE(j.enabled);
  EXPECT_EQ(j.cgroup_root, "/sys/fs/cgroup/unified/adrg-jobs");
  EXPECT_EQ(j.state_dir, "/srv/adrg/jobs");
  EXPECT_EQ(j.max_jobs, 3);
  EXPECT_EQ(j.retain_finished, 0);
  EXPECT_EQ(j.retain_finished_seconds, 60);
  EXPECT_EQ(j.max_log_bytes, 64u << 10);
  EXPECT_EQ(j.admission.cpu_some_avg10_max, 12.5);
  EXPECT_EQ(j.admission.memory_some_avg10_max, 0);
  EXPECT_EQ(j.admission.io_some_avg10_max, 100);
  EXPECT_EQ(j.admission.max_queue_seconds, 0);
}

TEST(ConfigJobs, PathsComeFromTheEnvironmentToo) {
  const std::map<std::string, std::string> env = {{"JOBS_DIR", "/data/jobs"}};
  ConfigLoad load = load_config_text("jobs:\n  state_dir: ${JOBS_DIR}\n", "env.yaml",
                                     testing::isolated_load_options(&env));
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->jobs.state_dir, "/data/jobs");
}

struct BadJobs {
  const char* yaml;
  int line;
  int column;
  const char* message;
};

TEST(ConfigJobs, BadValuesAreErrorsWithPositions) {
  const BadJobs cases[] = {
      {"jobs:\n  cgroup_root: relative/jobs\n", 2, 16,
       "jobs.cgroup_root: expected an absolute path, got 'relative/jobs'"},
      {"jobs:\n  state_dir: \"\"\n", 2, 14, "jobs.state_dir: expected an absolute path, got ''"},
      {"jobs:\n  max_jobs: 0\n", 2, 13, "jobs.max_jobs: expected a whole number from 1 to 10000"},
      {"jobs:\n  enabled: maybe\n", 2, 12, "jobs.enabled: expected true or false"},
      {"jobs:\n  retain_finished_seconds: -1\n", 2, 28,
       "jobs.retain_finished_seconds: expected a number of seconds of at least 0"},
      {"jobs:\n  admission:\n    cpu_some_avg10_max: 101\n", 3, 25,
       "jobs.admission.cpu_some_avg10_max: expected a PSI percentage of at least 0 and at most "
       "100, got '101'"},
      {"jobs:\n  max_log_bytes: 63K\n", 2, 18,
       "jobs.max_log_bytes: expected a size from 64K to 1T, got '63K'"},
      {"jobs:\n  max_log_bytes: 2T\n", 2, 18, "jobs.max_log_bytes: expected a size from 64K to 1T"},
      {"jobs:\n  max_log_bytes:\n", 2, 3, "jobs.max_log_bytes: expected a size from 64K to 1T"},
      {"jobs:\n  admission: [1]\n", 2, 14, "jobs.admission: expected a map of settings"},
      {"jobs: true\n", 1, 7, "jobs: expected a map of settings"},
  };
  for (const auto& c : cases) {
    ConfigLoad load = load_config_text(c.yaml, "bad.yaml", isolated());
    EXPECT_FALSE(load.ok()) << c.yaml;
    ASSERT_EQ(load.errors.size(), 1u) << c.yaml << all_issues(load);
    EXPECT_EQ(load.errors[0].line, c.line) << c.yaml << all_issues(load);
    EXPECT_EQ(load.errors[0].column, c.column) << c.yaml << all_issues(load);
    EXPECT_NE(load.errors[0].message.find(c.message), std::string::npos)
        << "expected '" << c.message << "' in: " << all_issues(load);
  }
}

TEST(ConfigJobs, UnknownKeysAreWarningsWithSuggestions) {
  ConfigLoad load = load_config_text("jobs:\n  max_job: 4\n  admission:\n    cpu_some_avg10: 5\n",
                                     "typo.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  ASSERT_EQ(load.warnings.size(), 2u) << all_issues(load);
  EXPECT_EQ(load.warnings[0].line, 2);
  EXPECT_NE(load.warnings[0].message.find("jobs: unknown key 'max_job' (did you mean 'max_jobs'?)"),
            std::string::npos)
      << all_issues(load);
  EXPECT_EQ(load.warnings[1].line, 4);
  EXPECT_NE(load.warnings[1].message.find("jobs.admission: unknown key 'cpu_some_avg10'"),
            std::string::npos)
      << all_issues(load);
  EXPECT_EQ(load.config->jobs.max_jobs, 16);
}

}  // namespace
}  // namespace adrg
