#include "core/event_bus.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace adrg {

EventBus::EventBus(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void EventBus::publish(std::string json_line) {
  std::replace(json_line.begin(), json_line.end(), '\n', ' ');
  std::replace(json_line.begin(), json_line.end(), '\r', ' ');
  ring_.push_back(BusEvent{next_seq_++, std::move(json_line)});
  while (ring_.size() > capacity_) ring_.pop_front();
  // Copy: the ring may rotate if a callback publishes in turn.
  const BusEvent event = ring_.back();

  // Snapshot the ids so callbacks may (un)subscribe while we iterate; a subscriber removed by an
  // earlier callback in this round is skipped, one added in this round already replayed it.
  std::vector<Id> ids;
  ids.reserve(subscribers_.size());
  for (const auto& [id, callback] : subscribers_) ids.push_back(id);
  for (Id id : ids) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) continue;
    Callback callback = it->second;  // keep it alive even if it unsubscribes itself
    callback(event);
  }
}

EventBus::Id EventBus::subscribe(Callback callback, bool replay, std::uint64_t after_seq) {
  if (replay) {
    // Copy the due events first: the callback may publish.
    std::vector<BusEvent> due;
    for (const BusEvent& event : ring_) {
      if (event.seq > after_seq) due.push_back(event);
    }
    for (const BusEvent& event : due) callback(event);
  }
  Id id = next_id_++;
  subscribers_.emplace(id, std::move(callback));
  return id;
}

void EventBus::unsubscribe(Id id) { subscribers_.erase(id); }

}  // namespace adrg
