// The job manager's state machine with a fake process side: pipes stand in for pidfds (the
// write end "exits" the job), the clock is a FakeClock, the reactor and the record files are
// real. The real spawner and cgroups are proven in tests/integration/daemon_jobs_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "jobs/job_manager.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

using testing::TempDir;

class FakeJobHost final : public JobHost {
 public:
  struct Proc {
    int write_end = -1;
    std::optional<ExitInfo> exit;
    bool reap_fails = false;  // an adopted job: not our child
  };

  Result<std::string> create_cgroup(const std::string& root, const std::string& id,
                                    const JobLimits&) override {
    if (!create_error.empty()) return Error{{}, create_error};
    created.push_back(id);
    return root + "/" + id;
  }
  Result<SpawnedProcess> spawn(const SpawnRequest& request) override {
    requests.push_back(request);
    if (!spawn_error.empty())
      return Error{std::make_error_code(std::errc::no_such_file_or_directory), spawn_error};
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno("pipe");
    pid_t pid = next_pid++;
    procs[pid].write_end = fds[1];
    pid_of_fd[fds[0]] = pid;
    return SpawnedProcess{pid, fds[0], true};
  }
  std::vector<gid_t> supplementary_groups(uid_t, gid_t gid) override { return {gid, 27}; }
  Status kill_and_remove(const std::string& dir) override {
    removed.push_back(dir);
    return {};
  }
  Status kill(const std::string& dir) override {
    killed.push_back(dir);
    return {};
  }
  Result<std::optional<ExitInfo>> reap(int pidfd) override {
    Proc& p = procs[pid_of_fd[pidfd]];
    if (p.reap_fails) return Error{std::make_error_code(std::errc::no_child_process), "waitid"};
    return p.exit;
  }
  Result<AdoptedProcess> adopt(std::optional<pid_t> pid, const std::string&) override {
    if (!adoptable) return Error{std::make_error_code(std::errc::no_such_process), "gone"};
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Error::from_errno("pipe");
    pid_t p = pid.value_or(999);
    procs[p].write_end = fds[1];
    procs[p].reap_fails = true;
    pid_of_fd[fds[0]] = p;
    return AdoptedProcess{p, fds[0]};
  }
  Result<std::uint64_t> oom_kills(const std::string&) override { return oom; }
  bool frozen(const std::string&) override { return false; }
  std::uint64_t memory_current(const std::string&) override { return 4096; }

  // The job's process ends: the "pidfd" becomes readable and reap reports `info`.
  void exit(pid_t pid, ExitInfo info) {
    procs[pid].exit = info;
    ASSERT_EQ(::write(procs[pid].write_end, "x", 1), 1);
  }
  void vanish(pid_t pid) { ASSERT_EQ(::write(procs[pid].write_end, "x", 1), 1); }

  ~FakeJobHost() override {
    for (auto& [pid, p] : procs) ::close(p.write_end);
  }

  std::string create_error, spawn_error;
  bool adoptable = true;
  std::uint64_t oom = 0;
  pid_t next_pid = 100;
  std::map<pid_t, Proc> procs;
  std::map<int, pid_t> pid_of_fd;
  std::vector<std::string> created, removed, killed;
  std::vector<SpawnRequest> requests;
};

Snapshot pressure(double cpu_avg10) {
  Snapshot s;
  PsiStats p;
  p.some.avg10 = cpu_avg10;
  s.cpu = p;
  p.some.avg10 = 0;
  s.memory = p;
  s.io = p;
  return s;
}

JobSubmission job(std::string id, bool wait_for_calm = false) {
  JobSubmission s;
  s.id = std::move(id);
  s.tier = 3;
  s.argv = {"backup", "--all"};
  s.env = {"PATH=/bin"};
  s.wait_for_calm = wait_for_calm;
  s.limits.memory_max = 64u << 20;
  s.limits.cpu_weight = 20;
  return s;
}

class JobManagerTest : public ::testing::Test {
 protected:
  JobManagerTest() {
    auto created = Reactor::create(ReactorChoice::kEpoll);
    reactor = std::move(*created);
    config.cgroup_root = "/cg/jobs";
    config.state_dir = dir.path() + "/state";
    config.max_jobs = 3;
    config.admission.max_queue_seconds = 60;
  }

  std::unique_ptr<JobManager> make() {
    auto m = std::make_unique<JobManager>(*reactor, nullptr, clock, host, config);
    EXPECT_TRUE(m->start());
    m->set_on_units_changed([this] { ++units_changed; });
    return m;
  }

  Result<JobRecord> submit(JobManager& m, JobSubmission s, JobCaller caller = {}) {
    std::optional<Result<JobRecord>> out;
    m.submit(std::move(s), caller, [&](Result<JobRecord> r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value()) << "inline executor: the answer comes at once";
    return out ? std::move(*out) : Result<JobRecord>(Error{{}, "no answer"});
  }

  // Runs the loop until the job is final (or a deadline of loop turns passes).
  JobRecord run_until_final(JobManager& m, const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      auto r = m.get(id);
      if (r && is_final(r->state)) return *r;
      reactor->run_once(std::chrono::milliseconds(20));
    }
    return *m.get(id);
  }

  TempDir dir;
  FakeClock clock;
  FakeJobHost host;
  JobsConfig config;
  std::unique_ptr<Reactor> reactor;
  int units_changed = 0;
};

TEST_F(JobManagerTest, RunsAJobAsAGovernedUnitAndReportsItsExit) {
  auto m = make();
  auto r = submit(*m, job("backup"), JobCaller{1000, 1000, 77});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->state, JobState::kRunning);
  EXPECT_EQ(r->pid, 100);
  EXPECT_EQ(r->cgroup, "/cg/jobs/backup");
  EXPECT_EQ(r->log, config.state_dir + "/backup.log");
  ASSERT_EQ(host.requests.size(), 1u);
  EXPECT_EQ(host.requests[0].uid, 1000u);
  EXPECT_EQ(host.requests[0].groups, (std::vector<gid_t>{1000, 27}));
  EXPECT_EQ(host.requests[0].cgroup_dir, "/cg/jobs/backup");
  auto units = m->units();
  ASSERT_EQ(units.size(), 1u);
  EXPECT_EQ(units[0].id, "job:backup");
  EXPECT_EQ(units[0].kind, UnitKind::kJob);
  EXPECT_EQ(units[0].tier, 3);
  EXPECT_EQ(units[0].memory_max_baseline, 64u << 20);
  EXPECT_EQ(units[0].cpu_weight_baseline, 20);
  EXPECT_EQ(units_changed, 1);

  std::optional<Result<JobRecord>> waited;
  m->wait("backup", std::chrono::seconds(30), [&](Result<JobRecord> j) { waited = std::move(j); });
  EXPECT_FALSE(waited.has_value());
  host.exit(100, ExitInfo{3, 0, false});
  JobRecord end = run_until_final(*m, "backup");
  EXPECT_EQ(end.state, JobState::kExited);
  EXPECT_EQ(end.exit_code, 3);
  EXPECT_FALSE(end.signal.has_value());
  EXPECT_TRUE(end.ended_at.has_value());
  ASSERT_TRUE(waited.has_value());
  ASSERT_TRUE(*waited);
  EXPECT_EQ((*waited)->exit_code, 3);
  EXPECT_TRUE(m->units().empty());
  EXPECT_EQ(units_changed, 2);
  EXPECT_EQ(host.removed, (std::vector<std::string>{"/cg/jobs/backup"}));
  // The final record is on disk.
  auto loaded = load_job_records(config.state_dir);
  ASSERT_EQ(loaded.records.size(), 1u);
  EXPECT_EQ(loaded.records[0].state, JobState::kExited);
  EXPECT_EQ(loaded.records[0].exit_code, 3);
}

TEST_F(JobManagerTest, RootKeepsTheDaemonsCredentials) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("r"), JobCaller{0, 0, 1}));
  EXPECT_FALSE(host.requests[0].uid.has_value());
  EXPECT_TRUE(host.requests[0].groups.empty());
}

TEST_F(JobManagerTest, DuplicateIdsAndTheJobLimitAreRefused) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("a")));
  auto dup = submit(*m, job("a"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, std::errc::file_exists);
  EXPECT_NE(dup.error().message.find("job a already exists (state running)"), std::string::npos);
  ASSERT_TRUE(submit(*m, job("b")));
  ASSERT_TRUE(submit(*m, job("c")));
  auto full = submit(*m, job("d"));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, std::errc::operation_not_permitted);
  EXPECT_NE(full.error().message.find("3 jobs are already queued or running"), std::string::npos);
  config.enabled = false;
  m->reconfigure(config);
  auto off = submit(*m, job("e"));
  ASSERT_FALSE(off);
  EXPECT_NE(off.error().message.find("jobs are disabled"), std::string::npos);
}

TEST_F(JobManagerTest, AStartFailureAtSubmissionKeepsNothing) {
  auto m = make();
  host.spawn_error = "execvp backup";
  auto r = submit(*m, job("nope"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, std::errc::operation_not_permitted);
  EXPECT_NE(r.error().message.find("could not start: execvp backup"), std::string::npos);
  EXPECT_FALSE(m->get("nope"));
  EXPECT_EQ(host.removed, (std::vector<std::string>{"/cg/jobs/nope"}));
  EXPECT_TRUE(load_job_records(config.state_dir).records.empty());
  host.spawn_error.clear();
  host.create_error = "cpu controller missing in /x/cgroup.subtree_control";
  auto r2 = submit(*m, job("nope"));
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("cpu controller missing"), std::string::npos);
}

TEST_F(JobManagerTest, WaitForCalmQueuesUntilPressureFalls) {
  auto m = make();
  m->on_snapshot(pressure(90));
  auto r = submit(*m, job("calm", true));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->state, JobState::kQueued);
  EXPECT_NE(r->reason.find("cpu pressure some avg10 90.00% > 40%"), std::string::npos) << r->reason;
  EXPECT_TRUE(host.requests.empty());
  EXPECT_TRUE(m->units().empty());
  // A second queued job waits behind the first, even when it could start.
  auto second = submit(*m, job("calm2", true));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->state, JobState::kQueued);
  clock.advance_seconds(30);
  m->on_snapshot(pressure(50));
  EXPECT_EQ(m->get("calm")->state, JobState::kQueued);
  m->on_snapshot(pressure(10));  // calm: one start per evaluation
  EXPECT_EQ(m->get("calm")->state, JobState::kRunning);
  EXPECT_EQ(m->get("calm2")->state, JobState::kQueued);
  EXPECT_EQ(m->get("calm2")->reason, "waiting behind earlier queued jobs");
  m->on_snapshot(pressure(10));
  EXPECT_EQ(m->get("calm2")->state, JobState::kRunning);
  // Without wait_for_calm a job starts whatever the pressure.
  m->on_snapshot(pressure(99));
  auto now = submit(*m, job("now"));
  ASSERT_TRUE(now);
  EXPECT_EQ(now->state, JobState::kRunning);
}

TEST_F(JobManagerTest, QueuedTooLongIsRefusedAndQueuedCanBeKilled) {
  auto m = make();
  m->on_snapshot(pressure(90));
  ASSERT_TRUE(submit(*m, job("late", true)));
  ASSERT_TRUE(submit(*m, job("drop", true), JobCaller{1000, 1000, 1}));
  auto other = m->kill("drop", JobCaller{1001, 1001, 1});
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, std::errc::permission_denied);
  auto killed = m->kill("drop", JobCaller{1000, 1000, 1});
  ASSERT_TRUE(killed);
  EXPECT_EQ(killed->state, JobState::kKilled);
  EXPECT_NE(killed->reason.find("killed while queued"), std::string::npos);
  EXPECT_FALSE(killed->signal.has_value());
  clock.advance_seconds(59);
  m->on_snapshot(pressure(90));
  EXPECT_EQ(m->get("late")->state, JobState::kQueued);
  clock.advance_seconds(2);
  m->on_snapshot(pressure(90));
  auto late = m->get("late");
  EXPECT_EQ(late->state, JobState::kRefused);
  EXPECT_NE(late->reason.find("refused after waiting 61 s for calm"), std::string::npos)
      << late->reason;
  EXPECT_NE(late->reason.find("cpu pressure"), std::string::npos) << late->reason;
  EXPECT_TRUE(host.requests.empty());
}

TEST_F(JobManagerTest, AQueuedJobThatFailsToStartIsKeptAsFailed) {
  auto m = make();
  m->on_snapshot(pressure(90));
  ASSERT_TRUE(submit(*m, job("f", true)));
  host.spawn_error = "chdir /gone";
  m->on_snapshot(pressure(0));
  auto f = m->get("f");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->state, JobState::kFailed);
  EXPECT_NE(f->reason.find("could not start: chdir /gone"), std::string::npos);
}

TEST_F(JobManagerTest, KillAndOomKillAreReported) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("k"), JobCaller{1000, 1000, 1}));
  ASSERT_TRUE(submit(*m, job("oom")));
  auto k = m->kill("k", JobCaller{0, 0, 1});  // root may kill anyone's job
  ASSERT_TRUE(k);
  EXPECT_EQ(k->state, JobState::kRunning);
  EXPECT_EQ(host.killed, (std::vector<std::string>{"/cg/jobs/k"}));
  host.exit(100, ExitInfo{0, 9, false});
  JobRecord kr = run_until_final(*m, "k");
  EXPECT_EQ(kr.state, JobState::kKilled);
  EXPECT_EQ(kr.signal, 9);
  EXPECT_EQ(kr.reason, "killed on request of uid 0");
  host.oom = 1;
  host.exit(101, ExitInfo{0, 9, false});
  JobRecord o = run_until_final(*m, "oom");
  EXPECT_EQ(o.state, JobState::kKilled);
  EXPECT_EQ(o.oom_kills, 1u);
  EXPECT_EQ(o.reason, "killed by the OOM killer (oom_kill 1)");
  auto again = m->kill("oom", JobCaller{});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, std::errc::device_or_resource_busy);
}

TEST_F(JobManagerTest, RemoveOnlyFinishedJobsAndFreeTheId) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("x"), JobCaller{1000, 1000, 1}));
  std::optional<Status> st;
  m->remove("x", JobCaller{}, [&](Status s) { st = s; });
  ASSERT_TRUE(st && !*st);
  EXPECT_EQ(st->error().code, std::errc::device_or_resource_busy);
  host.exit(100, ExitInfo{0, 0, false});
  run_until_final(*m, "x");
  m->remove("x", JobCaller{1001, 1001, 1}, [&](Status s) { st = s; });
  EXPECT_EQ(st->error().code, std::errc::permission_denied);
  m->remove("x", JobCaller{1000, 1000, 1}, [&](Status s) { st = s; });
  EXPECT_TRUE(*st);
  EXPECT_FALSE(m->get("x"));
  EXPECT_FALSE(std::filesystem::exists(config.state_dir + "/x.json"));
  m->remove("x", JobCaller{}, [&](Status s) { st = s; });
  EXPECT_EQ(st->error().code, std::errc::no_such_file_or_directory);
  EXPECT_TRUE(submit(*m, job("x")));
}

TEST_F(JobManagerTest, WaitTimesOutWithTheState) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("w")));
  std::optional<Result<JobRecord>> out;
  m->wait("w", std::chrono::milliseconds(30), [&](Result<JobRecord> j) { out = std::move(j); });
  for (int i = 0; i < 50 && !out; ++i) reactor->run_once(std::chrono::milliseconds(20));
  ASSERT_TRUE(out.has_value());
  ASSERT_FALSE(*out);
  EXPECT_EQ(out->error().code, std::errc::timed_out);
  EXPECT_EQ(out->error().message, "running");
  m->wait("w", Duration::zero(), [&](Result<JobRecord> j) { out = std::move(j); });
  EXPECT_EQ(out->error().code, std::errc::timed_out);
}

TEST_F(JobManagerTest, ARestartedManagerReadoptsRunningJobsAndKeepsFinishedOnes) {
  {
    auto m = make();
    ASSERT_TRUE(submit(*m, job("long")));
    ASSERT_TRUE(submit(*m, job("done")));
    host.exit(101, ExitInfo{0, 0, false});
    run_until_final(*m, "done");
    m->on_snapshot(pressure(90));
    ASSERT_TRUE(submit(*m, job("queued", true)));
  }  // adrg stops: nothing is killed
  EXPECT_TRUE(host.killed.empty());
  EXPECT_EQ(host.removed, (std::vector<std::string>{"/cg/jobs/done"}));
  auto m = make();
  auto l = m->get("long");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->state, JobState::kRunning);
  EXPECT_TRUE(l->adopted);
  EXPECT_EQ(l->pid, 100);
  EXPECT_EQ(m->units().size(), 1u);
  EXPECT_EQ(m->get("done")->exit_code, 0);
  EXPECT_EQ(m->get("queued")->state, JobState::kQueued);
  // The adopted job ends: it is not our child, so how is unknown.
  host.vanish(100);
  JobRecord end = run_until_final(*m, "long");
  EXPECT_EQ(end.state, JobState::kExited);
  EXPECT_FALSE(end.exit_code.has_value());
  EXPECT_FALSE(end.signal.has_value());
  EXPECT_EQ(end.reason, "exit status unknown: adrg was restarted while the job ran");
}

TEST_F(JobManagerTest, AJobThatEndedWhileAdrgWasDownIsReportedSo) {
  {
    auto m = make();
    ASSERT_TRUE(submit(*m, job("gone")));
  }
  host.adoptable = false;
  host.oom = 2;
  auto m = make();
  auto g = m->get("gone");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->state, JobState::kExited);
  EXPECT_EQ(g->oom_kills, 2u);
  EXPECT_EQ(g->reason, "ended while adrg was not running; exit status unknown");
  EXPECT_TRUE(m->units().empty());
}

TEST_F(JobManagerTest, RetentionDropsOldAndSurplusFinishedJobs) {
  config.retain_finished = 2;
  config.retain_finished_seconds = 100;
  config.max_jobs = 10;
  auto m = make();
  for (int i = 0; i < 4; ++i) {
    std::string id = "j" + std::to_string(i);
    ASSERT_TRUE(submit(*m, job(id)));
    host.exit(100 + i, ExitInfo{0, 0, false});
    run_until_final(*m, id);
    clock.advance_seconds(10);
  }
  m->on_snapshot(pressure(0));
  EXPECT_FALSE(m->get("j0"));
  EXPECT_FALSE(m->get("j1"));
  EXPECT_TRUE(m->get("j2"));
  EXPECT_TRUE(m->get("j3"));
  EXPECT_FALSE(std::filesystem::exists(config.state_dir + "/j0.json"));
  clock.advance_seconds(85);  // j2 ended 110 s ago, j3 100 s ago
  m->on_snapshot(pressure(0));
  EXPECT_FALSE(m->get("j2"));
  EXPECT_TRUE(m->get("j3"));
}

TEST_F(JobManagerTest, LiveOomKillsAreCounted) {
  auto m = make();
  ASSERT_TRUE(submit(*m, job("m")));
  m->on_oom_kill("job:m", 2);
  m->on_oom_kill("cgroup:m", 7);
  EXPECT_EQ(m->get("m")->oom_kills, 2u);
}

// The fake host starts no process: the test writes the job's output into its log itself, as
// the job's O_APPEND stdout would.
void append(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

Result<JobManager::LogChunk> read_log(JobManager& m, const std::string& id,
                                      std::optional<JobCaller> caller, std::uint64_t offset) {
  std::optional<Result<JobManager::LogChunk>> out;
  m.read_log(id, caller, offset, 1 << 20,
             [&](Result<JobManager::LogChunk> chunk) { out = std::move(chunk); });
  EXPECT_TRUE(out.has_value()) << "inline executor: the answer comes at once";
  return out ? std::move(*out) : Result<JobManager::LogChunk>(Error{{}, "no answer"});
}

TEST_F(JobManagerTest, ARunningJobsLogIsKeptToItsNewestBytes) {
  config.max_log_bytes = 64 * 1024;
  auto m = make();
  ASSERT_TRUE(submit(*m, job("chatty"), JobCaller{1000, 1000, 7}));
  const std::string path = config.state_dir + "/chatty.log";
  std::string written;
  for (int i = 0; i < 30000; ++i) written += "line " + std::to_string(i) + "\n";
  append(path, written);
  // The size check runs on a timer while the job runs (no sleeping here: loop turns).
  for (int i = 0; i < 200 && m->get("chatty")->log_dropped == 0; ++i) {
    reactor->run_once(std::chrono::milliseconds(20));
  }
  const std::uint64_t dropped = m->get("chatty")->log_dropped;
  ASSERT_GT(dropped, 0u) << "the log was never trimmed";
  EXPECT_LE(std::filesystem::file_size(path), config.max_log_bytes);
  EXPECT_EQ(dropped + std::filesystem::file_size(path), written.size());
  EXPECT_EQ(load_job_records(config.state_dir).records.at(0).log_dropped, dropped);

  // The owner reading from 0 is told what was dropped and gets the tail; root and a TCP request
  // (already authorised by the token) read it too; another uid does not.
  auto own = read_log(*m, "chatty", JobCaller{1000, 1000, 8}, 0);
  ASSERT_TRUE(own) << own.error().describe();
  EXPECT_EQ(own->skipped, dropped);
  EXPECT_EQ(own->data, written.substr(dropped));
  EXPECT_EQ(own->next, written.size());
  EXPECT_TRUE(read_log(*m, "chatty", JobCaller{0, 0, 9}, 0));
  EXPECT_TRUE(read_log(*m, "chatty", std::nullopt, 0));
  auto other = read_log(*m, "chatty", JobCaller{1001, 1001, 10}, 0);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, std::errc::permission_denied);
  EXPECT_NE(other.error().message.find("owner (uid 1000) and root"), std::string::npos)
      << other.error().message;

  // A flood written just before the end is trimmed by the end itself.
  std::string last;
  for (int i = 0; i < 30000; ++i) last += "tail " + std::to_string(i) + "\n";
  append(path, last);
  host.exit(100, ExitInfo{0, 0, false});
  JobRecord end = run_until_final(*m, "chatty");
  EXPECT_LE(std::filesystem::file_size(path), config.max_log_bytes);
  EXPECT_EQ(end.log_dropped + std::filesystem::file_size(path), written.size() + last.size());
  EXPECT_EQ(load_job_records(config.state_dir).records.at(0).log_dropped, end.log_dropped);
  auto final_read = read_log(*m, "chatty", std::nullopt, own->next);
  ASSERT_TRUE(final_read);
  EXPECT_EQ(final_read->skipped, end.log_dropped - own->next);
  EXPECT_EQ(final_read->data, last.substr(last.size() - final_read->data.size()));
}

}  // namespace
}  // namespace adrg
