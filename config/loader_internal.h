// The config loader's machinery, shared by its parts: loader_reader.cpp (YAML values to typed
// settings, each problem with file:line:column), loader_sections.cpp (the schema, one function
// per section, in the template's order) and loader.cpp (checks across sections, the environment
// file, the entry points). Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/env.h"
#include "config/loader.h"
#include "core/fs.h"

namespace adrg::config_detail {

inline constexpr double kInf = std::numeric_limits<double>::infinity();

struct Location {
  int line = 0;  // 1-based, 0 = no position
  int column = 0;
};

// yaml-cpp marks are 0-based; a null mark (-1) means "no position".
inline Location to_location(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string lowercase(std::string_view text);
// Plain digits for the numbers people write ("100000", not the shortest form "1e+05").
std::string number_text(double value);
// " (did you mean 'x'?)" for the closest candidate within edit distance 2, else "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates);
// "a map", "a list", "nothing" or the scalar in quotes, for "expected X, got Y".
std::string describe(const YAML::Node& node);
std::string join(const std::vector<std::string>& items);
bool is_http_url(std::string_view url);
bool is_device_number(std::string_view text);  // "MAJ:MIN"

// An accepted range of a numeric setting; the sentence for errors is generated from it.
struct Range {
  double min = -kInf;
  bool min_open = false;  // true: min itself is not allowed
  double max = kInf;
  bool max_open = false;

  bool contains(double v) const {
    return (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  }
  std::string describe(std::string_view noun) const {
    std::string out(noun);
    if (min != -kInf) out += (min_open ? " greater than " : " of at least ") + number_text(min);
    if (max != kInf) {
      out += min != -kInf ? " and" : "";
      out += (max_open ? " below " : " at most ") + number_text(max);
    }
    return out;
  }
};

// Every numeric setting has a finite range (README, "Config ranges"), wide enough for any home
// server, so that nothing overflows where the value is used: seconds become std::chrono
// nanoseconds (an int64: 1e308 s, or even 1e10 s, is undefined behaviour there), MB/s become
// bytes/s in a uint64. The lower ends keep a value from rounding to 0 where 0 means something
// else: a 0 ns tick spins the loop, and 0 bytes/s in io.max or a download client is "unlimited".
inline constexpr double kDay = 24 * 3600.0;
inline constexpr Range kPollSeconds{0.1, false, 3600, false};  // timer periods
inline constexpr Range kHoldSeconds{0, false, kDay, false};    // holds, cooldowns, rate limits
inline constexpr Range kRetainSeconds{0, false, 365 * kDay, false};
inline constexpr Range kQueueSeconds{0, false, 7 * kDay, false};  // 0 = no limit
inline constexpr Range kMbPerSec{0.001, false, 100000, false};    // 0.001 MiB/s is ~1 KiB/s
inline constexpr Range kPercent{0, true, 100, false};
inline constexpr Range kPercentOrZero{0, false, 100, false};
inline constexpr Range kTemperature{0, true, 150, false};
inline constexpr std::string_view kSeconds = "a number of seconds";
// Tier memory limits: 0 would make the kernel reclaim (memory.high) or OOM-kill (memory.max) the
// container at once, and Docker users write 0 for "no limit", which here is a missing key.
inline constexpr std::uint64_t kMemoryMin = 1ull << 20;
inline constexpr std::uint64_t kMemoryMax = 1ull << 50;
inline constexpr std::string_view kMemoryRange =
    "a size from 1M to 1P (leave the key out, or null, for no limit)";
inline constexpr std::uint64_t kLogMaxBytes = 1ull << 40;
inline constexpr std::string_view kMbps = "a number of MB/s";

// One key of a YAML map and its value; path is the dotted name used in messages
// ("media_mode.download_throttle.url").
struct Entry {
  std::string path;
  YAML::Node key;
  YAML::Node value;
};

class Loader;

// Hands out the keys of one YAML map as the schema asks for them; whatever is left when finish()
// runs is unknown and gets a warning (ADRG ignored unknown keys, so they must not be errors).
class MapReader {
 public:
  MapReader(Loader& loader, const YAML::Node& map, std::string path);

  std::optional<Entry> take(std::string_view key);
  // ADRG accepted two spellings of some keys (tier2_io_max_read_mb_per_sec and
  // tier2_io_max_read_mbps); both at once is ambiguous and an error.
  std::optional<Entry> take_either(std::string_view key, std::string_view alias);
  // Every remaining key, for maps whose keys are data (tiers).
  std::vector<Entry> take_all();
  void finish();

 private:
  // yaml-cpp declares Node's move assignment noexcept yet may allocate in it: nothing this
  // reader can change, and Items are only built, never reassigned.
  struct Item {  // NOLINT(bugprone-exception-escape)
    std::string name;
    YAML::Node key;
    YAML::Node value;
    bool used = false;
  };
  std::string child_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  Loader& loader_;
  std::string path_;
  std::vector<Item> items_;
  std::vector<std::string> known_;
};

class Loader {
 public:
  Loader(std::string display_name, std::string base_dir, const LoadOptions& options)
      : file_(std::move(display_name)), base_dir_(std::move(base_dir)), options_(options) {}

  ConfigLoad run(std::string_view text);

  void error(Location at, std::string message) { add(result_.errors, file_, at, message); }
  void warning(Location at, std::string message) { add(result_.warnings, file_, at, message); }

  // Where to point for a problem with an entry's value: the value itself, or the key when the
  // value is empty (yaml-cpp marks an empty value at the next token, which would mislead).
  static Location where(const Entry& e) {
    Location value =
        e.value.IsDefined() && !e.value.IsNull() ? to_location(e.value.Mark()) : Location{};
    return value.line > 0 ? value : to_location(e.key.Mark());
  }

 private:
  static void add(std::vector<ConfigIssue>& to, const std::string& file, Location at,
                  std::string& message) {
    to.push_back(ConfigIssue{file, at.line, at.column, std::move(message)});
  }

  void split_lines(std::string_view text);
  void load_environment(const YAML::Node& root);
  Location locate_in_scalar(const YAML::Node& node, const std::string& raw, std::size_t offset);
  void remember(const Entry& e) { locations_[e.path] = where(e); }
  Location location_of(std::initializer_list<std::string_view> paths) const;
  bool was_set(std::string_view path) const { return locations_.count(std::string(path)) > 0; }

  // Scalar readers. Each reports its own error and leaves `out` unchanged on failure.
  std::optional<std::string> scalar(const Entry& e, std::string_view expected, bool expand = true);
  void read_bool(const Entry& e, bool& out);
  void read_int(const Entry& e, int& out, std::int64_t min, std::int64_t max);
  void read_int(const Entry& e, std::optional<int>& out, std::int64_t min, std::int64_t max);
  void read_number(const Entry& e, double& out, Range range, std::string_view noun = "a number");
  void read_string(const Entry& e, std::string& out, bool expand = true);
  void read_url(const Entry& e, std::string& out);
  void read_enum(const Entry& e, std::string& out, const std::vector<std::string>& allowed);
  // A size within [min, max]; `range` says so in the error ("a size from 1M to 1P").
  void read_size(const Entry& e, std::optional<std::uint64_t>& out, std::uint64_t min,
                 std::uint64_t max, std::string_view range);
  void read_string_list(const Entry& e, std::vector<std::string>& out, std::string_view noun);
  std::optional<MapReader> section(const Entry& e);

  // The schema, one function per section, in the template's order.
  void read_general(MapReader& m, GeneralConfig& g);
  void read_http_server(MapReader& m, HttpServerConfig& h);
  void read_tiers(const Entry& e);
  void read_tier(MapReader& m, TierConfig& t);
  void read_media_mode(MapReader& m, MediaModeConfig& mm);
  void read_download_throttle(MapReader& m, DownloadThrottleConfig& d);
  void read_thermal(MapReader& m, ThermalConfig& t);
  void read_memory_pressure(MapReader& m, MemoryPressureConfig& mp);
  void read_io_pressure(MapReader& m, IoPressureConfig& io);
  void read_trigger(MapReader& m, PsiTriggerConfig& t);
  void read_notifications(MapReader& m, NotificationsConfig& n);
  void read_jobs(MapReader& m, JobsConfig& j);
  void read_job_admission(MapReader& m, JobAdmissionConfig& a);
  void check_relations();
  void apply_docker_host();

  std::string file_;
  std::string base_dir_;
  const LoadOptions& options_;
  std::vector<std::string_view> lines_;
  std::string text_;
  Environment env_;
  std::map<std::string, Location> locations_;
  Config config_;
  ConfigLoad result_;
};

}  // namespace adrg::config_detail
