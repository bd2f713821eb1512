// Pure parsers for what the download clients answer (STYLE: parse separately from read), so the
// replies are unit-tested and fuzzed without a client: qbittorrent_client.cpp and
// transmission_client.cpp do the requests and hand the bodies here.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/result.h"
#include "integrations/downloads/download_client.h"

namespace adrg::downloads {

// Transmission's JSON-RPC envelope: ok when "result" is "success". Otherwise bad_message with
// "reply is not JSON", "reply has no result", or the result string itself (an unknown method
// still answers HTTP 200 with another result).
Status parse_transmission_reply(std::string_view body);

// session-get with speed-limit-down (kB/s), speed-limit-down-enabled and alt-speed-enabled (the
// mode: 1 while turtle mode is on; absent counts as off).
Result<DownloadLimit> parse_transmission_session(std::string_view body);

// qBittorrent auth/login answers HTTP 200 with "Ok." or "Fails." (never 401): the body decides.
bool qbittorrent_login_ok(std::string_view body);

// transfer/speedLimitsMode: "0" (normal) or "1" (alternative), surrounding whitespace allowed.
Result<int> parse_qbittorrent_mode(std::string_view body);

// transfer/downloadLimit: bytes/s in the mode in force, 0 = unlimited. The limit's mode is left
// unset (the caller read it separately).
Result<DownloadLimit> parse_qbittorrent_limit(std::string_view body);

}  // namespace adrg::downloads
