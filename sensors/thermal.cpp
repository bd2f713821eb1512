#include "sensors/thermal.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace adrg {

Result<double> parse_millidegrees(std::string_view text) {
  std::string trimmed = trim(text);
  long long milli = 0;
  auto [ptr, ec] = std::from_chars(trimmed.data(), trimmed.data() + trimmed.size(), milli);
  if (trimmed.empty() || ec != std::errc() || ptr != trimmed.data() + trimmed.size()) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 "temperature \"" + trimmed + "\" is not an integer of millidegrees"};
  }
  double celsius = static_cast<double>(milli) / 1000.0;
  if (celsius < kMinPlausibleC || celsius > kMaxPlausibleC) {
    return Error{std::make_error_code(std::errc::result_out_of_range),
                 "temperature " + trimmed + " m°C is implausible"};
  }
  return celsius;
}

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Entries of `dir` whose name starts with `prefix`, sorted (sysfs entries are symlinks).
std::vector<std::filesystem::path> entries(const std::string& dir, std::string_view prefix) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (starts_with(it->path().filename().string(), prefix)) out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<double> max_of(const std::vector<std::string>& files) {
  std::optional<double> best;
  for (const auto& file : files) {
    auto text = read_text_file(file);
    if (!text) continue;  // e.g. ENODATA from a zone whose device is asleep
    auto value = parse_millidegrees(*text);
    if (!value) {
      spdlog::debug("thermal: skipping {}: {}", file, value.error().describe());
      continue;
    }
    best = best ? std::max(*best, *value) : *value;
  }
  return best;
}

}  // namespace

Result<double> read_max_temperature(const std::string& thermal_root,
                                    const std::string& hwmon_root) {
  std::vector<std::string> zones;
  for (const auto& zone : entries(thermal_root, "thermal_zone")) {
    zones.push_back((zone / "temp").string());
  }
  if (auto best = max_of(zones)) return *best;

  std::vector<std::string> inputs;
  for (const auto& hwmon : entries(hwmon_root, "hwmon")) {
    for (const auto& file : entries(hwmon.string(), "temp")) {
      if (ends_with(file.filename().string(), "_input")) inputs.push_back(file.string());
    }
  }
  if (auto best = max_of(inputs)) return *best;
  return Error{std::make_error_code(std::errc::no_such_file_or_directory),
               "no readable temperature sensor under " + thermal_root + " or " + hwmon_root};
}

ThermalSensor::ThermalSensor(Reactor& reactor, std::string thermal_root, std::string hwmon_root,
                             Duration period, Callback callback)
    : reactor_(reactor),
      thermal_root_(std::move(thermal_root)),
      hwmon_root_(std::move(hwmon_root)),
      period_(period),
      callback_(std::move(callback)) {}

ThermalSensor::~ThermalSensor() { stop(); }

Status ThermalSensor::start() {
  stop();
  if (period_ <= Duration::zero()) {
    return Error{std::make_error_code(std::errc::invalid_argument),
                 "thermal poll period must be positive"};
  }
  auto timer = reactor_.add_timer(period_, period_, [this] { poll(); });
  if (!timer) return timer.error();
  timer_ = *timer;
  poll();
  return {};
}

void ThermalSensor::stop() {
  if (timer_ != 0) reactor_.cancel(timer_);
  timer_ = 0;
}

std::optional<double> ThermalSensor::poll() {
  auto value = read_max_temperature(thermal_root_, hwmon_root_);
  if (value) {
    last_ = *value;
    reported_missing_ = false;
  } else {
    last_.reset();
    // Said once per outage, not every period: on a VM this is the normal state.
    if (!reported_missing_) spdlog::info("thermal: {}", value.error().describe());
    reported_missing_ = true;
  }
  if (callback_) callback_(last_);
  return last_;
}

}  // namespace adrg
