#include "tools/adrgctl/job_request.h"

#include <simdjson.h>
#include <string.h>

#include <csignal>
#include <tuple>
#include <utility>

#include "config/size.h"
#include "core/json_writer.h"

namespace adrg::ctl {

namespace {

Error invalid(std::string message) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::optional<std::int64_t> integer(simdjson::dom::element object, const char* key) {
  std::int64_t value = 0;
  if (object[key].get(value) == simdjson::SUCCESS) return value;
  return std::nullopt;
}

std::string text(simdjson::dom::element object, const char* key) {
  std::string_view value;
  if (object[key].get(value) == simdjson::SUCCESS) return std::string(value);
  return "";
}

std::string signal_name(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);
  return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

}  // namespace

Result<std::string> cpu_max_from_cli(std::string_view text) {
  auto slash = text.find('/');
  std::string_view quota = text.substr(0, slash);
  if (!(quota == "max" || all_digits(quota))) {
    return invalid("--cpu-max '" + std::string(text) +
                   "': want QUOTA/PERIOD in microseconds, e.g. 50000/100000 (or max/PERIOD)");
  }
  if (slash == std::string_view::npos) return std::string(quota);
  std::string_view period = text.substr(slash + 1);
  if (!all_digits(period)) {
    return invalid("--cpu-max '" + std::string(text) + "': the period after '/' is not a number");
  }
  return std::string(quota) + " " + std::string(period);
}

Result<std::vector<std::string>> merge_environment(const std::vector<std::string>& base,
                                                   const std::vector<std::string>& overrides) {
  std::vector<std::string> out = base;
  for (const auto& entry : overrides) {
    auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return invalid("--env '" + entry + "': want KEY=VALUE");
    }
    std::string_view key(entry.data(), eq + 1);  // with the '='
    bool replaced = false;
    for (auto& existing : out) {
      if (std::string_view(existing).substr(0, key.size()) == key) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) out.push_back(entry);
  }
  return out;
}

Result<std::string> build_run_body(const RunOptions& options,
                                   const std::vector<std::string>& caller_env,
                                   const std::string& caller_cwd) {
  if (options.argv.empty()) return invalid("run: no command given (adrgctl run ... -- CMD ARGS)");
  auto env = merge_environment(caller_env, options.env);
  if (!env) return env.error();

  JsonWriter json;
  json.begin_object();
  json.field("id", options.id);
  json.field("tier", options.tier);
  json.key("argv").strings(options.argv);
  json.key("env").strings(*env);
  json.field("cwd", options.cwd.value_or(caller_cwd));
  json.field("wait_for_calm", options.wait_for_calm);
  json.key("limits").begin_object();
  if (options.cpu_max) {
    auto cpu_max = cpu_max_from_cli(*options.cpu_max);
    if (!cpu_max) return cpu_max.error();
    json.field("cpu_max", *cpu_max);
  }
  if (options.cpu_weight) json.field("cpu_weight", *options.cpu_weight);
  for (auto [name, flag, value] :
       {std::tuple{"memory_max", "--memory-max", &options.memory_max},
        std::tuple{"memory_high", "--memory-high", &options.memory_high}}) {
    if (!*value) continue;
    auto bytes = parse_size(**value);
    if (!bytes) return invalid(std::string(flag) + ": " + bytes.error().message);
    json.field(name, *bytes);
  }
  if (!options.io_max.empty()) json.key("io_max").strings(options.io_max);
  if (options.pids_max) json.field("pids_max", *options.pids_max);
  json.end_object();
  json.end_object();
  return json.take();
}

bool is_final_state(std::string_view state) {
  return state == "exited" || state == "killed" || state == "failed" || state == "refused";
}

Result<JobEnd> describe_job_end(std::string_view job_json) {
  simdjson::dom::parser parser;
  simdjson::dom::element job;
  if (auto error = parser.parse(simdjson::padded_string(job_json)).get(job); error) {
    return invalid(std::string("job object is not JSON: ") + simdjson::error_message(error));
  }
  std::string id = text(job, "id");
  std::string state = text(job, "state");
  if (!is_final_state(state)) {
    return invalid("job " + id + " has not ended (state '" + state + "')");
  }
  std::int64_t oom_kills = integer(job, "oom_kills").value_or(0);
  std::string oom_note = oom_kills > 0 ? " (oom_kill " + std::to_string(oom_kills) + ")" : "";
  if (auto signal = integer(job, "signal"); signal && *signal > 0) {
    if (oom_kills > 0 && *signal == SIGKILL) {
      return JobEnd{id + ": killed by the OOM killer" + oom_note, 128 + SIGKILL};
    }
    return JobEnd{id + ": killed by " + signal_name(static_cast<int>(*signal)),
                  128 + static_cast<int>(*signal)};
  }
  if (auto code = integer(job, "exit_code"); code) {
    return JobEnd{id + ": exited with status " + std::to_string(*code) + oom_note,
                  static_cast<int>(*code)};
  }
  std::string reason = text(job, "reason");
  std::string because = reason.empty() ? "" : ": " + reason;
  if (state == "refused") return JobEnd{id + ": refused" + because, 1};
  if (state == "failed") return JobEnd{id + ": failed to start" + because, 127};
  // No status known: a job adrg re-adopted after a restart, or one killed while still queued.
  return JobEnd{id + ": " + state + because, 255};
}

}  // namespace adrg::ctl
