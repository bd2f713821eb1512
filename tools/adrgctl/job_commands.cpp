#include "tools/adrgctl/job_commands.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "tools/adrgctl/render.h"

extern char** environ;

namespace adrg::ctl {

namespace {

using Clock = std::chrono::steady_clock;

constexpr long kServerWaitMaxSeconds = 300;  // GET /jobs/ID/wait caps its timeout there
constexpr auto kFollowPoll = std::chrono::milliseconds(250);

std::string job_path(const std::string& id) { return "/jobs/" + url_escape(id); }

void print_body(const std::string& body) {
  std::cout << body;
  if (body.empty() || body.back() != '\n') std::cout << "\n";
}

// Parses a job object (or {"jobs":[...]}); prints why not and returns false when it is not JSON.
bool parse(simdjson::dom::parser& parser, const std::string& body, simdjson::dom::element& out) {
  if (auto error = parser.parse(simdjson::padded_string(body)).get(out); error) {
    std::cerr << "adrgctl: the answer is not JSON: " << simdjson::error_message(error) << "\n";
    return false;
  }
  return true;
}

std::string command_text(simdjson::dom::element job) {
  simdjson::dom::array argv;
  if (job["argv"].get(argv) != simdjson::SUCCESS) return "-";
  std::string out;
  for (simdjson::dom::element arg : argv) {
    if (!out.empty()) out += ' ';
    out += scalar(wrap(arg));
  }
  return out;
}

// The exit code, "signal N", or "-" while the job has no end yet.
std::string end_text(simdjson::dom::element job) {
  std::int64_t value = 0;
  if (job["signal"].get(value) == simdjson::SUCCESS && value > 0) {
    return "signal " + std::to_string(value);
  }
  if (job["exit_code"].get(value) == simdjson::SUCCESS) return std::to_string(value);
  return "-";
}

// What `run` prints once the job was accepted.
std::string start_line(simdjson::dom::element job) {
  std::string line = scalar(job["id"]) + ": " + scalar(job["state"]);
  std::int64_t pid = 0;
  if (job["pid"].get(pid) == simdjson::SUCCESS) line += " (pid " + std::to_string(pid) + ")";
  std::string_view reason;
  if (job["reason"].get(reason) == simdjson::SUCCESS && !reason.empty()) {
    line += ": " + std::string(reason);
  }
  return line;
}

int cmd_wait(const Target& target, const std::string& id, std::optional<double> timeout);

int cmd_run(const Target& target, const JobCommands& commands) {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    env.emplace_back(*entry);
  }
  std::string cwd;
  if (char* here = ::getcwd(nullptr, 0); here != nullptr) {
    cwd = here;
    std::free(here);
  } else if (!commands.run_options.cwd) {
    std::perror("adrgctl: getcwd (give --cwd)");
    return kExitServerError;
  }
  auto body = build_run_body(commands.run_options, env, cwd);
  if (!body) {
    std::cerr << "adrgctl: " << body.error().message << "\n";
    return kExitServerError;
  }
  Reply reply = perform(target, Request{"POST", "/jobs", *body, "application/json"});
  if (int rc = check(target, reply); rc != 0) return rc;
  simdjson::dom::parser parser;
  simdjson::dom::element job;
  if (!parse(parser, reply.body, job)) return kExitTransport;
  std::cout << start_line(job) << "\n";
  if (!commands.run_wait) return 0;
  std::cout.flush();
  return cmd_wait(target, commands.run_options.id, std::nullopt);
}

int cmd_jobs(const Target& target, bool json) {
  Reply reply = perform(target, Request{"GET", "/jobs"});
  if (int rc = check(target, reply); rc != 0) return rc;
  if (json) {
    print_body(reply.body);
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  if (!parse(parser, reply.body, document)) return kExitTransport;
  simdjson::dom::array jobs;
  if (document["jobs"].get(jobs) != simdjson::SUCCESS || jobs.size() == 0) {
    std::cout << "no jobs\n";
    return 0;
  }
  std::vector<std::vector<std::string>> table = {
      {"ID", "TIER", "STATE", "PID", "EXIT", "OOM", "FROZEN", "STARTED", "COMMAND"}};
  for (simdjson::dom::element job : jobs) {
    table.push_back({scalar(job["id"]), scalar(job["tier"]), scalar(job["state"]),
                     scalar(job["pid"]), end_text(job), scalar(job["oom_kills"]),
                     scalar(job["frozen"]), scalar(job["started_at"]), command_text(job)});
  }
  print_table(table);
  return 0;
}

int cmd_inspect(const Target& target, const std::string& id, bool json) {
  Reply reply = perform(target, Request{"GET", job_path(id)});
  if (int rc = check(target, reply); rc != 0) return rc;
  if (json) {
    print_body(reply.body);
    return 0;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element job;
  if (!parse(parser, reply.body, job)) return kExitTransport;
  std::string limits = "-";
  simdjson::dom::object limit_object;
  if (job["limits"].get(limit_object) == simdjson::SUCCESS && limit_object.size() > 0) {
    limits.clear();
    for (auto [key, value] : limit_object) {
      if (!limits.empty()) limits += ", ";
      std::string text = value.is_array() ? simdjson::minify(value) : scalar(wrap(value));
      limits += std::string(key) + " " + text;
    }
  }
  print_table({{"id:", scalar(job["id"])},
               {"tier:", scalar(job["tier"])},
               {"state:", scalar(job["state"])},
               {"reason:", scalar(job["reason"])},
               {"command:", command_text(job)},
               {"cwd:", scalar(job["cwd"])},
               {"pid:", scalar(job["pid"])},
               {"exit:", end_text(job)},
               {"oom kills:", scalar(job["oom_kills"])},
               {"frozen:", scalar(job["frozen"])},
               {"limits:", limits},
               {"cgroup:", scalar(job["cgroup"])},
               {"clone3:", scalar(job["clone_into_cgroup"])},
               {"log:", scalar(job["log"])},
               {"created:", scalar(job["created_at"])},
               {"started:", scalar(job["started_at"])},
               {"ended:", scalar(job["ended_at"])}});
  return 0;
}

// Loops on GET /jobs/ID/wait (408 = still running) until the job ends or `timeout` passes.
int cmd_wait(const Target& target, const std::string& id, std::optional<double> timeout) {
  std::optional<Clock::time_point> deadline;
  if (timeout) {
    deadline = Clock::now() + std::chrono::milliseconds(static_cast<long>(*timeout * 1000));
  }
  for (;;) {
    long slice = kServerWaitMaxSeconds;
    if (deadline) {
      auto left = std::chrono::duration<double>(*deadline - Clock::now()).count();
      slice = std::clamp(static_cast<long>(std::ceil(left)), 0L, kServerWaitMaxSeconds);
    }
    Request request{"GET", job_path(id) + "/wait?timeout=" + std::to_string(slice)};
    request.timeout_seconds = slice + 30;
    Reply reply = perform(target, request);
    if (reply.status == 408 && reply.code == 0) {
      if (deadline && Clock::now() >= *deadline) {
        std::cerr << "adrgctl: " << id << " still running after " << format_number(*timeout)
                  << " s\n";
        return kExitWaitTimeout;
      }
      continue;
    }
    if (int rc = check(target, reply); rc != 0) return rc;
    auto end = describe_job_end(reply.body);
    if (!end) {
      std::cerr << "adrgctl: " << end.error().message << "\n";
      return kExitTransport;
    }
    std::cout << end->line << "\n";
    return end->exit_status;
  }
}

// Prints the log from offset 0; with `follow`, keeps polling until the job has ended and
// everything it wrote was printed.
int cmd_logs(const Target& target, const std::string& id, bool follow) {
  std::uint64_t offset = 0;
  for (;;) {
    Reply reply =
        perform(target, Request{"GET", job_path(id) + "/logs?offset=" + std::to_string(offset)});
    if (int rc = check(target, reply); rc != 0) return rc;
    if (auto header = reply.headers.find("x-adrg-log-dropped"); header != reply.headers.end()) {
      // On stderr, so stdout stays the job's own bytes.
      if (std::uint64_t dropped = std::strtoull(header->second.c_str(), nullptr, 10)) {
        std::fflush(stdout);
        std::cerr << "adrgctl: " << id << ": " << dropped
                  << " bytes of older output were dropped (jobs.max_log_bytes)\n";
      }
    }
    std::fwrite(reply.body.data(), 1, reply.body.size(), stdout);
    std::fflush(stdout);
    std::uint64_t next = offset + reply.body.size();
    if (auto header = reply.headers.find("x-adrg-log-next"); header != reply.headers.end()) {
      next = std::strtoull(header->second.c_str(), nullptr, 10);
    }
    bool drained = reply.body.empty() || next <= offset;
    offset = std::max(offset, next);
    if (!drained) continue;
    auto state = reply.headers.find("x-adrg-job-state");
    if (!follow || state == reply.headers.end() || is_final_state(state->second)) return 0;
    std::this_thread::sleep_for(kFollowPoll);
  }
}

int cmd_kill(const Target& target, const std::string& id) {
  Reply reply = perform(target, Request{"POST", job_path(id) + "/kill", "", "application/json"});
  if (int rc = check(target, reply); rc != 0) return rc;
  std::cout << id << ": kill sent\n";
  return 0;
}

int cmd_remove(const Target& target, const std::string& id) {
  Reply reply = perform(target, Request{"DELETE", job_path(id)});
  if (int rc = check(target, reply); rc != 0) return rc;
  std::cout << "removed " << id << "\n";
  return 0;
}

CLI::App* add_id_command(CLI::App& app, const char* name, const char* help, std::string& id) {
  auto* command = app.add_subcommand(name, help);
  command->add_option("id", id, "job id")->required();
  return command;
}

}  // namespace

void add_job_commands(CLI::App& app, JobCommands& c) {
  RunOptions& o = c.run_options;
  c.run = app.add_subcommand("run", "start a governed job: adrgctl run --id ID --tier N -- CMD...");
  c.run->add_option("--id", o.id, "job id: [A-Za-z0-9][A-Za-z0-9._-]{0,63}")->required();
  c.run->add_option("--tier", o.tier, "tier whose rules govern the job (1..3)")->required();
  c.run->add_option("--cpu-max", o.cpu_max, "CPU quota QUOTA/PERIOD in us, e.g. 50000/100000");
  c.run->add_option("--cpu-weight", o.cpu_weight, "cpu.weight 1..10000");
  c.run->add_option("--memory-max", o.memory_max, "hard memory limit, e.g. 1G (OOM kill above)");
  c.run->add_option("--memory-high", o.memory_high, "memory throttle point, e.g. 768M");
  c.run->add_option("--io-max", o.io_max, "io.max rule \"MAJ:MIN rbps=N wbps=N\" (repeatable)")
      ->allow_extra_args(false);
  c.run->add_option("--pids-max", o.pids_max, "most processes the job may have");
  c.run->add_option("--cwd", o.cwd, "working directory (default: the current one)");
  c.run->add_option("--env", o.env, "K=V on top of the current environment (repeatable)")
      ->allow_extra_args(false);
  c.run->add_flag("--wait-for-calm", o.wait_for_calm,
                  "queue the job until memory/cpu/io pressure is below the admission thresholds");
  c.run->add_flag("--wait", c.run_wait, "wait for the end and exit with the job's status");
  c.run->add_option("command", o.argv, "the command and its arguments (after --)")->required();

  c.jobs = app.add_subcommand("jobs", "list jobs");
  c.jobs->add_flag("--json", c.json, "print the raw JSON");
  c.inspect = add_id_command(app, "inspect", "show one job", c.id);
  c.inspect->add_flag("--json", c.json, "print the raw job object");
  c.wait = add_id_command(app, "wait", "wait for a job's end; exit with its status", c.id);
  c.wait->add_option("--timeout", c.timeout_seconds, "give up after S seconds (exit 124)");
  c.logs = add_id_command(app, "logs", "print a job's output", c.id);
  c.logs->add_flag("-f,--follow", c.follow, "keep printing until the job has ended");
  c.kill = add_id_command(app, "kill", "kill every process of a job", c.id);
  c.remove = add_id_command(app, "remove", "forget an ended job and delete its cgroup", c.id);
}

std::optional<int> run_job_command(const Target& target, const JobCommands& c) {
  if (c.run != nullptr && c.run->parsed()) return cmd_run(target, c);
  if (c.jobs != nullptr && c.jobs->parsed()) return cmd_jobs(target, c.json);
  if (c.inspect != nullptr && c.inspect->parsed()) return cmd_inspect(target, c.id, c.json);
  if (c.logs != nullptr && c.logs->parsed()) return cmd_logs(target, c.id, c.follow);
  if (c.kill != nullptr && c.kill->parsed()) return cmd_kill(target, c.id);
  if (c.remove != nullptr && c.remove->parsed()) return cmd_remove(target, c.id);
  if (c.wait != nullptr && c.wait->parsed()) return cmd_wait(target, c.id, c.timeout_seconds);
  return std::nullopt;
}

}  // namespace adrg::ctl
