#include "integrations/media/media_monitor.h"

#include <spdlog/spdlog.h>

#include "core/fs.h"
#include "integrations/media/media_parse.h"
#include "integrations/redact.h"

namespace adrg::media {
namespace {

std::string base_url(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  return std::string(url);
}

}  // namespace

MediaMonitor::MediaMonitor(Reactor& reactor, HttpClient& http, MediaModeConfig config,
                           Callback callback)
    : MediaMonitor(reactor, http, std::move(config), std::move(callback), Options{}) {}

MediaMonitor::MediaMonitor(Reactor& reactor, HttpClient& http, MediaModeConfig config,
                           Callback callback, Options options)
    : reactor_(reactor),
      http_(http),
      config_(std::move(config)),
      callback_(std::move(callback)),
      options_(options) {}

MediaMonitor::~MediaMonitor() {
  stop();
  alive_.reset();
}

bool MediaMonitor::provider_polls(std::string_view provider) {
  return provider == "jellyfin" || provider == "emby" || provider == "plex";
}

Result<HttpRequest> MediaMonitor::build_request(const MediaModeConfig& config, Duration timeout) {
  HttpRequest request;
  request.timeout = timeout;
  request.connect_timeout = timeout;
  const std::string base = base_url(config.url);
  if (config.provider == "jellyfin" || config.provider == "emby") {
    request.url = base + "/Sessions";
    request.headers = {"Accept: application/json"};
    if (!config.api_key.empty()) {
      request.headers.push_back("X-Emby-Token: " + config.api_key);
      request.headers.push_back("Authorization: MediaBrowser Token=\"" + config.api_key + "\"");
    }
    return request;
  }
  if (config.provider == "plex") {
    request.url = base + "/status/sessions";
    request.headers = {"Accept: application/json"};
    if (!config.api_key.empty()) request.headers.push_back("X-Plex-Token: " + config.api_key);
    return request;
  }
  return Error{std::make_error_code(std::errc::invalid_argument),
               "media_mode.provider '" + config.provider + "' is not polled"};
}

Status MediaMonitor::start() {
  if (!config_.enabled || !provider_polls(config_.provider)) return {};
  if (auto request = build_request(config_, options_.timeout); !request) return request.error();
  if (timer_ != 0) return {};
  const Duration period =
      from_seconds(config_.poll_interval_seconds > 0 ? config_.poll_interval_seconds : 5.0);
  std::weak_ptr<bool> alive = alive_;
  auto timer = reactor_.add_timer(period, period, [this, alive] {
    if (!alive.expired()) poll_now();
  });
  if (!timer) return timer.error();
  timer_ = *timer;
  spdlog::info("media: polling {} at {} every {:g} s{}", config_.provider, redact_url(config_.url),
               to_seconds(period), config_.api_key.empty() ? " (no api_key set)" : "");
  poll_now();
  return {};
}

void MediaMonitor::stop() {
  if (timer_ != 0) {
    reactor_.cancel(timer_);
    timer_ = 0;
  }
  if (request_ != 0) {
    http_.cancel(request_);
    request_ = 0;
  }
}

void MediaMonitor::poll_now() {
  if (request_ != 0) {
    // The previous poll has not answered (a slow server): never stack requests up.
    ++skipped_ticks_;
    return;
  }
  auto request = build_request(config_, options_.timeout);
  if (!request) return;
  std::weak_ptr<bool> alive = alive_;
  // The callback never runs inside send(), so request_ is set before it can be cleared.
  request_ = http_.send(std::move(*request), [this, alive](const HttpResponse& response) {
    if (alive.expired()) return;
    request_ = 0;
    on_response(response);
  });
}

void MediaMonitor::on_response(const HttpResponse& response) {
  ++polls_;
  const std::string what = config_.provider + " at " + redact_url(config_.url);
  Result<int> sessions = Error{};
  if (!response.transport_ok()) {
    sessions = Error{{}, response.error.empty() ? "transfer failed" : response.error};
  } else if (response.status == 401 || response.status == 403) {
    sessions = Error{{}, "HTTP " + std::to_string(response.status) + " (check media_mode.api_key)"};
  } else if (!response.ok()) {
    sessions = Error{{}, "HTTP " + std::to_string(response.status)};
  } else if (config_.provider == "plex") {
    sessions = parse_plex_sessions(response.body, config_.count_paused_sessions);
  } else {
    sessions = parse_jellyfin_sessions(response.body, config_.count_paused_sessions);
  }

  if (sessions) {
    if (!reachable_ || first_result_) {
      if (outage_logged_) {
        spdlog::info("media: {} reachable again ({} session(s) counting)", what, *sessions);
      } else {
        spdlog::info("media: {} reachable ({} session(s) counting)", what, *sessions);
      }
    }
    outage_logged_ = false;
    reachable_ = true;
    sessions_ = *sessions;
    last_error_.clear();
  } else {
    last_error_ = redact(sessions.error().describe(), {config_.api_key});
    if (!outage_logged_) {
      spdlog::warn(
          "media: {} unreachable: {}; counting 0 sessions until it answers (media mode ends "
          "after cooldown_seconds)",
          what, last_error_);
      outage_logged_ = true;
    } else {
      spdlog::debug("media: {} still unreachable: {}", what, last_error_);
    }
    reachable_ = false;
    sessions_ = 0;
  }
  first_result_ = false;
  if (callback_) callback_(sessions_, reachable_);
}

}  // namespace adrg::media
