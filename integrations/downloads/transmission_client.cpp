#include "integrations/downloads/transmission_client.h"

#include <spdlog/spdlog.h>

#include "core/fs.h"
#include "core/json_writer.h"
#include "integrations/downloads/download_parse.h"
#include "integrations/downloads/download_util.h"
#include "integrations/redact.h"

namespace adrg::downloads {
namespace {

// 409 -> new id -> resend; a second 409 in a row can happen when the id rotates between the two
// requests, a third means something else is wrong.
constexpr int kMaxAttempts = 3;

Error bad_message(std::string what) {
  return Error{std::make_error_code(std::errc::bad_message), std::move(what)};
}

}  // namespace

TransmissionClient::TransmissionClient(HttpClient& http, std::string url, std::string username,
                                       std::string password, Duration timeout)
    : http_(http),
      url_(std::move(url)),
      rpc_url_(rpc_url_for(url_)),
      username_(std::move(username)),
      password_(std::move(password)),
      timeout_(timeout) {}

TransmissionClient::~TransmissionClient() {
  alive_.reset();
  for (HttpClient::Id id : in_flight_) http_.cancel(id);
}

std::string TransmissionClient::rpc_url_for(std::string_view url) {
  std::string base = strip_trailing_slash(url);
  std::size_t scheme = base.find("://");
  std::size_t path_start = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string_view path = path_start == std::string::npos
                              ? std::string_view()
                              : std::string_view(base).substr(path_start);
  if (path.ends_with("/rpc")) return base;
  if (path.ends_with("/transmission")) return base + "/rpc";
  return base + "/transmission/rpc";
}

std::string TransmissionClient::display_url() const { return redact_url(url_); }

void TransmissionClient::rpc(std::string body, std::function<void(Result<std::string>)> done,
                             int attempt) {
  HttpRequest request;
  request.method = "POST";
  request.url = rpc_url_;
  request.timeout = timeout_;
  request.connect_timeout = timeout_;
  request.headers = {"Content-Type: application/json"};
  if (!session_id_.empty()) {
    request.headers.push_back("X-Transmission-Session-Id: " + session_id_);
  }
  if (!username_.empty() || !password_.empty()) {
    request.user_password = username_ + ":" + password_;
  }
  request.body = body;
  auto id_slot = std::make_shared<HttpClient::Id>(0);
  std::weak_ptr<bool> alive = alive_;
  *id_slot =
      http_.send(std::move(request), [this, alive, id_slot, attempt, body = std::move(body),
                                      done = std::move(done)](HttpResponse response) mutable {
        if (alive.expired()) return;
        in_flight_.erase(*id_slot);
        const std::string what = "transmission rpc at " + display_url();
        if (response.transport_ok() && response.status == 409) {
          std::string id = response.header("X-Transmission-Session-Id");
          if (id.empty())
            return done(bad_message(what + ": 409 without X-Transmission-Session-Id"));
          if (attempt + 1 >= kMaxAttempts) {
            return done(bad_message(what + ": session id refused " + std::to_string(kMaxAttempts) +
                                    " times in a row"));
          }
          session_id_ = std::move(id);
          ++session_id_refreshes_;
          spdlog::debug("transmission: new session id (handshake {})", session_id_refreshes_);
          return rpc(std::move(body), std::move(done), attempt + 1);
        }
        if (response.transport_ok() && response.status == 401) {
          return done(Error{std::make_error_code(std::errc::permission_denied),
                            what + ": HTTP 401, wrong username or password (rpc-authentication)"});
        }
        if (!response.ok()) return done(transport_error(response, what));
        if (Status reply = parse_transmission_reply(response.body); !reply) {
          return done(bad_message(what + ": " + reply.error().message));
        }
        done(std::move(response.body));
      });
  in_flight_.insert(*id_slot);
}

void TransmissionClient::read_limit(LimitCallback done) {
  rpc(R"({"method":"session-get","arguments":{"fields":["speed-limit-down",)"
      R"("speed-limit-down-enabled","alt-speed-enabled"]}})",
      [done = std::move(done)](Result<std::string> body) {
        if (!body) return done(body.error());
        done(parse_transmission_session(*body));
      });
}

void TransmissionClient::set_limit(const DownloadLimit& limit, StatusCallback done) {
  // Both keys are always sent together, so a restore brings back the value even while the
  // limit was disabled (the user's number is kept for when they enable it again).
  JsonWriter json;
  json.begin_object()
      .field("method", "session-set")
      .key("arguments")
      .begin_object()
      .field("speed-limit-down", limit.value)
      .field("speed-limit-down-enabled", limit.enabled)
      .end_object()
      .end_object();
  rpc(json.take(), [done = std::move(done)](const Result<std::string>& body) {
    if (!body) return done(body.error());
    done(Status{});
  });
}

DownloadLimit TransmissionClient::cap_for(std::uint64_t bytes_per_sec) const {
  // kB/s with 1 kB = 1000 bytes, rounded down so the cap never exceeds what was asked, and at
  // least 1 (0 with enabled=true would stall downloads completely).
  return DownloadLimit{true, std::max<std::uint64_t>(bytes_per_sec / 1000, 1), std::nullopt};
}

}  // namespace adrg::downloads
