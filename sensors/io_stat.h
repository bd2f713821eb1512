// A cgroup's io.stat: the bytes its tasks read and wrote, summed over every device. The io rule
// compares their rate with the io.max cap it set, so it does not lift a cap that is still what
// holds a storm back (the calm it sees would be the cap's own doing).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sensors/snapshot.h"

namespace adrg {

// "254:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0" per device line; unknown keys and
// malformed lines are skipped. An empty file (no I/O yet) is zero bytes.
IoBytes parse_io_stat(std::string_view content);
// nullopt when the file cannot be read (no io controller in that cgroup, or it is gone).
std::optional<IoBytes> read_io_stat(const std::string& cgroup_dir);

}  // namespace adrg
