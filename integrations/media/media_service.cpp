#include "integrations/media/media_service.h"

#include <spdlog/spdlog.h>

#include "core/json_writer.h"
#include "integrations/media/media_parse.h"
#include "integrations/redact.h"

namespace adrg::media {
namespace {

bool same_monitor_config(const MediaModeConfig& a, const MediaModeConfig& b) {
  return a.enabled == b.enabled && a.provider == b.provider && a.url == b.url &&
         a.api_key == b.api_key && a.poll_interval_seconds == b.poll_interval_seconds &&
         a.count_paused_sessions == b.count_paused_sessions;
}

}  // namespace

MediaService::MediaService(Reactor& reactor, HttpClient& http, const Config& config,
                           const Clock& clock)
    : MediaService(reactor, http, config, clock, MediaMonitor::Options{}) {}

MediaService::MediaService(Reactor& reactor, HttpClient& http, const Config& config,
                           const Clock& clock, MediaMonitor::Options options)
    : reactor_(reactor),
      http_(http),
      clock_(clock),
      config_(config.media_mode),
      options_(options) {}

MediaService::~MediaService() = default;

Status MediaService::start() {
  monitor_.reset();
  if (!config_.enabled || !MediaMonitor::provider_polls(config_.provider)) {
    set_state(0, true);
    return {};
  }
  monitor_ = std::make_unique<MediaMonitor>(
      reactor_, http_, config_,
      [this](int sessions, bool reachable) { on_poll(sessions, reachable); }, options_);
  if (auto st = monitor_->start(); !st) {
    monitor_.reset();
    return st;
  }
  return {};
}

Status MediaService::reconfigure(const Config& config) {
  const MediaModeConfig& next = config.media_mode;
  if (same_monitor_config(config_, next) &&
      (monitor_ || !MediaMonitor::provider_polls(next.provider) || !next.enabled)) {
    config_ = next;
    return {};
  }
  config_ = next;
  // Until the new provider answers, nothing counts: a changed provider must not inherit the old
  // one's sessions.
  set_state(0, true);
  return start();
}

void MediaService::on_poll(int sessions, bool reachable) {
  last_poll_wall_ = clock_.wall_seconds();
  set_state(sessions, reachable);
}

void MediaService::set_state(int sessions, bool reachable) {
  if (sessions == sessions_ && reachable == reachable_) return;
  sessions_ = sessions;
  reachable_ = reachable;
  if (on_change_) on_change_(sessions_, reachable_);
}

Status MediaService::handle_webhook(std::string_view content_type, std::string_view body,
                                    std::vector<TriggerEvent>& out) {
  auto event = parse_media_webhook(content_type, body, config_.count_paused_sessions);
  if (!event) {
    ++webhooks_rejected_;
    spdlog::warn("media: webhook rejected: {}", event.error().describe());
    return event.error();
  }
  ++webhooks_;
  last_webhook_ = event->source + " " + event->event;
  if (!event->trigger) {
    spdlog::debug("media: {} {} ignored", event->source, event->event);
    return {};
  }
  spdlog::info("media: {} {} ({}{}{}) -> {}", event->source, event->event, event->user,
               event->user.empty() || event->title.empty() ? "" : ": ", event->title,
               to_string(*event->trigger));
  out.push_back(TriggerEvent{*event->trigger, event->source});
  return {};
}

std::string MediaService::status_json() const {
  JsonWriter json;
  json.begin_object()
      .field("enabled", config_.enabled)
      .field("provider", config_.provider)
      .field("url", redact_url(config_.url))
      .field("polling", monitor_ != nullptr && monitor_->polling())
      .field("sessions", sessions_)
      .field("reachable", reachable_)
      .field("count_paused_sessions", config_.count_paused_sessions);
  json.key("last_poll");
  if (last_poll_wall_ > 0) {
    json.value(last_poll_wall_);
  } else {
    json.null();
  }
  json.key("last_error");
  if (monitor_ && !monitor_->last_error().empty()) {
    json.value(monitor_->last_error());
  } else {
    json.null();
  }
  json.field("polls", monitor_ ? monitor_->polls() : std::uint64_t{0})
      .field("webhooks", webhooks_)
      .field("webhooks_rejected", webhooks_rejected_)
      .field("last_webhook", last_webhook_)
      .end_object();
  return json.take();
}

}  // namespace adrg::media
