// Secret masking for notification logs. Every notification target carries a secret somewhere: a
// Discord webhook URL has its token in the path (/api/webhooks/<id>/<token>), an ntfy topic URL
// is a shared secret on public servers (anyone who knows the topic reads it), and the ntfy and
// Gotify tokens are credentials. Nothing of these may reach a log line.
//
// Scoped to what integrations/notify needs; integrations/redact.h (written for the media and
// download clients) did not exist yet when this was written. Merge the two once it lands.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace adrg::notify {

// "***" for any non-empty secret, "" for an empty one. Nothing of the secret is kept: a prefix
// of a short Gotify token is a real part of its entropy.
std::string mask_secret(std::string_view secret);

// scheme://host[:port] plus "/…" when the URL has a path, query or fragment beyond "/".
// Userinfo (user:password@) is dropped. Anything that does not parse as scheme://authority is
// replaced by "***" as a whole, since we cannot tell which part is secret.
//   https://discord.com/api/webhooks/1/abc -> https://discord.com/…
//   http://gotify.local                      -> http://gotify.local
std::string mask_url(std::string_view url);

// Replaces every occurrence of known secrets in free text (curl error buffers, response bodies
// echoed into logs) with "***". Defence in depth behind mask_url: curl and servers may quote a
// URL or a token back at us.
class SecretScrubber {
 public:
  // Secrets shorter than kMinLength are ignored: masking every "a" in a log line helps nobody.
  static constexpr std::size_t kMinLength = 4;

  void add(std::string_view secret);
  // The URL itself, its userinfo, its path+query and its last path segment (Discord token,
  // ntfy topic).
  void add_url(std::string_view url);
  std::string scrub(std::string_view text) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;  // longest first, so a URL is masked before its parts
};

}  // namespace adrg::notify
