// Job records: the API object, the on-disk record round trip, corrupt records set aside, and the
// strict POST /jobs body parser.
#include <gtest/gtest.h>

#include <filesystem>

#include "jobs/job_record.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

JobRecord full_record() {
  JobRecord r;
  r.id = "backup.nightly-1";
  r.tier = 3;
  r.state = JobState::kKilled;
  r.argv = {"rsync", "-a", "/a b", "/c\"d"};
  r.env = {"PATH=/usr/bin:/bin", "SECRET=x\ny"};
  r.cwd = "/srv";
  r.limits.cpu_max = "50000 100000";
  r.limits.cpu_weight = 50;
  r.limits.memory_max = 1073741824;
  r.limits.memory_high = 805306368;
  r.limits.io_max = {"8:0 rbps=1048576"};
  r.limits.pids_max = 64;
  r.wait_for_calm = true;
  r.uid = 1000;
  r.gid = 1000;
  r.groups = {1000, 27, 100};
  r.pid = 4242;
  r.cgroup = "/sys/fs/cgroup/adrg.slice/jobs/backup.nightly-1";
  r.log = "/var/lib/adrg/jobs/backup.nightly-1.log";
  r.log_dropped = 1 << 20;
  r.clone_into_cgroup = true;
  r.created_at = 1714564800.25;
  r.started_at = 1714564801.5;
  r.ended_at = 1714564900;
  r.signal = 9;
  r.oom_kills = 2;
  r.reason = "killed by the OOM killer (oom_kill 2)";
  r.adopted = true;
  return r;
}

void expect_same(const JobRecord& a, const JobRecord& b) {
  EXPECT_EQ(job_record_json(a), job_record_json(b));
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.argv, b.argv);
  EXPECT_EQ(a.env, b.env);
  EXPECT_EQ(a.groups, b.groups);
  EXPECT_EQ(a.pid, b.pid);
  EXPECT_EQ(a.signal, b.signal);
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.limits.io_max, b.limits.io_max);
  EXPECT_EQ(a.limits.memory_max, b.limits.memory_max);
  EXPECT_EQ(a.started_at, b.started_at);
}

TEST(JobRecord, RoundTripsEveryField) {
  JobRecord r = full_record();
  auto parsed = parse_job_record(job_record_json(r));
  ASSERT_TRUE(parsed) << parsed.error().describe();
  expect_same(r, *parsed);
  JobRecord minimal;
  minimal.id = "a";
  minimal.argv = {"true"};
  auto back = parse_job_record(job_record_json(minimal));
  ASSERT_TRUE(back) << back.error().describe();
  expect_same(minimal, *back);
  EXPECT_FALSE(back->pid.has_value());
  EXPECT_FALSE(back->ended_at.has_value());
}

TEST(JobRecord, ApiObjectHasTheContractFieldsAndNoEnvironment) {
  std::string json = job_json(full_record(), true);
  for (const char* field :
       {"\"id\":\"backup.nightly-1\"", "\"tier\":3", "\"state\":\"killed\"", "\"pid\":4242",
        "\"clone_into_cgroup\":true", "\"log_dropped\":1048576",
        "\"created_at\":\"2024-05-01T12:00:00.250Z\"", "\"ended_at\":\"2024-05-01T12:01:40.000Z\"",
        "\"exit_code\":null", "\"signal\":9", "\"oom_kills\":2", "\"frozen\":true",
        "\"adopted\":true", "\"uid\":1000",
        "\"limits\":{\"cpu_max\":\"50000 100000\",\"cpu_weight\":50,\"memory_max\":1073741824,"
        "\"memory_high\":805306368,\"io_max\":[\"8:0 rbps=1048576\"],\"pids_max\":64}"}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << " in " << json;
  }
  EXPECT_EQ(json.find("SECRET"), std::string::npos) << json;
  JobRecord fresh;
  fresh.id = "q";
  fresh.argv = {"x"};
  std::string q = job_json(fresh, false);
  EXPECT_NE(q.find("\"pid\":null"), std::string::npos) << q;
  EXPECT_NE(q.find("\"reason\":null"), std::string::npos) << q;
  EXPECT_NE(q.find("\"cwd\":\"/\""), std::string::npos) << q;
}

TEST(JobRecord, SaveAndLoadDirectory) {
  TempDir dir;
  JobRecord a = full_record();
  JobRecord b;
  b.id = "second";
  b.argv = {"sleep", "1"};
  b.state = JobState::kRunning;
  ASSERT_TRUE(save_job_record(dir.path(), a));
  ASSERT_TRUE(save_job_record(dir.path(), b));
  EXPECT_EQ(std::filesystem::status(dir.path() + "/second.json").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  dir.write("second.log", "output");
  auto loaded = load_job_records(dir.path());
  EXPECT_TRUE(loaded.problems.empty());
  ASSERT_EQ(loaded.records.size(), 2u);
  ASSERT_TRUE(delete_job_files(dir.path(), "second"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/second.log"));
  EXPECT_EQ(load_job_records(dir.path()).records.size(), 1u);
  EXPECT_TRUE(delete_job_files(dir.path(), "never-existed"));
  EXPECT_TRUE(load_job_records(dir.path() + "/missing").records.empty());
}

TEST(JobRecord, CorruptRecordsAreSetAsideAndReported) {
  TempDir dir;
  ASSERT_TRUE(save_job_record(dir.path(), full_record()));
  dir.write("torn.json", "{\"version\":1,\"id\":\"torn\",\"tier");
  dir.write("wrongname.json", job_record_json(full_record()));
  dir.write("badstate.json",
            "{\"version\":1,\"id\":\"badstate\",\"tier\":3,\"state\":\"zombie\",\"argv\":[\"x\"]}");
  dir.write("extra.json",
            "{\"version\":1,\"id\":\"extra\",\"tier\":3,\"state\":\"queued\",\"argv\":[\"x\"],"
            "\"surprise\":1}");
  auto loaded = load_job_records(dir.path());
  ASSERT_EQ(loaded.records.size(), 1u);
  EXPECT_EQ(loaded.records[0].id, "backup.nightly-1");
  ASSERT_EQ(loaded.problems.size(), 4u);
  std::string all;
  for (const auto& p : loaded.problems) all += p + "\n";
  EXPECT_NE(all.find("not valid JSON"), std::string::npos) << all;
  EXPECT_NE(all.find("does not match its file name"), std::string::npos) << all;
  EXPECT_NE(all.find("bad state 'zombie'"), std::string::npos) << all;
  EXPECT_NE(all.find("unknown member \"surprise\""), std::string::npos) << all;
  for (const char* name : {"torn", "wrongname", "badstate", "extra"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/" + name + ".json.corrupt")) << name;
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + name + ".json")) << name;
  }
  // Set aside once: the next load is clean.
  EXPECT_TRUE(load_job_records(dir.path()).problems.empty());
}

TEST(JobSubmission, ParsesTheContractExample) {
  auto s = parse_job_submission(
      R"({"id":"backup","tier":3,"argv":["rsync","-a","/a","/b"],"env":["PATH=/usr/bin:/bin"],
          "cwd":"/srv","wait_for_calm":true,
          "limits":{"cpu_max":"50000 100000","cpu_weight":50,"memory_max":1073741824,
                    "memory_high":805306368,"io_max":["8:0 rbps=1048576"],"pids_max":64}})");
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->id, "backup");
  EXPECT_EQ(s->tier, 3);
  EXPECT_EQ(s->argv.size(), 4u);
  EXPECT_TRUE(s->wait_for_calm);
  EXPECT_EQ(s->limits.cpu_max, "50000 100000");
  EXPECT_EQ(s->limits.pids_max, 64u);
  auto minimal = parse_job_submission(R"({"id":"x","argv":["true"]})");
  ASSERT_TRUE(minimal) << minimal.error().describe();
  EXPECT_EQ(minimal->tier, 3);
  EXPECT_EQ(minimal->cwd, "");
}

TEST(JobSubmission, BadBodiesNameTheProblem) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not valid JSON"},
      {"[1]", "must be a JSON object"},
      {R"({"argv":["x"]})", "missing \"id\""},
      {R"({"id":"../etc","argv":["x"]})", "not a valid job id"},
      {R"({"id":"a","tier":0,"argv":["x"]})", "body.tier: expected 1, 2 or 3"},
      {R"({"id":"a","tier":"3","argv":["x"]})", "body.tier: expected a whole number"},
      {R"({"id":"a","argv":[]})", "body.argv: expected a non-empty list"},
      {R"({"id":"a","argv":[""]})", "body.argv: expected a non-empty list"},
      {R"({"id":"a","argv":["x",1]})", "body.argv: expected a list of strings"},
      {R"({"id":"a","argv":["x\u0000y"]})", "without NUL"},
      {R"({"id":"a","argv":["x"],"env":["NOVALUE"]})", "body.env: 'NOVALUE' is not NAME=VALUE"},
      {R"({"id":"a","argv":["x"],"cwd":"tmp"})", "body.cwd: expected an absolute path"},
      {R"({"id":"a","argv":["x"],"limits":{"memory_mx":1}})", "unknown member \"memory_mx\""},
      {R"({"id":"a","argv":["x"],"limits":{"cpu_weight":0}})", "body.limits"},
      {R"({"id":"a","argv":["x"],"limits":{"memory_max":-1}})", "body.limits.memory_max"},
      {R"({"id":"a","argv":["x"],"wait":true})", "body: unknown member \"wait\""},
  };
  for (const auto& [body, message] : cases) {
    auto s = parse_job_submission(body);
    ASSERT_FALSE(s) << body;
    EXPECT_EQ(s.error().code, std::errc::invalid_argument) << body;
    EXPECT_NE(s.error().message.find(message), std::string::npos)
        << body << " -> " << s.error().message;
  }
}

TEST(JobRecord, Rfc3339) {
  EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339_utc(1714564800.9996), "2024-05-01T12:00:01.000Z");
}

}  // namespace
}  // namespace adrg
