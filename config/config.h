// Validated, plain configuration. Every key of ADRG 1.1.2's config.yaml
// (tests/data/adrg-1.1.2-config.yaml) has a field here with ADRG's default; adrg's own
// additions are marked "adrg extension". Loading lives in config/loader.h.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace adrg {

struct HttpServerConfig {
  bool enabled = true;
  // Trimmed; anything but loopback needs the token (config/bind_host.h).
  std::string host = "127.0.0.1";
  int port = 8765;
  std::string unix_socket = "/run/adrg/adrg.sock";  // adrg extension; empty disables it
  // adrg extension: when set, every TCP request but GET /healthz needs
  // `Authorization: Bearer <token>` (the unix socket needs none: its file mode guards it).
  std::string token;
  // adrg extension: with a token set, GET /status and /metrics answer over TCP without it (for
  // dashboards and scrapers). Job data and everything that acts never do.
  bool public_read = false;
  // adrg extension: Host header values (names or addresses, without port) accepted over TCP
  // beside loopback names, this machine's own addresses and its hostname. Any other Host is
  // refused (403), which is what defeats DNS rebinding.
  std::vector<std::string> allowed_hosts;
  // adrg extension: shared secret of POST /webhook/media (X-Adrg-Webhook-Secret header or
  // ?secret=, since Plex can send only a URL). When set, it replaces the token for that endpoint.
  std::string webhook_secret;
};

struct GeneralConfig {
  double poll_interval_seconds = 5;  // the reconcile tick; ADRG also accepted top-level `interval`
  std::string state_file = "/run/adrg/state.json";
  std::string log_file = "/var/log/adrg/adrg.log";
  std::int64_t log_max_bytes = 10485760;
  int log_backup_count = 3;
  HttpServerConfig http_server;
  // adrg extensions: every kernel and daemon path is injectable.
  // /run: the overrides it records die with the kernel, and so does the journal (see Journal).
  std::string journal_file = "/run/adrg/journal.json";
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_root = "/proc";
  std::string thermal_root = "/sys/class/thermal";
  std::string hwmon_root = "/sys/class/hwmon";
  // DOCKER_HOST=unix://... overrides a path; "" (Docker off) stays off.
  std::string docker_socket = "/var/run/docker.sock";
  std::string env_file = "/etc/adrg/adrg.env";
  // adrg extension: every child directory of this cgroup v2 directory is a governed unit named
  // after the directory (tier by the same globs as containers), frozen with cgroup.freeze.
  // For workloads outside Docker (systemd slices, the VM tests). "" = off.
  std::string cgroup_units_root;
  // adrg extension: a near-zero cpu.max and a low io.max on a container's own cgroup while
  // Docker pauses it (actuator/relief.h). false only to measure what it buys.
  bool instant_relief = true;
};

struct TierConfig {
  int id = 0;
  std::string name;
  std::vector<std::string> containers;       // glob patterns, e.g. "tdarr*"
  std::optional<int> cpu_weight;             // cgroup v2 cpu.weight, 1..10000
  std::optional<int> io_weight;              // cgroup v2 io.weight, 1..10000
  std::optional<std::uint64_t> memory_high;  // bytes ("1.5G" in YAML)
  std::optional<std::uint64_t> memory_max;   // bytes
};

struct DownloadThrottleConfig {
  bool enabled = false;
  std::string provider = "qbittorrent";  // qbittorrent | transmission
  std::string url = "http://qbittorrent:8080";
  std::string username = "admin";
  std::string password;
  double limit_mb_per_sec = 5;  // ADRG's `limit_mbps` is accepted too
};

struct MediaModeConfig {
  bool enabled = false;
  std::string provider = "jellyfin";  // jellyfin | emby | plex | webhook | none
  std::string url = "http://jellyfin:8096";
  std::string api_key;
  double tier2_cpu_max_percent = 20;         // percent of the whole machine
  double tier2_io_max_read_mb_per_sec = 10;  // `tier2_io_max_read_mbps` accepted too
  double tier2_io_max_write_mb_per_sec = 5;  // `tier2_io_max_write_mbps` accepted too
  double cooldown_seconds = 60;
  double poll_interval_seconds = 5;    // adrg extension
  bool count_paused_sessions = false;  // adrg extension: ADRG counted only playing sessions
  DownloadThrottleConfig download_throttle;
};

struct ThermalConfig {
  bool enabled = true;
  double warn_temp_c = 70;
  double stage1_temp_c = 75;
  double stage2_temp_c = 80;
  double recovery_temp_c = 65;
  double recovery_hold_seconds = 30;
  double poll_interval_seconds = 2;  // adrg extension: timerfd period of the thermal sensor
};

// A kernel PSI trigger ("some 75000 500000"): the edge that wakes the governor at once. The
// default is the kernel's shortest window: the kernel checks a trigger every window/10 while
// the resource stalls, so a storm is seen ~75-125 ms after it begins, and the 15 % an edge
// proves is enough for a rule to act on the edge itself when its threshold is below it.
struct PsiTriggerConfig {
  bool enabled = true;
  std::string type = "some";  // some | full
  int stall_ms = 75;
  int window_ms = 500;  // rounded up to a multiple of 2000 without CAP_SYS_RESOURCE
};

struct MemoryPressureConfig {
  bool enabled = true;
  double some_avg10_threshold = 50;
  double critical_avg60_threshold = 40;
  double emergency_full_avg10_threshold = 25;
  double restart_cooldown_seconds = 300;
  double memory_high_reduction_factor = 0.75;
  double recovery_hold_seconds = 30;  // adrg extension: squeeze released after calm this long
  PsiTriggerConfig trigger;           // adrg extension
};

struct IoPressureConfig {
  bool enabled = true;
  double trigger_avg10_threshold = 60;
  double recovery_avg10_threshold = 20;
  double recovery_hold_seconds = 30;
  double tier3_io_max_read_mb_per_sec = 5;
  double tier3_io_max_write_mb_per_sec = 2;
  std::vector<std::string> devices;  // adrg extension: "MAJ:MIN"; empty = every physical disk
  PsiTriggerConfig trigger;          // adrg extension
};

struct NotificationsConfig {
  std::vector<std::string> notify_on = {
      "daemon_start",   "daemon_stop",    "media_mode_activated",    "media_mode_deactivated",
      "thermal_stage1", "thermal_stage2", "memory_critical_restart", "memory_emergency_restart"};
  std::string discord_webhook_url;
  std::string ntfy_url;
  std::string ntfy_token;
  std::string gotify_url;
  std::string gotify_token;
  double min_interval_seconds = 30;  // adrg extension: rate limit per event kind
};

// adrg extension: the job runner (`adrgctl run`, POST /jobs). One-off commands started by adrg
// in their own cgroup under cgroup_root and governed like containers of the tier they name.
struct JobAdmissionConfig {
  // A job submitted with wait_for_calm starts only while every system PSI "some" avg10 is at or
  // below these percentages; without wait_for_calm it starts at once.
  double cpu_some_avg10_max = 40;
  double memory_some_avg10_max = 20;
  double io_some_avg10_max = 30;
  double max_queue_seconds = 3600;  // a job queued this long is refused (0 = wait forever)
};

struct JobsConfig {
  bool enabled = true;
  // Outside adrg.service's own cgroup, so stopping or restarting adrg never kills a job.
  std::string cgroup_root = "/sys/fs/cgroup/adrg.slice/jobs";
  std::string state_dir = "/var/lib/adrg/jobs";      // ID.json (the job record) and ID.log
  int max_jobs = 16;                                 // queued + running at once; more are refused
  int retain_finished = 100;                         // finished jobs kept listed (newest first)
  double retain_finished_seconds = 7 * 24 * 3600.0;  // ... and for at most this long
  // Each job's log keeps at most this many of its newest bytes; older output is dropped.
  std::uint64_t max_log_bytes = kJobLogBytesDefault;
  JobAdmissionConfig admission;
  static constexpr std::uint64_t kJobLogBytesDefault = 8ull << 20;
  static constexpr std::uint64_t kJobLogBytesMin = 64ull << 10;  // a few blocks to drop whole
  static constexpr std::uint64_t kJobLogBytesMax = 1ull << 40;
};

struct Config {
  std::string source_path;  // file the config was read from ("" for built-in defaults)
  GeneralConfig general;
  std::array<TierConfig, 4> tiers = {
      TierConfig{0, "Core Infra", {}, 1000, 1000, std::nullopt, std::nullopt},
      TierConfig{1, "Interactive", {}, 800, 800, 3ull << 30, 4ull << 30},
      TierConfig{2, "Background", {}, 100, 100, 3ull << 29, 2ull << 30},
      TierConfig{3, "Bulk", {}, 10, 10, 2ull << 30, 3ull << 30},
  };
  std::vector<std::string> protected_containers;
  MediaModeConfig media_mode;
  ThermalConfig thermal;
  MemoryPressureConfig memory_pressure;
  IoPressureConfig io_pressure;
  NotificationsConfig notifications;
  JobsConfig jobs;  // adrg extension
};

}  // namespace adrg
