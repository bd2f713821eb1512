// Tests wait on a condition with a deadline; they never sleep and hope.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace adrg::testing {

// Polls `condition` every `step` until it holds or `deadline` passes; returns the last result.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds deadline = std::chrono::seconds(10),
                       std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(step);
  }
  return condition();
}

}  // namespace adrg::testing
