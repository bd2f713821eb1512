// parse_millidegrees; read_max_temperature over fake sysfs trees (several zones, unreadable and
// implausible zones, hwmon fallback, the Raspberry Pi 5's cpu-thermal zone, nothing present);
// ThermalSensor on a real reactor timer.
#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <vector>

#include "sensors/thermal.h"
#include "tests/support/temp_dir.h"

namespace adrg {
namespace {

TEST(ParseMillidegreesTest, GoodAndBad) {
  EXPECT_DOUBLE_EQ(*parse_millidegrees("45000\n"), 45.0);
  EXPECT_DOUBLE_EQ(*parse_millidegrees("  72500 "), 72.5);
  EXPECT_DOUBLE_EQ(*parse_millidegrees("-5000"), -5.0);
  for (const char* bad : {"", "\n", "abc", "45.0", "45000x", "-273200", "2147483647"}) {
    EXPECT_FALSE(parse_millidegrees(bad).ok()) << bad;
  }
}

TEST(ReadMaxTemperatureTest, MaxOverThermalZones) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/temp", "41000\n");
  dir.write("thermal/thermal_zone1/temp", "77500\n");
  dir.write("thermal/thermal_zone2/temp", "garbage\n");  // skipped
  dir.write("thermal/thermal_zone3/temp", "-273200\n");  // disabled zone: skipped
  dir.mkdir("thermal/thermal_zone4");                    // no temp file: skipped
  dir.write("thermal/cooling_device0/temp", "99000\n");  // not a zone
  dir.write("hwmon/hwmon0/temp1_input", "95000\n");      // ignored: zones were readable
  auto r = read_max_temperature(dir.path() + "/thermal", dir.path() + "/hwmon");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_DOUBLE_EQ(*r, 77.5);
}

TEST(ReadMaxTemperatureTest, FallsBackToHwmon) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/temp", "bogus\n");  // no readable zone
  dir.write("hwmon/hwmon0/temp1_input", "50000\n");
  dir.write("hwmon/hwmon0/temp2_input", "63000\n");
  dir.write("hwmon/hwmon0/temp2_crit", "105000\n");  // thresholds are not readings
  dir.write("hwmon/hwmon1/temp1_input", "58000\n");
  dir.write("hwmon/hwmon1/name", "nvme\n");
  auto r = read_max_temperature(dir.path() + "/thermal", dir.path() + "/hwmon");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_DOUBLE_EQ(*r, 63.0);
}

// The Raspberry Pi 5's layout (Raspberry Pi OS Bookworm): one zone, thermal_zone0 of type
// "cpu-thermal" (the BCM2712 SoC sensor); the fan is cooling_device0 ("pwm-fan"); hwmon mirrors
// the SoC sensor as "cpu_thermal" and adds the RP1 I/O chip ("rp1_adc"). Zones are read by
// name, never by type, so cpu-thermal counts like x86_pkg_temp or acpitz.
TEST(ReadMaxTemperatureTest, RaspberryPi5CpuThermalZone) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/type", "cpu-thermal\n");
  dir.write("thermal/thermal_zone0/temp", "61850\n");
  dir.write("thermal/thermal_zone0/trip_point_0_temp", "110000\n");
  dir.write("thermal/cooling_device0/type", "pwm-fan\n");
  dir.write("thermal/cooling_device0/cur_state", "2\n");
  dir.write("hwmon/hwmon0/name", "cpu_thermal\n");
  dir.write("hwmon/hwmon0/temp1_input", "61850\n");
  dir.write("hwmon/hwmon1/name", "rp1_adc\n");
  dir.write("hwmon/hwmon1/temp1_input", "70000\n");  // ignored: the zone was readable
  auto r = read_max_temperature(dir.path() + "/thermal", dir.path() + "/hwmon");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_DOUBLE_EQ(*r, 61.85);
}

TEST(ReadMaxTemperatureTest, NothingPresentIsENOENT) {
  testing::TempDir dir;
  dir.mkdir("thermal");
  auto r = read_max_temperature(dir.path() + "/thermal", dir.path() + "/no-hwmon");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, std::make_error_code(std::errc::no_such_file_or_directory));
}

class ThermalSensorTest : public ::testing::TestWithParam<ReactorChoice> {
 protected:
  void SetUp() override {
    auto reactor = Reactor::create(GetParam());
    if (!reactor) GTEST_SKIP() << "reactor backend unavailable: " << reactor.error().describe();
    reactor_ = std::move(*reactor);
  }
  std::unique_ptr<Reactor> reactor_;
};

TEST_P(ThermalSensorTest, PollsOnTimerAndReportsMissing) {
  testing::TempDir dir;
  dir.write("thermal/thermal_zone0/temp", "60000\n");
  std::vector<std::optional<double>> seen;
  ThermalSensor sensor(*reactor_, dir.path() + "/thermal", dir.path() + "/hwmon",
                       std::chrono::milliseconds(20),
                       [&](std::optional<double> c) { seen.push_back(c); });
  ASSERT_TRUE(sensor.start().ok());
  ASSERT_EQ(seen.size(), 1u);  // read at once on start
  EXPECT_EQ(seen[0], 60.0);
  dir.write("thermal/thermal_zone0/temp", "81000\n");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sensor.last() != 81.0 && std::chrono::steady_clock::now() < deadline) {
    reactor_->run_once(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(sensor.last(), 81.0);
  std::filesystem::remove_all(dir.path() + "/thermal");
  while (sensor.last().has_value() && std::chrono::steady_clock::now() < deadline) {
    reactor_->run_once(std::chrono::milliseconds(100));
  }
  EXPECT_FALSE(sensor.last().has_value());
  EXPECT_FALSE(seen.back().has_value());
  sensor.stop();
  const std::size_t count = seen.size();
  reactor_->run_once(std::chrono::milliseconds(60));
  EXPECT_EQ(seen.size(), count);  // no more polls after stop()
}

INSTANTIATE_TEST_SUITE_P(Backends, ThermalSensorTest,
                         ::testing::Values(ReactorChoice::kEpoll, ReactorChoice::kIoUring),
                         [](const auto& info) {
                           return info.param == ReactorChoice::kEpoll ? "epoll" : "io_uring";
                         });

}  // namespace
}  // namespace adrg
