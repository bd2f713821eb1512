// The schema: one reader per section of config.yaml, in the template's order. Each takes its
// keys from a MapReader, so what is left over is warned about as unknown.
#include <algorithm>
#include <utility>

#include "config/bind_host.h"
#include "config/loader_internal.h"

namespace adrg::config_detail {

void Loader::read_general(MapReader& m, GeneralConfig& g) {
  if (auto e = m.take("poll_interval_seconds")) {
    read_number(*e, g.poll_interval_seconds, kPollSeconds, kSeconds);
  }
  if (auto e = m.take("state_file")) read_string(*e, g.state_file);
  if (auto e = m.take("log_file")) read_string(*e, g.log_file);  // "" = no log file
  if (auto e = m.take("log_max_bytes")) {
    // Python's RotatingFileHandler: 0 means never rotate. A size string ("10M") is accepted too.
    std::optional<std::uint64_t> bytes;
    read_size(*e, bytes, 0, kLogMaxBytes, "a size from 0 (never rotate) to 1T");
    if (bytes) {
      g.log_max_bytes = static_cast<std::int64_t>(*bytes);
    } else if (was_set(e->path)) {
      error(where(*e), e->path + ": expected a number of bytes (0 = never rotate), got nothing");
    }
  }
  if (auto e = m.take("log_backup_count")) read_int(*e, g.log_backup_count, 0, 1000);
  if (auto e = m.take("http_server")) {
    if (auto s = section(*e)) read_http_server(*s, g.http_server);
  }
  if (auto e = m.take("instant_relief")) read_bool(*e, g.instant_relief);
  // Paths adrg reads or writes must be absolute: the daemon's working directory is not the
  // config's. The env file is resolved before the walk and is not ${VAR}-expanded.
  auto path_setting = [&](std::string_view key, std::string& out, bool empty_disables = false) {
    if (auto e = m.take(key)) {
      std::string value;
      read_string(*e, value);
      if (!was_set(e->path)) return;
      if (value.empty() && empty_disables) {
        out.clear();
        return;
      }
      if (value.empty() || value.front() != '/') {
        error(where(*e), e->path + ": expected an absolute path, got '" + value + "'");
        return;
      }
      out = std::move(value);
    }
  };
  path_setting("journal_file", g.journal_file);
  path_setting("cgroup_root", g.cgroup_root);
  path_setting("proc_root", g.proc_root);
  path_setting("thermal_root", g.thermal_root);
  path_setting("hwmon_root", g.hwmon_root);
  // "" turns the Docker integration off (a host that governs only adrg's own jobs, and tests).
  path_setting("docker_socket", g.docker_socket, /*empty_disables=*/true);
  path_setting("cgroup_units_root", g.cgroup_units_root, /*empty_disables=*/true);
  if (auto e = m.take("env_file")) {
    std::string ignored;
    read_string(*e, ignored, /*expand=*/false);  // already used by load_environment()
  }
  m.finish();
}

void Loader::read_http_server(MapReader& m, HttpServerConfig& h) {
  if (auto e = m.take("enabled")) read_bool(*e, h.enabled);
  BindHost bind{h.host, true, false};  // the default, 127.0.0.1
  if (auto e = m.take("host")) {
    std::string host;
    read_string(*e, host);
    if (was_set(e->path)) {
      auto parsed = parse_bind_host(host);
      if (parsed) {
        bind = std::move(*parsed);
        h.host = bind.host;
      } else {
        error(where(*e), e->path + ": " + parsed.error().message);
        bind.loopback = true;  // reported once; the token rule below has nothing to add
      }
    }
  }
  if (auto e = m.take("port")) read_int(*e, h.port, 1, 65535);
  if (auto e = m.take("unix_socket")) {
    std::string socket;
    read_string(*e, socket);
    if (was_set(e->path) && !socket.empty() && socket.front() != '/') {
      error(where(*e),
            e->path + ": expected an absolute path (or \"\" to disable), got '" + socket + "'");
    } else if (was_set(e->path)) {
      h.unix_socket = std::move(socket);
    }
  }
  if (auto e = m.take("token")) read_string(*e, h.token);
  if (auto e = m.take("public_read")) read_bool(*e, h.public_read);
  if (auto e = m.take("allowed_hosts")) {
    std::vector<std::string> hosts;
    read_string_list(*e, hosts, "host names or addresses");
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      std::string_view host = trim_view(hosts[i]);
      bool bad =
          host.empty() || host.size() > 253 || std::any_of(host.begin(), host.end(), [](char c) {
            return std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '@' ||
                   c == '*' || static_cast<unsigned char>(c) < 0x20;
          });
      if (bad) {
        error(where(*e), e->path + "[" + std::to_string(i) +
                             "]: expected a host name or address as a browser sends it in the "
                             "Host header (no scheme, path or wildcard), got '" +
                             hosts[i] + "'");
      }
      hosts[i] = std::string(host);
    }
    h.allowed_hosts = std::move(hosts);
  }
  if (auto e = m.take("webhook_secret")) read_string(*e, h.webhook_secret);
  m.finish();
  // The HTTP layer refuses to listen beyond loopback without a token; an error here makes the
  // daemon, a reload and --check-config refuse the same file with the same file:line:column.
  // A name is taken as reaching beyond this machine: what it resolves to is not known without
  // DNS (and may change).
  if (h.enabled && h.token.empty() && !bind.loopback) {
    error(location_of({"general.http_server.host", "general.http_server"}),
          "general.http_server.host '" + h.host + "' " +
              (bind.is_name ? "is a host name, which may be reachable" : "is reachable") +
              " beyond this machine but general.http_server.token is empty: the API would let "
              "anyone on the network trigger actions; set a token or bind 127.0.0.1");
  }
}

void Loader::read_tiers(const Entry& e) {
  auto reader = section(e);
  if (!reader) return;
  for (const Entry& tier_entry : reader->take_all()) {
    // ADRG wrote the keys as YAML ints (0:); a quoted "0" means the same.
    std::string key = std::string(trim_view(tier_entry.key.Scalar()));
    if (key.size() != 1 || key[0] < '0' || key[0] > '3') {
      error(to_location(tier_entry.key.Mark()),
            "tiers: a tier key must be 0, 1, 2 or 3, got '" + tier_entry.key.Scalar() + "'");
      continue;
    }
    const int id = key[0] - '0';
    Entry named{"tiers." + key, tier_entry.key, tier_entry.value};
    auto tier_reader = section(named);
    if (!tier_reader) continue;
    // A tier present in the file is taken as written, not merged with the defaults: ADRG's
    // template expresses "no memory limits for Tier 0" by leaving the keys out. Only the name
    // falls back to ADRG's default name.
    TierConfig tier;
    tier.id = id;
    tier.name = Config{}.tiers[static_cast<std::size_t>(id)].name;
    read_tier(*tier_reader, tier);
    config_.tiers[static_cast<std::size_t>(id)] = std::move(tier);
  }
}

void Loader::read_tier(MapReader& m, TierConfig& t) {
  if (auto e = m.take("name")) read_string(*e, t.name);
  if (auto e = m.take("containers")) read_string_list(*e, t.containers, "container names or globs");
  // cgroup v2 cpu.weight and io.weight both accept 1..10000.
  if (auto e = m.take("cpu_weight")) {
    if (e->value.IsNull())
      t.cpu_weight.reset();
    else
      read_int(*e, t.cpu_weight, 1, 10000);
  }
  if (auto e = m.take("io_weight")) {
    if (e->value.IsNull())
      t.io_weight.reset();
    else
      read_int(*e, t.io_weight, 1, 10000);
  }
  auto high = m.take("memory_high");
  if (high) read_size(*high, t.memory_high, kMemoryMin, kMemoryMax, kMemoryRange);
  auto max = m.take("memory_max");
  if (max) read_size(*max, t.memory_max, kMemoryMin, kMemoryMax, kMemoryRange);
  m.finish();
  // memory.high above memory.max never throttles: the kernel OOM-kills at memory.max first, the
  // opposite of what a tier's soft limit is for. Refuse it rather than guess which one was meant.
  if (t.memory_high && t.memory_max && *t.memory_high > *t.memory_max) {
    const Entry& at = max ? *max : *high;
    error(where(at), "tiers." + std::to_string(t.id) + ": memory_max (" +
                         std::to_string(*t.memory_max) + " bytes) must not be below memory_high (" +
                         std::to_string(*t.memory_high) + " bytes)");
  }
}

void Loader::read_media_mode(MapReader& m, MediaModeConfig& mm) {
  if (auto e = m.take("enabled")) read_bool(*e, mm.enabled);
  if (auto e = m.take("provider")) {
    read_enum(*e, mm.provider, {"jellyfin", "emby", "plex", "webhook", "none"});
  }
  if (auto e = m.take("url")) read_url(*e, mm.url);
  if (auto e = m.take("api_key")) read_string(*e, mm.api_key);
  if (auto e = m.take("tier2_cpu_max_percent")) {
    read_number(*e, mm.tier2_cpu_max_percent, kPercent, "a percentage of the whole machine");
  }
  if (auto e = m.take_either("tier2_io_max_read_mb_per_sec", "tier2_io_max_read_mbps")) {
    read_number(*e, mm.tier2_io_max_read_mb_per_sec, kMbPerSec, kMbps);
  }
  if (auto e = m.take_either("tier2_io_max_write_mb_per_sec", "tier2_io_max_write_mbps")) {
    read_number(*e, mm.tier2_io_max_write_mb_per_sec, kMbPerSec, kMbps);
  }
  if (auto e = m.take("cooldown_seconds")) {
    read_number(*e, mm.cooldown_seconds, kHoldSeconds, kSeconds);
  }
  if (auto e = m.take("poll_interval_seconds")) {
    read_number(*e, mm.poll_interval_seconds, kPollSeconds, kSeconds);
  }
  if (auto e = m.take("count_paused_sessions")) read_bool(*e, mm.count_paused_sessions);
  if (auto e = m.take("download_throttle")) {
    if (auto s = section(*e)) read_download_throttle(*s, mm.download_throttle);
  }
  m.finish();
  const bool polls = mm.provider == "jellyfin" || mm.provider == "emby" || mm.provider == "plex";
  if (mm.enabled && polls && mm.url.empty()) {
    error(location_of({"media_mode.url", "media_mode.provider", "media_mode"}),
          "media_mode.url: provider " + mm.provider + " needs the server's URL, got ''");
  }
  if (mm.enabled && polls && mm.api_key.empty()) {
    warning(location_of({"media_mode.api_key", "media_mode.provider", "media_mode"}),
            "media_mode.api_key is empty; " + mm.provider + " will likely refuse session queries");
  }
  if (mm.enabled && mm.provider == "none") {
    warning(location_of({"media_mode.provider", "media_mode"}),
            "media_mode.enabled is true but provider is none; media mode stays off");
  }
}

void Loader::read_download_throttle(MapReader& m, DownloadThrottleConfig& d) {
  if (auto e = m.take("enabled")) read_bool(*e, d.enabled);
  if (auto e = m.take("provider")) read_enum(*e, d.provider, {"qbittorrent", "transmission"});
  if (auto e = m.take("url")) read_url(*e, d.url);
  if (auto e = m.take("username")) read_string(*e, d.username);
  if (auto e = m.take("password")) read_string(*e, d.password);
  if (auto e = m.take_either("limit_mb_per_sec", "limit_mbps")) {
    // > 0: both clients read a limit of 0 as "unlimited", the opposite of a throttle.
    read_number(*e, d.limit_mb_per_sec, kMbPerSec, kMbps);
  }
  m.finish();
  if (d.enabled && d.url.empty()) {
    error(location_of({"media_mode.download_throttle.url", "media_mode.download_throttle"}),
          "media_mode.download_throttle.url: the download client's URL is needed, got ''");
  }
}

void Loader::read_thermal(MapReader& m, ThermalConfig& t) {
  if (auto e = m.take("enabled")) read_bool(*e, t.enabled);
  const std::string_view noun = "a temperature in °C";
  if (auto e = m.take("warn_temp_c")) read_number(*e, t.warn_temp_c, kTemperature, noun);
  if (auto e = m.take("stage1_temp_c")) read_number(*e, t.stage1_temp_c, kTemperature, noun);
  if (auto e = m.take("stage2_temp_c")) read_number(*e, t.stage2_temp_c, kTemperature, noun);
  if (auto e = m.take("recovery_temp_c")) read_number(*e, t.recovery_temp_c, kTemperature, noun);
  if (auto e = m.take("recovery_hold_seconds")) {
    read_number(*e, t.recovery_hold_seconds, kHoldSeconds, kSeconds);
  }
  if (auto e = m.take("poll_interval_seconds")) {
    read_number(*e, t.poll_interval_seconds, kPollSeconds, kSeconds);
  }
  m.finish();
}

void Loader::read_trigger(MapReader& m, PsiTriggerConfig& t) {
  if (auto e = m.take("enabled")) read_bool(*e, t.enabled);
  if (auto e = m.take("type")) read_enum(*e, t.type, {"some", "full"});
  // The kernel accepts windows of 500 ms to 10 s and a stall threshold within the window
  // (Documentation/accounting/psi.rst).
  if (auto e = m.take("stall_ms")) read_int(*e, t.stall_ms, 1, 10000);
  if (auto e = m.take("window_ms")) read_int(*e, t.window_ms, 500, 10000);
  m.finish();
}

void Loader::read_memory_pressure(MapReader& m, MemoryPressureConfig& mp) {
  if (auto e = m.take("enabled")) read_bool(*e, mp.enabled);
  const std::string_view pct = "a PSI percentage";
  if (auto e = m.take("some_avg10_threshold"))
    read_number(*e, mp.some_avg10_threshold, kPercent, pct);
  if (auto e = m.take("critical_avg60_threshold")) {
    read_number(*e, mp.critical_avg60_threshold, kPercent, pct);
  }
  if (auto e = m.take("emergency_full_avg10_threshold")) {
    read_number(*e, mp.emergency_full_avg10_threshold, kPercent, pct);
  }
  if (auto e = m.take("restart_cooldown_seconds")) {
    read_number(*e, mp.restart_cooldown_seconds, kHoldSeconds, kSeconds);
  }
  if (auto e = m.take("memory_high_reduction_factor")) {
    read_number(*e, mp.memory_high_reduction_factor, Range{0, true, 1, false}, "a factor");
  }
  if (auto e = m.take("recovery_hold_seconds")) {
    read_number(*e, mp.recovery_hold_seconds, kHoldSeconds, kSeconds);
  }
  if (auto e = m.take("trigger")) {
    if (auto s = section(*e)) read_trigger(*s, mp.trigger);
  }
  m.finish();
}

void Loader::read_io_pressure(MapReader& m, IoPressureConfig& io) {
  if (auto e = m.take("enabled")) read_bool(*e, io.enabled);
  const std::string_view pct = "a PSI percentage";
  if (auto e = m.take("trigger_avg10_threshold")) {
    read_number(*e, io.trigger_avg10_threshold, kPercent, pct);
  }
  if (auto e = m.take("recovery_avg10_threshold")) {
    read_number(*e, io.recovery_avg10_threshold, kPercent, pct);
  }
  if (auto e = m.take("recovery_hold_seconds")) {
    read_number(*e, io.recovery_hold_seconds, kHoldSeconds, kSeconds);
  }
  // The _mbps spelling is accepted here too, for symmetry with media_mode's tier2 keys.
  if (auto e = m.take_either("tier3_io_max_read_mb_per_sec", "tier3_io_max_read_mbps")) {
    read_number(*e, io.tier3_io_max_read_mb_per_sec, kMbPerSec, kMbps);
  }
  if (auto e = m.take_either("tier3_io_max_write_mb_per_sec", "tier3_io_max_write_mbps")) {
    read_number(*e, io.tier3_io_max_write_mb_per_sec, kMbPerSec, kMbps);
  }
  if (auto e = m.take("devices")) {
    std::vector<std::string> devices;
    read_string_list(*e, devices, "block devices as \"MAJ:MIN\" strings");
    bool ok = true;
    for (std::size_t i = 0; i < devices.size() && i < e->value.size(); ++i) {
      if (!is_device_number(trim_view(devices[i]))) {
        ok = false;
        Entry item{e->path + "[" + std::to_string(i) + "]", e->key, e->value[i]};
        error(where(item), item.path +
                               ": expected a block device as \"MAJ:MIN\" (e.g. \"8:0\"), "
                               "got '" +
                               devices[i] + "'");
      }
      devices[i] = std::string(trim_view(devices[i]));
    }
    if (ok && was_set(e->path)) io.devices = std::move(devices);
  }
  if (auto e = m.take("trigger")) {
    if (auto s = section(*e)) read_trigger(*s, io.trigger);
  }
  m.finish();
}

void Loader::read_notifications(MapReader& m, NotificationsConfig& n) {
  if (auto e = m.take("notify_on")) {
    std::vector<std::string> events;
    read_string_list(*e, events, "event names");
    bool ok = true;
    std::vector<std::string> unique;
    for (std::size_t i = 0; i < events.size() && i < e->value.size(); ++i) {
      Entry item{e->path + "[" + std::to_string(i) + "]", e->key, e->value[i]};
      const auto& known = known_notify_events();
      std::string event(trim_view(events[i]));
      if (std::find(known.begin(), known.end(), event) == known.end()) {
        ok = false;
        error(where(item), item.path + ": unknown event '" + event + "'" +
                               suggestion(event, known) + "; expected one of " + join(known));
      } else if (std::find(unique.begin(), unique.end(), event) != unique.end()) {
        warning(where(item), item.path + ": event '" + event + "' is listed twice");
      } else {
        unique.push_back(event);
      }
    }
    if (ok && was_set(e->path)) n.notify_on = std::move(unique);
  }
  if (auto e = m.take("discord_webhook_url")) read_url(*e, n.discord_webhook_url);
  if (auto e = m.take("ntfy_url")) read_url(*e, n.ntfy_url);
  if (auto e = m.take("ntfy_token")) read_string(*e, n.ntfy_token);
  if (auto e = m.take("gotify_url")) read_url(*e, n.gotify_url);
  if (auto e = m.take("gotify_token")) read_string(*e, n.gotify_token);
  if (auto e = m.take("min_interval_seconds")) {
    read_number(*e, n.min_interval_seconds, kHoldSeconds, kSeconds);
  }
  m.finish();
  if (!n.ntfy_token.empty() && n.ntfy_url.empty()) {
    warning(location_of({"notifications.ntfy_token"}),
            "notifications.ntfy_token is set but ntfy_url is empty; ntfy stays disabled");
  }
  if (!n.gotify_url.empty() && n.gotify_token.empty()) {
    warning(location_of({"notifications.gotify_url"}),
            "notifications.gotify_url is set but gotify_token is empty; Gotify will refuse "
            "messages");
  }
}

void Loader::read_jobs(MapReader& m, JobsConfig& j) {
  if (auto e = m.take("enabled")) read_bool(*e, j.enabled);
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"cgroup_root", &j.cgroup_root},
                          {"state_dir", &j.state_dir}}) {
    if (auto e = m.take(key)) {
      std::string value;
      read_string(*e, value);
      if (!was_set(e->path)) continue;
      if (value.empty() || value.front() != '/') {
        error(where(*e), e->path + ": expected an absolute path, got '" + value + "'");
        continue;
      }
      *out = std::move(value);
    }
  }
  if (auto e = m.take("max_jobs")) read_int(*e, j.max_jobs, 1, 10000);
  if (auto e = m.take("retain_finished")) read_int(*e, j.retain_finished, 0, 100000);
  if (auto e = m.take("retain_finished_seconds")) {
    read_number(*e, j.retain_finished_seconds, kRetainSeconds, kSeconds);
  }
  if (auto e = m.take("max_log_bytes")) {
    std::optional<std::uint64_t> bytes;
    read_size(*e, bytes, JobsConfig::kJobLogBytesMin, JobsConfig::kJobLogBytesMax,
              "a size from 64K to 1T");
    if (bytes) {
      j.max_log_bytes = *bytes;
    } else if (was_set(e->path)) {
      error(where(*e), e->path + ": expected a size from 64K to 1T (a job's log is always capped)");
    }
  }
  if (auto e = m.take("admission")) {
    if (auto s = section(*e)) read_job_admission(*s, j.admission);
  }
  m.finish();
}

void Loader::read_job_admission(MapReader& m, JobAdmissionConfig& a) {
  const std::string_view pct = "a PSI percentage";
  if (auto e = m.take("cpu_some_avg10_max"))
    read_number(*e, a.cpu_some_avg10_max, kPercentOrZero, pct);
  if (auto e = m.take("memory_some_avg10_max")) {
    read_number(*e, a.memory_some_avg10_max, kPercentOrZero, pct);
  }
  if (auto e = m.take("io_some_avg10_max"))
    read_number(*e, a.io_some_avg10_max, kPercentOrZero, pct);
  if (auto e = m.take("max_queue_seconds")) {
    read_number(*e, a.max_queue_seconds, kQueueSeconds, "a number of seconds (0 = no limit)");
  }
  m.finish();
}

}  // namespace adrg::config_detail
