// Secrets never reach a log line: media API keys, Plex tokens, download-client passwords, the
// Transmission session id and every notification target (a Discord webhook URL has its token in
// the path, an ntfy topic URL is a shared secret on public servers, ntfy and Gotify tokens are
// credentials) are masked by these helpers before anything is formatted. The one module for it.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace adrg {

inline constexpr std::string_view kMaskedSecret = "***";

// "***" for any non-empty secret, "" for an empty one (so a log can still tell "no key set").
// Nothing of the secret is kept, not even its length or a prefix.
std::string mask_secret(std::string_view secret);

// `text` with every occurrence of every non-empty secret replaced by "***" (for error strings
// from curl or a peer that might echo a token back).
std::string redact(std::string_view text, std::initializer_list<std::string_view> secrets);

// A URL safe to log: the password of a userinfo part (http://user:pw@host) and the values of
// query parameters that carry credentials (X-Plex-Token, api_key, apikey, token, access_token,
// password, ...; case-insensitive) are replaced by "***".
std::string redact_url(std::string_view url);

// For a URL whose path itself is secret (Discord, ntfy): scheme://host[:port] plus "/…" when the
// URL has a path, query or fragment beyond "/". Userinfo (user:password@) is dropped. Anything
// that does not parse as scheme://authority is replaced by "***" as a whole, since we cannot
// tell which part is secret.
//   https://discord.com/api/webhooks/1/abc -> https://discord.com/…
//   http://gotify.local                      -> http://gotify.local
std::string mask_url(std::string_view url);

// Replaces every occurrence of secrets known only at run time (and kept across reloads) in free
// text (curl error buffers, response bodies echoed into logs) with "***". Defence in depth
// behind mask_url: curl and servers may quote a URL or a token back at us.
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

}  // namespace adrg
