// The HTTP listener's book of open connections, and the policy that keeps one client from
// locking everyone else out (slowloris, a flood of idle sockets, a tab left open):
//  - a per-source-address cap: a source over it loses its own oldest idle connection first;
//  - a total cap: over it, the oldest idle connection of anyone goes;
//  - a request deadline: a connection that has not delivered a whole request (headers and body)
//    within request_timeout of its accept, or of its previous response, is closed, however
//    slowly it keeps trickling bytes (libmicrohttpd's own timeout resets on every byte).
// Connections whose request is being answered or that are parked (an /events stream, a long
// poll) are never evicted: only idle ones are. Pure bookkeeping with time passed in, so the
// policy is unit-tested on a fake clock; the HTTP API closes what it is told to (shutdown(2)).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"

namespace adrg {

struct ConnectionLimits {
  std::size_t total = 128;      // open connections per listener
  std::size_t per_source = 32;  // per source address (one "address" for the unix socket)
  Duration request_timeout = std::chrono::seconds(10);
};

class ConnectionTable {
 public:
  using Key = const void*;  // the server's connection handle

  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  struct Admission {
    bool accept = true;
    std::optional<int> evict_fd;  // close this older idle connection to make room
  };
  // Before a connection from `source` is accepted.
  Admission admit(const std::string& source);

  void opened(Key key, int fd, std::string source, TimePoint now);
  // The whole request (headers and body) is in: its handler runs, the deadline no longer applies.
  void request_complete(Key key);
  // An /events stream or a long poll: held open on purpose, never evicted.
  void parked(Key key);
  // The response is done; a keep-alive connection waits for its next request from `now`.
  void response_done(Key key, TimePoint now);
  void closed(Key key);

  // fds of connections past their request deadline at `now`; each is marked closing so it is
  // reported once and no longer counts against the caps.
  std::vector<int> overdue(TimePoint now);
  // The earliest request deadline of a connection still waiting for its request.
  std::optional<TimePoint> next_deadline() const;

  std::size_t open_count() const;  // not closing
  std::size_t open_from(const std::string& source) const;

 private:
  enum class Phase { kAwaiting, kServing, kParked, kClosing };
  struct Entry {
    int fd = -1;
    std::string source;
    Phase phase = Phase::kAwaiting;
    TimePoint since{};  // when the current phase began
  };
  // The oldest awaiting connection (of `source`, or of anyone when source is null).
  Entry* oldest_idle(const std::string* source);

  ConnectionLimits limits_;
  std::map<Key, Entry> entries_;
};

}  // namespace adrg
