// Rate limit per event kind (notifications.min_interval_seconds, an adrg extension), pure so it
// is tested with exact times. Policy:
//  - The first event of a kind is sent at once and opens a window of `interval`.
//  - Events of the same kind inside the window are held, not sent: only the LATEST is kept
//    (it describes the current state); each one it replaces is "folded" (never sent on its own).
//  - When the window ends (release(), driven by a reactor timer), the held event is sent with
//    " (+N more)" appended, N = events folded into it, and a new window opens then. A sustained
//    burst therefore yields one message per interval, each one counting what it stands for.
//  - An event arriving after the window ended while one is still held (the timer had not fired
//    yet) is sent at once and carries the held one in its count.
//  - interval <= 0 disables the limit.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "integrations/notify/notification.h"

namespace adrg::notify {

class EventCoalescer {
 public:
  struct Admission {
    // Send this now (already annotated), or nullopt: held until window_end.
    std::optional<Notification> send;
    TimePoint window_end;
    std::uint64_t folded = 0;  // events this call folded for good (suppressed counter)
  };

  Admission admit(std::string_view event, Notification n, TimePoint now, Duration interval);
  // The held event of this kind, annotated, opening a new window at `now`; nullopt if none.
  std::optional<Notification> release(std::string_view event, TimePoint now);
  // Everything held, e.g. at shutdown; windows are kept.
  std::vector<std::pair<std::string, Notification>> release_all(TimePoint now);
  std::size_t held() const;

  // " (+3 more)" appended to a message for 3 folded events.
  static void annotate(Notification& n, std::uint64_t folded);

 private:
  struct Window {
    TimePoint opened;
    std::optional<Notification> latest;
    std::uint64_t folded = 0;  // events replaced by `latest` (or by earlier latests)
  };
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace adrg::notify
