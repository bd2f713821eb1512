// Loading valid configs: ADRG's reference template, adrg's own config.yaml, every key set to a
// non-default value and both ADRG spellings. ${VAR} expansion: config_loader_env_test.cpp.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"

namespace adrg {
namespace {

constexpr std::uint64_t kGi = 1ull << 30;
constexpr std::uint64_t kMi = 1ull << 20;

const std::map<std::string, std::string> kNoEnvironment;

// Hermetic options: no real environ, no /etc/adrg/adrg.env.
LoadOptions isolated(const std::map<std::string, std::string>* env = &kNoEnvironment) {
  LoadOptions options;
  options.env_file = "/dev/null";
  options.environment = env;
  return options;
}

std::string all_issues(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += format_issue(e, "error") + "\n";
  for (const auto& w : load.warnings) out += format_issue(w, "warning") + "\n";
  return out;
}

void expect_adrg_defaults(const Config& c) {
  const Config d = default_config();
  EXPECT_EQ(c.general.poll_interval_seconds, 5);
  EXPECT_EQ(c.general.state_file, "/run/adrg/state.json");
  EXPECT_EQ(c.general.log_file, "/var/log/adrg/adrg.log");
  EXPECT_EQ(c.general.log_max_bytes, 10485760);
  EXPECT_EQ(c.general.log_backup_count, 3);
  EXPECT_TRUE(c.general.http_server.enabled);
  EXPECT_EQ(c.general.http_server.host, "127.0.0.1");
  EXPECT_EQ(c.general.http_server.port, 8765);
  EXPECT_EQ(c.general.http_server.unix_socket, d.general.http_server.unix_socket);
  EXPECT_EQ(c.general.http_server.token, "");
  for (int i = 0; i < 4; ++i) {
    const TierConfig& t = c.tiers[static_cast<std::size_t>(i)];
    const TierConfig& e = d.tiers[static_cast<std::size_t>(i)];
    EXPECT_EQ(t.id, i);
    EXPECT_EQ(t.name, e.name);
    EXPECT_TRUE(t.containers.empty());
    EXPECT_EQ(t.cpu_weight, e.cpu_weight) << i;
    EXPECT_EQ(t.io_weight, e.io_weight) << i;
    EXPECT_EQ(t.memory_high, e.memory_high) << i;
    EXPECT_EQ(t.memory_max, e.memory_max) << i;
  }
  EXPECT_EQ(c.tiers[0].memory_high, std::nullopt);
  EXPECT_EQ(c.tiers[2].memory_high, 1610612736u);
  EXPECT_EQ(c.tiers[3].memory_max, 3 * kGi);
  EXPECT_TRUE(c.protected_containers.empty());
  EXPECT_FALSE(c.media_mode.enabled);
  EXPECT_EQ(c.media_mode.provider, "jellyfin");
  EXPECT_EQ(c.media_mode.url, "http://jellyfin:8096");
  EXPECT_EQ(c.media_mode.api_key, "");
  EXPECT_EQ(c.media_mode.tier2_cpu_max_percent, 20);
  EXPECT_EQ(c.media_mode.tier2_io_max_read_mb_per_sec, 10);
  EXPECT_EQ(c.media_mode.tier2_io_max_write_mb_per_sec, 5);
  EXPECT_EQ(c.media_mode.cooldown_seconds, 60);
  EXPECT_FALSE(c.media_mode.download_throttle.enabled);
  EXPECT_EQ(c.media_mode.download_throttle.provider, "qbittorrent");
  EXPECT_EQ(c.media_mode.download_throttle.url, "http://qbittorrent:8080");
  EXPECT_EQ(c.media_mode.download_throttle.username, "admin");
  EXPECT_EQ(c.media_mode.download_throttle.password, "");
  EXPECT_EQ(c.media_mode.download_throttle.limit_mb_per_sec, 5);
  EXPECT_TRUE(c.thermal.enabled);
  EXPECT_EQ(c.thermal.warn_temp_c, 70);
  EXPECT_EQ(c.thermal.stage1_temp_c, 75);
  EXPECT_EQ(c.thermal.stage2_temp_c, 80);
  EXPECT_EQ(c.thermal.recovery_temp_c, 65);
  EXPECT_EQ(c.thermal.recovery_hold_seconds, 30);
  EXPECT_TRUE(c.memory_pressure.enabled);
  EXPECT_EQ(c.memory_pressure.some_avg10_threshold, 50);
  EXPECT_EQ(c.memory_pressure.critical_avg60_threshold, 40);
  EXPECT_EQ(c.memory_pressure.emergency_full_avg10_threshold, 25);
  EXPECT_EQ(c.memory_pressure.restart_cooldown_seconds, 300);
  EXPECT_EQ(c.memory_pressure.memory_high_reduction_factor, 0.75);
  EXPECT_TRUE(c.io_pressure.enabled);
  EXPECT_EQ(c.io_pressure.trigger_avg10_threshold, 60);
  EXPECT_EQ(c.io_pressure.recovery_avg10_threshold, 20);
  EXPECT_EQ(c.io_pressure.recovery_hold_seconds, 30);
  EXPECT_EQ(c.io_pressure.tier3_io_max_read_mb_per_sec, 5);
  EXPECT_EQ(c.io_pressure.tier3_io_max_write_mb_per_sec, 2);
  EXPECT_EQ(c.notifications.notify_on, d.notifications.notify_on);
  EXPECT_EQ(c.notifications.notify_on, known_notify_events());
  EXPECT_EQ(c.notifications.discord_webhook_url, "");
  EXPECT_EQ(c.notifications.ntfy_url, "");
  EXPECT_EQ(c.notifications.ntfy_token, "");
  EXPECT_EQ(c.notifications.gotify_url, "");
  EXPECT_EQ(c.notifications.gotify_token, "");
}

TEST(ConfigLoader, AdrgReferenceTemplateLoadsWithAdrgDefaults) {
  const std::string path = ADRG_TEST_DATA_DIR "/adrg-1.1.2-config.yaml";
  ConfigLoad load = load_config_file(path, isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_TRUE(load.errors.empty());
  expect_adrg_defaults(*load.config);
  EXPECT_EQ(load.config->source_path, path);
  // The template's seven ${ADRG_...} secrets are unset: each is a warning at its placeholder.
  ASSERT_EQ(load.warnings.size(), 7u) << all_issues(load);
  EXPECT_EQ(load.warnings[0].file, path);
  EXPECT_EQ(load.warnings[0].line, 104);
  EXPECT_EQ(load.warnings[0].column, 13);
  EXPECT_NE(load.warnings[0].message.find("media_mode.api_key: environment variable "
                                          "ADRG_MEDIA_API_KEY is not set"),
            std::string::npos);
}

TEST(ConfigLoader, AdrgTemplateWithSecretsFromTheEnvironment) {
  const std::map<std::string, std::string> env = {
      {"ADRG_MEDIA_API_KEY", "k"},
      {"ADRG_QB_PASSWORD", "p"},
      {"ADRG_DISCORD_WEBHOOK_URL", "https://discord.example/hook"},
      {"ADRG_NTFY_URL", "https://ntfy.sh/t"},
      {"ADRG_NTFY_TOKEN", "nt"},
      {"ADRG_GOTIFY_URL", "http://gotify.local"},
      {"ADRG_GOTIFY_TOKEN", "gt"}};
  ConfigLoad load = load_config_file(ADRG_TEST_DATA_DIR "/adrg-1.1.2-config.yaml", isolated(&env));
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_TRUE(load.warnings.empty()) << all_issues(load);
  const Config& c = *load.config;
  EXPECT_EQ(c.media_mode.api_key, "k");
  EXPECT_EQ(c.media_mode.download_throttle.password, "p");
  EXPECT_EQ(c.notifications.discord_webhook_url, "https://discord.example/hook");
  EXPECT_EQ(c.notifications.ntfy_url, "https://ntfy.sh/t");
  EXPECT_EQ(c.notifications.ntfy_token, "nt");
  EXPECT_EQ(c.notifications.gotify_url, "http://gotify.local");
  EXPECT_EQ(c.notifications.gotify_token, "gt");
}

TEST(ConfigLoader, AdrgOwnConfigYamlLoadsCleanly) {
  ConfigLoad load = load_config_file(ADRG_SOURCE_DIR "/config/config.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  // Optional secrets are written ${VAR:-}: no warning when unset.
  EXPECT_TRUE(load.warnings.empty()) << all_issues(load);
  expect_adrg_defaults(*load.config);
  EXPECT_FALSE(load.config->media_mode.enabled);  // runnable without Docker/Jellyfin
}

TEST(ConfigLoader, DefaultConfigIsAdrgs) { expect_adrg_defaults(default_config()); }

TEST(ConfigLoader, EmptyFileMeansDefaults) {
  ConfigLoad load = load_config_text("# nothing here\n", "empty.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  expect_adrg_defaults(*load.config);
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_NE(load.warnings[0].message.find("empty"), std::string::npos);
}

// What `: > config.yaml`, a truncating editor or SIGHUP after an emptied file hand a reload: it
// must be refused, never turned into the defaults (which would drop the token and move the API).
TEST(ConfigLoader, ReloadRefusesAnEmptyDocument) {
  LoadOptions options = isolated();
  options.reload = true;
  for (const char* text : {"", "\n", "   \n\t\n", "# only a comment\n", "---\n", "~\n", "null\n"}) {
    ConfigLoad load = load_config_text(text, "/etc/adrg/config.yaml", options);
    EXPECT_FALSE(load.ok()) << "'" << text << "'";
    ASSERT_EQ(load.errors.size(), 1u) << "'" << text << "': " << all_issues(load);
    EXPECT_EQ(format_issue(load.errors[0], "error"),
              "/etc/adrg/config.yaml: error: the config file is empty (nothing but blanks or "
              "comments); a reload needs a complete config, the running one is not replaced by "
              "ADRG's defaults")
        << "'" << text << "'";
  }
}

TEST(ConfigLoader, ReloadRefusesADocumentThatIsNotAMap) {
  LoadOptions options = isolated();
  options.reload = true;
  // A truncated write can leave a bare word or a list where the map of sections was.
  ConfigLoad word = load_config_text("\n  gener\n", "c.yaml", options);
  ASSERT_EQ(word.errors.size(), 1u) << all_issues(word);
  EXPECT_EQ(format_issue(word.errors[0], "error"),
            "c.yaml:2:3: error: expected a map of sections (general:, tiers:, media_mode:, ...), "
            "got 'gener'");
  ConfigLoad list = load_config_text("- general\n", "c.yaml", options);
  ASSERT_EQ(list.errors.size(), 1u) << all_issues(list);
  EXPECT_EQ(list.errors[0].line, 1);
  EXPECT_EQ(list.errors[0].column, 1);
}

TEST(ConfigLoader, ReloadAcceptsAnyNonEmptyMap) {
  LoadOptions options = isolated();
  options.reload = true;
  ConfigLoad load = load_config_text("general: {}\n", "c.yaml", options);
  EXPECT_TRUE(load.ok()) << all_issues(load);
}

constexpr std::string_view kEverything = R"(
general:
  poll_interval_seconds: 2.5
  state_file: /tmp/s.json
  log_file: ""
  log_max_bytes: 1M
  log_backup_count: 7
  http_server:
    enabled: no
    host: "0.0.0.0"
    port: 9000
    unix_socket: ""
    token: "${TOKEN}"
  journal_file: /j/journal.json
  cgroup_root: /fake/cgroup
  proc_root: /fake/proc
  thermal_root: /fake/thermal
  hwmon_root: /fake/hwmon
  docker_socket: /fake/docker.sock
  instant_relief: off
tiers:
  0:
    name: Infra
    containers: [pihole, "traefik*"]
    cpu_weight: 10000
    io_weight: 1
  "1":
    name: "Apps"
    containers:
      - jellyfin
    memory_high: 1073741824
    memory_max: 1.25G
  3:
    name: Batch
    containers: ["tdarr*", sabnzbd]
    cpu_weight: 5
    io_weight: 6
    memory_high: 512Mi
    memory_max: 512MiB
protected_containers:
  - pihole
  - "nginx-*"
media_mode:
  enabled: yes
  provider: Plex
  url: https://plex.local:32400
  api_key: plain-key
  tier2_cpu_max_percent: 37.5
  tier2_io_max_read_mbps: 11
  tier2_io_max_write_mbps: 6
  cooldown_seconds: 0
  poll_interval_seconds: 3
  count_paused_sessions: true
  download_throttle:
    enabled: on
    provider: transmission
    url: http://127.0.0.1:9091/transmission/rpc
    username: ""
    password: "pw$$d"
    limit_mbps: 2.5
thermal:
  enabled: false
  warn_temp_c: 60
  stage1_temp_c: 70
  stage2_temp_c: 85
  recovery_temp_c: 55
  recovery_hold_seconds: 12
  poll_interval_seconds: 0.5
memory_pressure:
  enabled: false
  some_avg10_threshold: 51
  critical_avg60_threshold: 41
  emergency_full_avg10_threshold: 26
  restart_cooldown_seconds: 301
  memory_high_reduction_factor: 0.5
  recovery_hold_seconds: 31
  trigger:
    enabled: false
    type: full
    stall_ms: 200
    window_ms: 2000
io_pressure:
  enabled: false
  trigger_avg10_threshold: 70
  recovery_avg10_threshold: 21
  recovery_hold_seconds: 32
  tier3_io_max_read_mb_per_sec: 6
  tier3_io_max_write_mb_per_sec: 3
  devices: ["8:0", 259:1]
  trigger:
    type: some
    stall_ms: 300
    window_ms: 5000
notifications:
  notify_on: [daemon_start, thermal_stage2]
  discord_webhook_url: https://discord.example/x
  ntfy_url: https://ntfy.sh/topic
  ntfy_token: tk
  gotify_url: http://gotify.local
  gotify_token: gt
  min_interval_seconds: 0
)";

TEST(ConfigLoader, EveryKeyIsParsed) {
  const std::map<std::string, std::string> env = {{"TOKEN", "s3cret"}};
  ConfigLoad load = load_config_text(kEverything, "all.yaml", isolated(&env));
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_TRUE(load.warnings.empty()) << all_issues(load);
  const Config& c = *load.config;
  EXPECT_EQ(c.source_path, "all.yaml");
  const GeneralConfig& g = c.general;
  EXPECT_EQ(g.poll_interval_seconds, 2.5);
  EXPECT_EQ(g.state_file, "/tmp/s.json");
  EXPECT_EQ(g.log_file, "");
  EXPECT_EQ(g.log_max_bytes, 1 << 20);
  EXPECT_EQ(g.log_backup_count, 7);
  EXPECT_FALSE(g.http_server.enabled);
  EXPECT_EQ(g.http_server.host, "0.0.0.0");
  EXPECT_EQ(g.http_server.port, 9000);
  EXPECT_EQ(g.http_server.unix_socket, "");
  EXPECT_EQ(g.http_server.token, "s3cret");
  EXPECT_EQ(g.journal_file, "/j/journal.json");
  EXPECT_EQ(g.cgroup_root, "/fake/cgroup");
  EXPECT_EQ(g.proc_root, "/fake/proc");
  EXPECT_EQ(g.thermal_root, "/fake/thermal");
  EXPECT_EQ(g.hwmon_root, "/fake/hwmon");
  EXPECT_EQ(g.docker_socket, "/fake/docker.sock");
  EXPECT_FALSE(g.instant_relief);
  EXPECT_EQ(g.env_file, "/dev/null");

  EXPECT_EQ(c.tiers[0].name, "Infra");
  EXPECT_EQ(c.tiers[0].containers, (std::vector<std::string>{"pihole", "traefik*"}));
  EXPECT_EQ(c.tiers[0].cpu_weight, 10000);
  EXPECT_EQ(c.tiers[0].io_weight, 1);
  EXPECT_EQ(c.tiers[0].memory_high, std::nullopt);
  EXPECT_EQ(c.tiers[1].id, 1);
  EXPECT_EQ(c.tiers[1].name, "Apps");
  EXPECT_EQ(c.tiers[1].containers, (std::vector<std::string>{"jellyfin"}));
  EXPECT_EQ(c.tiers[1].cpu_weight, std::nullopt);  // a tier in the file is taken as written
  EXPECT_EQ(c.tiers[1].io_weight, std::nullopt);
  EXPECT_EQ(c.tiers[1].memory_high, kGi);
  EXPECT_EQ(c.tiers[1].memory_max, kGi + kGi / 4);
  EXPECT_EQ(c.tiers[2].name, "Background");  // absent from the file: ADRG's default tier
  EXPECT_EQ(c.tiers[2].cpu_weight, 100);
  EXPECT_EQ(c.tiers[2].memory_max, 2 * kGi);
  EXPECT_EQ(c.tiers[3].name, "Batch");
  EXPECT_EQ(c.tiers[3].containers, (std::vector<std::string>{"tdarr*", "sabnzbd"}));
  EXPECT_EQ(c.tiers[3].cpu_weight, 5);
  EXPECT_EQ(c.tiers[3].io_weight, 6);
  EXPECT_EQ(c.tiers[3].memory_high, 512 * kMi);
  EXPECT_EQ(c.tiers[3].memory_max, 512 * kMi);  // equal is allowed
  EXPECT_EQ(c.protected_containers, (std::vector<std::string>{"pihole", "nginx-*"}));

  const MediaModeConfig& m = c.media_mode;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.provider, "plex");  // case-insensitive, normalised
  EXPECT_EQ(m.url, "https://plex.local:32400");
  EXPECT_EQ(m.api_key, "plain-key");
  EXPECT_EQ(m.tier2_cpu_max_percent, 37.5);
  EXPECT_EQ(m.tier2_io_max_read_mb_per_sec, 11);
  EXPECT_EQ(m.tier2_io_max_write_mb_per_sec, 6);
  EXPECT_EQ(m.cooldown_seconds, 0);
  EXPECT_EQ(m.poll_interval_seconds, 3);
  EXPECT_TRUE(m.count_paused_sessions);
  EXPECT_TRUE(m.download_throttle.enabled);
  EXPECT_EQ(m.download_throttle.provider, "transmission");
  EXPECT_EQ(m.download_throttle.url, "http://127.0.0.1:9091/transmission/rpc");
  EXPECT_EQ(m.download_throttle.username, "");
  EXPECT_EQ(m.download_throttle.password, "pw$d");
  EXPECT_EQ(m.download_throttle.limit_mb_per_sec, 2.5);

  const ThermalConfig& t = c.thermal;
  EXPECT_FALSE(t.enabled);
  EXPECT_EQ(t.warn_temp_c, 60);
  EXPECT_EQ(t.stage1_temp_c, 70);
  EXPECT_EQ(t.stage2_temp_c, 85);
  EXPECT_EQ(t.recovery_temp_c, 55);
  EXPECT_EQ(t.recovery_hold_seconds, 12);
  EXPECT_EQ(t.poll_interval_seconds, 0.5);

  const MemoryPressureConfig& mp = c.memory_pressure;
  EXPECT_FALSE(mp.enabled);
  EXPECT_EQ(mp.some_avg10_threshold, 51);
  EXPECT_EQ(mp.critical_avg60_threshold, 41);
  EXPECT_EQ(mp.emergency_full_avg10_threshold, 26);
  EXPECT_EQ(mp.restart_cooldown_seconds, 301);
  EXPECT_EQ(mp.memory_high_reduction_factor, 0.5);
  EXPECT_EQ(mp.recovery_hold_seconds, 31);
  EXPECT_FALSE(mp.trigger.enabled);
  EXPECT_EQ(mp.trigger.type, "full");
  EXPECT_EQ(mp.trigger.stall_ms, 200);
  EXPECT_EQ(mp.trigger.window_ms, 2000);

  const IoPressureConfig& io = c.io_pressure;
  EXPECT_FALSE(io.enabled);
  EXPECT_EQ(io.trigger_avg10_threshold, 70);
  EXPECT_EQ(io.recovery_avg10_threshold, 21);
  EXPECT_EQ(io.recovery_hold_seconds, 32);
  EXPECT_EQ(io.tier3_io_max_read_mb_per_sec, 6);
  EXPECT_EQ(io.tier3_io_max_write_mb_per_sec, 3);
  EXPECT_EQ(io.devices, (std::vector<std::string>{"8:0", "259:1"}));
  EXPECT_TRUE(io.trigger.enabled);  // left out: default kept
  EXPECT_EQ(io.trigger.type, "some");
  EXPECT_EQ(io.trigger.stall_ms, 300);
  EXPECT_EQ(io.trigger.window_ms, 5000);

  const NotificationsConfig& n = c.notifications;
  EXPECT_EQ(n.notify_on, (std::vector<std::string>{"daemon_start", "thermal_stage2"}));
  EXPECT_EQ(n.discord_webhook_url, "https://discord.example/x");
  EXPECT_EQ(n.ntfy_url, "https://ntfy.sh/topic");
  EXPECT_EQ(n.ntfy_token, "tk");
  EXPECT_EQ(n.gotify_url, "http://gotify.local");
  EXPECT_EQ(n.gotify_token, "gt");
  EXPECT_EQ(n.min_interval_seconds, 0);
}

TEST(ConfigLoader, BothAdrgSpellingsAreAccepted) {
  ConfigLoad long_form = load_config_text(
      "media_mode:\n  tier2_io_max_read_mb_per_sec: 7\n  tier2_io_max_write_mb_per_sec: 3\n"
      "  download_throttle:\n    limit_mb_per_sec: 4\n",
      "a.yaml", isolated());
  ConfigLoad short_form = load_config_text(
      "media_mode:\n  tier2_io_max_read_mbps: 7\n  tier2_io_max_write_mbps: 3\n"
      "  download_throttle:\n    limit_mbps: 4\n",
      "b.yaml", isolated());
  for (const ConfigLoad* load : {&long_form, &short_form}) {
    ASSERT_TRUE(load->ok()) << all_issues(*load);
    EXPECT_TRUE(load->warnings.empty()) << all_issues(*load);
    EXPECT_EQ(load->config->media_mode.tier2_io_max_read_mb_per_sec, 7);
    EXPECT_EQ(load->config->media_mode.tier2_io_max_write_mb_per_sec, 3);
    EXPECT_EQ(load->config->media_mode.download_throttle.limit_mb_per_sec, 4);
  }
}

TEST(ConfigLoader, TopLevelIntervalIsAnAlias) {
  ConfigLoad load = load_config_text("interval: 12\n", "old.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->general.poll_interval_seconds, 12);
}

TEST(ConfigLoader, WarningsKeepTheConfigValid) {
  ConfigLoad load = load_config_text(
      "general:\n  pol_interval_seconds: 3\n"
      "tiers:\n  1:\n    cpu_weight: 5\n    cpu_weight: 6\n"
      "notifications:\n  notify_on: [daemon_start, daemon_start]\n",
      "w.yaml", isolated());
  ASSERT_TRUE(load.ok()) << all_issues(load);
  EXPECT_EQ(load.config->tiers[1].cpu_weight, 6);  // PyYAML semantics: the last duplicate wins
  ASSERT_EQ(load.warnings.size(), 3u) << all_issues(load);
  EXPECT_EQ(format_issue(load.warnings[0], "warning"),
            "w.yaml:2:3: warning: general: unknown key 'pol_interval_seconds' (did you mean "
            "'poll_interval_seconds'?); it is ignored");
  EXPECT_EQ(load.warnings[1].line, 6);
  EXPECT_NE(load.warnings[1].message.find("duplicate key (first at line 5)"), std::string::npos);
  EXPECT_EQ(load.warnings[2].line, 8);
  EXPECT_EQ(load.warnings[2].column, 29);
  EXPECT_NE(load.warnings[2].message.find("listed twice"), std::string::npos);
  EXPECT_EQ(load.config->notifications.notify_on, std::vector<std::string>{"daemon_start"});
}

TEST(ConfigLoader, FormatIssue) {
  EXPECT_EQ(format_issue({"/etc/adrg/config.yaml", 3, 7, "bad"}, "error"),
            "/etc/adrg/config.yaml:3:7: error: bad");
  EXPECT_EQ(format_issue({"/etc/adrg/adrg.env", 0, 0, "env file not found"}, "error"),
            "/etc/adrg/adrg.env: error: env file not found");
}

}  // namespace
}  // namespace adrg
