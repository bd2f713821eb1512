// Time is injected: rules get `now` as an argument and never read a clock themselves, so their
// state machines are tested with a FakeClock that advances by exact amounts.
#pragma once

#include <chrono>

namespace adrg {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;
using Duration = SteadyClock::duration;
using Seconds = std::chrono::duration<double>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Wall-clock seconds since the epoch, for logs and /status only (never for decisions).
  virtual double wall_seconds() const = 0;
};

class RealClock final : public Clock {
 public:
  TimePoint now() const override { return SteadyClock::now(); }
  double wall_seconds() const override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint{} + std::chrono::hours(1)) : now_(start) {}
  TimePoint now() const override { return now_; }
  double wall_seconds() const override {
    return 1.7e9 + std::chrono::duration<double>(now_.time_since_epoch()).count();
  }
  void advance(Duration d) { now_ += d; }
  void advance_seconds(double s) { now_ += std::chrono::duration_cast<Duration>(Seconds(s)); }

 private:
  TimePoint now_;
};

inline Duration from_seconds(double s) { return std::chrono::duration_cast<Duration>(Seconds(s)); }
inline double to_seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace adrg
