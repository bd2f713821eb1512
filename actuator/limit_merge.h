// A tier baseline or a rule claim may tighten a limit the user set (`docker run -m 64m`,
// `--cpus`, `--device-write-bps`, a systemd unit's MemoryMax=), never loosen it (issue 17): what
// the actuator writes to memory.max, memory.high, cpu.max and io.max is the stricter of the
// user's own value (the file's content before adrg first wrote it, as journaled) and adrg's.
// Pure text -> text, no I/O: the actuator calls it on its worker, where it reads the originals.
#pragma once

#include <string>
#include <string_view>

namespace adrg {

// Whose value is in force. kBoth: io.max merged key by key (some from each side).
enum class LimitSource { kUser, kAdrg, kBoth };
std::string_view to_string(LimitSource source);  // "user" | "adrg" | "both"

struct MergedLimit {
  // What the file should hold. For kUser the user's text itself (without its trailing
  // newline): the file already holds it, so the actuator leaves the file alone.
  std::string text;
  LimitSource source = LimitSource::kAdrg;
  bool operator==(const MergedLimit&) const = default;
};

// memory.max, memory.high, cpu.max and io.max: the limits adrg never loosens.
bool is_user_limit_file(std::string_view file);

// The stricter of `user` and `wanted` for `file` ("max" = unlimited everywhere):
//  - memory.max, memory.high: the smaller byte count.
//  - cpu.max "$QUOTA $PERIOD": the smaller rate quota/period, compared exactly ("50000 100000"
//    is stricter than "200000 100000"; "max ..." is unlimited; equal rates keep the user's).
//  - io.max, one device's line ("8:0 rbps=1048576 wbps=max riops=max wiops=max"; `user` is ""
//    when the device had no line, i.e. no limit): key by key, the smaller value; the user's keys
//    adrg does not manage (riops, wiops) are kept when they limit anything.
// A tie, or every key equal, is the user's (nothing to write). A user value that does not
// parse (never seen from a kernel) yields adrg's, as before this rule existed; so does any file
// that is not a limit.
MergedLimit stricter_limit(std::string_view file, std::string_view user, std::string_view wanted);

// The user's value as /status shows it: the text without its trailing newline; "max" for an
// io.max device without a line (no limit).
std::string user_limit_text(std::string_view file, std::string_view original);

}  // namespace adrg
