// Who may ask what of the HTTP API: the checks made on a request's headers before any handler
// runs. Pure functions of the request's facts and the config, so every rule is unit-tested and
// fuzzed without a socket.
//
// Three defences, in order:
//  1. DNS rebinding: over TCP the Host header must name this machine (a loopback name or address,
//     one of its own addresses, its hostname) or an entry of allowed_hosts. A web page that
//     rebinds its own name to 127.0.0.1 still sends its own name as Host, and is refused.
//  2. CSRF: a request that carries an Origin other than the API's own, or says
//     `Sec-Fetch-Site: cross-site`, comes from a web page in the user's browser and is refused,
//     token or not (browsers send both on every cross-site POST, and Sec-Fetch-Site on GETs).
//  3. Credentials over TCP: with a token set, everything but /healthz needs it (public_read opens
//     /status and /metrics); without one (loopback only) reads and triggers stay open as in ADRG,
//     but job data is never served over TCP. /webhook/media takes its own secret when one is set.
// The unix socket skips 1 and 3: its file mode and SO_PEERCRED are its access control.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace adrg {

// What a route gives away or does, which decides the credential it needs over TCP.
enum class RouteAccess {
  kHealth,   // GET /healthz: liveness only, always answered
  kRead,     // GET /status, /metrics: governor state (public_read opens it)
  kStream,   // GET /events: every decision with its reason (the token, when set, always)
  kJobs,     // the job endpoints: command lines, output; never over TCP without the token
  kAct,      // POST /trigger: changes what the governor does
  kWebhook,  // POST /webhook/media: acts, with its own shared secret when one is set
};

// The header values a guard looks at; nullopt when the header is absent.
struct RequestFacts {
  bool via_unix = false;
  RouteAccess access = RouteAccess::kRead;
  std::optional<std::string_view> host;
  std::optional<std::string_view> origin;
  std::optional<std::string_view> sec_fetch_site;
  std::optional<std::string_view> authorization;
  std::optional<std::string_view> webhook_secret;  // X-Adrg-Webhook-Secret or ?secret=
};

// The names a Host header may carry over TCP, lower-case and without a port. Loopback names and
// addresses are always accepted and need not be listed.
struct HostAllowList {
  std::set<std::string> names;  // hostname, allowed_hosts, this machine's addresses as text
};

// allowed_hosts plus `hostname` (and `hostname.local`, mDNS) plus `addresses` (textual IPs).
HostAllowList make_host_allow_list(const HttpServerConfig& config, std::string_view hostname,
                                   const std::vector<std::string>& addresses);
// An IPv4 or IPv6 socket address as text, without port ("" for other families).
std::string address_text(const sockaddr* addr);
// The machine's hostname and interface addresses as the kernel reports them now.
std::string machine_hostname();
std::vector<std::string> machine_addresses();

// "Example.COM:8765" -> "example.com"; "[::1]:80" -> "::1"; a trailing dot is dropped. Empty when
// the value is malformed (a bad port, an unclosed bracket, characters no host name has).
std::string host_without_port(std::string_view host_header);

struct Refusal {
  unsigned status = 403;
  std::string message;
  bool ask_for_bearer = false;  // a 401 that should carry WWW-Authenticate: Bearer
};

// nullopt: the request may proceed. `allow` is consulted for the Host check over TCP.
std::optional<Refusal> check_request(const RequestFacts& facts, const HttpServerConfig& config,
                                     const HostAllowList& allow);

// The Host check alone: true when `host` names this machine or an allowed host, or is absent
// (only non-browser HTTP/1.0 clients omit it, and they cannot be rebinding victims).
bool host_is_allowed(std::optional<std::string_view> host, const HostAllowList& allow);

// Constant-time in the content of both strings (the length of `expected` may leak).
bool secret_equals(std::string_view provided, std::string_view expected);

}  // namespace adrg
