// `adrg --cleanup`: undo every override a previous run journaled and exit. Runs without the
// daemon (no reactor, no executor), straight from the journal file.
#pragma once

#include <functional>

#include "actuator/actuator.h"
#include "actuator/journal.h"
#include "core/result.h"

namespace adrg {

// Synchronous unpause of a container adrg paused through Docker (the CLI wires a blocking Docker
// call here). "Not paused" should count as success.
using UnpauseContainerFn = std::function<Status(const JournalPause& pause)>;

// Restores every journaled original (cgroup files byte-exact, cgroup.freeze thaws what adrg froze)
// and, when unpause_container is given, unpauses what adrg paused through Docker. What was undone
// leaves the journal; what failed stays in it for the next attempt. A corrupt journal is moved
// aside and reported as the error. options.dry_run logs what would be written and changes
// nothing. Returns the first failure (the message counts the others).
Status cleanup_from_journal(const ActuatorOptions& options,
                            const UnpauseContainerFn& unpause_container = {});

}  // namespace adrg
