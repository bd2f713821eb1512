#include "integrations/redact.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace adrg {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Query parameter names that carry credentials in the APIs adrg talks to: Plex (X-Plex-Token),
// Jellyfin/Emby (api_key, ApiKey), ntfy/gotify (token, auth), and generic ones.
constexpr std::array<std::string_view, 10> kSecretParams = {
    "x-plex-token", "api_key", "apikey", "token", "access_token",
    "password",     "pass",    "auth",   "key",   "x-emby-token"};

bool is_secret_param(std::string_view name) {
  return std::any_of(kSecretParams.begin(), kSecretParams.end(),
                     [name](std::string_view s) { return iequals(s, name); });
}

struct UrlParts {
  std::string_view scheme;     // "https"
  std::string_view userinfo;   // "user:pass", without '@'
  std::string_view host_port;  // "example.com:8080"
  std::string_view rest;       // "/path?query#fragment", possibly empty
};

bool split_url(std::string_view url, UrlParts& parts) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  parts.scheme = url.substr(0, sep);
  for (char c : parts.scheme) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '-' || c == '.';
    if (!ok) return false;
  }
  std::string_view after = url.substr(sep + 3);
  const auto end = after.find_first_of("/?#");
  std::string_view authority = after.substr(0, end);
  parts.rest = end == std::string_view::npos ? std::string_view() : after.substr(end);
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    parts.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  parts.host_port = authority;
  return !authority.empty();
}

}  // namespace

std::string mask_secret(std::string_view secret) {
  return secret.empty() ? std::string() : std::string(kMaskedSecret);
}

std::string redact(std::string_view text, std::initializer_list<std::string_view> secrets) {
  std::string out(text);
  for (std::string_view secret : secrets) {
    if (secret.empty()) continue;
    for (std::size_t at = out.find(secret); at != std::string::npos;
         at = out.find(secret, at + kMaskedSecret.size())) {
      out.replace(at, secret.size(), kMaskedSecret);
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  // Userinfo: between "://" and the first '@' before the path.
  std::size_t scheme_end = url.find("://");
  std::size_t authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority_start);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(authority_start, authority_end - authority_start);
  out.append(url.substr(0, authority_start));
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (std::size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.append(userinfo.substr(0, colon + 1)).append(kMaskedSecret);
    } else {
      out.append(userinfo);
    }
    out.append(authority.substr(at));
  } else {
    out.append(authority);
  }

  std::string_view rest = url.substr(authority_end);
  std::size_t query = rest.find('?');
  if (query == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  std::size_t fragment = rest.find('#', query);
  std::string_view params =
      rest.substr(query + 1, fragment == std::string_view::npos ? std::string_view::npos
                                                                : fragment - query - 1);
  out.append(rest.substr(0, query + 1));
  bool first = true;
  while (true) {
    std::size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    if (!first) out.push_back('&');
    first = false;
    std::size_t eq = param.find('=');
    if (eq != std::string_view::npos && is_secret_param(param.substr(0, eq)) &&
        eq + 1 < param.size()) {
      out.append(param.substr(0, eq + 1)).append(kMaskedSecret);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) break;
    params.remove_prefix(amp + 1);
  }
  if (fragment != std::string_view::npos) out.append(rest.substr(fragment));
  return out;
}

std::string mask_url(std::string_view url) {
  if (url.empty()) return {};
  UrlParts parts;
  if (!split_url(url, parts)) return std::string(kMaskedSecret);
  std::string out;
  out.reserve(parts.scheme.size() + parts.host_port.size() + 8);
  out.append(parts.scheme).append("://").append(parts.host_port);
  if (parts.rest == "/") {
    out += '/';
  } else if (!parts.rest.empty()) {
    out += "/…";
  }
  return out;
}

void SecretScrubber::add(std::string_view secret) {
  if (secret.size() < kMinLength) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.emplace_back(secret);
  std::stable_sort(secrets_.begin(), secrets_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void SecretScrubber::add_url(std::string_view url) {
  if (url.empty()) return;
  add(url);
  UrlParts parts;
  if (!split_url(url, parts)) return;
  if (!parts.userinfo.empty()) {
    add(parts.userinfo);
    if (auto colon = parts.userinfo.find(':'); colon != std::string_view::npos) {
      add(parts.userinfo.substr(colon + 1));
    }
  }
  if (parts.rest.size() > 1) add(parts.rest);
  std::string_view path = parts.rest.substr(0, parts.rest.find_first_of("?#"));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (auto slash = path.rfind('/'); slash != std::string_view::npos) add(path.substr(slash + 1));
  if (auto q = parts.rest.find('?'); q != std::string_view::npos) {
    std::string_view query = parts.rest.substr(q + 1);
    query = query.substr(0, query.find('#'));
    add(query);
    // Each value on its own too (?token=...): a server may echo just the value back.
    while (!query.empty()) {
      std::string_view pair = query.substr(0, query.find('&'));
      if (auto eq = pair.find('='); eq != std::string_view::npos) add(pair.substr(eq + 1));
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
    }
  }
}

std::string SecretScrubber::scrub(std::string_view text) const {
  std::string out(text);
  for (const auto& secret : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(secret, pos)) != std::string::npos) {
      out.replace(pos, secret.size(), kMaskedSecret);
      pos += kMaskedSecret.size();
    }
  }
  return out;
}

}  // namespace adrg
