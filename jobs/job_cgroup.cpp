#include "jobs/job_cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <thread>
#include <utility>

#include "core/fs.h"

namespace adrg {

namespace {

Error invalid(std::string message) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(message)};
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return "/";
  return path.substr(0, slash);
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) out.emplace_back(text.substr(start, i - start));
  }
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// cpu.max: "$MAX $PERIOD" or "$MAX" with MAX a quota or "max". The kernel wants the quota at
// least 1 ms and the period within 1 ms..1 s (tg_set_cfs_bandwidth), else a bare EINVAL.
Status validate_cpu_max(const std::string& text) {
  auto parts = words(text);
  auto bad = [&](const std::string& why) {
    return invalid("invalid cpu_max '" + text + "': " + why);
  };
  if (parts.empty() || parts.size() > 2) return bad("want \"QUOTA PERIOD\" or \"max PERIOD\"");
  if (parts[0] != "max") {
    auto quota = parse_uint(parts[0]);
    if (!quota) return bad("quota is not a number of microseconds or \"max\"");
    if (*quota < 1000) return bad("quota below 1000 us");
  }
  if (parts.size() == 2) {
    auto period = parse_uint(parts[1]);
    if (!period || *period < 1000 || *period > 1000000) {
      return bad("period must be 1000..1000000 us");
    }
  }
  return {};
}

// io.max: "MAJ:MIN key=value..." with keys rbps wbps riops wiops and values a number or "max".
Status validate_io_max(const std::string& rule) {
  auto parts = words(rule);
  auto bad = [&](const std::string& why) {
    return invalid("invalid io_max rule '" + rule + "': " + why);
  };
  if (parts.size() < 2) return bad("want \"MAJ:MIN rbps=N wbps=N riops=N wiops=N\"");
  auto colon = parts[0].find(':');
  if (colon == std::string::npos || !parse_uint(std::string_view(parts[0]).substr(0, colon)) ||
      !parse_uint(std::string_view(parts[0]).substr(colon + 1))) {
    return bad("device must be MAJ:MIN");
  }
  for (std::size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    std::string key = parts[i].substr(0, eq);
    if (eq == std::string::npos ||
        !(key == "rbps" || key == "wbps" || key == "riops" || key == "wiops")) {
      return bad("'" + parts[i] + "' is not rbps=, wbps=, riops= or wiops=");
    }
    std::string value = parts[i].substr(eq + 1);
    if (value != "max" && !parse_uint(value)) return bad("'" + value + "' is not a number or max");
  }
  return {};
}

// O_CREAT is a no-op on cgroupfs (the files exist: the controllers were checked enabled before)
// and lets the same code write a plain directory in the unit tests.
Status write_limit(const std::string& dir, const char* file, const std::string& value) {
  std::string path = join_path(dir, file);
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::from_errno("open " + path);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) return Error::from_errno("write '" + value + "' to " + path, err);
  if (static_cast<std::size_t>(n) != value.size()) {
    return Error{std::make_error_code(std::errc::io_error), "short write to " + path};
  }
  return {};
}

Status write_limits(const std::string& dir, const JobLimits& limits) {
  std::vector<std::pair<const char*, std::string>> writes;
  if (limits.cpu_max) writes.emplace_back("cpu.max", *limits.cpu_max);
  if (limits.cpu_weight) writes.emplace_back("cpu.weight", std::to_string(*limits.cpu_weight));
  if (limits.memory_high) writes.emplace_back("memory.high", std::to_string(*limits.memory_high));
  if (limits.memory_max) writes.emplace_back("memory.max", std::to_string(*limits.memory_max));
  for (const auto& rule : limits.io_max) writes.emplace_back("io.max", rule);  // one device a write
  if (limits.pids_max) writes.emplace_back("pids.max", std::to_string(*limits.pids_max));
  for (const auto& [file, value] : writes) {
    if (auto written = write_limit(dir, file, value); !written) return written;
  }
  return {};
}

bool holds_processes(const std::string& dir) {
  auto procs = read_text_file(join_path(dir, "cgroup.procs"));
  return procs && !words(*procs).empty();
}

// Enables `needed` in dir/cgroup.subtree_control, after checking that dir is offered them.
Status enable_controllers(const std::string& dir, const std::vector<std::string>& needed,
                          bool is_top) {
  std::string controllers_file = join_path(dir, "cgroup.controllers");
  auto offered = read_text_file(controllers_file);
  if (!offered) return offered.error();
  auto offered_list = words(*offered);
  std::string subtree_file = join_path(dir, "cgroup.subtree_control");
  auto enabled = read_text_file(subtree_file);
  if (!enabled) return enabled.error();
  auto enabled_list = words(*enabled);
  std::string missing;
  for (const auto& controller : needed) {
    if (!contains(offered_list, controller)) {
      return Error{std::make_error_code(std::errc::not_supported),
                   "controller '" + controller + "' is not available: " + controllers_file +
                       " offers '" + trim(*offered) + "' (the parent cgroup does not delegate it)"};
    }
    if (!contains(enabled_list, controller)) missing += (missing.empty() ? "+" : " +") + controller;
  }
  if (missing.empty()) return {};
  // cgroup v2 "no internal processes": a non-root cgroup with processes of its own cannot enable
  // controllers for its children. Say so rather than pass on the kernel's bare EBUSY.
  if (!is_top && holds_processes(dir)) {
    return Error{std::make_error_code(std::errc::device_or_resource_busy),
                 "cannot write '" + missing + "' to " + subtree_file + ": " + dir +
                     " holds processes (cgroup v2 enables controllers for children only in a "
                     "cgroup without processes of its own; put the jobs root elsewhere)"};
  }
  return write_kernel_file(subtree_file, missing);
}

}  // namespace

bool valid_job_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || !std::isalnum(static_cast<unsigned char>(id[0]))) {
    return false;
  }
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  if (id.find("..") != std::string_view::npos) return false;
  // Interface files live next to job directories; "memory.max" as an id would collide.
  for (std::string_view prefix : {"cgroup.", "cpu.", "cpuset.", "io.", "memory.", "pids.",
                                  "hugetlb.", "rdma.", "misc.", "irq."}) {
    if (id.substr(0, prefix.size()) == prefix) return false;
  }
  return true;
}

std::vector<std::string> controllers_needed(const JobLimits& limits) {
  std::vector<std::string> out;
  if (limits.cpu_max || limits.cpu_weight) out.emplace_back("cpu");
  if (!limits.io_max.empty()) out.emplace_back("io");
  if (limits.memory_max || limits.memory_high) out.emplace_back("memory");
  if (limits.pids_max) out.emplace_back("pids");
  return out;
}

Status validate_job_limits(const JobLimits& limits) {
  if (limits.cpu_max) {
    if (auto ok = validate_cpu_max(*limits.cpu_max); !ok) return ok;
  }
  if (limits.cpu_weight && (*limits.cpu_weight < 1 || *limits.cpu_weight > 10000)) {
    return invalid("invalid cpu_weight " + std::to_string(*limits.cpu_weight) + ": want 1..10000");
  }
  for (const auto& rule : limits.io_max) {
    if (auto ok = validate_io_max(rule); !ok) return ok;
  }
  // PID_MAX_LIMIT (4194304) is the most pids.max takes.
  if (limits.pids_max && (*limits.pids_max < 1 || *limits.pids_max > 4194304)) {
    return invalid("invalid pids_max " + std::to_string(*limits.pids_max) + ": want 1..4194304");
  }
  return {};
}

Result<std::string> create_job_cgroup(const std::string& jobs_root, const std::string& id,
                                      const JobLimits& limits) {
  if (!valid_job_id(id)) {
    return invalid("invalid job id '" + id +
                   "': want [A-Za-z0-9][A-Za-z0-9._-]{0,63}, no '..', not a cgroup file name");
  }
  if (jobs_root.empty() || jobs_root[0] != '/') {
    return invalid("jobs cgroup root '" + jobs_root + "' is not an absolute path");
  }
  if (auto ok = validate_job_limits(limits); !ok) return ok.error();

  std::string root = jobs_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  // The chain from the cgroup2 mount's top down to the jobs root; missing tail directories are
  // created on the way down (mkdir in cgroupfs makes a cgroup with its interface files).
  std::vector<std::string> chain;
  std::string dir = root;
  while (dir != "/" && !is_directory(dir)) {
    chain.push_back(dir);
    dir = parent_of(dir);
  }
  if (!exists(join_path(dir, "cgroup.controllers"))) {
    return Error{std::make_error_code(std::errc::not_supported),
                 "jobs cgroup root " + root + ": " + dir + " is not in a cgroup v2 hierarchy"};
  }
  chain.push_back(dir);
  while (dir != "/" && exists(join_path(parent_of(dir), "cgroup.controllers"))) {
    dir = parent_of(dir);
    chain.push_back(dir);
  }
  std::reverse(chain.begin(), chain.end());

  auto needed = controllers_needed(limits);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    if (!is_directory(chain[i]) && ::mkdir(chain[i].c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::from_errno("mkdir " + chain[i]);
    }
    if (needed.empty()) continue;
    if (auto ok = enable_controllers(chain[i], needed, i == 0); !ok) return ok.error();
  }

  std::string job_dir = join_path(root, id);
  if (::mkdir(job_dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return Error::from_errno(
          "job cgroup " + job_dir + " already exists (left by an earlier run?)", EEXIST);
    }
    return Error::from_errno("mkdir " + job_dir);
  }
  if (auto written = write_limits(job_dir, limits); !written) {
    ::rmdir(job_dir.c_str());  // a half-limited job must not run; a fake tree's files stay
    return written.error();
  }
  return job_dir;
}

Result<std::uint64_t> parse_oom_kills(std::string_view memory_events) {
  std::size_t start = 0;
  while (start < memory_events.size()) {
    std::size_t end = memory_events.find('\n', start);
    if (end == std::string_view::npos) end = memory_events.size();
    auto fields = words(memory_events.substr(start, end - start));
    if (fields.size() == 2 && fields[0] == "oom_kill") {
      auto value = parse_uint(fields[1]);
      if (!value) return invalid("memory.events: bad oom_kill value '" + fields[1] + "'");
      return *value;
    }
    start = end + 1;
  }
  return std::uint64_t{0};
}

Result<std::uint64_t> read_oom_kills(const std::string& cgroup_dir) {
  std::string path = join_path(cgroup_dir, "memory.events");
  auto text = read_text_file(path);
  if (!text) {
    if (text.error().code == std::errc::no_such_file_or_directory) return std::uint64_t{0};
    return text.error();
  }
  auto kills = parse_oom_kills(*text);
  if (!kills) return Error{kills.error().code, path + ": " + kills.error().message};
  return kills;
}

Status kill_job_cgroup(const std::string& cgroup_dir) {
  auto killed = write_kernel_file(join_path(cgroup_dir, "cgroup.kill"), "1");
  if (killed || killed.error().code != std::errc::no_such_file_or_directory) return killed;
  return kill_cgroup_procs(cgroup_dir);  // Linux < 5.14 has no cgroup.kill
}

Status kill_cgroup_procs(const std::string& cgroup_dir) {
  std::string procs_file = join_path(cgroup_dir, "cgroup.procs");
  // A process may fork between our read and its kill; each pass catches the newcomers, and a
  // SIGKILLed process leaves cgroup.procs once it has exited.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    auto procs = read_text_file(procs_file);
    if (!procs) return procs.error();
    auto pids = words(*procs);
    if (pids.empty()) return {};
    if (std::chrono::steady_clock::now() > deadline) {
      return Error{std::make_error_code(std::errc::timed_out),
                   "kill " + cgroup_dir + ": processes remain after SIGKILL: " + trim(*procs)};
    }
    for (const auto& text : pids) {
      auto pid = parse_uint(text);
      if (pid && *pid > 0) ::kill(static_cast<pid_t>(*pid), SIGKILL);  // ESRCH: already gone
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

Status remove_job_cgroup(const std::string& cgroup_dir) {
  if (::rmdir(cgroup_dir.c_str()) == 0 || errno == ENOENT) return {};
  if (errno == EBUSY) {
    return Error::from_errno("remove job cgroup " + cgroup_dir + ": processes remain (kill first)",
                             EBUSY);
  }
  return Error::from_errno("remove job cgroup " + cgroup_dir);
}

}  // namespace adrg
