// Malformed configs: every error must name the file, the 1-based line and column of the offending
// token, and say what was expected. All errors of a file are reported, not just the first.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

const std::map<std::string, std::string> kNoEnvironment;

LoadOptions isolated() {
  LoadOptions options;
  options.env_file = "/dev/null";
  options.environment = &kNoEnvironment;
  return options;
}

std::string all_issues(const ConfigLoad& load) {
  std::string out;
  for (const auto& e : load.errors) out += format_issue(e, "error") + "\n";
  for (const auto& w : load.warnings) out += format_issue(w, "warning") + "\n";
  return out;
}

struct BadCase {
  const char* name;
  const char* yaml;
  int line;
  int column;
  const char* message;  // a substring of the one error expected
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// Columns count from 1; "  port: x" has x at column 9.
const BadCase kBadCases[] = {
    // YAML syntax.
    {"unclosed_flow_list", "general:\n  poll_interval_seconds: [1, 2\n", 3, 1,
     "invalid YAML: end of sequence flow not found"},
    {"map_value_on_same_line", "general:\n  a: b: c\n", 2, 7, "invalid YAML: illegal map value"},
    {"bad_dedent", "thermal:\n  enabled: true\n warn_temp_c: 70\n", 3, 2,
     "invalid YAML: end of map not found"},
    {"tab_indentation", "general:\n\tpoll_interval_seconds: 5\n", 2, 1,
     "tab character used for indentation"},
    {"tab_indentation_deeper", "general:\n  http_server:\n  \tport: 1\n", 3, 3,
     "tab character used for indentation"},
    {"not_a_map", "- general\n- tiers\n", 1, 1, "expected a map of sections"},
    {"two_documents", "general: {}\n---\nthermal: {}\n", 3, 1, "only one YAML document"},
    // Wrong types at several depths.
    {"section_is_a_list", "thermal: [1, 2]\n", 1, 10,
     "thermal: expected a map of settings (key: value lines indented below 'thermal:'), got a "
     "list"},
    {"number_is_text", "general:\n  poll_interval_seconds: fast\n", 2, 26,
     "general.poll_interval_seconds: expected a number of seconds of at least 0.1 and at most "
     "3600, got 'fast'"},
    {"number_is_null", "thermal:\n  warn_temp_c:\n", 2, 3,
     "thermal.warn_temp_c: expected a temperature in °C greater than 0 and at most 150, got "
     "nothing"},
    {"bool_is_text", "thermal:\n  enabled: maybe\n", 2, 12,
     "thermal.enabled: expected true or false, got 'maybe'"},
    {"bool_is_map", "general:\n  http_server:\n    enabled: {a: 1}\n", 3, 14,
     "general.http_server.enabled: expected true or false, got a map"},
    {"list_is_map", "tiers:\n  3:\n    containers:\n      tdarr: 1\n", 4, 7,
     "tiers.3.containers: expected a list of container names or globs"},
    {"list_is_scalar", "notifications:\n  notify_on: daemon_start\n", 2, 14,
     "notifications.notify_on: expected a list of event names"},
    {"list_item_is_list", "protected_containers: [pihole, [nested]]\n", 1, 32,
     "protected_containers[1]: expected a text value, got a list"},
    {"string_is_map", "media_mode:\n  download_throttle:\n    password: {a: b}\n", 3, 15,
     "media_mode.download_throttle.password: expected a text value, got a map"},
    {"tier_is_list", "tiers:\n  1: [a, b]\n", 2, 6, "tiers.1: expected a map of settings"},
    // Out-of-range and malformed numbers.
    {"port_too_large", "general:\n  http_server:\n    port: 70000\n", 3, 11,
     "general.http_server.port: expected a whole number from 1 to 65535, got '70000'"},
    {"port_zero", "general:\n  http_server:\n    port: 0\n", 3, 11, "from 1 to 65535, got '0'"},
    {"port_fraction", "general:\n  http_server:\n    port: 80.5\n", 3, 11, "got '80.5'"},
    {"cpu_weight_zero", "tiers:\n  2:\n    cpu_weight: 0\n", 3, 17,
     "tiers.2.cpu_weight: expected a whole number from 1 to 10000, got '0'"},
    {"io_weight_too_large", "tiers:\n  \"0\":\n    io_weight: 10001\n", 3, 16,
     "tiers.0.io_weight: expected a whole number from 1 to 10000"},
    {"percent_zero", "memory_pressure:\n  some_avg10_threshold: 0\n", 2, 25,
     "memory_pressure.some_avg10_threshold: expected a PSI percentage greater than 0 and at most "
     "100, got '0'"},
    {"percent_too_large", "media_mode:\n  tier2_cpu_max_percent: 150\n", 2, 26,
     "expected a percentage of the whole machine greater than 0 and at most 100"},
    {"negative_seconds", "media_mode:\n  cooldown_seconds: -5\n", 2, 21,
     "media_mode.cooldown_seconds: expected a number of seconds of at least 0 and at most 86400, "
     "got '-5'"},
    {"factor_above_one", "memory_pressure:\n  memory_high_reduction_factor: 1.5\n", 2, 33,
     "expected a factor greater than 0 and at most 1"},
    {"log_backup_negative", "general:\n  log_backup_count: -1\n", 2, 21,
     "expected a whole number from 0 to 1000"},
    {"psi_window_too_small", "io_pressure:\n  trigger:\n    window_ms: 100\n", 3, 16,
     "io_pressure.trigger.window_ms: expected a whole number from 500 to 10000"},
    {"psi_stall_above_window",
     "memory_pressure:\n  trigger:\n    stall_ms: 3000\n    window_ms: 2000\n", 3, 15,
     "memory_pressure.trigger.stall_ms (3000) must not exceed window_ms (2000)"},
    // Sizes.
    {"size_bad_unit", "tiers:\n  2:\n    memory_high: 1.5X\n", 3, 18,
     "tiers.2.memory_high: invalid size '1.5X': unknown unit 'X'"},
    {"size_max", "tiers:\n  1:\n    memory_max: max\n", 3, 17, "'max' is not a size"},
    {"size_negative", "tiers:\n  1:\n    memory_high: \"-1G\"\n", 3, 18, "cannot be negative"},
    {"size_fractional_bytes", "tiers:\n  1:\n    memory_high: 1.5\n", 3, 18, "whole number"},
    {"size_overflow", "tiers:\n  1:\n    memory_max: 99999999T\n", 3, 17, "too large"},
    {"memory_max_below_high", "tiers:\n  3:\n    memory_high: 2G\n    memory_max: 1G\n", 4, 17,
     "tiers.3: memory_max (1073741824 bytes) must not be below memory_high (2147483648 bytes)"},
    // Tier keys.
    {"tier_key_4", "tiers:\n  4:\n    name: Extra\n", 2, 3,
     "tiers: a tier key must be 0, 1, 2 or 3, got '4'"},
    {"tier_key_x", "tiers:\n  \"x\":\n    name: Extra\n", 2, 3, "got 'x'"},
    // Two spellings of one key.
    {"both_read_spellings",
     "media_mode:\n  tier2_io_max_read_mb_per_sec: 10\n  tier2_io_max_read_mbps: 10\n", 3, 3,
     "media_mode.tier2_io_max_read_mbps: 'tier2_io_max_read_mb_per_sec' and "
     "'tier2_io_max_read_mbps' are two spellings of the same setting and both are set (other at "
     "line 2); keep one"},
    {"both_write_spellings_reversed",
     "media_mode:\n  tier2_io_max_write_mbps: 1\n  tier2_io_max_write_mb_per_sec: 1\n", 3, 3,
     "(other at line 2)"},
    {"both_limit_spellings",
     "media_mode:\n  download_throttle:\n    limit_mbps: 5\n    limit_mb_per_sec: 5\n", 4, 5,
     "'limit_mb_per_sec' and 'limit_mbps' are two spellings"},
    {"interval_and_poll_interval", "general:\n  poll_interval_seconds: 5\ninterval: 10\n", 3, 1,
     "'interval' is the older spelling of general.poll_interval_seconds and both are set"},
    // Enums.
    {"unknown_media_provider", "media_mode:\n  provider: kodi\n", 2, 13,
     "media_mode.provider: expected one of jellyfin, emby, plex, webhook, none, got 'kodi'"},
    {"misspelled_media_provider", "media_mode:\n  provider: jellyfn\n", 2, 13,
     "got 'jellyfn' (did you mean 'jellyfin'?)"},
    {"unknown_download_provider", "media_mode:\n  download_throttle:\n    provider: deluge\n", 3,
     15, "expected one of qbittorrent, transmission, got 'deluge'"},
    {"bad_psi_type", "io_pressure:\n  trigger:\n    type: avg\n", 3, 11,
     "io_pressure.trigger.type: expected one of some, full"},
    {"bad_notify_on_entry",
     "notifications:\n  notify_on:\n    - daemon_start\n    - thermal_stage3\n", 4, 7,
     "notifications.notify_on[1]: unknown event 'thermal_stage3' (did you mean "
     "'thermal_stage1'?)"},
    // Relations between keys.
    {"stage1_above_stage2", "thermal:\n  stage1_temp_c: 85\n  stage2_temp_c: 80\n", 3, 18,
     "thermal.stage2_temp_c (80) must not be below stage1_temp_c (85)"},
    {"warn_above_stage1", "thermal:\n  warn_temp_c: 76\n", 2, 16,
     "thermal.warn_temp_c (76) must not be above stage1_temp_c (75)"},
    {"recovery_not_below_stage1", "thermal:\n  stage1_temp_c: 75\n  recovery_temp_c: 75\n", 3, 20,
     "thermal.recovery_temp_c (75) must be below stage1_temp_c (75)"},
    {"io_recovery_not_below_trigger", "io_pressure:\n  recovery_avg10_threshold: 60\n", 2, 29,
     "io_pressure.recovery_avg10_threshold (60) must be below trigger_avg10_threshold (60)"},
    // Strings with a shape.
    {"url_without_scheme", "media_mode:\n  url: jellyfin:8096\n", 2, 8,
     "media_mode.url: expected an http:// or https:// URL, got 'jellyfin:8096'"},
    {"enabled_media_without_url", "media_mode:\n  enabled: true\n  api_key: k\n  url: \"\"\n", 4, 8,
     "provider jellyfin needs the server's URL"},
    {"relative_cgroup_root", "general:\n  cgroup_root: sys/fs/cgroup\n", 2, 16,
     "general.cgroup_root: expected an absolute path, got 'sys/fs/cgroup'"},
    {"relative_unix_socket", "general:\n  http_server:\n    unix_socket: adrg.sock\n", 3, 18,
     "expected an absolute path (or \"\" to disable)"},
    {"bad_device", "io_pressure:\n  devices: [\"8:0\", sda]\n", 2, 20,
     "io_pressure.devices[1]: expected a block device as \"MAJ:MIN\""},
    // ${VAR} placeholders.
    {"unterminated_placeholder", "media_mode:\n  api_key: \"key-${ADRG_KEY\"\n", 2, 17,
     "media_mode.api_key: unterminated '${'"},
    {"unsupported_placeholder", "notifications:\n  ntfy_token: x${TOKEN:?required}\n", 2, 16,
     "unsupported expansion '${TOKEN:?required}'"},
};

class ConfigLoaderBadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigLoaderBadInput, ReportsFileLineColumnAndWhatWasExpected) {
  const BadCase& c = GetParam();
  const std::string file = std::string("/etc/adrg/") + c.name + ".yaml";
  ConfigLoad load = load_config_text(c.yaml, file, isolated());
  EXPECT_FALSE(load.ok());
  EXPECT_FALSE(load.config.has_value());
  ASSERT_EQ(load.errors.size(), 1u) << all_issues(load);
  const ConfigIssue& e = load.errors[0];
  EXPECT_EQ(e.file, file);
  EXPECT_EQ(e.line, c.line) << all_issues(load);
  EXPECT_EQ(e.column, c.column) << all_issues(load);
  EXPECT_NE(e.message.find(c.message), std::string::npos)
      << "expected '" << c.message << "' in: " << all_issues(load);
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigLoaderBadInput, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ConfigLoaderErrors, AllErrorsAreCollected) {
  ConfigLoad load = load_config_text(
      "general:\n"
      "  poll_interval_seconds: 0\n"  // 2:26
      "  http_server:\n"
      "    port: http\n"  // 4:11
      "tiers:\n"
      "  5: {}\n"              // 6:3
      "unknown_section: 1\n",  // warning only
      "three.yaml", isolated());
  EXPECT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 3u) << all_issues(load);
  EXPECT_EQ(format_issue(load.errors[0], "error"),
            "three.yaml:2:26: error: general.poll_interval_seconds: expected a number of seconds "
            "of at least 0.1 and at most 3600, got '0'");
  EXPECT_EQ(load.errors[1].line, 4);
  EXPECT_EQ(load.errors[1].column, 11);
  EXPECT_EQ(load.errors[2].line, 6);
  EXPECT_EQ(load.errors[2].column, 3);
  ASSERT_EQ(load.warnings.size(), 1u);
  EXPECT_EQ(load.warnings[0].line, 7);
  EXPECT_NE(load.warnings[0].message.find("unknown top-level key 'unknown_section'"),
            std::string::npos);
}

TEST(ConfigLoaderErrors, ManyErrorsInOneSectionAreAllReported) {
  ConfigLoad load = load_config_text(
      "thermal:\n  enabled: 2\n  warn_temp_c: hot\n  stage1_temp_c: -1\n  recovery_hold_seconds: "
      "[]\n",
      "t.yaml", isolated());
  ASSERT_EQ(load.errors.size(), 4u) << all_issues(load);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(load.errors[static_cast<std::size_t>(i)].line, i + 2);
}

TEST(ConfigLoaderErrors, EnvFileErrorsNameTheEnvFile) {
  testing::TempDir dir;
  const std::string env_path = dir.write("adrg.env", "OK=1\nthis is not an assignment\n");
  LoadOptions options;
  options.env_file = env_path;
  options.environment = &kNoEnvironment;
  ConfigLoad load = load_config_text("general: {}\n", "c.yaml", options);
  ASSERT_EQ(load.errors.size(), 1u) << all_issues(load);
  EXPECT_EQ(load.errors[0].file, env_path);
  EXPECT_EQ(load.errors[0].line, 2);
  EXPECT_EQ(load.errors[0].column, 1);
  EXPECT_NE(load.errors[0].message.find("expected KEY=value"), std::string::npos);
}

TEST(ConfigLoaderErrors, ExplicitEnvFileMustExist) {
  LoadOptions options;
  options.env_file = "/nonexistent/adrg.env";
  options.environment = &kNoEnvironment;
  ConfigLoad load = load_config_text("{}\n", "c.yaml", options);
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(format_issue(load.errors[0], "error"),
            "/nonexistent/adrg.env: error: env file not found");
}

TEST(ConfigLoaderErrors, MissingConfigFile) {
  ConfigLoad load = load_config_file("/nonexistent/config.yaml", isolated());
  EXPECT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 1u);
  EXPECT_EQ(load.errors[0].file, "/nonexistent/config.yaml");
  EXPECT_EQ(load.errors[0].line, 0);
  EXPECT_NE(load.errors[0].message.find("No such file or directory"), std::string::npos);
}

TEST(ConfigLoaderErrors, ErrorsInARealFileNameThatFile) {
  testing::TempDir dir;
  const std::string path = dir.write("config.yaml", "thermal:\n  stage2_temp_c: 70\n");
  ConfigLoad load = load_config_file(path, isolated());
  ASSERT_EQ(load.errors.size(), 1u) << all_issues(load);
  EXPECT_EQ(format_issue(load.errors[0], "error"),
            path + ":2:18: error: thermal.stage2_temp_c (70) must not be below stage1_temp_c (75)");
}

}  // namespace
}  // namespace adrg
