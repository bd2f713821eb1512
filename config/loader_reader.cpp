#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <utility>

#include "config/loader_internal.h"
#include "config/size.h"

namespace adrg::config_detail {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

namespace {

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

}  // namespace

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

}  // namespace adrg::config_detail
