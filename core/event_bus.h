// Decision events ("thermal paused tdarr because 81.5 °C > 80") fanned out to whoever listens:
// the HTTP API's /events stream today, notifications or a journal tomorrow. The bus keeps the
// last few events in a ring so a client that connects after an incident still sees what led to
// it. Single-threaded by design: publish, subscribe and unsubscribe run on the loop thread only
// (everything that produces decisions already does), so there is no lock to contend on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace adrg {

struct BusEvent {
  std::uint64_t seq = 0;  // 1, 2, 3 ... per bus; doubles as the SSE `id:` for Last-Event-ID
  std::string json;       // one JSON object on one line
};

class EventBus {
 public:
  using Id = std::uint64_t;  // 0 is never a valid id
  using Callback = std::function<void(const BusEvent& event)>;

  static constexpr std::size_t kDefaultCapacity = 256;

  explicit EventBus(std::size_t capacity = kDefaultCapacity);
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // json_line: one JSON object (rule, unit, action, reason, values). Line breaks are replaced by
  // spaces: outside strings they are plain JSON whitespace and inside strings valid JSON cannot
  // contain them raw, so the object means the same and stays one SSE `data:` line.
  void publish(std::string json_line);

  // With replay, the callback first receives every event still in the ring (oldest first) whose
  // seq is greater than after_seq, then every new one. Subscribing or unsubscribing from inside a
  // callback is allowed; a subscriber added during a publish does not see that event twice.
  Id subscribe(Callback callback, bool replay = true, std::uint64_t after_seq = 0);
  void unsubscribe(Id id);

  const std::deque<BusEvent>& recent() const { return ring_; }
  std::size_t subscriber_count() const { return subscribers_.size(); }
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::size_t capacity() const { return capacity_; }

 private:
  std::size_t capacity_;
  std::deque<BusEvent> ring_;
  std::map<Id, Callback> subscribers_;  // ordered: delivery in subscription order
  Id next_id_ = 1;
  std::uint64_t next_seq_ = 1;
};

}  // namespace adrg
