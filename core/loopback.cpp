#include "core/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace adrg {

namespace {

// Interface names as the kernel allows them (IFNAMSIZ - 1, no '/' or blanks).
bool is_zone(std::string_view zone) {
  return !zone.empty() && zone.size() < 16 && std::all_of(zone.begin(), zone.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

}  // namespace

std::optional<bool> ipv4_loopback(std::string_view text) {
  in_addr address{};
  if (inet_pton(AF_INET, std::string(text).c_str(), &address) != 1) return std::nullopt;
  return (ntohl(address.s_addr) >> 24) == 127;
}

// inet_pton does not take a %zone (fe80::1%eth0); getaddrinfo does.
std::optional<bool> ipv6_loopback(std::string_view text) {
  auto percent = text.find('%');
  if (percent != std::string_view::npos && !is_zone(text.substr(percent + 1))) return std::nullopt;
  std::string bare(text.substr(0, percent));
  in6_addr address{};
  if (inet_pton(AF_INET6, bare.c_str(), &address) != 1) return std::nullopt;
  return IN6_IS_ADDR_LOOPBACK(&address) ||
         (IN6_IS_ADDR_V4MAPPED(&address) && address.s6_addr[12] == 127);
}

bool is_loopback_host(std::string_view host) {
  std::string name;
  for (char c : host) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!name.empty() && name.back() == '.') name.pop_back();
  if (name == "localhost" || (name.size() > 10 && name.ends_with(".localhost"))) return true;
  if (auto v4 = ipv4_loopback(name)) return *v4;
  return ipv6_loopback(name).value_or(false);
}

}  // namespace adrg
