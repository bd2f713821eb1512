// Transmission JSON-RPC (https://github.com/transmission/transmission/blob/main/docs/rpc-spec.md),
// verified against transmission-daemon 3.00, rpc-version 16.
// Quirks handled:
//  - CSRF handshake on EVERY request: a missing, stale or expired X-Transmission-Session-Id is
//    answered 409 with the current id in that header; take it and resend (the id changes while
//    the daemon runs and on every daemon restart, so the 409 path is part of every call).
//  - Basic auth; a wrong password is 401. A wrong type ("speed-limit-down":"abc") or an unknown
//    key still answers "result":"success" and changes nothing, so only numbers and booleans we
//    produced are sent; an unknown method answers HTTP 200 with another `result` string.
//  - Speeds are kB/s with 1 kB = 1000 bytes (session-get units.speed-bytes = 1000), unlike
//    qBittorrent's bytes/s.
//  - The URL may be the base ("http://host:9091"), ".../transmission" or the full RPC path
//    ("http://host:9091/transmission/rpc", what ADRG users paste); all three are accepted.
//  - Turtle mode (alt-speed-enabled) overrides speed-limit-down while on: the cap adrg sets then
//    applies only once turtle mode is off. adrg never toggles turtle mode (the user's schedule
//    owns it); the flag is read and recorded (DownloadLimit::mode) and shown in the status.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>

#include "integrations/downloads/download_client.h"

namespace adrg::downloads {

class TransmissionClient final : public DownloadClient {
 public:
  TransmissionClient(HttpClient& http, std::string url, std::string username, std::string password,
                     Duration timeout = std::chrono::seconds(5));
  ~TransmissionClient() override;  // cancels requests in flight; no callback runs afterwards
  TransmissionClient(const TransmissionClient&) = delete;
  TransmissionClient& operator=(const TransmissionClient&) = delete;

  std::string_view provider() const override { return "transmission"; }
  std::string display_url() const override;
  void read_limit(LimitCallback done) override;
  void set_limit(const DownloadLimit& limit, StatusCallback done) override;
  DownloadLimit cap_for(std::uint64_t bytes_per_sec) const override;

  const std::string& rpc_url() const { return rpc_url_; }
  // How many 409 handshakes were done (a fresh client does one on its first request).
  std::uint64_t session_id_refreshes() const { return session_id_refreshes_; }

  // ".../transmission/rpc" for any of the accepted URL forms.
  static std::string rpc_url_for(std::string_view url);

 private:
  // POSTs a JSON-RPC request; done gets the response body when result == "success".
  void rpc(std::string body, std::function<void(Result<std::string>)> done, int attempt = 0);

  HttpClient& http_;
  std::string url_;
  std::string rpc_url_;
  std::string username_;
  std::string password_;
  Duration timeout_;
  std::string session_id_;
  std::uint64_t session_id_refreshes_ = 0;
  std::unordered_set<HttpClient::Id> in_flight_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace adrg::downloads
