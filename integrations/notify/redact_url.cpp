#include "integrations/notify/redact_url.h"

#include <algorithm>

namespace adrg::notify {

namespace {

constexpr std::string_view kMask = kMaskedSecret;

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

std::string mask_url(std::string_view url) {
  if (url.empty()) return {};
  UrlParts parts;
  if (!split_url(url, parts)) return std::string(kMask);
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
      out.replace(pos, secret.size(), kMask);
      pos += kMask.size();
    }
  }
  return out;
}

}  // namespace adrg::notify
