#include "actuator/limit_merge.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "core/fs.h"

namespace adrg {

namespace {

// "max" in every limit file: no limit. The kernel itself stores it as U64_MAX.
constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kDefaultCpuPeriod = 100000;  // cgroup-v2.rst: cpu.max "max 100000"

std::string without_newline(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text);
}

// "max" -> kUnlimited, decimal digits -> their value; anything else (empty, signs, overflow,
// a "max" a kernel would not print) -> nullopt.
std::optional<std::uint64_t> parse_limit(std::string_view text) {
  if (text == "max") return kUnlimited;
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kUnlimited - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::vector<std::string_view> fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
      ++pos;
    }
    std::size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n' &&
           text[end] != '\r') {
      ++end;
    }
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

// a/b <=> c/d for b, d > 0, exact (no product that could overflow): compare the integer parts,
// then the remainders' reciprocals in reverse order (Euclid's steps, so it terminates).
int compare_ratio(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t d) {
  const std::uint64_t qa = a / b;
  const std::uint64_t qc = c / d;
  if (qa != qc) return qa < qc ? -1 : 1;
  const std::uint64_t ra = a % b;
  const std::uint64_t rc = c % d;
  if (ra == 0 || rc == 0) return ra == rc ? 0 : (ra == 0 ? -1 : 1);
  // ra/b <=> rc/d  is  d/rc <=> b/ra.
  return compare_ratio(d, rc, b, ra);
}

struct CpuMax {
  std::uint64_t quota = kUnlimited;
  std::uint64_t period = kDefaultCpuPeriod;
};

std::optional<CpuMax> parse_cpu_max(std::string_view text) {
  auto f = fields(text);
  if (f.empty() || f.size() > 2) return std::nullopt;
  CpuMax out;
  auto quota = parse_limit(f[0]);
  if (!quota) return std::nullopt;
  out.quota = *quota;
  if (f.size() == 2) {
    auto period = parse_limit(f[1]);
    if (!period || *period == 0 || *period == kUnlimited) return std::nullopt;
    out.period = *period;
  }
  return out;
}

// One io.max line: "MAJ:MIN key=value ...", keys in the order given.
struct IoMaxLine {
  std::string device;
  std::vector<std::pair<std::string, std::uint64_t>> keys;
  std::uint64_t get(std::string_view key) const {
    for (const auto& [k, v] : keys) {
      if (k == key) return v;
    }
    return kUnlimited;  // a key not listed is not limited
  }
};

std::optional<IoMaxLine> parse_io_max_line(std::string_view text) {
  auto f = fields(text);
  if (f.empty() || f[0].find(':') == std::string_view::npos || f[0].find('=') != f[0].npos) {
    return std::nullopt;
  }
  IoMaxLine out;
  out.device = std::string(f[0]);
  for (std::size_t i = 1; i < f.size(); ++i) {
    auto eq = f[i].find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    auto value = parse_limit(f[i].substr(eq + 1));
    if (!value) return std::nullopt;
    std::string key(f[i].substr(0, eq));
    auto dup = std::find_if(out.keys.begin(), out.keys.end(),
                            [&](const auto& kv) { return kv.first == key; });
    if (dup != out.keys.end()) return std::nullopt;
    out.keys.emplace_back(std::move(key), *value);
  }
  return out;
}

std::string limit_text(std::uint64_t value) {
  return value == kUnlimited ? std::string("max") : std::to_string(value);
}

MergedLimit merge_io_max(std::string_view user, std::string_view wanted) {
  MergedLimit adrg{without_newline(wanted), LimitSource::kAdrg};
  if (trim(user).empty()) return adrg;  // the device had no line: no limit of the user's
  auto u = parse_io_max_line(user);
  auto a = parse_io_max_line(wanted);
  if (!u || !a || u->device != a->device) return adrg;
  // adrg's keys first, in adrg's order, then the user's others (riops, wiops) in theirs.
  std::vector<std::string> order;
  for (const auto& [k, v] : a->keys) order.push_back(k);
  for (const auto& [k, v] : u->keys) {
    if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
  }
  bool user_wins = true;
  bool adrg_wins = true;
  std::string merged = a->device;
  for (const auto& key : order) {
    const std::uint64_t uv = u->get(key);
    const std::uint64_t av = a->get(key);
    const std::uint64_t m = std::min(uv, av);
    user_wins = user_wins && m == uv;
    adrg_wins = adrg_wins && m == av;
    // adrg's keys always (its "wbps=max" lifts nothing the user set: m is the user's then);
    // the user's others only when they limit something. Keys left out keep their value in the
    // kernel anyway, but listing them makes the written line the whole truth.
    const bool adrg_key = std::any_of(a->keys.begin(), a->keys.end(),
                                      [&](const auto& kv) { return kv.first == key; });
    if (adrg_key || m != kUnlimited) merged += " " + key + "=" + limit_text(m);
  }
  if (user_wins) return {without_newline(user), LimitSource::kUser};
  if (adrg_wins) return adrg;
  return {merged, LimitSource::kBoth};
}

}  // namespace

std::string_view to_string(LimitSource source) {
  switch (source) {
    case LimitSource::kUser:
      return "user";
    case LimitSource::kAdrg:
      return "adrg";
    case LimitSource::kBoth:
      return "both";
  }
  return "adrg";
}

bool is_user_limit_file(std::string_view file) {
  return file == "memory.max" || file == "memory.high" || file == "cpu.max" || file == "io.max";
}

MergedLimit stricter_limit(std::string_view file, std::string_view user, std::string_view wanted) {
  MergedLimit adrg{without_newline(wanted), LimitSource::kAdrg};
  MergedLimit kept{without_newline(user), LimitSource::kUser};
  if (file == "io.max") return merge_io_max(user, wanted);
  if (file == "memory.max" || file == "memory.high") {
    auto u = parse_limit(trim(user));
    auto a = parse_limit(trim(wanted));
    if (!u || !a) return adrg;
    return *u <= *a ? kept : adrg;
  }
  if (file == "cpu.max") {
    auto u = parse_cpu_max(user);
    auto a = parse_cpu_max(wanted);
    if (!u || !a) return adrg;
    if (u->quota == kUnlimited) return a->quota == kUnlimited ? kept : adrg;
    if (a->quota == kUnlimited) return kept;
    return compare_ratio(u->quota, u->period, a->quota, a->period) <= 0 ? kept : adrg;
  }
  return adrg;
}

std::string user_limit_text(std::string_view file, std::string_view original) {
  std::string text = without_newline(original);
  if (file == "io.max" && trim(text).empty()) return "max";
  return text;
}

}  // namespace adrg
