#include "integrations/notify/coalescer.h"

#include <fmt/format.h>

namespace adrg::notify {

void EventCoalescer::annotate(Notification& n, std::uint64_t folded) {
  if (folded > 0) n.message += fmt::format(" (+{} more)", folded);
}

EventCoalescer::Admission EventCoalescer::admit(std::string_view event, Notification n,
                                                TimePoint now, Duration interval) {
  Admission out;
  if (interval <= Duration::zero()) {
    out.send = std::move(n);
    out.window_end = now;
    return out;
  }
  auto it = windows_.find(event);
  if (it == windows_.end()) {
    windows_.emplace(std::string(event), Window{now, std::nullopt, 0});
    out.send = std::move(n);
    out.window_end = now + interval;
    return out;
  }
  Window& w = it->second;
  if (now - w.opened >= interval) {
    std::uint64_t count = w.folded;
    if (w.latest) {
      ++count;  // the held one is superseded by this newer event
      out.folded = 1;
    }
    annotate(n, count);
    w = Window{now, std::nullopt, 0};
    out.send = std::move(n);
    out.window_end = now + interval;
    return out;
  }
  if (w.latest) {
    ++w.folded;
    out.folded = 1;
  }
  w.latest = std::move(n);
  out.window_end = w.opened + interval;
  return out;
}

std::optional<Notification> EventCoalescer::release(std::string_view event, TimePoint now) {
  auto it = windows_.find(event);
  if (it == windows_.end() || !it->second.latest) return std::nullopt;
  Window& w = it->second;
  Notification n = std::move(*w.latest);
  annotate(n, w.folded);
  w = Window{now, std::nullopt, 0};
  return n;
}

std::vector<std::pair<std::string, Notification>> EventCoalescer::release_all(TimePoint now) {
  std::vector<std::pair<std::string, Notification>> out;
  for (auto& [event, w] : windows_) {
    if (!w.latest) continue;
    Notification n = std::move(*w.latest);
    annotate(n, w.folded);
    w = Window{now, std::nullopt, 0};
    out.emplace_back(event, std::move(n));
  }
  return out;
}

std::size_t EventCoalescer::held() const {
  std::size_t n = 0;
  for (const auto& [event, w] : windows_) n += w.latest ? 1 : 0;
  return n;
}

}  // namespace adrg::notify
