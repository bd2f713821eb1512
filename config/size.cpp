#include "config/size.h"

#include <cctype>
#include <limits>
#include <string>
#include <system_error>

namespace adrg {

namespace {

Error size_error(std::string_view text, std::string_view why) {
  return Error{std::make_error_code(std::errc::invalid_argument),
               "invalid size '" + std::string(text) + "': " + std::string(why)};
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The multiplier of a unit ("", "b", "k", "kb", "ki", "kib", ...), or 0 when unknown.
std::uint64_t unit_multiplier(std::string_view unit) {
  std::string u;
  for (char c : unit) u += lower(c);
  if (u.empty() || u == "b") return 1;
  static constexpr std::string_view kPrefixes = "kmgtp";
  auto shift = kPrefixes.find(u[0]);
  if (shift == std::string_view::npos) return 0;
  std::string_view rest = std::string_view(u).substr(1);
  if (!(rest.empty() || rest == "b" || rest == "i" || rest == "ib")) return 0;
  return std::uint64_t{1} << (10 * (shift + 1));
}

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
  const std::string_view original = text;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text.empty()) return size_error(original, "empty");
  if (text.front() == '-') return size_error(original, "a size cannot be negative");
  if (lower(text.front()) == 'm' && text.size() == 3 && lower(text[1]) == 'a' &&
      lower(text[2]) == 'x') {
    return size_error(original,
                      "'max' is not a size; leave the key out (or set it to null) for "
                      "no limit");
  }
  if (!is_digit(text.front()))
    return size_error(original, "expected a number such as 512M or 1.5G");

  std::size_t i = 0;
  std::string_view whole;
  std::string_view fraction;
  while (i < text.size() && is_digit(text[i])) ++i;
  whole = text.substr(0, i);
  bool has_point = false;
  if (i < text.size() && text[i] == '.') {
    has_point = true;
    std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    fraction = text.substr(start, i - start);
    if (fraction.empty()) return size_error(original, "expected digits after the decimal point");
  }
  std::string_view unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);  // "1.5 G", as Docker allows
  for (char c : unit) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      return size_error(original, "expected a number followed by K, M, G or T");
    }
  }
  const std::uint64_t multiplier = unit_multiplier(unit);
  if (multiplier == 0) {
    return size_error(
        original, "unknown unit '" + std::string(unit) + "' (use K, M, G or T, powers of 1024)");
  }
  if (has_point && multiplier == 1) {
    return size_error(original, "a size in bytes must be a whole number (or use a unit: 1.5G)");
  }

  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t value = 0;
  for (char c : whole) {
    auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return size_error(original, "too large");
    value = value * 10 + digit;
  }
  if (multiplier > 1 && value > kMax / multiplier) return size_error(original, "too large");
  value *= multiplier;

  // floor(0.d1d2...dn * multiplier) exactly, for any number of digits: from the last digit to
  // the first, carry = floor((d * multiplier + carry) / 10). Each step is floor(x/10) of an exact
  // integer and nested floors of divisions compose, so the result is the exact floor. carry stays
  // below multiplier (<= 2^50), so nothing overflows.
  std::uint64_t carry = 0;
  for (auto it = fraction.rbegin(); it != fraction.rend(); ++it) {
    carry = (static_cast<std::uint64_t>(*it - '0') * multiplier + carry) / 10;
  }
  if (value > kMax - carry) return size_error(original, "too large");
  return value + carry;
}

}  // namespace adrg
