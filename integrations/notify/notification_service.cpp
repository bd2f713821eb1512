#include "integrations/notify/notification_service.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace adrg::notify {

namespace {

bool is_http_url(std::string_view url) {
  auto starts = [&](std::string_view prefix) {
    if (url.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      char c = url[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (c != prefix[i]) return false;
    }
    return true;
  };
  return starts("http://") || starts("https://");
}

}  // namespace

std::string_view to_string(Backend backend) {
  switch (backend) {
    case Backend::kDiscord:
      return "discord";
    case Backend::kNtfy:
      return "ntfy";
    case Backend::kGotify:
      return "gotify";
  }
  return "unknown";
}

NotificationService::NotificationService(Reactor& reactor, HttpClient& http,
                                         const NotificationsConfig& config, const Clock& clock,
                                         NotifyTuning tuning)
    : reactor_(reactor), http_(http), clock_(clock), tuning_(tuning) {
  tuning_.max_pending = std::max<std::size_t>(tuning_.max_pending, 1);
  tuning_.max_retries = std::max(tuning_.max_retries, 0);
  for (std::size_t i = 0; i < kBackendCount; ++i) backends_[i].kind = static_cast<Backend>(i);
  apply_config(config);
}

NotificationService::~NotificationService() {
  alive_.reset();
  for (auto& b : backends_) {
    if (b.in_flight != 0) http_.cancel(b.in_flight);
    if (b.retry_timer != 0) reactor_.cancel(b.retry_timer);
  }
  for (auto& [event, id] : window_timers_) reactor_.cancel(id);
  if (flush_timer_ != 0) reactor_.cancel(flush_timer_);
}

void NotificationService::apply_config(const NotificationsConfig& config) {
  config_ = config;
  const std::array<std::pair<const std::string*, const std::string*>, kBackendCount> wanted = {{
      {&config.discord_webhook_url, nullptr},
      {&config.ntfy_url, &config.ntfy_token},
      {&config.gotify_url, &config.gotify_token},
  }};
  for (std::size_t i = 0; i < kBackendCount; ++i) {
    BackendState& b = backends_[i];
    const std::string& url = *wanted[i].first;
    const std::string token = wanted[i].second != nullptr ? *wanted[i].second : std::string();
    // Remember every secret ever configured: a transfer to the old target may still be in
    // flight after a reload, and its error text must stay masked too.
    scrubber_.add_url(url);
    scrubber_.add(token);
    b.url = url;
    b.token = token;
    b.target = mask_url(url);
    bool enabled = !url.empty();
    if (enabled && !is_http_url(url)) {
      spdlog::warn("notify: {} URL {} is not http:// or https://; {} disabled", to_string(b.kind),
                   b.target, to_string(b.kind));
      enabled = false;
    }
    if (enabled && b.kind == Backend::kGotify && token.empty()) {
      // Gotify answers 401 to every message without an application token.
      spdlog::warn("notify: gotify_url is set but gotify_token is empty; gotify disabled");
      enabled = false;
    }
    b.enabled = enabled;
    if (!enabled && !b.queue.empty()) {
      if (b.in_flight != 0) http_.cancel(b.in_flight);
      if (b.retry_timer != 0) reactor_.cancel(b.retry_timer);
      b.in_flight = 0;
      b.retry_timer = 0;
      b.counters.dropped += b.queue.size();
      spdlog::warn("notify: {} disabled by the new config; dropped {} pending notification(s)",
                   to_string(b.kind), b.queue.size());
      b.queue.clear();
    }
  }
}

void NotificationService::reconfigure(const NotificationsConfig& config) {
  apply_config(config);
  spdlog::info("{}", describe());
  for (auto& b : backends_) pump(b);  // a re-enabled backend resumes its queue
  check_flush_done();
}

Duration NotificationService::interval() const {
  return from_seconds(std::max(0.0, config_.min_interval_seconds));
}

bool NotificationService::any_enabled() const {
  return std::any_of(backends_.begin(), backends_.end(),
                     [](const BackendState& b) { return b.enabled; });
}

bool NotificationService::notify(std::string_view event, std::string_view title,
                                 std::string_view message) {
  Notification n = style_for_event(event);
  n.title = std::string(title);
  n.message = std::string(message);
  return notify(event, std::move(n));
}

bool NotificationService::notify(std::string_view event, Notification notification) {
  const auto& on = config_.notify_on;
  if (std::find(on.begin(), on.end(), event) == on.end()) {
    ++filtered_;
    spdlog::debug("notify: '{}' is not in notifications.notify_on; not sent", event);
    return false;
  }
  if (!any_enabled()) {
    spdlog::debug("notify: no notification backend configured; '{}' not sent", event);
    return false;
  }
  const std::string kind(event);
  auto admission = coalescer_.admit(kind, std::move(notification), clock_.now(), interval());
  if (admission.folded > 0) {
    for (auto& b : backends_) {
      if (b.enabled) b.counters.suppressed += admission.folded;
    }
  }
  if (admission.send) {
    enqueue(kind, *admission.send);
    return true;
  }
  if (flushing_) {
    release_window(kind);  // shutting down: nothing may wait for a window any more
    return true;
  }
  spdlog::debug("notify: '{}' held by the rate limit for {:.1f} s", kind,
                to_seconds(admission.window_end - clock_.now()));
  arm_window_timer(kind, admission.window_end);
  return false;
}

void NotificationService::arm_window_timer(const std::string& event, TimePoint window_end) {
  if (window_timers_.count(event) != 0) return;
  const Duration delay = std::max(Duration::zero(), window_end - clock_.now());
  std::weak_ptr<int> alive = alive_;
  auto timer = reactor_.add_timer(delay, Duration::zero(), [this, alive, event] {
    if (alive.expired()) return;
    window_timers_.erase(event);
    release_window(event);
  });
  if (!timer) {
    // Without a timer the held message would wait for the next event of its kind; send now.
    spdlog::warn("notify: rate-limit timer failed ({}); sending at once", timer.error().describe());
    release_window(event);
    return;
  }
  window_timers_.emplace(event, *timer);
}

void NotificationService::release_window(const std::string& event) {
  if (auto n = coalescer_.release(event, clock_.now())) enqueue(event, *n);
}

void NotificationService::enqueue(const std::string& event, const Notification& notification) {
  for (auto& b : backends_) {
    if (!b.enabled) continue;
    b.queue.push_back(Pending{event, notification, 0});
    if (b.queue.size() > tuning_.max_pending) {
      // The front may be in flight or waiting for its retry: it is not ours to drop.
      const bool front_busy = b.in_flight != 0 || b.retry_timer != 0;
      auto victim = b.queue.begin() + (front_busy ? 1 : 0);
      spdlog::warn("notify: {} {}: queue full ({} pending); dropped the oldest ('{}')",
                   to_string(b.kind), b.target, tuning_.max_pending, victim->notification.title);
      b.queue.erase(victim);
      ++b.counters.dropped;
    }
    pump(b);
  }
}

void NotificationService::pump(BackendState& b) {
  if (!b.enabled || b.in_flight != 0 || b.retry_timer != 0 || b.queue.empty()) return;
  const Notification& n = b.queue.front().notification;
  HttpRequest request;
  switch (b.kind) {
    case Backend::kDiscord:
      request = build_discord_request(b.url, n);
      break;
    case Backend::kNtfy:
      request = build_ntfy_request(b.url, b.token, n);
      break;
    case Backend::kGotify:
      request = build_gotify_request(b.url, b.token, n);
      break;
  }
  request.timeout = tuning_.request_timeout;
  request.connect_timeout = tuning_.connect_timeout;
  std::weak_ptr<int> alive = alive_;
  const auto index = static_cast<std::size_t>(b.kind);
  b.in_flight = http_.send(std::move(request),
                           [this, alive, index, target = b.target](HttpResponse response) {
                             if (alive.expired()) return;
                             on_response(backends_[index], target, std::move(response));
                           });
  if (b.in_flight == 0) b.in_flight = ~HttpClient::Id{0};  // ids are opaque; 0 means idle here
}

void NotificationService::on_response(BackendState& b, const std::string& target,
                                      HttpResponse response) {
  b.in_flight = 0;
  if (b.queue.empty()) return;  // dropped meanwhile (backend disabled by a reload)
  Pending& p = b.queue.front();
  if (response.ok()) {
    ++b.counters.sent;
    spdlog::info("notify: {} {}: sent '{}' (HTTP {}, {:.2f} s)", to_string(b.kind), target,
                 p.notification.title, response.status, response.seconds);
    b.queue.pop_front();
    pump(b);
    check_flush_done();
    return;
  }

  std::string why;
  bool retryable = false;
  if (!response.transport_ok()) {
    const auto code = static_cast<CURLcode>(response.curl_code);
    why = scrubber_.scrub(response.error.empty() ? curl_easy_strerror(code) : response.error);
    // A malformed or non-HTTP URL will not get better by waiting.
    retryable = code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT;
  } else {
    why = fmt::format("HTTP {}", response.status);
    if (!response.body.empty()) why += ": " + scrubber_.scrub(truncate_utf8(response.body, 200));
    retryable = response.status == 408 || response.status == 429 || response.status >= 500;
  }

  if (retryable && p.attempt < tuning_.max_retries) {
    ++p.attempt;
    ++b.counters.retries;
    Duration delay = tuning_.initial_backoff * (1 << std::min(p.attempt - 1, 16));
    const char* basis = "backoff";
    if (response.transport_ok() && (response.status == 429 || response.status == 503)) {
      if (auto seconds = parse_retry_after(response.header("Retry-After"), response.body,
                                           clock_.wall_seconds())) {
        delay = std::min(from_seconds(*seconds), tuning_.max_retry_after);
        basis = "Retry-After";
      }
    }
    spdlog::warn("notify: {} {}: '{}' failed ({}); retry {}/{} in {:.1f} s ({})", to_string(b.kind),
                 target, p.notification.title, why, p.attempt, tuning_.max_retries,
                 to_seconds(delay), basis);
    std::weak_ptr<int> alive = alive_;
    const auto index = static_cast<std::size_t>(b.kind);
    auto timer = reactor_.add_timer(delay, Duration::zero(), [this, alive, index] {
      if (alive.expired()) return;
      BackendState& state = backends_[index];
      state.retry_timer = 0;
      pump(state);
    });
    if (timer) {
      b.retry_timer = *timer;
      return;
    }
    why += "; retry timer failed: " + timer.error().describe();
  }
  give_up(b, why);
}

void NotificationService::give_up(BackendState& b, std::string_view why) {
  Pending& p = b.queue.front();
  ++b.counters.failed;
  spdlog::error("notify: {} {}: gave up on '{}' after {} attempt(s): {}", to_string(b.kind),
                b.target, p.notification.title, p.attempt + 1, why);
  b.queue.pop_front();
  pump(b);
  check_flush_done();
}

void NotificationService::flush(Duration timeout, std::function<void()> done) {
  if (done) flush_done_.push_back(std::move(done));
  flushing_ = true;
  for (auto& [event, id] : window_timers_) reactor_.cancel(id);
  window_timers_.clear();
  for (auto& [event, n] : coalescer_.release_all(clock_.now())) enqueue(event, n);
  if (pending() == 0) {
    finish_flush(false);
    return;
  }
  spdlog::info("notify: flushing {} pending notification(s), at most {:.1f} s", pending(),
               to_seconds(timeout));
  if (flush_timer_ != 0) return;  // an earlier flush's deadline stands
  std::weak_ptr<int> alive = alive_;
  auto timer = reactor_.add_timer(timeout, Duration::zero(), [this, alive] {
    if (alive.expired()) return;
    flush_timer_ = 0;
    finish_flush(true);
  });
  if (timer) {
    flush_timer_ = *timer;
  } else {
    finish_flush(true);
  }
}

void NotificationService::check_flush_done() {
  if (flushing_ && pending() == 0) finish_flush(false);
}

void NotificationService::finish_flush(bool timed_out) {
  if (timed_out) {
    for (auto& b : backends_) {
      if (b.queue.empty()) continue;
      if (b.in_flight != 0) http_.cancel(b.in_flight);
      if (b.retry_timer != 0) reactor_.cancel(b.retry_timer);
      b.in_flight = 0;
      b.retry_timer = 0;
      b.counters.failed += b.queue.size();
      spdlog::warn("notify: {} {}: flush deadline passed; {} notification(s) not delivered",
                   to_string(b.kind), b.target, b.queue.size());
      b.queue.clear();
    }
  }
  if (flush_timer_ != 0) reactor_.cancel(flush_timer_);
  flush_timer_ = 0;
  flushing_ = false;
  // Posted, so `done` never runs inside flush() or inside one of our own callbacks.
  for (auto& done : flush_done_) reactor_.post(std::move(done));
  flush_done_.clear();
}

std::array<BackendStats, kBackendCount> NotificationService::stats() const {
  std::array<BackendStats, kBackendCount> out{};
  for (std::size_t i = 0; i < kBackendCount; ++i) {
    const BackendState& b = backends_[i];
    out[i].backend = b.kind;
    out[i].enabled = b.enabled;
    out[i].target = b.target;
    out[i].pending = b.queue.size();
    out[i].counters = b.counters;
  }
  return out;
}

std::size_t NotificationService::pending() const {
  std::size_t n = 0;
  for (const auto& b : backends_) n += b.queue.size();
  return n;
}

std::string NotificationService::describe() const {
  std::string out = "notifications:";
  for (const auto& b : backends_) {
    out += fmt::format(" {} {}", to_string(b.kind), b.enabled ? b.target : std::string("off"));
    if (b.enabled && !b.token.empty()) out += " (token " + mask_secret(b.token) + ")";
    out += ';';
  }
  std::string events;
  for (const auto& e : config_.notify_on) events += (events.empty() ? "" : ",") + e;
  out += fmt::format(" notify_on [{}]; min interval {:g} s", events,
                     std::max(0.0, config_.min_interval_seconds));
  return out;
}

}  // namespace adrg::notify
