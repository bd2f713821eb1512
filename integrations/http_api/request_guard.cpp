#include "integrations/http_api/request_guard.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

#include "core/loopback.h"

namespace adrg {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lower(a) == lower(b);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
}

// "Bearer <token>" with the token, nullopt for any other scheme.
std::optional<std::string_view> bearer_token(std::optional<std::string_view> authorization) {
  if (!authorization) return std::nullopt;
  std::string_view value = trim(*authorization);
  if (value.size() < 7 || !iequals(value.substr(0, 7), "Bearer ")) return std::nullopt;
  return trim(value.substr(7));
}

std::optional<Refusal> need_token(const RequestFacts& facts, const HttpServerConfig& config) {
  std::optional<std::string_view> provided = bearer_token(facts.authorization);
  if (provided && secret_equals(*provided, config.token)) return std::nullopt;
  return Refusal{
      401, facts.authorization ? "invalid token" : "missing Authorization: Bearer <token>", true};
}

}  // namespace

std::string host_without_port(std::string_view host_header) {
  std::string_view host = trim(host_header);
  std::optional<std::string_view> port;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) return {};
    std::string_view rest = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return {};
      port = rest.substr(1);
    }
    in6_addr probe{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &probe) != 1) return {};
  } else {
    std::size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) {
      if (host.find(':') != colon) return {};  // a bare IPv6 address must be in brackets
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    if (!std::all_of(host.begin(), host.end(), is_host_char)) return {};
  }
  if (port) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port->data(), port->data() + port->size(), value);
    if (port->empty() || ec != std::errc() || end != port->data() + port->size() || value > 65535) {
      return {};
    }
  }
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty() || host.size() > 253) return {};
  return lower(host);
}

HostAllowList make_host_allow_list(const HttpServerConfig& config, std::string_view hostname,
                                   const std::vector<std::string>& addresses) {
  HostAllowList allow;
  for (const std::string& host : config.allowed_hosts) {
    std::string name = host_without_port(host);
    if (!name.empty()) allow.names.insert(name);
  }
  if (!hostname.empty()) {
    std::string name = lower(hostname);
    allow.names.insert(name);
    // The short name and its mDNS form: `http://pi5:8765` and `http://pi5.local:8765` are both
    // how users reach a home server.
    std::string short_name = name.substr(0, name.find('.'));
    allow.names.insert(short_name);
    allow.names.insert(short_name + ".local");
  }
  for (const std::string& address : addresses) allow.names.insert(lower(address));
  return allow;
}

std::string machine_hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return {};
  return name;
}

std::vector<std::string> machine_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr) continue;
    if (it->ifa_addr->sa_family != AF_INET && it->ifa_addr->sa_family != AF_INET6) continue;
    std::string text = address_text(it->ifa_addr);
    if (!text.empty()) out.push_back(std::move(text));
  }
  ::freeifaddrs(list);
  return out;
}

std::string address_text(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, text, sizeof(text));
  } else if (addr->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

bool host_is_allowed(std::optional<std::string_view> host, const HostAllowList& allow) {
  if (!host) return true;
  std::string name = host_without_port(*host);
  if (name.empty()) return false;
  return is_loopback_host(name) || allow.names.contains(name);
}

std::optional<Refusal> check_request(const RequestFacts& facts, const HttpServerConfig& config,
                                     const HostAllowList& allow) {
  if (!facts.via_unix && !host_is_allowed(facts.host, allow)) {
    return Refusal{403,
                   "Host '" + std::string(facts.host.value_or("")) +
                       "' does not name this machine; refused as a possible DNS-rebinding "
                       "attack (add the name to general.http_server.allowed_hosts if you reach "
                       "adrg by it)",
                   false};
  }
  if (facts.sec_fetch_site && iequals(trim(*facts.sec_fetch_site), "cross-site")) {
    return Refusal{403, "cross-site request from a web page refused (Sec-Fetch-Site: cross-site)",
                   false};
  }
  if (facts.origin) {
    // The API's own origin is the scheme and Host the browser used to load a page from it.
    std::string own = "http://" + std::string(trim(facts.host.value_or("")));
    if (!facts.host || !iequals(trim(*facts.origin), own)) {
      return Refusal{403,
                     "Origin '" + std::string(*facts.origin) +
                         "' is not this API's own; requests from other web pages are refused",
                     false};
    }
  }
  if (facts.via_unix) return std::nullopt;
  const bool has_token = !config.token.empty();
  switch (facts.access) {
    case RouteAccess::kHealth:
      return std::nullopt;
    case RouteAccess::kRead:
      if (!has_token || config.public_read) return std::nullopt;
      return need_token(facts, config);
    case RouteAccess::kStream:
    case RouteAccess::kAct:
      if (!has_token) return std::nullopt;
      return need_token(facts, config);
    case RouteAccess::kJobs:
      if (!has_token) {
        return Refusal{403,
                       "job data is served over TCP only when general.http_server.token is set; "
                       "use the unix socket (adrgctl)",
                       false};
      }
      return need_token(facts, config);
    case RouteAccess::kWebhook:
      if (!config.webhook_secret.empty()) {
        if (facts.webhook_secret && secret_equals(*facts.webhook_secret, config.webhook_secret)) {
          return std::nullopt;
        }
        return Refusal{403,
                       facts.webhook_secret ? "invalid webhook secret"
                                            : "missing webhook secret (X-Adrg-Webhook-Secret "
                                              "header or ?secret= in the URL)",
                       false};
      }
      if (!has_token) return std::nullopt;
      return need_token(facts, config);
  }
  return Refusal{403, "refused", false};
}

bool secret_equals(std::string_view provided, std::string_view expected) {
  // Every byte of `expected` is compared whatever the input, so the time taken does not tell an
  // attacker how long a correct prefix they guessed.
  volatile unsigned char diff = provided.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    unsigned char p = i < provided.size() ? static_cast<unsigned char>(provided[i]) : 0;
    diff = diff | (p ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

}  // namespace adrg
