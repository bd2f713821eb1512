#include "jobs/job_record.h"

#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <system_error>

#include "core/fs.h"
#include "core/json_writer.h"

namespace adrg {

namespace {

constexpr std::string_view kStates[] = {"queued", "running", "exited",
                                        "killed", "failed",  "refused"};

Error invalid(std::string message) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

// Reads the members of one JSON object strictly: every member must be asked for, and leftovers
// are named in the error (a typo in "limits" must not start a job without its limit).
class ObjectReader {
 public:
  ObjectReader(simdjson::dom::object object, std::string where)
      : object_(object), where_(std::move(where)) {}

  std::optional<Error> error() const { return error_; }

  // false when absent; an error when present with the wrong type.
  bool string(std::string_view key, std::string& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    std::string_view text;
    if (el.get(text) != simdjson::SUCCESS) return fail(key, "a string");
    if (text.find('\0') != std::string_view::npos) return fail(key, "a string without NUL bytes");
    out = std::string(text);
    return true;
  }
  bool boolean(std::string_view key, bool& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS) return fail(key, "true or false");
    return true;
  }
  bool u64(std::string_view key, std::uint64_t& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS) return fail(key, "a whole number >= 0");
    return true;
  }
  bool i64(std::string_view key, std::int64_t& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS) return fail(key, "a whole number");
    return true;
  }
  bool number(std::string_view key, double& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS || !std::isfinite(out)) return fail(key, "a number");
    return true;
  }
  // null counts as absent for the optional members of the record.
  bool is_null(std::string_view key) {
    simdjson::dom::element el;
    if (object_.at_key(key).get(el) != simdjson::SUCCESS) return false;
    if (!el.is_null()) return false;
    used_.emplace_back(key);
    return true;
  }
  bool strings(std::string_view key, std::vector<std::string>& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    simdjson::dom::array array;
    if (el.get(array) != simdjson::SUCCESS) return fail(key, "a list of strings");
    out.clear();
    for (simdjson::dom::element item : array) {
      std::string_view text;
      if (item.get(text) != simdjson::SUCCESS || text.find('\0') != std::string_view::npos) {
        return fail(key, "a list of strings without NUL bytes");
      }
      out.emplace_back(text);
    }
    return true;
  }
  bool object(std::string_view key, simdjson::dom::object& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS) return fail(key, "an object");
    return true;
  }
  bool array(std::string_view key, simdjson::dom::array& out) {
    simdjson::dom::element el;
    if (!find(key, el)) return false;
    if (el.get(out) != simdjson::SUCCESS) return fail(key, "a list");
    return true;
  }

  // Call after every member was asked for.
  std::optional<Error> finish() {
    if (error_) return error_;
    for (auto field : object_) {
      bool known = false;
      for (const auto& used : used_) known = known || used == field.key;
      if (!known) {
        return invalid(fmt::format("{}: unknown member \"{}\"", where_, field.key));
      }
    }
    return std::nullopt;
  }

 private:
  bool find(std::string_view key, simdjson::dom::element& out) {
    used_.emplace_back(key);
    if (object_.at_key(key).get(out) != simdjson::SUCCESS) return false;
    return true;
  }
  bool fail(std::string_view key, std::string_view expected) {
    if (!error_) error_ = invalid(fmt::format("{}.{}: expected {}", where_, key, expected));
    return false;
  }

  simdjson::dom::object object_;
  std::string where_;
  std::vector<std::string> used_;
  std::optional<Error> error_;
};

Result<JobLimits> read_limits(simdjson::dom::object object, const std::string& where) {
  ObjectReader r(object, where);
  JobLimits limits;
  std::string text;
  if (r.string("cpu_max", text)) limits.cpu_max = text;
  std::uint64_t n = 0;
  if (r.u64("cpu_weight", n)) limits.cpu_weight = n;
  if (r.u64("memory_max", n)) limits.memory_max = n;
  if (r.u64("memory_high", n)) limits.memory_high = n;
  if (r.u64("pids_max", n)) limits.pids_max = n;
  r.strings("io_max", limits.io_max);
  if (auto e = r.finish()) return *e;
  if (auto st = validate_job_limits(limits); !st) {
    return invalid(where + ": " + st.error().describe());
  }
  return limits;
}

Result<simdjson::dom::object> parse_object(simdjson::dom::parser& parser,
                                           const simdjson::padded_string& padded,
                                           std::string_view what) {
  simdjson::dom::element root;
  if (auto err = parser.parse(padded).get(root); err) {
    return invalid(fmt::format("{} is not valid JSON ({})", what, simdjson::error_message(err)));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return invalid(fmt::format("{} must be a JSON object", what));
  }
  return object;
}

void write_optional(JsonWriter& w, std::string_view key, const std::optional<int>& v) {
  w.key(key);
  if (v) {
    w.value(*v);
  } else {
    w.null();
  }
}

void write_time(JsonWriter& w, std::string_view key, const std::optional<double>& v) {
  w.key(key);
  if (v) {
    w.value(rfc3339_utc(*v));
  } else {
    w.null();
  }
}

}  // namespace

std::string_view to_string(JobState state) { return kStates[static_cast<int>(state)]; }

std::optional<JobState> parse_job_state(std::string_view text) {
  for (int i = 0; i < 6; ++i) {
    if (kStates[i] == text) return static_cast<JobState>(i);
  }
  return std::nullopt;
}

bool is_final(JobState state) { return state != JobState::kQueued && state != JobState::kRunning; }

std::string rfc3339_utc(double wall_seconds) {
  auto whole = static_cast<std::time_t>(std::floor(wall_seconds));
  int millis = static_cast<int>(std::lround((wall_seconds - static_cast<double>(whole)) * 1000));
  if (millis >= 1000) {
    ++whole;
    millis -= 1000;
  }
  std::tm tm{};
  gmtime_r(&whole, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

std::string job_limits_json(const JobLimits& limits) {
  JsonWriter w;
  w.begin_object();
  if (limits.cpu_max) w.field("cpu_max", *limits.cpu_max);
  if (limits.cpu_weight) w.field("cpu_weight", *limits.cpu_weight);
  if (limits.memory_max) w.field("memory_max", *limits.memory_max);
  if (limits.memory_high) w.field("memory_high", *limits.memory_high);
  if (!limits.io_max.empty()) w.key("io_max").strings(limits.io_max);
  if (limits.pids_max) w.field("pids_max", *limits.pids_max);
  w.end_object();
  return w.take();
}

// pid, cgroup, log, clone_into_cgroup: where the job runs, in the API object and the record.
static void write_process(JsonWriter& w, const JobRecord& job) {
  w.key("pid");
  if (job.pid) {
    w.value(static_cast<int>(*job.pid));
  } else {
    w.null();
  }
  w.field("cgroup", job.cgroup)
      .field("log", job.log)
      .field("log_dropped", job.log_dropped)
      .field("clone_into_cgroup", job.clone_into_cgroup);
}

std::string job_json(const JobRecord& job, bool frozen) {
  JsonWriter w;
  w.begin_object().field("id", job.id).field("tier", job.tier).field("state", to_string(job.state));
  w.key("argv").strings(job.argv);
  w.field("cwd", job.cwd.empty() ? std::string("/") : job.cwd)
      .field("uid", static_cast<std::uint64_t>(job.uid))
      .field("gid", static_cast<std::uint64_t>(job.gid));
  write_process(w, job);
  w.field("wait_for_calm", job.wait_for_calm).field("adopted", job.adopted);
  write_time(w, "created_at", job.created_at);
  write_time(w, "started_at", job.started_at);
  write_time(w, "ended_at", job.ended_at);
  write_optional(w, "exit_code", job.exit_code);
  write_optional(w, "signal", job.signal);
  w.field("oom_kills", job.oom_kills);
  w.key("reason");
  if (job.reason.empty()) {
    w.null();
  } else {
    w.value(job.reason);
  }
  w.field("frozen", frozen);
  w.key("limits").raw(job_limits_json(job.limits));
  w.end_object();
  return w.take();
}

std::string job_record_json(const JobRecord& job) {
  JsonWriter w;
  w.begin_object()
      .field("version", 1)
      .field("id", job.id)
      .field("tier", job.tier)
      .field("state", to_string(job.state));
  w.key("argv").strings(job.argv);
  w.key("env").strings(job.env);
  w.field("cwd", job.cwd)
      .field("wait_for_calm", job.wait_for_calm)
      .field("uid", static_cast<std::uint64_t>(job.uid))
      .field("gid", static_cast<std::uint64_t>(job.gid));
  w.key("groups").begin_array();
  for (gid_t g : job.groups) w.value(static_cast<std::uint64_t>(g));
  w.end_array();
  write_process(w, job);
  w.field("created_at", job.created_at);
  for (auto [key, value] :
       {std::pair{"started_at", &job.started_at}, std::pair{"ended_at", &job.ended_at}}) {
    w.key(key);
    if (*value) {
      w.value(**value);
    } else {
      w.null();
    }
  }
  write_optional(w, "exit_code", job.exit_code);
  write_optional(w, "signal", job.signal);
  w.field("oom_kills", job.oom_kills).field("reason", job.reason).field("adopted", job.adopted);
  w.key("limits").raw(job_limits_json(job.limits));
  w.end_object();
  return w.take();
}

Result<JobRecord> parse_job_record(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  auto object = parse_object(parser, padded, "job record");
  if (!object) return object.error();
  ObjectReader r(*object, "record");
  JobRecord job;
  std::int64_t version = 0;
  if (!r.i64("version", version) || version != 1) {
    return r.error() ? *r.error() : invalid("record: missing or unknown \"version\" (want 1)");
  }
  if (!r.string("id", job.id) || !valid_job_id(job.id)) {
    return r.error() ? *r.error() : invalid("record: missing or invalid \"id\"");
  }
  std::int64_t n = 0;
  if (!r.i64("tier", n) || n < 0 || n > 3) {
    return r.error() ? *r.error() : invalid("record: missing or invalid \"tier\"");
  }
  job.tier = static_cast<int>(n);
  std::string state;
  r.string("state", state);
  auto parsed_state = parse_job_state(state);
  if (!parsed_state) return r.error() ? *r.error() : invalid("record: bad state '" + state + "'");
  job.state = *parsed_state;
  if (!r.strings("argv", job.argv) || job.argv.empty()) {
    return r.error() ? *r.error() : invalid("record: missing \"argv\"");
  }
  r.strings("env", job.env);
  r.string("cwd", job.cwd);
  r.boolean("wait_for_calm", job.wait_for_calm);
  std::uint64_t u = 0;
  if (r.u64("uid", u)) job.uid = static_cast<uid_t>(u);
  if (r.u64("gid", u)) job.gid = static_cast<gid_t>(u);
  simdjson::dom::array groups;
  if (r.array("groups", groups)) {
    for (simdjson::dom::element g : groups) {
      std::uint64_t value = 0;
      if (g.get(value) != simdjson::SUCCESS) return invalid("record.groups: expected numbers");
      job.groups.push_back(static_cast<gid_t>(value));
    }
  }
  if (!r.is_null("pid") && r.i64("pid", n)) job.pid = static_cast<pid_t>(n);
  r.string("cgroup", job.cgroup);
  r.string("log", job.log);
  r.u64("log_dropped", job.log_dropped);  // absent in records written before the cap
  r.boolean("clone_into_cgroup", job.clone_into_cgroup);
  r.number("created_at", job.created_at);
  double t = 0;
  if (!r.is_null("started_at") && r.number("started_at", t)) job.started_at = t;
  if (!r.is_null("ended_at") && r.number("ended_at", t)) job.ended_at = t;
  if (!r.is_null("exit_code") && r.i64("exit_code", n)) job.exit_code = static_cast<int>(n);
  if (!r.is_null("signal") && r.i64("signal", n)) job.signal = static_cast<int>(n);
  r.u64("oom_kills", job.oom_kills);
  r.string("reason", job.reason);
  r.boolean("adopted", job.adopted);
  simdjson::dom::object limits;
  if (r.object("limits", limits)) {
    auto parsed = read_limits(limits, "record.limits");
    if (!parsed) return parsed.error();
    job.limits = std::move(*parsed);
  }
  if (auto e = r.finish()) return *e;
  return job;
}

Result<JobSubmission> parse_job_submission(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  auto object = parse_object(parser, padded, "request body");
  if (!object) return object.error();
  ObjectReader r(*object, "body");
  JobSubmission job;
  if (!r.string("id", job.id)) {
    return r.error() ? *r.error() : invalid("body: missing \"id\"");
  }
  if (!valid_job_id(job.id)) {
    return invalid(fmt::format(
        "body.id: '{}' is not a valid job id ([A-Za-z0-9][A-Za-z0-9._-]{{0,63}}, no \"..\")",
        job.id));
  }
  std::int64_t tier = 3;
  if (r.i64("tier", tier) && (tier < 1 || tier > 3)) {
    return invalid(
        fmt::format("body.tier: expected 1, 2 or 3, got {} (tier 0 is for the core "
                    "services adrg protects, not for jobs)",
                    tier));
  }
  job.tier = static_cast<int>(tier);
  if (!r.strings("argv", job.argv) || job.argv.empty() || job.argv.front().empty()) {
    return r.error() ? *r.error() : invalid("body.argv: expected a non-empty list of strings");
  }
  r.strings("env", job.env);
  for (const auto& entry : job.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      return invalid(fmt::format("body.env: '{}' is not NAME=VALUE", entry));
    }
  }
  if (r.string("cwd", job.cwd) && !job.cwd.empty() && job.cwd.front() != '/') {
    return invalid(fmt::format("body.cwd: expected an absolute path, got '{}'", job.cwd));
  }
  r.boolean("wait_for_calm", job.wait_for_calm);
  simdjson::dom::object limits;
  if (r.object("limits", limits)) {
    auto parsed = read_limits(limits, "body.limits");
    if (!parsed) return parsed.error();
    job.limits = std::move(*parsed);
  }
  if (auto e = r.finish()) return *e;
  return job;
}

Status save_job_record(const std::string& dir, const JobRecord& job) {
  return write_file_atomic(join_path(dir, job.id + ".json"), job_record_json(job) + "\n", 0600);
}

Status delete_job_files(const std::string& dir, const std::string& id) {
  for (const std::string& name : {id + ".json", id + ".log"}) {
    std::string path = join_path(dir, name);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Error::from_errno("delete " + path);
    }
  }
  return {};
}

LoadedJobRecords load_job_records(const std::string& dir) {
  LoadedJobRecords out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".json" || !entry.is_regular_file(ec)) continue;
    auto text = read_text_file(path);
    Result<JobRecord> record = text ? parse_job_record(*text) : Result<JobRecord>(text.error());
    if (record && record->id != entry.path().stem().string()) {
      record = invalid("record id '" + record->id + "' does not match its file name");
    }
    if (record) {
      out.records.push_back(std::move(*record));
      continue;
    }
    std::string aside = path + ".corrupt";
    std::filesystem::rename(path, aside, ec);
    out.problems.push_back(fmt::format("job record {} is unreadable ({}); moved to {}", path,
                                       record.error().describe(),
                                       ec ? "nowhere: " + ec.message() : aside));
  }
  return out;
}

}  // namespace adrg
