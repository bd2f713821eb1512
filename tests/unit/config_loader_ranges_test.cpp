// Every numeric setting has a finite, documented range (README "Config ranges"). Values that
// would overflow where they are used (seconds as std::chrono nanoseconds, MB/s as uint64 bytes/s,
// sizes as uint64 bytes), NaN, infinities, negatives and values that round to a different meaning
// (0 bytes/s is "unlimited") are errors naming the range, at file:line:column.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "tests/support/config_load.h"

namespace adrg {
namespace {

const std::map<std::string, std::string> kNoEnvironment;

struct RangeCase {
  const char* name;
  const char* yaml;
  const char* error;  // the whole formatted error, "file:line:column: error: ..."
};

void PrintTo(const RangeCase& c, std::ostream* os) { *os << c.name; }

const RangeCase kCases[] = {
    // Durations: 1e308 s and 1e10 s both overflow std::chrono's int64 nanoseconds.
    {"seconds_1e308", "media_mode:\n  cooldown_seconds: 1e308\n",
     "r.yaml:2:21: error: media_mode.cooldown_seconds: expected a number of seconds of at least 0 "
     "and at most 86400, got '1e308'"},
    {"seconds_overflowing_nanoseconds", "thermal:\n  recovery_hold_seconds: 1e10\n",
     "r.yaml:2:26: error: thermal.recovery_hold_seconds: expected a number of seconds of at least "
     "0 and at most 86400, got '1e10'"},
    {"seconds_beyond_double", "memory_pressure:\n  restart_cooldown_seconds: 1e400\n",
     "r.yaml:2:29: error: memory_pressure.restart_cooldown_seconds: expected a number of seconds "
     "of at least 0 and at most 86400, got '1e400'"},
    {"seconds_nan", "io_pressure:\n  recovery_hold_seconds: nan\n",
     "r.yaml:2:26: error: io_pressure.recovery_hold_seconds: expected a number of seconds of at "
     "least 0 and at most 86400, got 'nan'"},
    {"seconds_yaml_nan", "notifications:\n  min_interval_seconds: .nan\n",
     "r.yaml:2:25: error: notifications.min_interval_seconds: expected a number of seconds of at "
     "least 0 and at most 86400, got '.nan'"},
    {"seconds_inf", "general:\n  poll_interval_seconds: inf\n",
     "r.yaml:2:26: error: general.poll_interval_seconds: expected a number of seconds of at least "
     "0.1 and at most 3600, got 'inf'"},
    {"seconds_yaml_inf", "jobs:\n  retain_finished_seconds: .inf\n",
     "r.yaml:2:28: error: jobs.retain_finished_seconds: expected a number of seconds of at least 0 "
     "and at most 31536000, got '.inf'"},
    {"seconds_negative_inf", "media_mode:\n  cooldown_seconds: -.inf\n",
     "r.yaml:2:21: error: media_mode.cooldown_seconds: expected a number of seconds of at least 0 "
     "and at most 86400, got '-.inf'"},
    {"seconds_negative", "thermal:\n  recovery_hold_seconds: -1\n",
     "r.yaml:2:26: error: thermal.recovery_hold_seconds: expected a number of seconds of at least "
     "0 and at most 86400, got '-1'"},
    {"queue_seconds_above_a_week", "jobs:\n  admission:\n    max_queue_seconds: 604801\n",
     "r.yaml:3:24: error: jobs.admission.max_queue_seconds: expected a number of seconds (0 = no "
     "limit) of at least 0 and at most 604800, got '604801'"},
    // A tick that rounds to 0 ns would spin the loop.
    {"tick_too_short", "general:\n  poll_interval_seconds: 1e-300\n",
     "r.yaml:2:26: error: general.poll_interval_seconds: expected a number of seconds of at least "
     "0.1 and at most 3600, got '1e-300'"},
    {"interval_alias_too_long", "interval: 86400\n",
     "r.yaml:1:11: error: interval: expected a number of seconds of at least 0.1 and at most 3600, "
     "got '86400'"},
    {"thermal_poll_negative", "thermal:\n  poll_interval_seconds: -2\n",
     "r.yaml:2:26: error: thermal.poll_interval_seconds: expected a number of seconds of at least "
     "0.1 and at most 3600, got '-2'"},
    {"media_poll_zero", "media_mode:\n  poll_interval_seconds: 0\n",
     "r.yaml:2:26: error: media_mode.poll_interval_seconds: expected a number of seconds of at "
     "least 0.1 and at most 3600, got '0'"},
    // MB/s: 1e308 and 2e13 overflow uint64 bytes/s; 1e-9 rounds to 0 bytes/s, i.e. unlimited.
    {"mbps_1e308", "media_mode:\n  tier2_io_max_read_mb_per_sec: 1e308\n",
     "r.yaml:2:33: error: media_mode.tier2_io_max_read_mb_per_sec: expected a number of MB/s of "
     "at least 0.001 and at most 100000, got '1e308'"},
    {"mbps_overflowing_bytes", "io_pressure:\n  tier3_io_max_write_mbps: 2e13\n",
     "r.yaml:2:28: error: io_pressure.tier3_io_max_write_mbps: expected a number of MB/s of at "
     "least 0.001 and at most 100000, got '2e13'"},
    {"mbps_rounding_to_unlimited", "io_pressure:\n  tier3_io_max_read_mb_per_sec: 1e-9\n",
     "r.yaml:2:33: error: io_pressure.tier3_io_max_read_mb_per_sec: expected a number of MB/s of "
     "at least 0.001 and at most 100000, got '1e-9'"},
    {"mbps_negative", "media_mode:\n  tier2_io_max_write_mbps: -5\n",
     "r.yaml:2:28: error: media_mode.tier2_io_max_write_mbps: expected a number of MB/s of at "
     "least 0.001 and at most 100000, got '-5'"},
    {"mbps_nan", "media_mode:\n  download_throttle:\n    limit_mbps: NaN\n",
     "r.yaml:3:17: error: media_mode.download_throttle.limit_mbps: expected a number of MB/s of "
     "at least 0.001 and at most 100000, got 'NaN'"},
    {"mbps_inf", "media_mode:\n  download_throttle:\n    limit_mb_per_sec: infinity\n",
     "r.yaml:3:23: error: media_mode.download_throttle.limit_mb_per_sec: expected a number of "
     "MB/s of at least 0.001 and at most 100000, got 'infinity'"},
    // Percentages and temperatures.
    {"percent_nan", "memory_pressure:\n  some_avg10_threshold: nan\n",
     "r.yaml:2:25: error: memory_pressure.some_avg10_threshold: expected a PSI percentage greater "
     "than 0 and at most 100, got 'nan'"},
    {"percent_1e308", "media_mode:\n  tier2_cpu_max_percent: 1e308\n",
     "r.yaml:2:26: error: media_mode.tier2_cpu_max_percent: expected a percentage of the whole "
     "machine greater than 0 and at most 100, got '1e308'"},
    {"admission_negative", "jobs:\n  admission:\n    io_some_avg10_max: -1\n",
     "r.yaml:3:24: error: jobs.admission.io_some_avg10_max: expected a PSI percentage of at least "
     "0 and at most 100, got '-1'"},
    {"temperature_inf", "thermal:\n  stage2_temp_c: inf\n",
     "r.yaml:2:18: error: thermal.stage2_temp_c: expected a temperature in °C greater than 0 and "
     "at most 150, got 'inf'"},
    {"factor_nan", "memory_pressure:\n  memory_high_reduction_factor: nan\n",
     "r.yaml:2:33: error: memory_pressure.memory_high_reduction_factor: expected a factor greater "
     "than 0 and at most 1, got 'nan'"},
    // Whole numbers: beyond int64 and beyond int.
    {"port_beyond_int64", "general:\n  http_server:\n    port: 99999999999999999999\n",
     "r.yaml:3:11: error: general.http_server.port: expected a whole number from 1 to 65535, got "
     "'99999999999999999999'"},
    {"max_jobs_beyond_int", "jobs:\n  max_jobs: 4294967297\n",
     "r.yaml:2:13: error: jobs.max_jobs: expected a whole number from 1 to 10000, got "
     "'4294967297'"},
    {"retain_finished_negative", "jobs:\n  retain_finished: -1\n",
     "r.yaml:2:20: error: jobs.retain_finished: expected a whole number from 0 to 100000, got "
     "'-1'"},
    {"stall_ms_exponent", "io_pressure:\n  trigger:\n    stall_ms: 1e3\n",
     "r.yaml:3:15: error: io_pressure.trigger.stall_ms: expected a whole number from 1 to 10000, "
     "got '1e3'"},
    {"log_backup_count_huge", "general:\n  log_backup_count: 1e308\n",
     "r.yaml:2:21: error: general.log_backup_count: expected a whole number from 0 to 1000, got "
     "'1e308'"},
    // Sizes: beyond uint64, and beyond the documented range.
    {"size_beyond_uint64", "tiers:\n  3:\n    memory_max: 18446744073709551616\n",
     "r.yaml:3:17: error: tiers.3.memory_max: invalid size '18446744073709551616': too large "
     "(expected bytes or a size such as 512M or 1.5G)"},
    {"size_fraction_beyond_uint64", "tiers:\n  3:\n    memory_max: 16384.5P\n",
     "r.yaml:3:17: error: tiers.3.memory_max: invalid size '16384.5P': too large "
     "(expected bytes or a size such as 512M or 1.5G)"},
    {"memory_above_range", "tiers:\n  2:\n    memory_high: 2P\n",
     "r.yaml:3:18: error: tiers.2.memory_high: expected a size from 1M to 1P (leave the key out, "
     "or null, for no limit), got '2P'"},
    {"memory_zero", "tiers:\n  1:\n    memory_max: 0\n",
     "r.yaml:3:17: error: tiers.1.memory_max: expected a size from 1M to 1P (leave the key out, or "
     "null, for no limit), got '0'"},
    {"log_size_above_range", "general:\n  log_max_bytes: 2T\n",
     "r.yaml:2:18: error: general.log_max_bytes: expected a size from 0 (never rotate) to 1T, got "
     "'2T'"},
    {"log_size_beyond_uint64", "general:\n  log_max_bytes: 99999999999999999999\n",
     "r.yaml:2:18: error: general.log_max_bytes: invalid size '99999999999999999999': too large "
     "(expected bytes or a size such as 512M or 1.5G)"},
};

class ConfigRanges : public ::testing::TestWithParam<RangeCase> {};

TEST_P(ConfigRanges, OutOfRangeIsAnErrorNamingTheRange) {
  const RangeCase& c = GetParam();
  ConfigLoad load =
      load_config_text(c.yaml, "r.yaml", testing::isolated_load_options(&kNoEnvironment));
  EXPECT_FALSE(load.ok());
  ASSERT_EQ(load.errors.size(), 1u) << testing::all_issues(load);
  EXPECT_EQ(format_issue(load.errors[0], "error"), c.error);
}

INSTANTIATE_TEST_SUITE_P(Table, ConfigRanges, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<RangeCase>& info) {
                           return std::string(info.param.name);
                         });

// The ends of every range are accepted: the ranges are limits, not typical values.
TEST(ConfigRanges, TheLimitsThemselvesAreAccepted) {
  ConfigLoad load = load_config_text(
      "general:\n"
      "  poll_interval_seconds: 0.1\n"
      "  log_max_bytes: 1T\n"
      "tiers:\n"
      "  2:\n"
      "    memory_high: 1M\n"
      "    memory_max: 1P\n"
      "media_mode:\n"
      "  cooldown_seconds: 86400\n"
      "  poll_interval_seconds: 3600\n"
      "  tier2_io_max_read_mb_per_sec: 100000\n"
      "  tier2_io_max_write_mb_per_sec: 0.001\n"
      "  download_throttle:\n"
      "    limit_mb_per_sec: 100000\n"
      "thermal:\n"
      "  recovery_hold_seconds: 0\n"
      "memory_pressure:\n"
      "  restart_cooldown_seconds: 86400\n"
      "jobs:\n"
      "  retain_finished_seconds: 31536000\n"
      "  admission:\n"
      "    max_queue_seconds: 604800\n",
      "r.yaml", testing::isolated_load_options(&kNoEnvironment));
  ASSERT_TRUE(load.ok()) << testing::all_issues(load);
  EXPECT_EQ(load.config->general.log_max_bytes, std::int64_t{1} << 40);
  EXPECT_EQ(load.config->tiers[2].memory_max, std::uint64_t{1} << 50);
  EXPECT_EQ(load.config->media_mode.download_throttle.limit_mb_per_sec, 100000);
}

}  // namespace
}  // namespace adrg
