// The job runner end to end on the REAL host: the adrg binary, real curl over its unix socket,
// real cgroup2 (the jobs root is a fresh directory under the host's cgroup2 mount), the real
// spawner (clone3 into the cgroup), real PSI. Skips loudly without a writable cgroup2.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "core/fs.h"
#include "sensors/psi.h"
#include "tests/support/cgroup2.h"
#include "tests/support/daemon_config.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace adrg {
namespace {

using std::chrono::seconds;
using testing::cgroup_frozen;
using testing::run_command;
using testing::wait_until;

const std::string kAdrg = ADRG_DAEMON_BIN;

// The first match of "field":<number> in a JSON text (-1 when absent or null).
long long json_number(const std::string& json, const std::string& field) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + field + "\":(-?[0-9]+)"))) {
    return std::stoll(m[1]);
  }
  return -1;
}

std::string json_string(const std::string& json, const std::string& field) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + field + "\":\"([^\"]*)\""))) return m[1];
  return {};
}

long long cpu_ticks(long long pid) {
  auto text = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return -1;
  std::istringstream in(text->substr(text->rfind(')') + 2));
  std::string field;
  long long total = 0;
  for (int i = 3; in >> field && i <= 15; ++i) {
    if (i >= 14) total += std::stoll(field);
  }
  return total;
}

double cpu_some_avg10() {
  auto psi = read_psi("/proc/pressure/cpu");
  return psi ? psi->some.avg10 : -1;
}

class Jobs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: the job runner tests need root";
    std::string v2 = testing::find_freezable_cgroup2();
    if (v2.empty()) GTEST_SKIP() << "SKIPPED: no writable cgroup2 with cgroup.freeze here";
    if (run_command("command -v curl").exit_code != 0) GTEST_SKIP() << "SKIPPED: no curl";
    jobs_root_ = v2 + "/adrg-jobs-itest-" + std::to_string(::getpid());
    socket_ = dir_.path() + "/adrg.sock";
    port_ = testing::free_tcp_port();
    write_config();
  }

  // extra_jobs: more keys of the jobs: section; proc_root: where adrg reads PSI (nullopt: /proc).
  void write_config(const std::string& extra_jobs = "",
                    std::optional<std::string> proc_root = std::nullopt) {
    testing::DaemonConfig config(dir_);
    config.state_file = std::nullopt;
    config.thermal_root = dir_.path() + "/none";
    config.hwmon_root = dir_.path() + "/none";
    config.proc_root = std::move(proc_root);
    config.port = port_;
    config.unix_socket = socket_;
    config.extra = fmt::format(R"(memory_pressure: {{enabled: false}}
io_pressure: {{enabled: false}}
jobs:
  cgroup_root: {}
  state_dir: {}/jobs
{})",
                               jobs_root_, dir_.path(), extra_jobs);
    config_ = dir_.write("config.yaml", daemon_yaml(config));
  }

  void TearDown() override {
    daemon_.reset();
    // Jobs outlive adrg by design: end whatever a failed test left running.
    std::error_code ec;
    if (jobs_root_.empty() || !std::filesystem::exists(jobs_root_)) return;
    for (const auto& entry : std::filesystem::directory_iterator(jobs_root_, ec)) {
      std::string dir = entry.path().string();
      if (!entry.is_directory()) continue;
      (void)write_kernel_file(dir + "/cgroup.freeze", "0");
      (void)write_kernel_file(dir + "/cgroup.kill", "1");
      wait_until([&] { return ::rmdir(dir.c_str()) == 0; }, seconds(5));
    }
    ::rmdir(jobs_root_.c_str());
  }

  void start_daemon() {
    daemon_ = std::make_unique<testing::ChildProcess>(
        std::vector<std::string>{kAdrg, "--config", config_}, dir_.path() + "/adrg.log");
    ASSERT_TRUE(wait_until([&] {
      return run_command("curl -sf --max-time 1 --unix-socket " + socket_ + " http://adrg/healthz")
                 .exit_code == 0;
    })) << daemon_->log();
  }

  struct Answer {
    int status = 0;
    std::string body;
  };
  // curl over the unix socket (or TCP when tcp is set); the status is the last line.
  Answer call(const std::string& method, const std::string& path, const std::string& body = "",
              bool tcp = false) {
    std::string cmd = "curl -s --max-time 20 -w '\\n%{http_code}' -X " + method;
    if (!body.empty()) {
      dir_.write("body.json", body);
      cmd += " -H 'Content-Type: application/json' --data-binary @" + dir_.path() + "/body.json";
    }
    cmd += tcp ? " http://127.0.0.1:" + std::to_string(port_) + path
               : " --unix-socket " + socket_ + " http://adrg" + path;
    auto r = run_command(cmd, seconds(30));
    Answer a;
    auto nl = r.output.rfind('\n');
    a.body = r.output.substr(0, nl == std::string::npos ? 0 : nl);
    a.status = std::atoi(r.output.substr(nl == std::string::npos ? 0 : nl + 1).c_str());
    return a;
  }

  Answer run_job(const std::string& id, int tier, const std::string& argv_json,
                 const std::string& more = "") {
    return call("POST", "/jobs",
                "{\"id\":\"" + id + "\",\"tier\":" + std::to_string(tier) +
                    ",\"argv\":" + argv_json + ",\"env\":[\"PATH=/usr/bin:/bin\"]" + more + "}");
  }

  void trigger(const std::string& event) {
    ASSERT_EQ(call("POST", "/trigger", "{\"event\":\"" + event + "\"}").status, 200);
  }

  std::string log() { return daemon_ ? daemon_->log() : ""; }

  testing::TempDir dir_;
  std::string jobs_root_;
  std::string socket_;
  int port_ = 0;
  std::string config_;
  std::unique_ptr<testing::ChildProcess> daemon_;
};

TEST_F(Jobs, JobRunsInsideItsOwnCgroupAndItsExitIsReported) {
  start_daemon();
  auto a = run_job("hello", 2,
                   "[\"sh\",\"-c\",\"cat /proc/self/cgroup; echo out; echo err >&2; "
                   "sleep 1; exit 7\"]");
  ASSERT_EQ(a.status, 201) << a.body << log();
  EXPECT_EQ(json_string(a.body, "state"), "running") << a.body;
  long long pid = json_number(a.body, "pid");
  ASSERT_GT(pid, 0) << a.body;
  std::string cgroup = jobs_root_ + "/hello";
  EXPECT_EQ(json_string(a.body, "cgroup"), cgroup);
  // The kernel's own word: the process is in the job's cgroup (cgroup2 line "0::/...").
  auto self = read_text_file("/proc/" + std::to_string(pid) + "/cgroup");
  ASSERT_TRUE(self) << "the job ended before it could be inspected";
  std::string relative = cgroup.substr(cgroup.find("/adrg-jobs-itest-"));
  EXPECT_NE(self->find("0::" + relative + "\n"), std::string::npos) << *self;

  auto w = call("GET", "/jobs/hello/wait?timeout=20");
  ASSERT_EQ(w.status, 200) << w.body;
  EXPECT_EQ(json_string(w.body, "state"), "exited");
  EXPECT_EQ(json_number(w.body, "exit_code"), 7);
  auto logs = call("GET", "/jobs/hello/logs?offset=0");
  ASSERT_EQ(logs.status, 200);
  EXPECT_NE(logs.body.find("0::" + relative), std::string::npos) << logs.body;
  EXPECT_NE(logs.body.find("out\nerr\n"), std::string::npos) << logs.body;
  // The job's cgroup goes with it; the record stays listed until removed.
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(cgroup); })) << log();
  auto list = call("GET", "/jobs");
  EXPECT_NE(list.body.find("\"id\":\"hello\""), std::string::npos) << list.body;
  EXPECT_EQ(call("DELETE", "/jobs/hello").status, 200);
  EXPECT_EQ(call("GET", "/jobs/hello").status, 404);
}

TEST_F(Jobs, BadRequestsGetJsonErrors) {
  start_daemon();
  auto forbidden = call("POST", "/jobs", "{\"id\":\"t\",\"argv\":[\"true\"]}", /*tcp=*/true);
  EXPECT_EQ(forbidden.status, 403) << forbidden.body;
  EXPECT_NE(forbidden.body.find("unix socket"), std::string::npos) << forbidden.body;
  // Job data (command lines, logs) never goes over TCP without a token.
  auto listed = call("GET", "/jobs", "", /*tcp=*/true);
  EXPECT_EQ(listed.status, 403) << listed.body;
  EXPECT_EQ(call("GET", "/jobs/t/logs", "", /*tcp=*/true).status, 403);
  auto bad = call("POST", "/jobs", "{\"id\":\"a b\",\"argv\":[\"true\"]}");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("not a valid job id"), std::string::npos) << bad.body;
  EXPECT_EQ(call("POST", "/jobs", "{\"id\":\"t\",\"tier\":0,\"argv\":[\"true\"]}").status, 400);
  EXPECT_EQ(call("POST", "/jobs", "not json").status, 400);
  auto big =
      call("POST", "/jobs", "{\"id\":\"big\",\"argv\":[\"" + std::string(70000, 'a') + "\"]}");
  EXPECT_EQ(big.status, 413) << big.body;
  ASSERT_EQ(run_job("dup", 3, "[\"sleep\",\"60\"]").status, 201);
  auto dup = run_job("dup", 3, "[\"true\"]");
  EXPECT_EQ(dup.status, 409);
  EXPECT_NE(dup.body.find("already exists"), std::string::npos) << dup.body;
  auto missing = run_job("nocmd", 3, "[\"/nonexistent/cmd\"]");
  EXPECT_EQ(missing.status, 422) << missing.body;
  EXPECT_NE(missing.body.find("refused: could not start"), std::string::npos) << missing.body;
  EXPECT_EQ(call("GET", "/jobs/nocmd").status, 404);
  EXPECT_EQ(call("DELETE", "/jobs/dup").status, 409);
  auto kill = call("POST", "/jobs/dup/kill");
  EXPECT_EQ(kill.status, 202) << kill.body;
  auto w = call("GET", "/jobs/dup/wait?timeout=20");
  EXPECT_EQ(json_string(w.body, "state"), "killed") << w.body;
  EXPECT_EQ(json_number(w.body, "signal"), 9) << w.body;
  EXPECT_EQ(call("GET", "/jobs/nope").status, 404);
  EXPECT_EQ(call("GET", "/jobs/dup/wait?timeout=x").status, 400);
  EXPECT_EQ(call("PUT", "/jobs").status, 405);
  auto still = run_job("slow", 3, "[\"sleep\",\"60\"]");
  ASSERT_EQ(still.status, 201);
  auto timeout = call("GET", "/jobs/slow/wait?timeout=0.2");
  EXPECT_EQ(timeout.status, 408) << timeout.body;
  EXPECT_NE(timeout.body.find("\"state\":\"running\""), std::string::npos) << timeout.body;
}

TEST_F(Jobs, Tier3PauseFreezesATier3JobButNotATier1Job) {
  start_daemon();
  auto bulk = run_job("bulk", 3, "[\"sh\",\"-c\",\"while :; do :; done\"]");
  auto interactive = run_job("inter", 1, "[\"sh\",\"-c\",\"while :; do :; done\"]");
  ASSERT_EQ(bulk.status, 201) << bulk.body << log();
  ASSERT_EQ(interactive.status, 201) << interactive.body;
  long long bulk_pid = json_number(bulk.body, "pid");
  long long inter_pid = json_number(interactive.body, "pid");
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(jobs_root_ + "/bulk"); })) << log();
  EXPECT_TRUE(wait_until(
      [&] { return call("GET", "/jobs/bulk").body.find("\"frozen\":true") != std::string::npos; }));
  // Frozen means no CPU at all: the tick count stays while the tier-1 job keeps spinning.
  long long bulk_before = cpu_ticks(bulk_pid);
  long long inter_before = cpu_ticks(inter_pid);
  EXPECT_TRUE(wait_until([&] { return cpu_ticks(inter_pid) > inter_before + 20; }, seconds(10)));
  EXPECT_EQ(cpu_ticks(bulk_pid), bulk_before);
  EXPECT_FALSE(cgroup_frozen(jobs_root_ + "/inter"));
  auto status = call("GET", "/status");
  EXPECT_NE(status.body.find("job:bulk"), std::string::npos) << status.body;
  trigger("tier3_resume");
  EXPECT_TRUE(wait_until([&] { return !cgroup_frozen(jobs_root_ + "/bulk"); })) << log();
  EXPECT_TRUE(wait_until([&] { return cpu_ticks(bulk_pid) > bulk_before + 20; }, seconds(10)));
  // A frozen job can still be killed.
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(jobs_root_ + "/bulk"); }));
  EXPECT_EQ(call("POST", "/jobs/bulk/kill").status, 202);
  auto w = call("GET", "/jobs/bulk/wait?timeout=20");
  EXPECT_EQ(json_string(w.body, "state"), "killed") << w.body;
}

TEST_F(Jobs, RestartReadoptsARunningJobAndStopLeavesNothingFrozen) {
  start_daemon();
  auto a = run_job("survivor", 3, "[\"sh\",\"-c\",\"while :; do :; done\"]");
  ASSERT_EQ(a.status, 201) << a.body;
  long long pid = json_number(a.body, "pid");
  trigger("tier3_pause");
  ASSERT_TRUE(wait_until([&] { return cgroup_frozen(jobs_root_ + "/survivor"); })) << log();
  daemon_->signal(SIGTERM);
  ASSERT_EQ(daemon_->wait_exit(), 0) << log();
  // adrg stopped: the job lives on, thawed.
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);
  EXPECT_FALSE(cgroup_frozen(jobs_root_ + "/survivor"));
  start_daemon();
  auto again = call("GET", "/jobs/survivor");
  ASSERT_EQ(again.status, 200) << again.body << log();
  EXPECT_EQ(json_string(again.body, "state"), "running") << again.body;
  EXPECT_NE(again.body.find("\"adopted\":true"), std::string::npos) << again.body;
  EXPECT_EQ(json_number(again.body, "pid"), pid);
  // Governed again after the restart.
  trigger("tier3_pause");
  EXPECT_TRUE(wait_until([&] { return cgroup_frozen(jobs_root_ + "/survivor"); })) << log();
  // A kill -9 of adrg cannot thaw; --cleanup (ExecStopPost) does.
  daemon_->signal(SIGKILL);
  daemon_->wait_exit();
  EXPECT_TRUE(cgroup_frozen(jobs_root_ + "/survivor"));
  auto cleanup = run_command(kAdrg + " --config " + config_ + " --cleanup");
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.output;
  EXPECT_FALSE(cgroup_frozen(jobs_root_ + "/survivor"));
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0) << "the job must survive adrg";
  start_daemon();
  ASSERT_EQ(call("POST", "/jobs/survivor/kill").status, 202);
  auto w = call("GET", "/jobs/survivor/wait?timeout=20");
  EXPECT_EQ(json_string(w.body, "state"), "killed") << w.body;
  EXPECT_NE(w.body.find("\"signal\":null"), std::string::npos)
      << "an adopted job is not adrg's child: its status is unknown\n"
      << w.body;
}

// Admission with the real kernel's PSI: stress-ng makes real CPU pressure, the job queues, and
// starts once the pressure falls below the threshold.
TEST_F(Jobs, WaitForCalmQueuesUnderRealCpuPressure) {
  if (run_command("command -v stress-ng").exit_code != 0) GTEST_SKIP() << "SKIPPED: no stress-ng";
  if (cpu_some_avg10() < 0) GTEST_SKIP() << "SKIPPED: no /proc/pressure/cpu";
  // The machine is shared: the threshold sits above what it shows when calm-ish, and the stress
  // is made far above it.
  double baseline = cpu_some_avg10();
  if (baseline > 50) {
    GTEST_SKIP() << "SKIPPED: the machine is under heavy CPU pressure already (cpu some avg10 "
                 << baseline << "%), so pressure cannot be made to fall; the same admission is "
                 << "proven with injected PSI files in WaitForCalmFollowsInjectedPsi";
  }
  double threshold = std::min(90.0, std::max(20.0, baseline * 1.5 + 10));
  write_config("  admission: {cpu_some_avg10_max: " + std::to_string(threshold) +
               ", memory_some_avg10_max: 100, io_some_avg10_max: 100}\n");
  auto stress = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{"/usr/bin/stress-ng", "--cpu", "16", "--timeout", "120s"},
      dir_.path() + "/stress.log");
  if (!wait_until([&] { return cpu_some_avg10() > threshold + 5; }, seconds(40))) {
    GTEST_SKIP() << "SKIPPED: stress-ng did not raise cpu some avg10 above " << threshold;
  }
  start_daemon();
  auto a = run_job("calm", 3, "[\"sleep\",\"30\"]", ",\"wait_for_calm\":true");
  ASSERT_EQ(a.status, 201) << a.body << log();
  EXPECT_EQ(json_string(a.body, "state"), "queued") << a.body;
  EXPECT_NE(a.body.find("cpu pressure some avg10"), std::string::npos) << a.body;
  EXPECT_FALSE(std::filesystem::exists(jobs_root_ + "/calm"));
  stress->signal(SIGTERM);
  stress->wait_exit();
  stress.reset();
  ASSERT_TRUE(
      wait_until([&] { return json_string(call("GET", "/jobs/calm").body, "state") == "running"; },
                 seconds(90)))
      << call("GET", "/jobs/calm").body << "\ncpu some avg10 now " << cpu_some_avg10();
  EXPECT_TRUE(std::filesystem::exists(jobs_root_ + "/calm"));
}

// SO_PEERCRED: a non-root caller's job runs as that caller, and others may not kill it.
TEST_F(Jobs, ANonRootCallersJobRunsAsThatUser) {
  if (run_command("command -v setpriv").exit_code != 0) GTEST_SKIP() << "SKIPPED: no setpriv";
  start_daemon();
  ASSERT_EQ(::chmod(socket_.c_str(), 0666), 0);  // let uid 65534 reach the socket
  dir_.write("nobody.json",
             R"({"id":"as-nobody","tier":3,"argv":["sh","-c","id -u; id -g; sleep 60"]})");
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  ASSERT_EQ(::chmod((dir_.path() + "/nobody.json").c_str(), 0644), 0);
  auto as_nobody = [&](const std::string& args) {
    return run_command(
        "setpriv --reuid 65534 --regid 65534 --clear-groups curl -s -w '\\n%{http_code}' "
        "--unix-socket " +
        socket_ + " " + args);
  };
  auto r = as_nobody("-H 'Content-Type: application/json' --data-binary @" + dir_.path() +
                     "/nobody.json http://adrg/jobs");
  ASSERT_NE(r.output.find("\n201"), std::string::npos) << r.output << log();
  EXPECT_NE(r.output.find("\"uid\":65534"), std::string::npos) << r.output;
  EXPECT_TRUE(wait_until([&] {
    return call("GET", "/jobs/as-nobody/logs").body.find("65534\n65534\n") != std::string::npos;
  })) << call("GET", "/jobs/as-nobody/logs").body
      << log();
  long long pid = json_number(call("GET", "/jobs/as-nobody").body, "pid");
  auto status = read_text_file("/proc/" + std::to_string(pid) + "/status");
  ASSERT_TRUE(status);
  EXPECT_NE(status->find("Uid:\t65534"), std::string::npos) << *status;
  // Another unprivileged user may not kill it; its owner may.
  auto other = run_command(
      "setpriv --reuid 65533 --regid 65533 --clear-groups curl -s -X POST "
      "--unix-socket " +
      socket_ + " http://adrg/jobs/as-nobody/kill");
  EXPECT_NE(other.output.find("belongs to uid 65534"), std::string::npos) << other.output;
  auto own = as_nobody("-X POST http://adrg/jobs/as-nobody/kill");
  EXPECT_NE(own.output.find("\n202"), std::string::npos) << own.output;
  auto w = call("GET", "/jobs/as-nobody/wait?timeout=20");
  EXPECT_EQ(json_string(w.body, "state"), "killed") << w.body;
}

// The same admission through the real daemon with general.proc_root pointing at PSI files the
// test writes: deterministic on a busy machine.
TEST_F(Jobs, WaitForCalmFollowsInjectedPsi) {
  auto psi_line = [](double avg10) {
    return fmt::format(
        "some avg10={:.2f} avg60=0.00 avg300=0.00 total=1\n"
        "full avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
        avg10);
  };
  dir_.write("proc/pressure/cpu", psi_line(80));
  dir_.write("proc/pressure/memory", psi_line(0));
  dir_.write("proc/pressure/io", psi_line(0));
  write_config("  admission: {cpu_some_avg10_max: 30, max_queue_seconds: 0}\n",
               dir_.path() + "/proc");
  start_daemon();
  auto a = run_job("calm", 3, "[\"sleep\",\"30\"]", ",\"wait_for_calm\":true");
  ASSERT_EQ(a.status, 201) << a.body << log();
  EXPECT_EQ(json_string(a.body, "state"), "queued") << a.body;
  EXPECT_EQ(json_string(a.body, "reason"), "waiting for calm: cpu pressure some avg10 80.00% > 30%")
      << a.body;
  // Several reconcile ticks (1 s) pass under pressure: still queued, no cgroup.
  auto queued_at = std::chrono::steady_clock::now();
  EXPECT_FALSE(
      wait_until([&] { return json_string(call("GET", "/jobs/calm").body, "state") != "queued"; },
                 seconds(3)));
  EXPECT_FALSE(std::filesystem::exists(jobs_root_ + "/calm"));
  dir_.write("proc/pressure/cpu", psi_line(5));
  ASSERT_TRUE(
      wait_until([&] { return json_string(call("GET", "/jobs/calm").body, "state") == "running"; },
                 seconds(20)))
      << call("GET", "/jobs/calm").body << log();
  EXPECT_GE(std::chrono::steady_clock::now() - queued_at, seconds(3));
  EXPECT_TRUE(std::filesystem::exists(jobs_root_ + "/calm"));
  EXPECT_EQ(call("POST", "/jobs/calm/kill").status, 202);
}

}  // namespace
}  // namespace adrg
