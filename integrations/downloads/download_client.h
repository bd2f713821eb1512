// Download clients adrg throttles while media plays (ADRG `media_mode.download_throttle`). One
// interface, two implementations over the asynchronous HttpClient (nothing blocks the loop):
//   - QbittorrentClient: WebUI API v2 (qBittorrent 4.1+; verified on 4.5.2, WebAPI 2.8.19),
//   - TransmissionClient: JSON-RPC (verified on transmission-daemon 3.00, rpc-version 16).
// Limits are kept in the client's native unit so a restore writes back exactly what was read:
// qBittorrent bytes/s, Transmission kB/s with 1 kB = 1000 bytes (`units.speed-bytes: 1000`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/http_client.h"
#include "core/result.h"

namespace adrg::downloads {

struct DownloadLimit {
  // Transmission: speed-limit-down-enabled. qBittorrent has no separate flag: a limit of 0 means
  // unlimited, so enabled == (value != 0) there.
  bool enabled = false;
  // Native unit: qBittorrent bytes/s; Transmission kB/s (1000 bytes).
  std::uint64_t value = 0;
  // qBittorrent transfer/speedLimitsMode when read (0 normal, 1 alternative). downloadLimit and
  // setDownloadLimit act on the limit of the mode in force, so the mode is recorded with the
  // value and a restore writes that mode's limit even if the user toggled the mode meanwhile.
  // Transmission: alt-speed-enabled ("turtle mode"; informational, see transmission_client.h).
  std::optional<int> mode;

  bool operator==(const DownloadLimit&) const = default;
};

std::string describe(const DownloadLimit& limit, std::string_view provider);

class DownloadClient {
 public:
  using LimitCallback = std::function<void(Result<DownloadLimit>)>;
  using StatusCallback = std::function<void(Status)>;

  virtual ~DownloadClient() = default;
  virtual std::string_view provider() const = 0;  // "qbittorrent" | "transmission"
  // The base URL as configured, safe to log (credentials masked).
  virtual std::string display_url() const = 0;

  // The download limit in force now. The callback runs later on the loop thread exactly once,
  // unless the client is destroyed first (then never).
  virtual void read_limit(LimitCallback done) = 0;
  // Writes `limit` (value + enabled; qBittorrent: into the limit of limit.mode when set).
  virtual void set_limit(const DownloadLimit& limit, StatusCallback done) = 0;
  // The native limit that caps downloads at about bytes_per_sec (never 0 = unlimited).
  virtual DownloadLimit cap_for(std::uint64_t bytes_per_sec) const = 0;
};

// qbittorrent | transmission; any other provider is an error (config validation should have
// caught it).
Result<std::unique_ptr<DownloadClient>> make_download_client(HttpClient& http,
                                                             const DownloadThrottleConfig& config);

// Errors from a client carry one of these codes so callers can tell them apart:
//   errc::permission_denied  - credentials refused (qBittorrent "Fails.", Transmission 401) or
//                              qBittorrent banned our IP after failed logins,
//   errc::connection_refused / timed_out / host_unreachable - transport (client down),
//   errc::bad_message        - an answer we could not understand.
Error transport_error(const HttpResponse& response, std::string what);

}  // namespace adrg::downloads
