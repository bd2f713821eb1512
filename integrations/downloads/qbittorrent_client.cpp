#include "integrations/downloads/qbittorrent_client.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "core/fs.h"
#include "core/json_writer.h"
#include "integrations/downloads/download_parse.h"
#include "integrations/downloads/download_util.h"
#include "integrations/redact.h"

namespace adrg::downloads {

QbittorrentClient::QbittorrentClient(HttpClient& http, const std::string& url, std::string username,
                                     std::string password, Duration timeout)
    : http_(http),
      url_(strip_trailing_slash(url)),
      username_(std::move(username)),
      password_(std::move(password)),
      timeout_(timeout) {}

QbittorrentClient::~QbittorrentClient() {
  alive_.reset();
  for (HttpClient::Id id : in_flight_) http_.cancel(id);
}

std::string QbittorrentClient::display_url() const { return redact_url(url_); }

std::string QbittorrentClient::endpoint(std::string_view path) const {
  return url_ + "/api/v2/" + std::string(path);
}

std::string QbittorrentClient::scrub(std::string_view text) const {
  return redact(text, {password_, cookie_.substr(cookie_.find('=') + 1)});
}

void QbittorrentClient::send(HttpRequest request, HttpClient::Callback done) {
  request.timeout = timeout_;
  request.connect_timeout = timeout_;
  // The id is only known after send() returns; the callback never runs inside send(), so the
  // shared slot is filled in before it can be read.
  auto id_slot = std::make_shared<HttpClient::Id>(0);
  std::weak_ptr<bool> alive = alive_;
  *id_slot = http_.send(std::move(request),
                        [this, alive, id_slot, done = std::move(done)](HttpResponse response) {
                          if (alive.expired()) return;
                          in_flight_.erase(*id_slot);
                          done(std::move(response));
                        });
  in_flight_.insert(*id_slot);
}

void QbittorrentClient::login(StatusCallback done) {
  login_waiters_.push_back(std::move(done));
  if (login_in_flight_) return;
  login_in_flight_ = true;
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint("auth/login");
  request.headers = {"Content-Type: application/x-www-form-urlencoded"};
  request.body = "username=" + form_encode(username_) + "&password=" + form_encode(password_);
  ++logins_;
  send(std::move(request), [this](const HttpResponse& response) {
    login_in_flight_ = false;
    Status status;
    if (response.transport_ok() && response.status == 403) {
      // After MaxAuthenticationFailCount failed logins the WebUI bans the address (in memory,
      // WebUI\BanDuration, 3600 s by default) and refuses even a right password.
      status = Error{std::make_error_code(std::errc::permission_denied),
                     "qbittorrent login at " + display_url() + " refused with 403 (" +
                         scrub(trim(response.body).substr(0, 120)) + ")"};
    } else if (!response.transport_ok() || response.status != 200) {
      status = transport_error(response, "qbittorrent login at " + display_url());
    } else if (!qbittorrent_login_ok(response.body)) {
      // Wrong credentials: HTTP 200 with "Fails." (qbittorrent-nox 4.5.2).
      status = Error{std::make_error_code(std::errc::permission_denied),
                     "qbittorrent login at " + display_url() + " as '" + username_ +
                         "' failed (wrong username or password; the WebUI answered \"" +
                         scrub(trim(response.body).substr(0, 40)) + "\")"};
    } else {
      cookie_ = session_cookie(response);
      // WebUI\LocalHostAuth=false or a whitelisted subnet skips auth and may set no cookie;
      // calls then work without one.
    }
    auto waiters = std::move(login_waiters_);
    login_waiters_.clear();
    for (auto& waiter : waiters) waiter(status);
  });
}

void QbittorrentClient::call(std::string method, std::string path, std::string form,
                             ResponseCallback done, bool relogged) {
  if (cookie_.empty() && !relogged) {
    login([this, method = std::move(method), path = std::move(path), form = std::move(form),
           done = std::move(done)](const Status& status) mutable {
      if (!status) return done(status.error());
      call(std::move(method), std::move(path), std::move(form), std::move(done), true);
    });
    return;
  }
  HttpRequest request;
  request.method = method;
  request.url = endpoint(path);
  if (!cookie_.empty()) request.headers.push_back("Cookie: " + cookie_);
  if (method == "POST") {
    request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    request.body = form;
  }
  send(std::move(request),
       [this, method, path, form, relogged, done = std::move(done)](HttpResponse response) mutable {
         if (response.transport_ok() && response.status == 403 && !relogged) {
           // The session expired (WebUI\SessionTimeout, 3600 s by default) or the client restarted.
           cookie_.clear();
           login([this, method = std::move(method), path = std::move(path), form = std::move(form),
                  done = std::move(done)](const Status& status) mutable {
             if (!status) return done(status.error());
             call(std::move(method), std::move(path), std::move(form), std::move(done), true);
           });
           return;
         }
         if (!response.ok()) {
           return done(transport_error(
               response, "qbittorrent " + method + " " + path + " at " + display_url()));
         }
         done(std::move(response));
       });
}

void QbittorrentClient::read_mode(std::function<void(Result<int>)> done) {
  call("GET", "transfer/speedLimitsMode", {},
       [done = std::move(done)](Result<HttpResponse> response) {
         if (!response) return done(response.error());
         done(parse_qbittorrent_mode(response->body));
       });
}

void QbittorrentClient::read_limit(LimitCallback done) {
  read_mode([this, done = std::move(done)](Result<int> mode) mutable {
    if (!mode) return done(mode.error());
    call("GET", "transfer/downloadLimit", {},
         [mode = *mode, done = std::move(done)](Result<HttpResponse> response) {
           if (!response) return done(response.error());
           auto limit = parse_qbittorrent_limit(response->body);
           if (limit) limit->mode = mode;
           done(std::move(limit));
         });
  });
}

void QbittorrentClient::set_limit(const DownloadLimit& limit, StatusCallback done) {
  const std::uint64_t value = limit.enabled ? limit.value : 0;
  auto post_limit = [this, value](StatusCallback done) {
    call("POST", "transfer/setDownloadLimit", "limit=" + std::to_string(value),
         [done = std::move(done)](const Result<HttpResponse>& response) {
           if (!response) return done(response.error());
           done(Status{});
         });
  };
  if (!limit.mode) return post_limit(std::move(done));
  read_mode([this, value, wanted_mode = *limit.mode, post_limit,
             done = std::move(done)](Result<int> mode) mutable {
    if (!mode) return done(mode.error());
    if (*mode == wanted_mode) return post_limit(std::move(done));
    // The user switched speed mode since the value was read: write the limit of the mode it was
    // read from, not the one in force now.
    JsonWriter json;
    json.begin_object().field(wanted_mode == 1 ? "alt_dl_limit" : "dl_limit", value).end_object();
    spdlog::info("qbittorrent: speed mode is now {} (was {} when read); restoring {} directly",
                 *mode == 1 ? "alternative" : "normal", wanted_mode == 1 ? "alternative" : "normal",
                 wanted_mode == 1 ? "alt_dl_limit" : "dl_limit");
    call("POST", "app/setPreferences", "json=" + form_encode(json.str()),
         [done = std::move(done)](const Result<HttpResponse>& response) {
           if (!response) return done(response.error());
           done(Status{});
         });
  });
}

DownloadLimit QbittorrentClient::cap_for(std::uint64_t bytes_per_sec) const {
  // qBittorrent keeps limits in whole KiB/s (the conf stores Session\GlobalDLSpeedLimit in KiB
  // and the API rounds down: 777777 reads back as 777216), so the cap is rounded the same way
  // and is what the WebUI then shows; at least 1 KiB/s, since 0 would mean unlimited.
  const std::uint64_t value = std::max<std::uint64_t>(bytes_per_sec / 1024 * 1024, 1024);
  return DownloadLimit{true, value, std::nullopt};
}

}  // namespace adrg::downloads
