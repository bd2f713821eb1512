#include "actuator/relief.h"

#include <algorithm>
#include <charconv>

namespace adrg {

namespace {

// "<quota> <period>" → (quota, period); "max" or anything unparsable → nullopt (no limit).
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_cpu_max(std::string_view text) {
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
  };
  auto quota = number(text.substr(0, space));
  auto period = number(text.substr(space + 1));
  if (!quota || !period || *period == 0) return std::nullopt;
  return std::make_pair(*quota, *period);
}

}  // namespace

std::string relief_cpu_max(const std::optional<std::string>& claimed) {
  if (claimed) {
    auto claim = parse_cpu_max(*claimed);
    auto relief = parse_cpu_max(kReliefCpuMax);
    // claim_quota / claim_period <= relief_quota / relief_period, without division. Periods are
    // at most 1 s (1e6 us) and quotas at most cpus * period: the products fit in 64 bits.
    if (claim && relief && claim->first * relief->second <= relief->first * claim->second) {
      return *claimed;
    }
  }
  return std::string(kReliefCpuMax);
}

IoLimit relief_io_max(const std::optional<IoLimit>& claimed) {
  auto stricter = [](std::uint64_t claim) {
    return claim == 0 ? kReliefIoBps : std::min(claim, kReliefIoBps);
  };
  IoLimit claim = claimed.value_or(IoLimit{});
  return IoLimit{stricter(claim.read_bps), stricter(claim.write_bps)};
}

}  // namespace adrg
