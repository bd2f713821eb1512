#include "integrations/http_api/connection_table.h"

#include <utility>

namespace adrg {

ConnectionTable::Admission ConnectionTable::admit(const std::string& source) {
  Admission admission;
  if (open_from(source) >= limits_.per_source) {
    Entry* victim = oldest_idle(&source);
    if (victim == nullptr) return {false, std::nullopt};  // all busy or parked: refuse the new one
    victim->phase = Phase::kClosing;
    admission.evict_fd = victim->fd;
  } else if (open_count() >= limits_.total) {
    Entry* victim = oldest_idle(nullptr);
    if (victim == nullptr) return {false, std::nullopt};
    victim->phase = Phase::kClosing;
    admission.evict_fd = victim->fd;
  }
  return admission;
}

void ConnectionTable::opened(Key key, int fd, std::string source, TimePoint now) {
  entries_[key] = Entry{fd, std::move(source), Phase::kAwaiting, now};
}

void ConnectionTable::request_complete(Key key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.phase == Phase::kAwaiting) {
    it->second.phase = Phase::kServing;
  }
}

void ConnectionTable::parked(Key key) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.phase != Phase::kClosing) {
    it->second.phase = Phase::kParked;
  }
}

void ConnectionTable::response_done(Key key, TimePoint now) {
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.phase != Phase::kClosing) {
    it->second.phase = Phase::kAwaiting;
    it->second.since = now;
  }
}

void ConnectionTable::closed(Key key) { entries_.erase(key); }

std::vector<int> ConnectionTable::overdue(TimePoint now) {
  std::vector<int> fds;
  for (auto& [key, entry] : entries_) {
    if (entry.phase == Phase::kAwaiting && now - entry.since >= limits_.request_timeout) {
      entry.phase = Phase::kClosing;
      fds.push_back(entry.fd);
    }
  }
  return fds;
}

std::optional<TimePoint> ConnectionTable::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [key, entry] : entries_) {
    if (entry.phase != Phase::kAwaiting) continue;
    TimePoint deadline = entry.since + limits_.request_timeout;
    if (!next || deadline < *next) next = deadline;
  }
  return next;
}

std::size_t ConnectionTable::open_count() const {
  std::size_t count = 0;
  for (const auto& [key, entry] : entries_) count += entry.phase != Phase::kClosing ? 1 : 0;
  return count;
}

std::size_t ConnectionTable::open_from(const std::string& source) const {
  std::size_t count = 0;
  for (const auto& [key, entry] : entries_) {
    count += entry.phase != Phase::kClosing && entry.source == source ? 1 : 0;
  }
  return count;
}

ConnectionTable::Entry* ConnectionTable::oldest_idle(const std::string* source) {
  Entry* oldest = nullptr;
  for (auto& [key, entry] : entries_) {
    if (entry.phase != Phase::kAwaiting) continue;
    if (source != nullptr && entry.source != *source) continue;
    if (oldest == nullptr || entry.since < oldest->since) oldest = &entry;
  }
  return oldest;
}

}  // namespace adrg
