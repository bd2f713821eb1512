#include "sensors/psi.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/fs.h"
#include "core/result.h"

namespace adrg {

std::string_view to_string(PsiResource resource) {
  switch (resource) {
    case PsiResource::kCpu:
      return "cpu";
    case PsiResource::kMemory:
      return "memory";
    case PsiResource::kIo:
      return "io";
  }
  return "unknown";
}

namespace {

Error parse_error(std::string what) {
  return Error{std::make_error_code(std::errc::invalid_argument), "PSI: " + std::move(what)};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits on runs of blank space.
std::vector<std::string_view> tokens(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

Result<PsiLine> parse_line(const std::vector<std::string_view>& toks) {
  PsiLine line;
  bool have_avg10 = false, have_avg60 = false, have_avg300 = false, have_total = false;
  for (std::size_t i = 1; i < toks.size(); ++i) {
    auto eq = toks[i].find('=');
    if (eq == std::string_view::npos) {
      return parse_error("token without '=': \"" + std::string(toks[i]) + "\"");
    }
    std::string_view key = toks[i].substr(0, eq);
    std::string_view value = toks[i].substr(eq + 1);
    auto avg = [&](double& field, bool& seen) -> Status {
      if (!parse_number(value, field) || !std::isfinite(field) || field < 0) {
        return parse_error("bad " + std::string(key) + " \"" + std::string(value) + "\"");
      }
      seen = true;
      return {};
    };
    Status st;
    if (key == "avg10") {
      st = avg(line.avg10, have_avg10);
    } else if (key == "avg60") {
      st = avg(line.avg60, have_avg60);
    } else if (key == "avg300") {
      st = avg(line.avg300, have_avg300);
    } else if (key == "total") {
      if (!parse_number(value, line.total_us)) {
        return parse_error("bad total \"" + std::string(value) + "\"");
      }
      have_total = true;
    }
    if (!st) return st.error();
  }
  if (!have_avg10 || !have_avg60 || !have_avg300 || !have_total) {
    return parse_error("line \"" + std::string(toks[0]) +
                       "\" lacks one of avg10, avg60, avg300, total");
  }
  return line;
}

}  // namespace

Result<PsiStats> parse_psi(std::string_view text) {
  PsiStats stats;
  bool have_some = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    auto toks = tokens(raw);
    if (toks.empty()) continue;
    bool* seen;
    PsiLine* target;
    if (toks[0] == "some") {
      seen = &have_some;
      target = &stats.some;
    } else if (toks[0] == "full") {
      seen = &stats.has_full;
      target = &stats.full;
    } else {
      return parse_error("unknown line kind \"" + std::string(toks[0]) + "\"");
    }
    if (*seen) return parse_error("duplicate \"" + std::string(toks[0]) + "\" line");
    auto line = parse_line(toks);
    if (!line) return line.error();
    *target = *line;
    *seen = true;
  }
  if (!have_some) return parse_error("no \"some\" line");
  return stats;
}

Result<PsiStats> read_psi(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  auto stats = parse_psi(*text);
  if (!stats) return Error{stats.error().code, stats.error().message + " in " + path};
  return stats;
}

std::string system_psi_path(std::string_view proc_root, PsiResource resource) {
  return join_path(join_path(proc_root, "pressure"), to_string(resource));
}

std::string cgroup_psi_path(std::string_view cgroup_dir, PsiResource resource) {
  return join_path(cgroup_dir, std::string(to_string(resource)) + ".pressure");
}

PsiTriggerSpec PsiTriggerSpec::from_config(const PsiTriggerConfig& config) {
  PsiTriggerSpec spec;
  spec.type = config.type;
  spec.stall_us = static_cast<std::uint64_t>(std::max(config.stall_ms, 0)) * 1000;
  spec.window_us = static_cast<std::uint64_t>(std::max(config.window_ms, 0)) * 1000;
  return spec;
}

std::optional<std::uint64_t> unprivileged_window_retry(int error_number, std::uint64_t window_us) {
  if (error_number != EPERM && error_number != EINVAL) return std::nullopt;
  if (window_us == 0 || window_us % kUnprivilegedWindowUs == 0) return std::nullopt;
  return (window_us / kUnprivilegedWindowUs + 1) * kUnprivilegedWindowUs;
}

std::string format_psi_trigger(const PsiTriggerSpec& spec) {
  return spec.type + " " + std::to_string(spec.stall_us) + " " + std::to_string(spec.window_us);
}

namespace {

// Returns 0 or errno.
int write_trigger(int fd, const std::string& text) {
  // psi.rst's example writes strlen(trig) + 1: /proc/pressure/* (psi_write) copies the buffer
  // and overwrites its LAST byte with NUL, so without the terminator the window loses its final
  // digit ("... 2000000" becomes "... 200000": EINVAL). The cgroup files accept it as well.
  ssize_t n;
  do {
    n = ::write(fd, text.c_str(), text.size() + 1);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
}

int open_psi(const std::string& path) {
  return ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

}  // namespace

Result<PsiTrigger> PsiTrigger::open(const std::string& path, const PsiTriggerSpec& spec) {
  if (spec.type != "some" && spec.type != "full") {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 "PSI trigger type must be some or full, not \"" + spec.type + "\""};
  }
  int fd = open_psi(path);
  if (fd < 0) return Error::from_errno("open " + path);
  const std::string text = format_psi_trigger(spec);
  int err = write_trigger(fd, text);
  if (err == 0) return PsiTrigger(fd, path, spec, spec.window_us);
  ::close(fd);

  auto rounded = unprivileged_window_retry(err, spec.window_us);
  if (!rounded) return Error::from_errno("write PSI trigger \"" + text + "\" to " + path, err);
  PsiTriggerSpec retry = spec;
  retry.window_us = *rounded;
  // A trigger is bound to the fd it was first written to: retry on a fresh one.
  fd = open_psi(path);
  if (fd < 0) return Error::from_errno("open " + path);
  int err2 = write_trigger(fd, format_psi_trigger(retry));
  if (err2 != 0) {
    ::close(fd);
    return Error::from_errno("write PSI trigger \"" + text + "\" to " + path + " (" +
                                 errno_text(err) + ", and with the window rounded up to " +
                                 std::to_string(*rounded) + " us)",
                             err2);
  }
  PsiTrigger trigger(fd, path, retry, spec.window_us);
  spdlog::warn(
      "PSI trigger {}: the kernel refused a {} us window ({}); without "
      "CAP_SYS_RESOURCE the window must be a multiple of 2 s (psi.rst), so it was "
      "rounded up to {} us",
      trigger.description(), spec.window_us, errno_text(err), *rounded);
  return trigger;
}

PsiTrigger::PsiTrigger(int fd, std::string path, PsiTriggerSpec spec,
                       std::uint64_t requested_window_us)
    : fd_(fd),
      path_(std::move(path)),
      spec_(std::move(spec)),
      requested_window_us_(requested_window_us) {}

PsiTrigger::PsiTrigger(PsiTrigger&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      path_(std::move(other.path_)),
      spec_(std::move(other.spec_)),
      requested_window_us_(other.requested_window_us_) {}

PsiTrigger& PsiTrigger::operator=(PsiTrigger&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    spec_ = std::move(other.spec_);
    requested_window_us_ = other.requested_window_us_;
  }
  return *this;
}

PsiTrigger::~PsiTrigger() {
  if (fd_ >= 0) ::close(fd_);
}

std::string PsiTrigger::description() const {
  std::string out = format_psi_trigger(spec_) + " on " + path_;
  if (window_rounded()) {
    out += " (window rounded up from " + std::to_string(requested_window_us_) +
           " us: no CAP_SYS_RESOURCE)";
  }
  return out;
}

std::vector<PsiTriggerRequest> system_psi_trigger_requests(const Config& config) {
  std::vector<PsiTriggerRequest> out;
  const std::string& proc = config.general.proc_root;
  if (config.memory_pressure.enabled && config.memory_pressure.trigger.enabled) {
    out.push_back({"memory", system_psi_path(proc, PsiResource::kMemory),
                   PsiTriggerSpec::from_config(config.memory_pressure.trigger)});
  }
  if (config.io_pressure.enabled && config.io_pressure.trigger.enabled) {
    out.push_back({"io", system_psi_path(proc, PsiResource::kIo),
                   PsiTriggerSpec::from_config(config.io_pressure.trigger)});
  }
  return out;
}

PsiTriggerSet::PsiTriggerSet(Reactor& reactor, EdgeCallback on_edge)
    : reactor_(reactor), on_edge_(std::move(on_edge)) {}

PsiTriggerSet::~PsiTriggerSet() { clear(); }

Status PsiTriggerSet::add(const PsiTriggerRequest& request) {
  auto trigger = PsiTrigger::open(request.path, request.spec);
  if (!trigger) return trigger.error();
  remove(request.name);
  auto entry = std::make_unique<Entry>(Entry{std::move(*trigger), 0, 0});
  std::string name = request.name;
  auto watch = reactor_.watch_fd(entry->trigger.fd(), POLLPRI,
                                 [this, name](std::uint32_t revents) { on_ready(name, revents); });
  if (!watch) return watch.error();
  entry->watch = *watch;
  spdlog::info("PSI trigger \"{}\" armed: {}", name, entry->trigger.description());
  entries_[name] = std::move(entry);
  return {};
}

void PsiTriggerSet::remove(const std::string& name) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  reactor_.cancel(it->second->watch);  // before the fd closes with the entry
  entries_.erase(it);
}

void PsiTriggerSet::clear() {
  for (auto& [name, entry] : entries_) reactor_.cancel(entry->watch);
  entries_.clear();
}

std::uint64_t PsiTriggerSet::edges(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? 0 : it->second->edges;
}

std::optional<PsiTriggerSpec> PsiTriggerSet::spec(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::nullopt;
  return it->second->trigger.spec();
}

std::vector<std::string> PsiTriggerSet::descriptions() const {
  std::vector<std::string> out;
  for (const auto& [name, entry] : entries_)
    out.push_back(name + ": " + entry->trigger.description());
  return out;
}

void PsiTriggerSet::on_ready(const std::string& name, std::uint32_t revents) {
  auto it = entries_.find(name);
  if (it == entries_.end()) return;
  if (revents & POLLPRI) {
    ++it->second->edges;
    // A copy: the callback may remove this very trigger, and `name` with it.
    std::string copy = name;  // NOLINT(performance-unnecessary-copy-initialization)
    if (on_edge_) on_edge_(copy);
    return;
  }
  if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
    // psi.rst: the fd reports POLLERR once its cgroup is gone; a level-triggered error would spin.
    spdlog::warn("PSI trigger \"{}\" ({}) reported an error (revents {:#x}); dropping it", name,
                 it->second->trigger.path(), revents);
    remove(name);
  }
}

std::unique_ptr<PsiTriggerSet> arm_psi_triggers(Reactor& reactor,
                                                const std::vector<PsiTriggerRequest>& requests,
                                                PsiTriggerSet::EdgeCallback on_edge) {
  auto set = std::make_unique<PsiTriggerSet>(reactor, std::move(on_edge));
  for (const auto& request : requests) {
    if (auto st = set->add(request); !st) {
      spdlog::warn("PSI trigger \"{}\" not armed ({}); the reconcile tick still evaluates",
                   request.name, st.error().describe());
    }
  }
  return set;
}

}  // namespace adrg
