// An effect outside the cgroup tree: a limit adrg puts on another program while a rule wants it
// (the download client's speed limit while media plays). The implementation journals the
// program's own value before its first change, durably (unlike the cgroup journal it must
// outlive a reboot), and gives it back. Whether and when it is called is the actuator's
// decision, like every other effect: with --dry-run it is never called at all.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"

namespace adrg {

class ExternalLimit {
 public:
  virtual ~ExternalLimit() = default;

  // "qbittorrent at http://127.0.0.1:8080", for log lines (no secrets).
  virtual std::string describe() const = 0;
  // "1 MiB/s": what engaging it sets.
  virtual std::string describe_limit() const = 0;
  // Configured to do anything at all (enabled, a usable limit).
  virtual bool active() const = 0;
  // A record of the program's own value, left by a run that ended without giving it back.
  virtual bool has_leftover() const = 0;
  // Reads the record and gives a leftover back. An error only when the record is unreadable.
  virtual Status start() = 0;
  // Idempotent; the work runs asynchronously on the reactor.
  virtual void set_engaged(bool engaged) = 0;
  // Gives the program its own value back now (shutdown); done runs on the reactor.
  virtual void release(std::function<void(Status)> done) = 0;
};

}  // namespace adrg
