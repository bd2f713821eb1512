// Notifications to Discord, ntfy and Gotify (ADRG's notifications: section), asynchronous on
// the reactor through HttpClient: notify() only queues, nothing ever blocks the loop.
//
//  - notify_on filters by event kind; an empty URL disables a backend (ADRG: "${ADRG_NTFY_URL}"
//    unset expands to ""), as does a URL that is not http(s)://.
//  - Rate limit per event kind (min_interval_seconds): see EventCoalescer for the exact policy.
//  - Each backend has its own FIFO queue with one request in flight, so one slow or rate-limited
//    service never delays the others and messages arrive in order. Queues are bounded
//    (NotifyTuning::max_pending): the oldest message not in flight is dropped with a warning.
//  - Transport errors, 408, 429 and 5xx are retried up to max_retries times after
//    initial_backoff * 2^(attempt-1) (1 s, 2 s, 4 s), or after exactly what Retry-After /
//    retry_after asks (capped by max_retry_after); other 4xx fail at once (a wrong token stays
//    wrong). Retries wait on reactor timers.
//  - Logs name a backend by its masked URL (scheme://host/…); curl errors and response bodies
//    pass through a SecretScrubber holding every URL and token ever configured.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "enforcers/decision.h"
#include "integrations/notify/coalescer.h"
#include "integrations/notify/notification.h"
#include "integrations/redact.h"

namespace adrg::notify {

enum class Backend { kDiscord = 0, kNtfy = 1, kGotify = 2 };
inline constexpr std::size_t kBackendCount = 3;
std::string_view to_string(Backend backend);  // "discord", "ntfy", "gotify"

struct NotifyTuning {
  std::size_t max_pending = 64;  // per backend, including the one in flight
  int max_retries = 3;
  Duration initial_backoff = std::chrono::seconds(1);
  Duration max_retry_after = std::chrono::minutes(5);
  Duration request_timeout = std::chrono::seconds(10);
  Duration connect_timeout = std::chrono::seconds(5);
};

// Monotonic counters for /metrics (adrg_notifications_total{backend=...,result=...}).
struct BackendCounters {
  std::uint64_t sent = 0;        // delivered (2xx)
  std::uint64_t failed = 0;      // given up: non-retryable status, retries exhausted, shutdown
  std::uint64_t suppressed = 0;  // folded by the rate limit (never sent on their own)
  std::uint64_t dropped = 0;     // pushed out of a full queue, or the backend was disabled
  std::uint64_t retries = 0;     // re-sent attempts
};

struct BackendStats {
  Backend backend;
  bool enabled = false;
  std::string target;  // masked URL
  std::size_t pending = 0;
  BackendCounters counters;
};

class NotificationService {
 public:
  NotificationService(Reactor& reactor, HttpClient& http, const NotificationsConfig& config,
                      const Clock& clock, NotifyTuning tuning = {});
  // Cancels timers and transfers; no callback of ours runs afterwards. Pending messages are
  // lost: call flush() first on an orderly shutdown.
  ~NotificationService();
  NotificationService(const NotificationService&) = delete;
  NotificationService& operator=(const NotificationService&) = delete;

  // Queues a notification; false when it is not sent now (event not in notify_on, no backend
  // enabled, or held by the rate limit — a held one is still sent when its window ends).
  bool notify(std::string_view event, std::string_view title, std::string_view message);
  bool notify(std::string_view event, Notification notification);
  bool notify(const Decision& decision) {
    return notify(decision.event, format_notification(decision));
  }

  // SIGHUP: takes effect for the next message. Queued messages go to the new target of their
  // backend; a backend disabled by the new config drops its queue (counted in `dropped`).
  void reconfigure(const NotificationsConfig& config);

  // Shutdown: sends everything held by the rate limit at once, then calls `done` (on the loop,
  // never from inside flush) when every queue is empty or after `timeout`, whichever is first;
  // what is left then is cancelled and counted as failed. notify() still works meanwhile, so
  // call notify("daemon_stop", ...) before flush().
  void flush(Duration timeout, std::function<void()> done);

  std::array<BackendStats, kBackendCount> stats() const;
  std::size_t pending() const;                          // queued or in flight, all backends
  std::uint64_t filtered() const { return filtered_; }  // events not in notify_on
  bool any_enabled() const;
  // One line for the start-up log, secrets masked.
  std::string describe() const;

 private:
  struct Pending {
    std::string event;
    Notification notification;
    int attempt = 0;  // retries made so far
  };
  struct BackendState {
    Backend kind;
    bool enabled = false;
    std::string url;
    std::string token;
    std::string target;         // mask_url(url)
    std::deque<Pending> queue;  // front is in flight or waiting for its retry
    HttpClient::Id in_flight = 0;
    Reactor::Id retry_timer = 0;
    BackendCounters counters;
  };

  void apply_config(const NotificationsConfig& config);
  void enqueue(const std::string& event, const Notification& notification);
  void pump(BackendState& b);
  void on_response(BackendState& b, const std::string& target, HttpResponse response);
  void give_up(BackendState& b, std::string_view why);
  void arm_window_timer(const std::string& event, TimePoint window_end);
  void release_window(const std::string& event);
  void check_flush_done();
  void finish_flush(bool timed_out);
  Duration interval() const;

  Reactor& reactor_;
  HttpClient& http_;
  const Clock& clock_;
  NotifyTuning tuning_;
  NotificationsConfig config_;
  std::array<BackendState, kBackendCount> backends_;
  SecretScrubber scrubber_;  // every secret ever configured; reloads only add
  EventCoalescer coalescer_;
  std::map<std::string, Reactor::Id, std::less<>> window_timers_;
  std::uint64_t filtered_ = 0;
  bool flushing_ = false;
  Reactor::Id flush_timer_ = 0;
  std::vector<std::function<void()>> flush_done_;
  // Callbacks hold a weak_ptr: HttpClient may deliver a failure through reactor.post, which
  // cancel() cannot recall, so a callback must be able to see that we are gone.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace adrg::notify
