// What counts as this machine's loopback, in one place: the config's bind-address check
// (config/bind_host) and the HTTP API's Host-header defence (integrations/http_api/request_guard)
// must never disagree about it.
#pragma once

#include <optional>
#include <string_view>

namespace adrg {

// For an IPv4 literal: whether it is in 127.0.0.0/8. nullopt when `text` is not one.
std::optional<bool> ipv4_loopback(std::string_view text);
// For an IPv6 literal (no brackets; an optional %zone as getaddrinfo takes it): whether it is ::1
// or an IPv4-mapped ::ffff:127.0.0.0/104. nullopt when `text` is not one.
std::optional<bool> ipv6_loopback(std::string_view text);
// True for "localhost" and "*.localhost" (RFC 6761: resolvers and browsers map them to loopback),
// in any case and with an optional trailing dot, and for loopback literals as above. Takes a
// host without a port or brackets. For a Host header, where the browser did the resolving; a bind
// address takes only the literals and "localhost" itself (getaddrinfo may send other *.localhost
// names to DNS).
bool is_loopback_host(std::string_view host);

}  // namespace adrg
