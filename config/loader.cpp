#include "config/loader.h"

#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <tuple>
#include <utility>

#include "config/bind_host.h"
#include "config/env.h"
#include "config/size.h"
#include "config/yaml_documents.h"
#include "core/fs.h"

namespace adrg {

namespace {

constexpr std::string_view kDefaultEnvFile = "/etc/adrg/adrg.env";
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Location {
  int line = 0;  // 1-based, 0 = no position
  int column = 0;
};

// yaml-cpp marks are 0-based; a null mark (-1) means "no position".
Location to_location(const YAML::Mark& mark) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim_view(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

std::string number_text(double value) {
  char buf[64];
  // Plain digits for the numbers people write ("100000", not the shortest form "1e+05").
  const double magnitude = std::fabs(value);
  const auto format = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15)
                          ? std::chars_format::fixed
                          : std::chars_format::general;
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, format);
  return ec == std::errc() ? std::string(buf, end) : std::string("?");
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x'?)" for the closest candidate within edit distance 2, else "".
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  std::size_t best = 3;
  std::string found;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(lowercase(word), candidate);
    if (d < best) {
      best = d;
      found = candidate;
    }
  }
  return found.empty() ? "" : " (did you mean '" + found + "'?)";
}

std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  return "'" + node.Scalar() + "'";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

bool is_http_url(std::string_view url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

bool is_device_number(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i != colon && !std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

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
constexpr double kDay = 24 * 3600.0;
constexpr Range kPollSeconds{0.1, false, 3600, false};  // timer periods
constexpr Range kHoldSeconds{0, false, kDay, false};    // holds, cooldowns, rate limits
constexpr Range kRetainSeconds{0, false, 365 * kDay, false};
constexpr Range kQueueSeconds{0, false, 7 * kDay, false};  // 0 = no limit
constexpr Range kMbPerSec{0.001, false, 100000, false};    // 0.001 MiB/s is ~1 KiB/s
constexpr Range kPercent{0, true, 100, false};
constexpr Range kPercentOrZero{0, false, 100, false};
constexpr Range kTemperature{0, true, 150, false};
constexpr std::string_view kSeconds = "a number of seconds";
// Tier memory limits: 0 would make the kernel reclaim (memory.high) or OOM-kill (memory.max) the
// container at once, and Docker users write 0 for "no limit", which here is a missing key.
constexpr std::uint64_t kMemoryMin = 1ull << 20;
constexpr std::uint64_t kMemoryMax = 1ull << 50;
constexpr std::string_view kMemoryRange =
    "a size from 1M to 1P (leave the key out, or null, for no limit)";
constexpr std::uint64_t kLogMaxBytes = 1ull << 40;
constexpr std::string_view kMbps = "a number of MB/s";

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
  struct Item {
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

MapReader::MapReader(Loader& loader, const YAML::Node& map, std::string path)
    : loader_(loader), path_(std::move(path)) {
  if (!map.IsDefined() || !map.IsMap()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) {
      loader_.error(to_location(key.Mark()), (path_.empty() ? std::string("top level") : path_) +
                                                 ": keys must be plain names, got " +
                                                 describe(key));
      continue;
    }
    std::string name = key.Scalar();
    auto same = std::find_if(items_.begin(), items_.end(),
                             [&](const Item& item) { return item.name == name; });
    if (same != items_.end()) {
      // PyYAML (ADRG) silently keeps the last of duplicate keys; keep that meaning, but say so.
      loader_.warning(to_location(key.Mark()),
                      child_path(name) + ": duplicate key (first at line " +
                          std::to_string(to_location(same->key.Mark()).line) +
                          "); the last one wins");
      items_.erase(same);
    }
    items_.push_back(Item{std::move(name), key, it->second});
  }
}

std::optional<Entry> MapReader::take(std::string_view key) {
  known_.emplace_back(key);
  for (auto& item : items_) {
    if (item.name == key) {
      item.used = true;
      return Entry{child_path(key), item.key, item.value};
    }
  }
  return std::nullopt;
}

std::optional<Entry> MapReader::take_either(std::string_view key, std::string_view alias) {
  auto first = take(key);
  auto second = take(alias);
  if (first && second) {
    const Entry& later = to_location(second->key.Mark()).line >= to_location(first->key.Mark()).line
                             ? *second
                             : *first;
    const Entry& earlier = &later == &*second ? *first : *second;
    loader_.error(to_location(later.key.Mark()),
                  later.path + ": '" + std::string(key) + "' and '" + std::string(alias) +
                      "' are two spellings of the same setting and both are set (other at line " +
                      std::to_string(to_location(earlier.key.Mark()).line) + "); keep one");
    return std::nullopt;
  }
  return first ? first : second;
}

std::vector<Entry> MapReader::take_all() {
  std::vector<Entry> out;
  for (auto& item : items_) {
    item.used = true;
    out.push_back(Entry{child_path(item.name), item.key, item.value});
  }
  return out;
}

void MapReader::finish() {
  for (const auto& item : items_) {
    if (item.used) continue;
    std::string where =
        path_.empty() ? std::string("unknown top-level key '") : path_ + ": unknown key '";
    loader_.warning(to_location(item.key.Mark()),
                    where + item.name + "'" + suggestion(item.name, known_) + "; it is ignored");
  }
}

void Loader::split_lines(std::string_view text) {
  text_.assign(text);
  std::string_view all(text_);
  std::size_t start = 0;
  while (start <= all.size()) {
    std::size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    lines_.push_back(all.substr(start, end - start));
    start = end + 1;
  }
}

Location Loader::locate_in_scalar(const YAML::Node& node, const std::string& raw,
                                  std::size_t offset) {
  const YAML::Mark mark = node.Mark();
  Location base = to_location(mark);
  if (base.line == 0) return base;
  // The placeholder as written ("${ADRG_NTFY_URL}"), found in the source from the scalar's start:
  // exact even when quotes or escapes precede it.
  std::size_t close = raw.find('}', offset);
  std::string needle = raw.substr(offset, close == std::string::npos ? 2 : close + 1 - offset);
  for (std::size_t l = static_cast<std::size_t>(mark.line);
       l < lines_.size() && l < static_cast<std::size_t>(mark.line) + 50; ++l) {
    std::size_t from = l == static_cast<std::size_t>(mark.line) ? mark.column : 0;
    std::size_t at = lines_[l].find(needle, from);
    if (at != std::string_view::npos) return {static_cast<int>(l) + 1, static_cast<int>(at) + 1};
  }
  return {base.line, base.column + static_cast<int>(offset)};
}

Location Loader::location_of(std::initializer_list<std::string_view> paths) const {
  for (auto path : paths) {
    if (auto it = locations_.find(std::string(path)); it != locations_.end()) return it->second;
  }
  return {};
}

std::optional<std::string> Loader::scalar(const Entry& e, std::string_view expected, bool expand) {
  if (!e.value.IsDefined() || !e.value.IsScalar()) {
    error(where(e), e.path + ": expected " + std::string(expected) + ", got " + describe(e.value));
    return std::nullopt;
  }
  const std::string& raw = e.value.Scalar();
  if (!expand) return raw;
  Expansion x = expand_env(raw, env_);
  bool failed = false;
  for (auto& issue : x.issues) {
    Location at = locate_in_scalar(e.value, raw, issue.offset);
    if (issue.is_error) {
      failed = true;
      error(at, e.path + ": " + issue.message);
    } else {
      warning(at, e.path + ": " + issue.message);
    }
  }
  if (failed) return std::nullopt;
  return std::move(x.text);
}

void Loader::read_bool(const Entry& e, bool& out) {
  auto text = scalar(e, "true or false");
  if (!text) return;
  // YAML 1.1 booleans, as PyYAML (ADRG) read them.
  std::string v = lowercase(trim_view(*text));
  if (v == "true" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "false" || v == "no" || v == "off") {
    out = false;
  } else {
    error(where(e), e.path + ": expected true or false, got '" + *text + "'");
    return;
  }
  remember(e);
}

void Loader::read_int(const Entry& e, std::optional<int>& out, std::int64_t min, std::int64_t max) {
  std::string expected =
      "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  auto text = scalar(e, expected);
  if (!text) return;
  std::string_view v = trim_view(*text);
  std::int64_t parsed = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || parsed < min ||
      parsed > max) {
    error(where(e), e.path + ": expected " + expected + ", got '" + *text + "'");
    return;
  }
  out = static_cast<int>(parsed);
  remember(e);
}

void Loader::read_int(const Entry& e, int& out, std::int64_t min, std::int64_t max) {
  std::optional<int> value;
  read_int(e, value, min, max);
  if (value) out = *value;
}

void Loader::read_number(const Entry& e, double& out, Range range, std::string_view noun) {
  std::string expected = range.describe(noun);
  auto text = scalar(e, expected);
  if (!text) return;
  std::string_view v = trim_view(*text);
  double parsed = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), parsed);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(parsed) ||
      !range.contains(parsed)) {
    error(where(e), e.path + ": expected " + expected + ", got '" + *text + "'");
    return;
  }
  out = parsed;
  remember(e);
}

void Loader::read_string(const Entry& e, std::string& out, bool expand) {
  if (e.value.IsDefined() && e.value.IsNull()) {  // "api_key:" with nothing: empty, as in ADRG
    out.clear();
    remember(e);
    return;
  }
  auto text = scalar(e, "a text value", expand);
  if (!text) return;
  out = std::move(*text);
  remember(e);
}

void Loader::read_url(const Entry& e, std::string& out) {
  std::string value;
  read_string(e, value);
  if (!was_set(e.path)) return;
  if (!value.empty() && !is_http_url(value)) {
    error(where(e), e.path + ": expected an http:// or https:// URL, got '" + value + "'");
    return;
  }
  out = std::move(value);
}

void Loader::read_enum(const Entry& e, std::string& out, const std::vector<std::string>& allowed) {
  std::string expected = "one of " + join(allowed);
  auto text = scalar(e, expected);
  if (!text) return;
  std::string v = lowercase(trim_view(*text));
  if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
    error(where(e),
          e.path + ": expected " + expected + ", got '" + *text + "'" + suggestion(v, allowed));
    return;
  }
  out = std::move(v);
  remember(e);
}

void Loader::read_size(const Entry& e, std::optional<std::uint64_t>& out, std::uint64_t min,
                       std::uint64_t max, std::string_view range) {
  if (e.value.IsDefined() && e.value.IsNull()) {  // explicit "no limit"
    out.reset();
    remember(e);
    return;
  }
  auto text = scalar(e, "a size in bytes or with a unit such as 512M or 1.5G");
  if (!text) return;
  auto size = parse_size(*text);
  if (!size) {
    error(where(e), e.path + ": " + size.error().message +
                        " (expected bytes or a size such as 512M or 1.5G)");
    return;
  }
  if (*size < min || *size > max) {
    error(where(e), e.path + ": expected " + std::string(range) + ", got '" + *text + "'");
    return;
  }
  out = *size;
  remember(e);
}

void Loader::read_string_list(const Entry& e, std::vector<std::string>& out,
                              std::string_view noun) {
  if (e.value.IsDefined() && e.value.IsNull()) {  // "containers:" with nothing: empty list
    out.clear();
    remember(e);
    return;
  }
  if (!e.value.IsSequence()) {
    error(where(e), e.path + ": expected a list of " + std::string(noun) +
                        " (e.g. [\"a\", \"b\"] or one '- item' per line), got " +
                        describe(e.value));
    return;
  }
  std::vector<std::string> items;
  bool ok = true;
  for (std::size_t i = 0; i < e.value.size(); ++i) {
    Entry item{e.path + "[" + std::to_string(i) + "]", e.key, e.value[i]};
    auto text = scalar(item, "a text value");
    if (!text) {
      ok = false;
      continue;
    }
    items.push_back(std::move(*text));
  }
  if (!ok) return;
  out = std::move(items);
  remember(e);
}

std::optional<MapReader> Loader::section(const Entry& e) {
  if (e.value.IsDefined() && !e.value.IsNull() && !e.value.IsMap()) {
    error(where(e), e.path + ": expected a map of settings (key: value lines indented below '" +
                        e.key.Scalar() + ":'), got " + describe(e.value));
    return std::nullopt;
  }
  remember(e);
  return MapReader(*this, e.value, e.path);
}

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

void Loader::check_relations() {
  // Thermal stages escalate: warn <= stage1 <= stage2, and recovery lies below stage1 or the
  // hysteresis would restore containers while stage 1 still holds.
  const ThermalConfig& t = config_.thermal;
  auto temp = [](double v) { return number_text(v); };
  if (t.warn_temp_c > t.stage1_temp_c) {
    error(location_of({"thermal.warn_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.warn_temp_c (" + temp(t.warn_temp_c) + ") must not be above stage1_temp_c (" +
              temp(t.stage1_temp_c) + ")");
  }
  if (t.stage1_temp_c > t.stage2_temp_c) {
    error(location_of({"thermal.stage2_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.stage2_temp_c (" + temp(t.stage2_temp_c) +
              ") must not be below stage1_temp_c (" + temp(t.stage1_temp_c) + ")");
  }
  if (t.recovery_temp_c >= t.stage1_temp_c) {
    error(location_of({"thermal.recovery_temp_c", "thermal.stage1_temp_c", "thermal"}),
          "thermal.recovery_temp_c (" + temp(t.recovery_temp_c) +
              ") must be below stage1_temp_c (" + temp(t.stage1_temp_c) + ")");
  }
  const IoPressureConfig& io = config_.io_pressure;
  if (io.recovery_avg10_threshold >= io.trigger_avg10_threshold) {
    error(location_of({"io_pressure.recovery_avg10_threshold",
                       "io_pressure.trigger_avg10_threshold", "io_pressure"}),
          "io_pressure.recovery_avg10_threshold (" + temp(io.recovery_avg10_threshold) +
              ") must be below trigger_avg10_threshold (" + temp(io.trigger_avg10_threshold) + ")");
  }
  for (const char* section : {"memory_pressure", "io_pressure"}) {
    const PsiTriggerConfig& trig = std::string_view(section) == "memory_pressure"
                                       ? config_.memory_pressure.trigger
                                       : config_.io_pressure.trigger;
    std::string base = std::string(section) + ".trigger";
    if (trig.stall_ms > trig.window_ms) {
      error(location_of({base + ".stall_ms", base + ".window_ms", base}),
            base + ".stall_ms (" + std::to_string(trig.stall_ms) + ") must not exceed window_ms (" +
                std::to_string(trig.window_ms) + ")");
    }
  }
}

void Loader::apply_docker_host() {
  // Docker's own convention: DOCKER_HOST=unix:///path overrides the socket. adrg speaks the
  // Engine API over a unix socket only.
  auto host = env_.lookup("DOCKER_HOST");
  if (!host || host->empty()) return;
  if (config_.general.docker_socket.empty()) {
    // An explicit "" says "no Docker" for this config; an exported DOCKER_HOST meant for the
    // docker CLI must not turn the integration back on (nor make --check-config connect).
    warning(location_of({"general.docker_socket"}),
            "DOCKER_HOST=" + *host + " is ignored: general.docker_socket is \"\" (Docker off)");
    return;
  }
  constexpr std::string_view kUnix = "unix://";
  if (host->rfind(kUnix, 0) == 0 && host->size() > kUnix.size()) {
    config_.general.docker_socket = host->substr(kUnix.size());
  } else {
    warning({}, "DOCKER_HOST=" + *host +
                    " is not a unix:// socket; adrg uses general.docker_socket (" +
                    config_.general.docker_socket + ")");
  }
}

void Loader::load_environment(const YAML::Node& root) {
  std::string path = options_.env_file;
  const bool required = !path.empty();
  Location declared;
  if (path.empty() && root.IsMap()) {
    const YAML::Node general = root["general"];
    if (general.IsDefined() && general.IsMap()) {
      const YAML::Node env_file = general["env_file"];
      if (env_file.IsDefined() && env_file.IsScalar()) {
        path = env_file.Scalar();
        declared = to_location(env_file.Mark());
        if (!path.empty() && path.front() != '/' && !base_dir_.empty()) {
          path = join_path(base_dir_, path);
        }
      }
    }
  }
  const bool implicit = path.empty() && !required;
  if (implicit) path = std::string(kDefaultEnvFile);
  if (declared.line > 0 || required) config_.general.env_file = path;

  std::map<std::string, std::string> process =
      options_.environment != nullptr ? *options_.environment : Environment::process_environment();
  std::map<std::string, std::string> from_file;
  if (!path.empty()) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (required) {
        result_.errors.push_back({path, 0, 0, "env file not found"});
      } else if (declared.line > 0) {
        warning(declared, "general.env_file: " + path +
                              " does not exist; ${VAR} values come from "
                              "the process environment only");
      }
    } else if (auto text = read_text_file(path); !text) {
      // An unreadable default file (mode 0600, --check-config run as a user) is a warning; the
      // undefined-variable warnings that follow say what is missing.
      (required ? result_.errors : result_.warnings)
          .push_back({path, 0, 0, "cannot read env file: " + text.error().describe()});
    } else {
      EnvFile parsed = parse_env_file(*text);
      for (auto& issue : parsed.errors) {
        result_.errors.push_back({path, issue.line, issue.column, std::move(issue.message)});
      }
      from_file = std::move(parsed.values);
    }
  }
  env_ = Environment(std::move(process), std::move(from_file));
}

ConfigLoad Loader::run(std::string_view text) {
  split_lines(text);
  config_.source_path = file_;
  std::vector<YAML::Node> documents;
  try {
    documents = load_yaml_documents(text_);
  } catch (const YAML::Exception& ex) {
    Location at = to_location(ex.mark);
    std::string message = "invalid YAML: " + ex.msg;
    // yaml-cpp's wording for a tab in indentation varies ("illegal map value", "illegal tab when
    // looking for indentation"); name the real cause and point at the tab.
    if (at.line > 0 && static_cast<std::size_t>(at.line) <= lines_.size()) {
      std::string_view line = lines_[static_cast<std::size_t>(at.line - 1)];
      std::size_t indent = line.find_first_not_of(" \t");
      std::size_t tab = line.find('\t');
      if (tab != std::string_view::npos && (indent == std::string_view::npos || tab < indent)) {
        at.column = static_cast<int>(tab) + 1;
        message = "invalid YAML: tab character used for indentation (YAML allows only spaces)";
      }
    }
    error(at, message);
    return std::move(result_);
  }
  YAML::Node root = documents.empty() ? YAML::Node() : documents.front();
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (documents[i].IsDefined() && !documents[i].IsNull()) {
      error(to_location(documents[i].Mark()),
            "only one YAML document is allowed in a config file (remove the second '---')");
    }
  }
  if (root.IsDefined() && !root.IsNull() && !root.IsMap()) {
    error(to_location(root.Mark()),
          "expected a map of sections (general:, tiers:, media_mode:, ...), got " + describe(root));
    return std::move(result_);
  }
  if ((!root.IsDefined() || root.IsNull()) && options_.reload) {
    error({},
          "the config file is empty (nothing but blanks or comments); a reload needs a "
          "complete config, the running one is not replaced by ADRG's defaults");
    return std::move(result_);
  }
  load_environment(root);
  if (!root.IsDefined() || root.IsNull()) {
    warning({}, "the config file is empty; using ADRG's defaults");
  }

  MapReader top(*this, root, "");
  if (auto e = top.take("general")) {
    if (auto s = section(*e)) read_general(*s, config_.general);
  }
  if (auto e = top.take("interval")) {
    // ADRG's older top-level spelling of general.poll_interval_seconds.
    if (was_set("general.poll_interval_seconds")) {
      error(to_location(e->key.Mark()),
            "interval: 'interval' is the older spelling of general.poll_interval_seconds and both "
            "are set (other at line " +
                std::to_string(location_of({"general.poll_interval_seconds"}).line) +
                "); keep one");
    } else {
      read_number(*e, config_.general.poll_interval_seconds, kPollSeconds, kSeconds);
    }
  }
  if (auto e = top.take("tiers")) read_tiers(*e);
  if (auto e = top.take("protected_containers")) {
    read_string_list(*e, config_.protected_containers, "container names or globs");
  }
  if (auto e = top.take("media_mode")) {
    if (auto s = section(*e)) read_media_mode(*s, config_.media_mode);
  }
  if (auto e = top.take("thermal")) {
    if (auto s = section(*e)) read_thermal(*s, config_.thermal);
  }
  if (auto e = top.take("memory_pressure")) {
    if (auto s = section(*e)) read_memory_pressure(*s, config_.memory_pressure);
  }
  if (auto e = top.take("io_pressure")) {
    if (auto s = section(*e)) read_io_pressure(*s, config_.io_pressure);
  }
  if (auto e = top.take("notifications")) {
    if (auto s = section(*e)) read_notifications(*s, config_.notifications);
  }
  if (auto e = top.take("jobs")) {
    if (auto s = section(*e)) read_jobs(*s, config_.jobs);
  }
  top.finish();
  check_relations();
  apply_docker_host();

  // Report in file order (cross-field checks run last); issues of the env file come after.
  auto by_position = [this](const ConfigIssue& a, const ConfigIssue& b) {
    return std::make_tuple(a.file != file_, a.line, a.column) <
           std::make_tuple(b.file != file_, b.line, b.column);
  };
  std::stable_sort(result_.errors.begin(), result_.errors.end(), by_position);
  std::stable_sort(result_.warnings.begin(), result_.warnings.end(), by_position);
  if (result_.errors.empty()) result_.config = std::move(config_);
  return std::move(result_);
}

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string format_issue(const ConfigIssue& issue, std::string_view severity) {
  std::string out = issue.file;
  if (issue.line > 0) {
    out += ":" + std::to_string(issue.line) + ":" + std::to_string(issue.column);
  }
  out += ": ";
  out += severity;
  out += ": ";
  out += issue.message;
  return out;
}

ConfigLoad load_config_text(std::string_view yaml, const std::string& display_name,
                            const LoadOptions& options) {
  return Loader(display_name, "", options).run(yaml);
}

ConfigLoad load_config_file(const std::string& path, const LoadOptions& options) {
  auto text = read_text_file(path);
  if (!text) {
    ConfigLoad load;
    load.errors.push_back({path, 0, 0, "cannot read config file: " + text.error().describe()});
    return load;
  }
  return Loader(path, directory_of(path), options).run(*text);
}

Config default_config() { return Config{}; }

const std::vector<std::string>& known_notify_events() {
  static const std::vector<std::string> kEvents = {
      "daemon_start",   "daemon_stop",    "media_mode_activated",    "media_mode_deactivated",
      "thermal_stage1", "thermal_stage2", "memory_critical_restart", "memory_emergency_restart"};
  return kEvents;
}

}  // namespace adrg
