// Secret masking for notification logs. Every notification target carries a secret somewhere: a
// Discord webhook URL has its token in the path (/api/webhooks/<id>/<token>), an ntfy topic URL
// is a shared secret on public servers (anyone who knows the topic reads it), and the ntfy and
// Gotify tokens are credentials. Nothing of these may reach a log line.
//
// Complements integrations/redact.h (mask_secret comes from there): its redact_url() keeps the
// path and masks only known query parameters, which is right for media servers but leaks a
// Discord token or an ntfy topic; its redact() takes a fixed initializer_list, while the secrets
// here are known only at run time and must outlive reloads. Candidates to merge into redact.h:
// mask_url (a "hide the path" mode) and SecretScrubber (a runtime secret set).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "integrations/redact.h"

namespace adrg::notify {

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
