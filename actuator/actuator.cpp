#include "actuator/actuator.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>

#include "actuator/limit_merge.h"
#include "actuator/relief.h"
#include "core/fs.h"

namespace adrg {

namespace {

constexpr std::string_view kFreezeFile = "cgroup.freeze";
constexpr std::string_view kIoMaxFile = "io.max";
constexpr std::string_view kIoWeightFile = "io.weight";
// Not a file: the key under which a pause through the UnitPauser (Docker) is tracked.
constexpr std::string_view kPauserKey = "docker.pause";
constexpr std::string_view kPausedText = "paused";

bool is_enoent(const Error& e) { return e.code == std::errc::no_such_file_or_directory; }

bool dir_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string strip_newline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

std::string file_label(const std::string& file, const std::string& device) {
  return device.empty() ? file : file + " " + device;
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::string t = trim(text);
  if (t.empty() || t.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  try {
    return std::stoull(t);
  } catch (...) {
    return std::nullopt;
  }
}

// "rbps=123" in an io.max line; "max" and absence are 0 (no limit).
std::uint64_t io_field(std::string_view line, std::string_view name) {
  std::string needle = " " + std::string(name) + "=";
  auto pos = line.find(needle);
  if (pos == std::string_view::npos) return 0;
  auto start = pos + needle.size();
  auto end = line.find(' ', start);
  auto value = parse_u64(line.substr(start, end == std::string_view::npos ? end : end - start));
  return value.value_or(0);
}

// For the log: where the value written came from, when not from adrg alone.
std::string limit_note(const std::optional<AppliedLimit>& limit) {
  if (!limit || limit->source != LimitSource::kBoth) return {};
  return " (merged with the user's own \"" + limit->user + "\": the stricter of each)";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pure helpers.

std::string cpu_max_text(double percent_of_machine, int cpu_count, int period_us) {
  const double full = static_cast<double>(std::max(cpu_count, 1)) * period_us;
  // cgroup-v2.rst: cpu.max "$MAX $PERIOD"; the kernel rejects a quota below 1 ms.
  double quota = std::llround(percent_of_machine / 100.0 * full);
  quota = std::clamp(quota, 1000.0, std::max(full, 1000.0));
  return std::to_string(static_cast<long long>(quota)) + " " + std::to_string(period_us);
}

std::string io_max_line(const std::string& device, const IoLimit& limit) {
  auto value = [](std::uint64_t v) { return v == 0 ? std::string("max") : std::to_string(v); };
  return device + " rbps=" + value(limit.read_bps) + " wbps=" + value(limit.write_bps);
}

std::string io_max_device_line(std::string_view content, std::string_view device) {
  size_t pos = 0;
  while (pos < content.size()) {
    auto end = content.find('\n', pos);
    auto line = content.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (line.size() > device.size() && line.substr(0, device.size()) == device &&
        line[device.size()] == ' ') {
      return std::string(line);
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return {};
}

std::string restore_text(const JournalOverride& entry) {
  if (entry.key.file == kIoMaxFile) {
    // io.max lists only devices that have a limit: a device without a line had none, and the
    // way to say "no limit" is max for what adrg set (riops/wiops were never touched).
    if (entry.original.empty()) return entry.key.device + " rbps=max wbps=max";
    return strip_newline(entry.original);
  }
  if (entry.key.file == kIoWeightFile) {
    // io.weight prints "default N" and then per-device "MAJ:MIN N" lines; adrg writes only the
    // default, and the kernel takes one line per write.
    std::string_view text = entry.original;
    size_t pos = 0;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      auto line = text.substr(pos, end == std::string_view::npos ? end : end - pos);
      if (line.starts_with("default")) return strip_newline(line);
      if (end == std::string_view::npos) break;
      pos = end + 1;
    }
    return strip_newline(text);
  }
  // The kernel prints a trailing newline and accepts the value with or without it.
  return strip_newline(entry.original);
}

std::vector<std::string> detect_io_devices(const std::string& sys_root) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(join_path(sys_root, "block"), ec);
  if (ec) {
    spdlog::warn("io devices: cannot list {}: {}", join_path(sys_root, "block"), ec.message());
    return out;
  }
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    // Virtual block devices: io.max on them would double-throttle (dm/md remap to the real
    // disks, which are limited themselves) or limit nothing real (loop, ram, zram, nbd, cdrom).
    static constexpr std::string_view kVirtual[] = {"loop", "ram", "zram", "nbd",
                                                    "dm-",  "md",  "sr"};
    if (std::any_of(std::begin(kVirtual), std::end(kVirtual),
                    [&](std::string_view p) { return name.starts_with(p); })) {
      continue;
    }
    std::string dir = entry.path().string();
    std::error_code ec2;
    if (fs::exists(join_path(dir, "partition"), ec2)) continue;  // io.max wants whole disks
    auto real = fs::canonical(entry.path(), ec2);
    if (!ec2 && real.string().find("/devices/virtual/") != std::string::npos) continue;
    auto size = read_text_file(join_path(dir, "size"));
    if (!size || parse_u64(*size).value_or(0) == 0) continue;
    auto dev = read_text_file(join_path(dir, "dev"));
    if (!dev) continue;
    std::string majmin = trim(*dev);
    if (majmin.find(':') == std::string::npos) continue;
    out.push_back(majmin);
  }
  // Numeric order (8:0 before 254:0), as lsblk and /proc/partitions list them.
  auto majmin = [](const std::string& d) {
    auto colon = d.find(':');
    return std::make_pair(parse_u64(d.substr(0, colon)).value_or(0),
                          parse_u64(d.substr(colon + 1)).value_or(0));
  };
  std::sort(out.begin(), out.end(),
            [&](const std::string& a, const std::string& b) { return majmin(a) < majmin(b); });
  return out;
}

int detect_cpu_count(const std::string& sys_root) {
  auto text = read_text_file(join_path(sys_root, "devices/system/cpu/online"));
  if (text) {
    // cpulist format: "0-3,5,7-8"
    int count = 0;
    std::string list = trim(*text);
    size_t pos = 0;
    bool valid = !list.empty();
    while (valid && pos <= list.size()) {
      auto comma = list.find(',', pos);
      std::string part = list.substr(pos, comma == std::string::npos ? comma : comma - pos);
      auto dash = part.find('-');
      auto lo = parse_u64(part.substr(0, dash));
      auto hi = dash == std::string::npos ? lo : parse_u64(part.substr(dash + 1));
      if (!lo || !hi || *hi < *lo) {
        valid = false;
        break;
      }
      count += static_cast<int>(*hi - *lo + 1);
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (valid && count > 0) return count;
  }
  long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<int>(n) : 1;
}

Status restore_journaled_overrides(Journal& journal, bool dry_run) {
  Status first;
  int failed = 0;
  auto entries = journal.data().overrides;  // copy: erased while iterating
  for (const auto& [key, entry] : entries) {
    std::string path = join_path(key.cgroup_dir, key.file);
    std::string text = restore_text(entry);
    if (dry_run) {
      spdlog::info("dry-run: would write {} to {} (was {})", text, path, entry.written);
      continue;
    }
    Status st;
    if (!text.empty()) st = write_kernel_file(path, text);
    if (!st && !is_enoent(st.error())) {
      spdlog::error("restore {}: {}", path, st.error().describe());
      if (failed++ == 0) first = st;
      continue;
    }
    if (st) {
      spdlog::info("restored {} of unit {} to \"{}\"", path, key.unit_id, text);
    } else {
      spdlog::info("{} is gone (unit {} exited); nothing to restore", path, key.unit_id);
    }
    journal.erase(key);
    if (key.file == kFreezeFile) journal.erase_pause(key.unit_id, key.cgroup_dir);
  }
  if (!dry_run) {
    if (auto st = journal.save(); !st && failed++ == 0) first = st;
  }
  if (failed > 1) {
    return Error{first.error().code,
                 first.error().message + " (and " + std::to_string(failed - 1) + " more)"};
  }
  return first;
}

// ---------------------------------------------------------------------------------------------
// Actuator state.

struct Actuator::KeyState {
  std::optional<std::string> target;   // what should be in force; nullopt = the original
  std::optional<std::string> written;  // what adrg believes it put there; nullopt = original
  bool written_unknown = false;        // replayed from a journal: rewrite or restore once
  bool journaled = false;              // the journal holds an entry for this key
  bool in_flight = false;
  std::optional<std::string> in_flight_target;
  bool unsupported = false;  // the file does not exist in this cgroup (hybrid host)
  std::string last_error;
  std::optional<AppliedLimit> limit;  // a limit file: the user's, adrg's and the effective value
};

struct Actuator::UnitState {
  std::string unit_id;
  std::string cgroup_dir;
  UnitSnapshot snapshot;  // latest seen (for the pauser), or rebuilt from the journal
  bool current = false;   // this dir is the unit's cgroup in the latest snapshot
  bool desired = false;
  DesiredUnit want;
  std::uint64_t epoch = 0;  // bumped when the cgroup was recreated: older completions are void
  bool relief = false;      // set_targets put the relief throttle (relief.h) into the targets
  std::map<FileKey, KeyState> keys;
};

Actuator::Actuator(ActuatorOptions options, BlockingExecutor* executor,
                   UnitPauser* container_pauser)
    : options_(std::move(options)),
      executor_(executor),
      pauser_(container_pauser),
      journal_mutex_(std::make_shared<std::mutex>()),
      journal_(std::make_shared<Journal>(options_.journal_path, !options_.dry_run,
                                         read_boot_id(options_.proc_root))),
      alive_(std::make_shared<bool>(true)) {
  cpu_count_ = options_.cpu_count > 0 ? options_.cpu_count : detect_cpu_count(options_.sys_root);
  io_devices_ =
      options_.io_devices.empty() ? detect_io_devices(options_.sys_root) : options_.io_devices;
  if (options_.cpu_period_us < 1000 || options_.cpu_period_us > 1000000) {
    spdlog::warn("cpu period {} us out of the kernel's 1000..1000000 range; using 100000",
                 options_.cpu_period_us);
    options_.cpu_period_us = 100000;
  }
  applied_.dry_run = options_.dry_run;
}

Actuator::~Actuator() {
  // Worker tasks use this object's journal: let them finish. Their completions (posted to the
  // reactor) see alive_ expired and do nothing.
  if (executor_ != nullptr) executor_->drain();
  alive_.reset();
}

Status Actuator::start() {
  if (started_) return {};
  {
    std::lock_guard lock(*journal_mutex_);
    if (auto st = journal_->load(); !st) {
      auto code = st.error().code;
      // Unreadable (EACCES, EIO): refuse, the originals may still be in there.
      if (code != std::errc::bad_message && code != std::errc::illegal_byte_sequence) return st;
      spdlog::error("{}", st.error().describe());
    }
    const auto& data = journal_->data();
    if (!data.empty()) {
      spdlog::warn(
          "journal {} holds {} override(s) and {} pause(s) from a previous run; "
          "the first apply restores what is no longer claimed",
          journal_->path(), data.overrides.size(), data.pauses.size());
    }
  }
  started_ = true;
  seed_from_journal(false);
  std::string devices;
  for (const auto& d : io_devices_) devices += (devices.empty() ? "" : " ") + d;
  spdlog::info("actuator: {} cpus, io devices [{}], journal {}{}", cpu_count_, devices,
               options_.journal_path, options_.dry_run ? " (dry-run: nothing is written)" : "");
  refresh_applied();
  return {};
}

void Actuator::seed_from_journal(bool skip_pauser_records) {
  std::lock_guard lock(*journal_mutex_);
  const auto& data = journal_->data();
  auto state_for = [&](const std::string& unit_id, const std::string& dir) -> UnitState& {
    auto& slot = units_[{unit_id, dir}];
    if (!slot) {
      slot = std::make_unique<UnitState>();
      slot->unit_id = unit_id;
      slot->cgroup_dir = dir;
      slot->snapshot.id = unit_id;
      slot->snapshot.cgroup_path = dir;
    }
    return *slot;
  };
  for (const auto& [key, entry] : data.overrides) {
    auto& state = state_for(key.unit_id, key.cgroup_dir);
    auto& ks = state.keys[{key.file, key.device}];
    ks.written = entry.written;
    ks.written_unknown = true;
    ks.journaled = true;
    if (key.file == kFreezeFile) state.snapshot.kind = UnitKind::kJob;
  }
  for (const auto& [key, pause] : data.pauses) {
    auto& state = state_for(pause.unit_id, pause.cgroup_dir);
    state.snapshot.name = pause.name;
    if (pause.via != PauseVia::kPauser || skip_pauser_records) continue;
    state.snapshot.kind = UnitKind::kContainer;
    auto& ks = state.keys[{std::string(kPauserKey), ""}];
    ks.written = std::string(kPausedText);
    ks.written_unknown = true;
    ks.journaled = true;
  }
}

std::string Actuator::resolve_dir(const std::string& cgroup_path) const {
  std::string root = options_.cgroup_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  // UnitSnapshot::cgroup_path may be the full directory or the path inside the hierarchy as
  // /proc/<pid>/cgroup prints it ("/docker/<id>").
  if (cgroup_path == root || cgroup_path.starts_with(root + "/")) return cgroup_path;
  return join_path(root, cgroup_path);
}

void Actuator::set_targets(UnitState& state, const DesiredUnit& want, const UnitSnapshot& snap) {
  auto set = [&](std::string_view file, std::string device, std::string text) {
    state.keys[{std::string(file), std::move(device)}].target = std::move(text);
  };
  // An invariant: tier 0 and protected units are never paused or throttled. The planner should
  // not ask; if it does, refuse here too (baselines still apply).
  const bool refuse = snap.is_protected && (want.paused || want.cpu_max_percent || want.io_max ||
                                            !want.memory_high_by.empty());
  if (refuse && warned_.insert("protected " + state.unit_id).second) {
    spdlog::error("refusing to pause or throttle protected unit {} ({})", snap.name, state.unit_id);
  }
  const bool paused = want.paused && !refuse;
  const std::optional<IoLimit> io_max = refuse ? std::nullopt : want.io_max;
  // Plain flags + values: GCC 12 -O2 reports a copied std::optional<uint64_t> or <double> here
  // as maybe-uninitialized (a known false positive) and -Werror would stop the release build.
  const bool cpu_max_wanted = want.cpu_max_percent.has_value() && !refuse;
  const double cpu_max_percent = want.cpu_max_percent.value_or(0);
  const bool memory_high_wanted =
      want.memory_high.has_value() && !(refuse && !want.memory_high_by.empty());
  const std::uint64_t memory_high = want.memory_high.value_or(0);
  state.relief = false;
  if (paused) {
    bool via_pauser = snap.kind == UnitKind::kContainer && pauser_ != nullptr;
    if (!via_pauser) {
      set(kFreezeFile, "", "1");
    } else {
      auto it = state.keys.find({std::string(kPauserKey), ""});
      bool ours = it != state.keys.end() && (it->second.written || it->second.in_flight);
      // Paused by someone else: leave it alone, so that adrg never unpauses it later either.
      if (!snap.paused_externally || ours) {
        set(kPauserKey, "", std::string(kPausedText));
        // Relief (relief.h) until Docker reports the pause done. A failed pause lifts it and
        // its retries go without: the throttle must not outlive a pause that does not happen.
        const KeyState& pause = state.keys[{std::string(kPauserKey), ""}];
        const bool done = pause.written == kPausedText && !pause.written_unknown;
        state.relief = options_.instant_relief && !done && pause.last_error.empty();
      }
    }
  }
  std::optional<std::string> cpu_max_value;
  if (cpu_max_wanted) {
    cpu_max_value = cpu_max_text(cpu_max_percent, cpu_count_, options_.cpu_period_us);
  }
  if (state.relief) cpu_max_value = relief_cpu_max(cpu_max_value);
  if (cpu_max_value) set("cpu.max", "", *cpu_max_value);
  if (want.cpu_weight) set("cpu.weight", "", std::to_string(*want.cpu_weight));
  std::optional<IoLimit> io_limit;
  if (io_max && (io_max->read_bps != 0 || io_max->write_bps != 0)) io_limit = io_max;
  if (state.relief) io_limit = relief_io_max(io_limit);
  if (io_limit) {
    if (io_devices_.empty() && !state.relief && warned_.insert("no io devices").second) {
      spdlog::warn("io.max wanted but no disk is known (set io_pressure.devices)");
    }
    for (const auto& dev : io_devices_) set(kIoMaxFile, dev, io_max_line(dev, *io_limit));
  }
  if (want.io_weight) set(kIoWeightFile, "", "default " + std::to_string(*want.io_weight));
  if (memory_high_wanted) set("memory.high", "", std::to_string(memory_high));
  if (want.memory_max) set("memory.max", "", std::to_string(*want.memory_max));
}

void Actuator::apply(const DesiredState& desired, const std::vector<UnitSnapshot>& units) {
  if (!started_) {
    // Without the journal loaded, the first save would drop a previous run's originals.
    if (auto st = start(); !st) {
      spdlog::error("actuator: {}; not applying anything", st.error().describe());
      return;
    }
  }
  std::map<std::string, const UnitSnapshot*> by_id;
  for (const auto& u : units) by_id[u.id] = &u;

  for (auto& [uk, state] : units_) {
    state->current = false;
    state->desired = false;
    state->want = DesiredUnit{};
    for (auto& [fk, key] : state->keys) key.target.reset();
  }
  for (const auto& u : units) {
    if (u.cgroup_path.empty()) continue;
    auto it = units_.find({u.id, resolve_dir(u.cgroup_path)});
    if (it == units_.end()) continue;
    it->second->current = true;
    it->second->snapshot = u;
    it->second->snapshot.cgroup_path = it->second->cgroup_dir;
  }
  for (const auto& [id, want] : desired.units) {
    auto snap_it = by_id.find(id);
    if (snap_it == by_id.end()) continue;
    const UnitSnapshot& snap = *snap_it->second;
    if (snap.cgroup_path.empty() || !snap.running) continue;
    std::string dir = resolve_dir(snap.cgroup_path);
    auto& slot = units_[{id, dir}];
    if (!slot) {
      slot = std::make_unique<UnitState>();
      slot->unit_id = id;
      slot->cgroup_dir = dir;
    }
    slot->snapshot = snap;
    slot->snapshot.cgroup_path = dir;
    slot->current = true;
    slot->desired = true;
    slot->want = want;
    set_targets(*slot, want, snap);
  }
  // The executor runs work in submission order, so the order is the latency: what stops CPU
  // use (cpu.max, relief included, and cgroup.freeze) for every unit first, then io.max, then
  // the rest, and Docker pauses last, once each unit's relief throttle is on its way.
  auto rank = [](const FileKey& fk) {
    if (fk.first == "cpu.max" || fk.first == kFreezeFile) return 0;
    if (fk.first == kIoMaxFile) return 1;
    return fk.first == kPauserKey ? 3 : 2;
  };
  std::vector<std::pair<UnitKey, FileKey>> todo;
  for (auto& [uk, state] : units_) {
    for (auto& [fk, key] : state->keys) todo.emplace_back(uk, fk);
  }
  std::stable_sort(todo.begin(), todo.end(),
                   [&](const auto& a, const auto& b) { return rank(a.second) < rank(b.second); });
  // The file operations go in two groups: what stops CPU use first (its writes do not wait for
  // the reads of the rest), then everything else; the Docker pauses (not gathered) after both.
  // What stops CPU use goes on the worker's urgent lane: it overtakes restores and journal
  // bookkeeping still queued from the previous trigger.
  using Lane = BlockingExecutor::Lane;
  gathering_ = true;
  int group = 0;
  for (const auto& [uk, fk] : todo) {
    const int r = rank(fk);
    if (r > 0 && group == 0) {
      flush_file_ops(Lane::kUrgent);
      gathering_ = r < 3;
      group = r;
    } else if (r == 3 && gathering_) {
      flush_file_ops(Lane::kNormal);
    }
    kick(uk, fk);
  }
  if (gathering_) flush_file_ops(group == 0 ? Lane::kUrgent : Lane::kNormal);
  prune();
  refresh_applied();
  restart_units(desired.restarts, by_id);
  external_.follow(desired.cap_downloads);
}

void Actuator::restart_units(const std::vector<RestartRequest>& restarts,
                             const std::map<std::string, const UnitSnapshot*>& by_id) {
  for (const RestartRequest& request : restarts) {
    auto it = by_id.find(request.unit_id);
    if (it == by_id.end()) continue;  // gone since the plan was made
    const UnitSnapshot& unit = *it->second;
    if (options_.dry_run || restarter_ == nullptr) {
      spdlog::info("{}restart {} ({})", options_.dry_run ? "dry-run: would " : "no runtime to ",
                   unit.name, request.reason);
      continue;
    }
    ++restarts_requested_;
    ++restarts_in_flight_;
    restarter_->restart(unit, [this, name = unit.name](const Status& st) {
      --restarts_in_flight_;
      if (!st) {
        spdlog::error("restart of {} failed: {}", name, st.error().describe());
      } else {
        spdlog::info("restarted {}", name);
      }
    });
  }
}

void Actuator::kick(const UnitKey& unit_key, const FileKey& file_key) {
  auto uit = units_.find(unit_key);
  if (uit == units_.end()) return;
  UnitState& state = *uit->second;
  auto kit = state.keys.find(file_key);
  if (kit == state.keys.end()) return;
  KeyState& key = kit->second;
  if (key.in_flight) return;
  bool pauser_key = file_key.first == kPauserKey;
  OpKind kind;
  if (key.target) {
    if (key.unsupported) return;
    if (!key.written_unknown && key.written == key.target) return;
    kind = OpKind::kOverride;
  } else if (key.written || key.written_unknown) {
    if (!key.journaled) {
      key.written.reset();
      key.written_unknown = false;
      return;
    }
    kind = OpKind::kRestore;
  } else if (key.journaled) {
    kind = OpKind::kForget;
  } else {
    return;
  }
  if (pauser_key) {
    start_pauser_op(state, file_key, key, kind);
  } else {
    start_file_op(state, file_key, key, kind, key.target.value_or(""));
  }
}

void Actuator::run_blocking(std::function<OpResult()> work, std::function<void(OpResult)> done,
                            BlockingExecutor::Lane lane) {
  if (executor_ == nullptr) {
    done(work());
    return;
  }
  auto result = std::make_shared<OpResult>();
  executor_->submit([result, work = std::move(work)] { *result = work(); },
                    [result, done = std::move(done)] { done(*result); }, lane);
}

void Actuator::start_file_op(UnitState& state, const FileKey& file_key, KeyState& key, OpKind kind,
                             const std::string& text) {
  key.in_flight = true;
  key.in_flight_target = key.target;
  JournalKey jk{state.unit_id, state.cgroup_dir, file_key.first, file_key.second};
  std::optional<JournalPause> pause;
  if (file_key.first == kFreezeFile) {
    pause = JournalPause{state.unit_id, state.snapshot.name, state.cgroup_dir, PauseVia::kFreeze};
  }
  UnitKey uk{state.unit_id, state.cgroup_dir};
  std::uint64_t epoch = state.epoch;
  std::weak_ptr<bool> alive = alive_;
  submit_file_op(FileOp{jk, kind, text, pause,
                        [this, alive, uk, file_key, epoch, kind, text](const OpResult& r) {
                          if (alive.expired()) return;
                          complete(uk, file_key, epoch, kind, text, r);
                        }});
}

void Actuator::submit_file_op(FileOp op) {
  if (gathering_) {
    gathered_.push_back(std::move(op));
    return;
  }
  // A throttle or freeze coming or going (a container created while media plays, a relief
  // lifted once Docker paused it) is what the user feels: it overtakes queued bookkeeping.
  const bool stops_cpu = op.key.file == "cpu.max" || op.key.file == kFreezeFile;
  run_blocking([this, jk = op.key, kind = op.kind, text = op.text,
                pause = op.pause] { return do_file_op(jk, kind, text, pause); },
               std::move(op.done),
               stops_cpu ? BlockingExecutor::Lane::kUrgent : BlockingExecutor::Lane::kNormal);
}

void Actuator::flush_file_ops(BlockingExecutor::Lane lane) {
  gathering_ = false;
  std::vector<FileOp> ops = std::move(gathered_);
  gathered_.clear();
  if (ops.size() <= 1) {
    for (FileOp& op : ops) submit_file_op(std::move(op));
    return;
  }
  auto ops_shared = std::make_shared<std::vector<FileOp>>(std::move(ops));
  auto results = std::make_shared<std::vector<OpResult>>();
  auto work = [this, ops_shared, results] { *results = do_file_ops(*ops_shared); };
  auto done = [ops_shared, results] {
    for (std::size_t i = 0; i < ops_shared->size(); ++i) (*ops_shared)[i].done((*results)[i]);
  };
  if (executor_ == nullptr) {
    work();
    done();
    return;
  }
  executor_->submit(std::move(work), std::move(done), lane);
}

void Actuator::save_journal_later() {
  if (executor_ == nullptr) {
    if (auto st = journal_->save(); !st) spdlog::warn("{}", st.error().describe());
    return;
  }
  if (journal_save_queued_) return;
  journal_save_queued_ = true;
  executor_->submit([this] {
    std::lock_guard lock(*journal_mutex_);
    if (auto st = journal_->save(); !st) spdlog::warn("{}", st.error().describe());
    journal_save_queued_ = false;  // after the save: pending_operations() counts it till here
  });
}

// Runs on the executor's worker (or inline): the only place that touches cgroup files.
Actuator::OpResult Actuator::do_file_op(const JournalKey& jk, OpKind kind, const std::string& text,
                                        const std::optional<JournalPause>& pause) {
  std::lock_guard lock(*journal_mutex_);
  if (kind != OpKind::kOverride) return undo_file_op(jk, kind, pause, /*save=*/true);
  PreparedWrite prepared = prepare_override(jk, text, pause);
  if (prepared.done) return *prepared.done;
  // Write-ahead: the original (and the value about to be written) is on disk before the file
  // changes.
  if (auto st = journal_->save(); !st) return roll_back(prepared, st.error());
  return write_prepared(prepared);
}

// Many operations, one journal save before any file is written (group commit): a media_start
// over 30 containers costs one save, not 60, before the relief is in every scope.
std::vector<Actuator::OpResult> Actuator::do_file_ops(const std::vector<FileOp>& ops) {
  using std::chrono::steady_clock;
  const auto start = steady_clock::now();
  std::lock_guard lock(*journal_mutex_);
  const auto locked = steady_clock::now();
  std::vector<OpResult> results(ops.size());
  std::vector<std::optional<PreparedWrite>> prepared(ops.size());
  bool undone = false;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const FileOp& op = ops[i];
    if (op.kind != OpKind::kOverride) {
      // A restore writes before it erases, so its save may come later: a stale entry only means
      // one more harmless restore after a crash.
      results[i] = undo_file_op(op.key, op.kind, op.pause, /*save=*/false);
      undone = true;
      continue;
    }
    PreparedWrite p = prepare_override(op.key, op.text, op.pause);
    if (p.done) {
      results[i] = *p.done;
    } else {
      prepared[i] = std::move(p);
    }
  }
  const auto read = steady_clock::now();
  auto saved_at = read;
  const bool writes =
      std::any_of(prepared.begin(), prepared.end(), [](const auto& p) { return p.has_value(); });
  if (!writes && undone) save_journal_later();
  if (writes) {
    Status saved = journal_->save();
    saved_at = steady_clock::now();
    // The writes back to back, their log lines after them: under load every syscall counts
    // before the last throttle is in place.
    std::vector<std::string> wrote;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!prepared[i]) continue;
      results[i] =
          saved ? write_prepared(*prepared[i], &wrote) : roll_back(*prepared[i], saved.error());
    }
    for (const std::string& line : wrote) spdlog::info("{}", line);
  }
  // A group that took long delayed its last write (a relief's last throttle) by as much; the
  // parts say where to look: a lock held by a slow write, slow cgroup reads, the journal.
  const auto end = steady_clock::now();
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  if (end - start >= std::chrono::milliseconds(50)) {
    spdlog::info(
        "{} file operations took {:.1f} ms: journal lock {:.1f} ms, reads and restores {:.1f} "
        "ms, journal save {:.1f} ms, writes {:.1f} ms",
        ops.size(), ms(end - start), ms(locked - start), ms(read - locked), ms(saved_at - read),
        ms(end - saved_at));
  }
  return results;
}

// Everything of an override up to the journal save: reads the file, keeps the user's stricter
// limit, journals the original. `done` is set when nothing is left to write.
Actuator::PreparedWrite Actuator::prepare_override(const JournalKey& jk, const std::string& text,
                                                   const std::optional<JournalPause>& pause) {
  PreparedWrite p;
  p.key = jk;
  p.path = join_path(jk.cgroup_dir, jk.file);
  const bool dry = options_.dry_run;
  const bool io_max = jk.file == kIoMaxFile;
  const JournalOverride* entry = journal_->find(jk);
  auto current = read_text_file(p.path);
  if (!current && (entry == nullptr || dry)) {
    if (is_enoent(current.error())) {
      p.done = OpResult{dir_exists(jk.cgroup_dir) ? Outcome::kMissingFile : Outcome::kCgroupGone,
                        current.error().describe()};
    } else {
      p.done = OpResult{Outcome::kFailed, current.error().describe()};
    }
    return p;
  }
  p.was = "?";
  if (current) p.was = io_max ? io_max_device_line(*current, jk.device) : trim(*current);
  if (io_max && current && p.was.empty()) p.was = "no limit";
  // Never loosen the user's own limit: compare with the original (journaled before adrg's
  // first write; without an entry the file still holds the user's value).
  p.value = text;  // what goes into the file
  if (is_user_limit_file(jk.file)) {
    const std::string user = entry != nullptr ? entry->original
                             : io_max         ? io_max_device_line(*current, jk.device)
                                              : *current;
    MergedLimit merged = stricter_limit(jk.file, user, text);
    p.limit = AppliedLimit{user_limit_text(jk.file, user), text, merged.text, merged.source};
    if (merged.source == LimitSource::kUser) {
      p.done = leave_to_user(jk, current, *p.limit);
      return p;
    }
    p.value = std::move(merged.text);
  }
  p.added = entry == nullptr;
  if (p.added) {
    // The original, byte-exact, before anything of adrg's reaches the file.
    std::string original = io_max ? io_max_device_line(*current, jk.device) : *current;
    journal_->put(JournalOverride{jk, std::move(original), p.value});
    if (io_max) {
      // All devices' originals come from this one read, taken before any io.max write of
      // this unit: the devices are always capped together, and this way no device's
      // original can be read after another device's line was already changed.
      // (A device whose user line turns out stricter drops its entry in its own operation.)
      for (const auto& dev : io_devices_) {
        JournalKey other = jk;
        other.device = dev;
        if (journal_->find(other) == nullptr) {
          journal_->put(JournalOverride{other, io_max_device_line(*current, dev), ""});
          p.also_added.push_back(other);
        }
      }
    }
  } else {
    p.previous = *entry;
    JournalOverride updated = *entry;
    updated.written = p.value;
    journal_->put(std::move(updated));
  }
  if (pause) {
    auto it = journal_->data().pauses.find({pause->unit_id, pause->cgroup_dir});
    p.pause_added = it == journal_->data().pauses.end() || it->second != *pause;
    journal_->put_pause(*pause);
    p.pause = pause;
  }
  if (dry) {
    spdlog::info("dry-run: would write {} to {} (was {}){}", p.value, p.path, p.was,
                 limit_note(p.limit));
    p.done = OpResult{Outcome::kOk, "", p.limit, true};
  }
  return p;
}

// No journal, no override: what prepare_override() put is taken back.
Actuator::OpResult Actuator::roll_back(const PreparedWrite& p, const Error& why) {
  if (p.added) {
    journal_->erase(p.key);
    for (const auto& other : p.also_added) journal_->erase(other);
  } else if (p.previous) {
    journal_->put(*p.previous);
  }
  if (p.pause_added) journal_->erase_pause(p.pause->unit_id, p.pause->cgroup_dir);
  return {Outcome::kFailed, "journal not saved, " + p.path + " left alone: " + why.describe()};
}

Actuator::OpResult Actuator::write_prepared(const PreparedWrite& p, std::vector<std::string>* log) {
  if (auto st = write_kernel_file(p.path, p.value); !st) {
    if (is_enoent(st.error()) && !dir_exists(p.key.cgroup_dir)) {
      return {Outcome::kCgroupGone, st.error().describe()};
    }
    return {Outcome::kFailed, st.error().describe()};
  }
  std::string line =
      fmt::format("wrote {} to {} (was {}){}", p.value, p.path, p.was, limit_note(p.limit));
  if (log != nullptr) {
    log->push_back(std::move(line));
  } else {
    spdlog::info("{}", line);
  }
  return {Outcome::kOk, "", p.limit, true};
}

Actuator::OpResult Actuator::undo_file_op(const JournalKey& jk, OpKind kind,
                                          const std::optional<JournalPause>& pause, bool save) {
  if (kind == OpKind::kRestore) {
    const std::string path = join_path(jk.cgroup_dir, jk.file);
    if (const JournalOverride* entry = journal_->find(jk); entry != nullptr) {
      std::string restore = restore_text(*entry);
      if (options_.dry_run) {
        spdlog::info("dry-run: would write {} to {} (was {})", restore, path, entry->written);
      } else {
        Status st;
        if (!restore.empty()) st = write_kernel_file(path, restore);
        if (!st && !is_enoent(st.error())) return {Outcome::kFailed, st.error().describe()};
        if (st) {
          spdlog::info("restored {} to \"{}\" (adrg had written {})", path, restore,
                       entry->written);
        } else {
          spdlog::info("{} is gone; nothing to restore", path);
        }
      }
    }
  }
  journal_->erase(jk);
  if (pause) journal_->erase_pause(jk.unit_id, jk.cgroup_dir);
  // The file holds its original already; a stale entry only means one more harmless restore
  // after a crash.
  if (save) save_journal_later();
  return {};
}

// The user's own limit is at least as strict as adrg's: the file keeps it. Nothing is written
// unless adrg had written the file before (a looser value now): then the original goes back,
// byte-exact. Either way adrg keeps no entry for the file, so nothing of adrg's is left to
// restore, and a later change of the user's (`docker update`) is what the next comparison sees.
Actuator::OpResult Actuator::leave_to_user(const JournalKey& jk, const Result<std::string>& current,
                                           const AppliedLimit& limit) {
  const std::string path = join_path(jk.cgroup_dir, jk.file);
  OpResult done{Outcome::kOk, "", limit, false};
  const JournalOverride* entry = journal_->find(jk);
  if (entry == nullptr) {
    spdlog::info("{}{} left at the user's own {} (adrg's {} would loosen it)",
                 options_.dry_run ? "dry-run: " : "", path, limit.user, limit.adrg);
    return done;
  }
  const std::string original = restore_text(*entry);
  std::string now;
  if (current) {
    now = jk.file == kIoMaxFile ? io_max_device_line(*current, jk.device) : strip_newline(*current);
  }
  // An entry adrg never wrote through (written "": an io.max device journaled with another
  // device's first write) holds the original in the file already.
  if (!entry->written.empty() && (!current || now != original)) {
    if (options_.dry_run) {
      spdlog::info("dry-run: would write the user's own {} back to {} (adrg's {} would loosen it)",
                   original, path, limit.adrg);
    } else {
      if (auto st = write_kernel_file(path, original); !st) {
        if (is_enoent(st.error()) && !dir_exists(jk.cgroup_dir)) {
          return {Outcome::kCgroupGone, st.error().describe()};
        }
        return {Outcome::kFailed, st.error().describe()};
      }
      spdlog::info("wrote the user's own {} back to {} (adrg's {} would loosen it)", original, path,
                   limit.adrg);
    }
  }
  journal_->erase(jk);
  if (auto st = journal_->save(); !st) {
    // The file holds its original: a stale entry only means one more harmless restore.
    spdlog::warn("{}", st.error().describe());
  }
  return done;
}

void Actuator::start_pauser_op(UnitState& state, const FileKey& file_key, KeyState& key,
                               OpKind kind) {
  key.in_flight = true;
  key.in_flight_target = key.target;
  UnitKey uk{state.unit_id, state.cgroup_dir};
  std::uint64_t epoch = state.epoch;
  std::weak_ptr<bool> alive = alive_;
  UnitSnapshot snap = state.snapshot;
  JournalPause record{state.unit_id, snap.name, state.cgroup_dir, PauseVia::kPauser};
  std::string text = key.target.value_or("");
  auto finish = [this, alive, uk, file_key, epoch, kind, text](const OpResult& r) {
    if (alive.expired()) return;
    complete(uk, file_key, epoch, kind, text, r);
  };
  auto journal_op = [this, record](bool put) {
    return [this, record, put]() -> OpResult {
      std::lock_guard lock(*journal_mutex_);
      if (!put) {
        journal_->erase_pause(record.unit_id, record.cgroup_dir);
        save_journal_later();
        return {};
      }
      journal_->put_pause(record);
      if (auto st = journal_->save(); !st) {
        journal_->erase_pause(record.unit_id, record.cgroup_dir);
        return {Outcome::kFailed, "journal not saved, not pausing: " + st.error().describe()};
      }
      return {};
    };
  };
  const std::string who = snap.name.empty() ? state.unit_id : snap.name;
  if (kind == OpKind::kForget) {
    run_blocking(journal_op(false), finish);
    return;
  }
  if (options_.dry_run) {
    spdlog::info("dry-run: would {} container {} through Docker",
                 kind == OpKind::kOverride ? "pause" : "unpause", who);
    run_blocking(journal_op(kind == OpKind::kOverride), finish);
    return;
  }
  if (pauser_ == nullptr) {
    finish({Outcome::kFailed, "no container pauser (Docker) to unpause " + who + " with"});
    return;
  }
  if (kind == OpKind::kOverride) {
    // Write-ahead: the record exists before Docker is asked, so a crash right after the pause
    // still lets the next start unpause it.
    run_blocking(journal_op(true), [this, alive, snap, finish, journal_op](const OpResult& r) {
      if (alive.expired()) return;
      if (r.outcome != Outcome::kOk) {
        finish(r);
        return;
      }
      pauser_->pause(snap, [this, alive, finish, journal_op](const Status& st) {
        if (alive.expired()) return;
        if (st) {
          finish({});
          return;
        }
        OpResult failed{Outcome::kFailed, st.error().describe()};
        if (pauser_->outcome_unknown(st.error())) {
          // Docker may still pause it: the record stays, so it is unpaused when not wanted.
          failed.maybe_applied = true;
          finish(failed);
          return;
        }
        // Not paused: drop the record, so no later start unpauses what someone else pauses.
        run_blocking(journal_op(false), [finish, failed](const OpResult&) { finish(failed); });
      });
    });
    return;
  }
  pauser_->unpause(snap, [this, alive, finish, journal_op](const Status& st) {
    if (alive.expired()) return;
    if (!st) {
      finish({Outcome::kFailed, st.error().describe()});
      return;
    }
    run_blocking(journal_op(false), finish);
  });
}

void Actuator::complete(const UnitKey& unit_key, const FileKey& file_key, std::uint64_t epoch,
                        OpKind kind, const std::string& text, const OpResult& result) {
  auto uit = units_.find(unit_key);
  if (uit == units_.end()) return;
  UnitState& state = *uit->second;
  auto kit = state.keys.find(file_key);
  if (kit == state.keys.end()) return;
  KeyState& key = kit->second;
  key.in_flight = false;
  const bool stale = epoch != state.epoch;
  const std::string label = file_label(file_key.first, file_key.second);
  const std::string who = state.snapshot.name.empty() ? state.unit_id : state.snapshot.name;
  switch (result.outcome) {
    case Outcome::kOk:
      key.last_error.clear();
      if (kind == OpKind::kOverride) {
        key.journaled = result.journaled;
        // A completion from before the cgroup was recreated wrote into the old cgroup (or raced
        // the new one): the value must be written again.
        if (!stale) {
          key.written = text;  // adrg's wanted value, compared with target (not the effective)
          key.written_unknown = false;
          key.limit = result.limit;
        }
      } else {
        key.journaled = false;
        if (kind == OpKind::kRestore && !stale) {
          key.written.reset();
          key.written_unknown = false;
          key.limit.reset();
        }
      }
      if (file_key.first == kPauserKey && !options_.dry_run) {
        spdlog::info("{} container {} through Docker",
                     kind == OpKind::kOverride ? "paused" : "unpaused", who);
      }
      break;
    case Outcome::kMissingFile:
      key.unsupported = true;
      if (warned_.insert(state.unit_id + " " + label).second) {
        spdlog::warn(
            "unit {}: {} does not exist in {} (controller not enabled, or a hybrid "
            "host's unified tree); not applying it",
            who, file_key.first, state.cgroup_dir);
      }
      break;
    case Outcome::kCgroupGone:
      spdlog::debug("unit {}: cgroup {} is gone; {} not applied", who, state.cgroup_dir, label);
      break;
    case Outcome::kFailed:
      if (key.last_error != result.message) {
        spdlog::error("unit {}: {} {}: {}", who,
                      kind == OpKind::kOverride ? "applying" : "restoring", label, result.message);
      } else {
        spdlog::debug("unit {}: {} still failing: {}", who, label, result.message);
      }
      key.last_error = result.message;
      if (kind == OpKind::kOverride) key.journaled = key.journaled || file_key.first != kPauserKey;
      if (kind == OpKind::kOverride && result.maybe_applied && !stale) {
        key.written = text;
        key.written_unknown = true;
        key.journaled = true;
      }
      break;
  }
  if (file_key.first == kPauserKey) {
    retarget_relief(unit_key,
                    result.outcome == Outcome::kOk ? "Docker paused it" : "the pause failed");
  }
  refresh_applied();
  bool moved = key.target != key.in_flight_target;
  if (result.outcome == Outcome::kOk || stale || moved) kick(unit_key, file_key);
}

void Actuator::retarget_relief(const UnitKey& unit_key, std::string_view why) {
  auto uit = units_.find(unit_key);
  if (uit == units_.end()) return;
  UnitState& state = *uit->second;
  if (!state.desired) return;  // nothing is targeted, the relief neither
  const bool before = state.relief;
  for (auto& [fk, key] : state.keys) key.target.reset();
  set_targets(state, state.want, state.snapshot);
  if (state.relief == before) return;
  std::vector<FileKey> files;
  bool in_force = false;
  for (const auto& [fk, key] : state.keys) {
    if (fk.first != "cpu.max" && fk.first != kIoMaxFile) continue;
    files.push_back(fk);
    in_force = in_force || key.written || key.in_flight;
  }
  if (before && in_force) {
    spdlog::info("unit {}: relief throttle lifted ({})",
                 state.snapshot.name.empty() ? state.unit_id : state.snapshot.name, why);
  }
  for (const auto& fk : files) kick(unit_key, fk);
}

void Actuator::prune() {
  for (auto uit = units_.begin(); uit != units_.end();) {
    auto& state = *uit->second;
    std::erase_if(state.keys, [](const auto& kv) {
      const KeyState& k = kv.second;
      return !k.target && !k.written && !k.written_unknown && !k.journaled && !k.in_flight;
    });
    if (state.keys.empty() && !state.desired) {
      uit = units_.erase(uit);
    } else {
      ++uit;
    }
  }
}

void Actuator::refresh_applied() {
  AppliedState next;
  next.dry_run = options_.dry_run;
  for (const auto& [uk, state_ptr] : units_) {
    const UnitState& state = *state_ptr;
    AppliedUnit au;
    au.unit_id = state.unit_id;
    au.name = state.snapshot.name;
    au.kind = state.snapshot.kind;
    au.cgroup_dir = state.cgroup_dir;
    bool any = false;
    // A group's "by" lists are shown once everything of the group is in force.
    auto settled = [&](std::string_view file) {
      bool seen = false;
      for (const auto& [fk, key] : state.keys) {
        if (fk.first != file) continue;
        seen = true;
        if (!key.target || key.written != key.target || key.written_unknown) return false;
      }
      return seen && state.desired;
    };
    for (const auto& [fk, key] : state.keys) {
      const std::string label = file_label(fk.first, fk.second);
      if (key.in_flight) au.pending = true;
      if (!key.last_error.empty()) au.errors[label] = key.last_error;
      if (key.in_flight || !key.last_error.empty()) any = true;
      if (!key.written) continue;
      any = true;
      // What the file holds: for a limit the effective value, which may be the user's.
      const std::string& text = key.limit ? key.limit->effective : *key.written;
      au.files[label] = text;
      if (key.limit) au.limits[label] = *key.limit;
      const std::string& file = fk.first;
      if (file == kFreezeFile || file == kPauserKey) {
        au.paused = file == kPauserKey || trim(text) == "1";
        if (au.paused) au.paused_via = file == kPauserKey ? "docker" : "cgroup.freeze";
      } else if (file == "cpu.max") {
        auto space = text.find(' ');
        auto quota = parse_u64(text.substr(0, space));
        auto period = space == std::string::npos ? std::nullopt : parse_u64(text.substr(space));
        if (quota && period && *period > 0) {
          au.cpu_max_percent =
              100.0 * static_cast<double>(*quota) / (static_cast<double>(*period) * cpu_count_);
        }
      } else if (file == "cpu.weight") {
        if (auto v = parse_u64(text)) au.cpu_weight = static_cast<int>(*v);
      } else if (file == kIoMaxFile) {
        au.io_max = IoLimit{io_field(text, "rbps"), io_field(text, "wbps")};
      } else if (file == kIoWeightFile) {
        if (auto v = parse_u64(text.substr(std::min(text.size(), sizeof("default")))))
          au.io_weight = static_cast<int>(*v);
      } else if (file == "memory.high") {
        au.memory_high = parse_u64(text);
      } else if (file == "memory.max") {
        au.memory_max = parse_u64(text);
      }
    }
    if (!any) continue;
    if (au.paused && (settled(kFreezeFile) || settled(kPauserKey)))
      au.paused_by = state.want.paused_by;
    if (au.cpu_max_percent && settled("cpu.max")) au.cpu_max_by = state.want.cpu_max_by;
    if (au.io_max && settled(kIoMaxFile)) au.io_max_by = state.want.io_max_by;
    if (state.relief) {
      if (settled("cpu.max")) au.cpu_max_by.emplace_back(kReliefBy);
      if (settled(kIoMaxFile)) au.io_max_by.emplace_back(kReliefBy);
      au.relief = settled("cpu.max") || settled(kIoMaxFile);
    }
    if (au.memory_high && settled("memory.high")) au.memory_high_by = state.want.memory_high_by;
    // One entry per unit id: the current cgroup wins over an old one still being restored.
    auto [it, inserted] = next.units.try_emplace(state.unit_id, au);
    if (!inserted && state.current) it->second = std::move(au);
  }
  applied_ = std::move(next);
}

void Actuator::on_unit_files_rewritten(const std::string& unit_id) {
  forget_written(unit_id, "", /*keep_pause=*/true);
}

void Actuator::on_unit_restarted(const std::string& unit_id, const std::string& new_cgroup_path) {
  forget_written(unit_id, new_cgroup_path, /*keep_pause=*/false);
}

void Actuator::forget_written(const std::string& unit_id, const std::string& new_cgroup_path,
                              bool keep_pause) {
  const std::string dir = new_cgroup_path.empty() ? std::string() : resolve_dir(new_cgroup_path);
  for (auto& [uk, state] : units_) {
    if (uk.first != unit_id) continue;
    ++state->epoch;
    // Whatever adrg wrote died with the old cgroup (or `docker update` wrote the user's new
    // values over it). For the same path the journaled originals stay (Docker recreated the
    // cgroup from the same container config); an old path's entries are forgotten by the next
    // kick, with no write (the directory no longer exists). A Docker pause survives an update:
    // it stays adrg's, to be undone when no longer wanted.
    for (auto& [fk, key] : state->keys) {
      if (keep_pause && fk.first == kPauserKey) continue;
      key.written.reset();
      key.written_unknown = false;
      key.unsupported = false;
      key.last_error.clear();
    }
    spdlog::info(
        "unit {} {}: overrides are re-applied on the next tick", unit_id,
        keep_pause ? "updated" : "restarted" + (dir.empty() ? "" : " (cgroup " + dir + ")"));
  }
  refresh_applied();
}

std::size_t Actuator::pending_operations() const {
  // A journal save queued after undos counts: once this is 0 the journal on disk is current.
  std::size_t n = release_unpauses_ + restarts_in_flight_ + (journal_save_queued_ ? 1 : 0);
  for (const auto& [uk, state] : units_) {
    for (const auto& [fk, key] : state->keys) n += key.in_flight ? 1 : 0;
  }
  return n;
}

Status Actuator::release_all() {
  if (!started_) {
    if (auto st = start(); !st) return st;
  }
  if (executor_ != nullptr) executor_->drain();
  // Completions still queued on the reactor belong to the state thrown away below.
  alive_ = std::make_shared<bool>(true);
  units_.clear();
  Status result;
  std::vector<JournalPause> to_unpause;
  {
    std::lock_guard lock(*journal_mutex_);
    result = restore_journaled_overrides(*journal_, options_.dry_run);
    for (const auto& [key, pause] : journal_->data().pauses) {
      if (pause.via == PauseVia::kPauser) to_unpause.push_back(pause);
    }
  }
  std::weak_ptr<bool> alive = alive_;
  for (const auto& pause : to_unpause) {
    const std::string who = pause.name.empty() ? pause.unit_id : pause.name;
    if (options_.dry_run) {
      spdlog::info("dry-run: would unpause container {} through Docker", who);
      continue;
    }
    if (pauser_ == nullptr) {
      spdlog::error("cannot unpause container {}: no container pauser; it stays journaled", who);
      if (result)
        result = Error{std::make_error_code(std::errc::operation_not_supported),
                       "cannot unpause container " + who + " without Docker"};
      continue;
    }
    UnitSnapshot snap;
    snap.id = pause.unit_id;
    snap.name = pause.name;
    snap.cgroup_path = pause.cgroup_dir;
    snap.kind = UnitKind::kContainer;
    ++release_unpauses_;
    pauser_->unpause(snap, [this, alive, pause, who](const Status& st) {
      if (alive.expired()) return;
      if (!st) {
        --release_unpauses_;
        spdlog::error("unpausing container {}: {}; it stays journaled", who, st.error().describe());
        return;
      }
      run_blocking(
          [this, pause]() -> OpResult {
            std::lock_guard lock(*journal_mutex_);
            journal_->erase_pause(pause.unit_id, pause.cgroup_dir);
            if (auto s = journal_->save(); !s) spdlog::warn("{}", s.error().describe());
            return {};
          },
          [this, alive, who](const OpResult&) {
            if (alive.expired()) return;
            --release_unpauses_;
            spdlog::info("unpaused container {} through Docker", who);
          });
    });
  }
  // What could not be restored stays journaled and tracked, so a later apply retries it.
  seed_from_journal(pauser_ != nullptr && !options_.dry_run);
  refresh_applied();
  return result;
}

}  // namespace adrg
