// Secrets never reach a log line: media API keys, Plex tokens, download-client passwords and the
// Transmission session id are masked by these helpers before anything is formatted. DESIGN.md:
// "secrets never logged".
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

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

}  // namespace adrg
