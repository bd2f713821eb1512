// Pressure Stall Information (kernel Documentation/accounting/psi.rst): parsing the text of
// /proc/pressure/{cpu,memory,io} and <cgroup>/{cpu,memory,io}.pressure, and kernel PSI triggers
// (the POLLPRI edge that wakes the governor at once). Decisions still read avg10/avg60/total.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/reactor.h"
#include "core/result.h"
#include "sensors/snapshot.h"

namespace adrg {

enum class PsiResource { kCpu, kMemory, kIo };
std::string_view to_string(PsiResource resource);

// Pure parser. Accepts a "some" line and an optional "full" line (/proc/pressure/cpu had none
// before 5.13), in any order, with any amount of blank space; keys within a line in any order,
// unknown keys ignored (forward compatible). Rejects: no "some" line, an unknown or duplicate
// line kind, a token without '=', a missing avg10/avg60/avg300/total, a malformed or negative
// number.
Result<PsiStats> parse_psi(std::string_view text);
Result<PsiStats> read_psi(const std::string& path);

// "<proc_root>/pressure/<resource>", e.g. "/proc" -> "/proc/pressure/cpu".
std::string system_psi_path(std::string_view proc_root, PsiResource resource);
// "<cgroup_dir>/<resource>.pressure", e.g. ".../docker-abc.scope/cpu.pressure".
std::string cgroup_psi_path(std::string_view cgroup_dir, PsiResource resource);

struct PsiTriggerSpec {
  std::string type = "some";  // some | full
  std::uint64_t stall_us = 150000;
  std::uint64_t window_us = 1000000;

  static PsiTriggerSpec from_config(const PsiTriggerConfig& config);
  // The stall share an edge of this trigger proves: the kernel raises POLLPRI only once the
  // stall grew by >= stall_us within window_us, so the share was >= stall / window (percent).
  double proven_percent() const {
    return window_us == 0 ? 0
                          : static_cast<double>(stall_us) * 100.0 / static_cast<double>(window_us);
  }
};

// psi.rst: without CAP_SYS_RESOURCE a trigger's window must be a multiple of 2 s (unprivileged
// triggers are driven by the 2 s averaging work). Pure decision: when the write failed with
// EPERM or EINVAL and the window is not such a multiple, the window rounded up to the next
// multiple of 2 s to retry with; nullopt otherwise (the error is something else).
std::optional<std::uint64_t> unprivileged_window_retry(int error_number, std::uint64_t window_us);
inline constexpr std::uint64_t kUnprivilegedWindowUs = 2000000;

// "some 150000 1000000".
std::string format_psi_trigger(const PsiTriggerSpec& spec);

// One kernel PSI trigger: the file opened O_RDWR|O_NONBLOCK|O_CLOEXEC with the trigger written
// to it; the fd becomes POLLPRI-readable when the stall threshold is exceeded within the
// window, and POLLERR when the cgroup is removed. Closing the fd destroys the trigger.
class PsiTrigger {
 public:
  // If the kernel refuses a window that is not a multiple of 2 s (no CAP_SYS_RESOURCE), retries
  // with the rounded window and logs a warning that says so.
  static Result<PsiTrigger> open(const std::string& path, const PsiTriggerSpec& spec);

  PsiTrigger(PsiTrigger&& other) noexcept;
  PsiTrigger& operator=(PsiTrigger&& other) noexcept;
  PsiTrigger(const PsiTrigger&) = delete;
  PsiTrigger& operator=(const PsiTrigger&) = delete;
  ~PsiTrigger();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  const PsiTriggerSpec& spec() const { return spec_; }  // as written (effective window)
  std::uint64_t window_us() const { return spec_.window_us; }
  std::uint64_t requested_window_us() const { return requested_window_us_; }
  bool window_rounded() const { return spec_.window_us != requested_window_us_; }
  // "some 150000 2000000 on /proc/pressure/io (window rounded up from 1000000 us: ...)".
  std::string description() const;

 private:
  PsiTrigger(int fd, std::string path, PsiTriggerSpec spec, std::uint64_t requested_window_us);

  int fd_ = -1;
  std::string path_;
  PsiTriggerSpec spec_;
  std::uint64_t requested_window_us_ = 0;
};

struct PsiTriggerRequest {
  std::string name;  // passed to the edge callback: "memory", "io", "cpu:<unit>"...
  std::string path;
  PsiTriggerSpec spec;
};

// The system-wide triggers the config asks for: memory_pressure.trigger on
// <proc_root>/pressure/memory and io_pressure.trigger on <proc_root>/pressure/io (when the rule
// and its trigger are enabled), named "memory" and "io".
std::vector<PsiTriggerRequest> system_psi_trigger_requests(const Config& config);

// Owns triggers and their reactor watches (POLLPRI). Each edge calls on_edge(name); the governor
// then evaluates at once. A POLLERR (cgroup removed) drops that trigger with a warning.
class PsiTriggerSet {
 public:
  using EdgeCallback = std::function<void(const std::string& name)>;

  PsiTriggerSet(Reactor& reactor, EdgeCallback on_edge);
  ~PsiTriggerSet();
  PsiTriggerSet(const PsiTriggerSet&) = delete;
  PsiTriggerSet& operator=(const PsiTriggerSet&) = delete;

  // Replaces a trigger of the same name.
  Status add(const PsiTriggerRequest& request);
  void remove(const std::string& name);
  void clear();

  bool contains(const std::string& name) const { return entries_.contains(name); }
  std::size_t size() const { return entries_.size(); }
  std::uint64_t edges(const std::string& name) const;
  // The trigger as armed (window possibly rounded up), nullopt when `name` is not armed.
  std::optional<PsiTriggerSpec> spec(const std::string& name) const;
  std::vector<std::string> descriptions() const;

 private:
  struct Entry {
    PsiTrigger trigger;
    Reactor::Id watch = 0;
    std::uint64_t edges = 0;
  };
  void on_ready(const std::string& name, std::uint32_t revents);

  Reactor& reactor_;
  EdgeCallback on_edge_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
};

// Registration function for the governor wiring: arms every request; a trigger that cannot be
// armed is logged and skipped (the reconcile tick still evaluates), so the set may hold fewer.
std::unique_ptr<PsiTriggerSet> arm_psi_triggers(Reactor& reactor,
                                                const std::vector<PsiTriggerRequest>& requests,
                                                PsiTriggerSet::EdgeCallback on_edge);

}  // namespace adrg
