#include "config/bind_host.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <system_error>

#include "core/fs.h"
#include "core/loopback.h"

namespace adrg {

namespace {

Error host_error(std::string why) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(why)};
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// RFC 1123 host name: dot-separated labels of 1-63 letters, digits and '-', not starting or
// ending with '-', 253 characters at most; a trailing dot (fully qualified) is allowed.
std::optional<std::string> name_problem(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.size() > 253) return "a host name has at most 253 characters";
  std::string_view last;
  for (std::size_t start = 0; start <= name.size();) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return "a host name has no empty labels ('..' or a leading '.')";
    if (label.size() > 63) return "each label of a host name has at most 63 characters";
    for (char c : label) {
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-') {
        return std::string("'") + c +
               "' cannot appear in a host name (letters, digits, '-' and '.')";
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return "a label of a host name cannot start or end with '-'";
    }
    last = label;
    start = dot + 1;
  }
  // getaddrinfo reads "127.1" or "10.0.0.300.1" as (odd) numeric forms or fails; a name never
  // ends in a number.
  if (all_digits(last)) return "not an IPv4 address (four numbers 0-255, such as 127.0.0.1)";
  return std::nullopt;
}

}  // namespace

Result<BindHost> parse_bind_host(std::string_view text) {
  BindHost out;
  out.host = trim(text);
  const std::string_view trimmed = out.host;
  if (trimmed.empty()) return host_error("expected an address to bind, such as 127.0.0.1, got ''");
  const std::string quoted = "'" + out.host + "'";
  if (trimmed.front() == '[') {
    // The HTTP layer strips the brackets of "[::1]", the URL form of an IPv6 address.
    auto loopback = trimmed.size() > 2 && trimmed.back() == ']'
                        ? ipv6_loopback(trimmed.substr(1, trimmed.size() - 2))
                        : std::nullopt;
    if (!loopback) return host_error(quoted + " is not an IPv6 address in brackets, such as [::1]");
    out.loopback = *loopback;
    return out;
  }
  if (auto loopback = ipv4_loopback(out.host)) {
    out.loopback = *loopback;
    return out;
  }
  if (trimmed.find("://") != std::string_view::npos) {
    return host_error(quoted + ": give the address alone, without a scheme such as http://");
  }
  if (trimmed.find(':') != std::string_view::npos) {
    auto loopback = ipv6_loopback(trimmed);
    if (!loopback && std::count(trimmed.begin(), trimmed.end(), ':') == 1) {
      return host_error(quoted + ": the port goes in general.http_server.port, not in host");
    }
    if (!loopback) return host_error(quoted + " is not an IPv6 address (such as ::1 or ::)");
    out.loopback = *loopback;
    return out;
  }
  std::string lower;
  for (char c : trimmed) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || lower == "localhost.") {
    out.loopback = true;
    return out;
  }
  if (auto problem = name_problem(trimmed)) return host_error(quoted + ": " + *problem);
  out.is_name = true;
  return out;
}

}  // namespace adrg
