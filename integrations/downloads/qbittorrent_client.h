// qBittorrent WebUI API v2
// (https://github.com/qbittorrent/qBittorrent/wiki/WebUI-API-(qBittorrent-4.1)), verified against
// qbittorrent-nox 4.5.2. Quirks handled:
//  - POST /api/v2/auth/login answers HTTP 200 with "Ok." or "Fails." (never 401): the body
//    decides. The session is the cookie it sets (SID=...; 5.x may name it differently, so the
//    first cookie is kept whatever its name) and is sent back on every call.
//  - A call without a valid session answers 403: log in again once and retry. After 5 failed
//    logins qBittorrent bans our IP (403 "...banned...") for an hour, even for a right password:
//    reported as permission_denied, and the throttle's backoff keeps retries rare.
//  - GET transfer/downloadLimit and POST transfer/setDownloadLimit act on the limit of the speed
//    mode in force (normal or alternative): the mode is read (transfer/speedLimitsMode) and
//    recorded with the value; a restore into a mode no longer in force goes through
//    app/setPreferences {"dl_limit"|"alt_dl_limit"} instead, so it lands where it was read.
//  - Setters must be POST (GET answers 405); limit=abc or -5 silently becomes 0 (unlimited), so
//    only numbers we formatted ourselves are ever sent.
//  - A Referer or Origin not matching the host is rejected with 401 (CSRF check): none is sent
//    (HttpClient sends neither).
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "integrations/downloads/download_client.h"

namespace adrg::downloads {

class QbittorrentClient final : public DownloadClient {
 public:
  QbittorrentClient(HttpClient& http, const std::string& url, std::string username,
                    std::string password, Duration timeout = std::chrono::seconds(5));
  ~QbittorrentClient() override;  // cancels requests in flight; no callback runs afterwards
  QbittorrentClient(const QbittorrentClient&) = delete;
  QbittorrentClient& operator=(const QbittorrentClient&) = delete;

  std::string_view provider() const override { return "qbittorrent"; }
  std::string display_url() const override;
  void read_limit(LimitCallback done) override;
  void set_limit(const DownloadLimit& limit, StatusCallback done) override;
  DownloadLimit cap_for(std::uint64_t bytes_per_sec) const override;

  // For tests and the status dump.
  std::uint64_t logins() const { return logins_; }
  bool has_session() const { return !cookie_.empty(); }

 private:
  using ResponseCallback = std::function<void(Result<HttpResponse>)>;

  // One API call with the session cookie: logs in first when there is none, and once more on
  // 403. Non-2xx answers become errors.
  void call(std::string method, std::string path, std::string form, ResponseCallback done,
            bool relogged = false);
  void login(StatusCallback done);
  void read_mode(std::function<void(Result<int>)> done);
  void send(HttpRequest request, HttpClient::Callback done);
  std::string endpoint(std::string_view path) const;
  std::string scrub(std::string_view text) const;

  HttpClient& http_;
  std::string url_;
  std::string username_;
  std::string password_;
  Duration timeout_;
  std::string cookie_;  // "SID=..." as set by the last successful login
  bool login_in_flight_ = false;
  std::vector<StatusCallback> login_waiters_;
  std::uint64_t logins_ = 0;
  std::unordered_set<HttpClient::Id> in_flight_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace adrg::downloads
