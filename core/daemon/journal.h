// The write-ahead journal of every cgroup override adrg made: the ORIGINAL content of each file
// (read before adrg first wrote it), what adrg last wrote, and which units adrg paused. It is
// persisted before the cgroup file changes, so a crash or SIGKILL never loses an original: the
// next start (or `adrg --cleanup`) restores from it.
//
// On disk it is one JSON object (hand-written, see journal_to_json):
//   {"format":"adrg-journal","version":1,"saved_at":1700000000,
//    "overrides":[{"unit":"<id>","cgroup":"/sys/fs/cgroup/x","file":"cpu.max","device":"",
//                  "original":"max 100000\n","written":"40000 100000"}, ...],
//    "pauses":[{"unit":"<id>","name":"tdarr","cgroup":"/sys/fs/cgroup/x","via":"docker"}, ...]}
// Strings are byte strings: every byte >= 0x80 and every control byte is written as \u00XX and
// read back as that single byte, so an original is restored byte-exact whatever it holds (the
// JSON itself stays pure ASCII and valid UTF-8).
#pragma once

#include <compare>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace adrg {

struct JournalKey {
  std::string unit_id;
  std::string cgroup_dir;  // absolute directory the file lives in
  std::string file;        // "cpu.max", "io.max", "cgroup.freeze", ...
  std::string device;      // "MAJ:MIN" for io.max (one entry per device), "" otherwise
  auto operator<=>(const JournalKey&) const = default;
};

struct JournalOverride {
  JournalKey key;
  // Byte-exact content read before the first override. For io.max: that device's line as the
  // kernel printed it, or "" when the device had no line (no limit: restore writes rbps=max).
  std::string original;
  std::string written;  // what adrg last wrote (recorded before the write: write-ahead)
  bool operator==(const JournalOverride&) const = default;
};

enum class PauseVia { kFreeze, kPauser };  // cgroup.freeze of a job, or Docker's pause API
std::string_view to_string(PauseVia via);

struct JournalPause {
  std::string unit_id;
  std::string name;
  std::string cgroup_dir;
  PauseVia via = PauseVia::kFreeze;
  bool operator==(const JournalPause&) const = default;
};

struct JournalData {
  std::map<JournalKey, JournalOverride> overrides;
  // Keyed by (unit id, cgroup dir): a restarted unit with a new cgroup is a new record.
  std::map<std::pair<std::string, std::string>, JournalPause> pauses;
  bool empty() const { return overrides.empty() && pauses.empty(); }
  bool operator==(const JournalData&) const = default;
};

// Pure text <-> data; parse_journal rejects anything that is not a complete journal (a file cut
// short by a crash of something other than adrg's atomic writer, a disk error, a hand edit).
std::string journal_to_json(const JournalData& data, long long saved_at_unix);
Result<JournalData> parse_journal(std::string_view text);

// The journal file. Not thread-safe: the actuator serialises access.
class Journal {
 public:
  // persistent=false keeps everything in memory only (dry-run: nothing is written, ever).
  explicit Journal(std::string path, bool persistent = true);

  // Reads the file. A missing file is an empty journal. A corrupt one is renamed aside to
  // <path>.corrupt-<YYYYmmddTHHMMSS> (kept for a human), the journal starts empty and the
  // returned error says what happened and where the file went. A stale <path>.tmp from a crash
  // inside write_file_atomic is ignored: its rename never happened, so <path> is the truth.
  Status load();
  // write_file_atomic of the whole journal (temp + fsync + rename); no-op when not persistent.
  Status save() const;

  const std::string& path() const { return path_; }
  bool persistent() const { return persistent_; }
  const JournalData& data() const { return data_; }

  const JournalOverride* find(const JournalKey& key) const;
  void put(JournalOverride entry);
  bool erase(const JournalKey& key);
  void put_pause(JournalPause pause);
  bool erase_pause(const std::string& unit_id, const std::string& cgroup_dir);
  // Drops every entry of one unit in one cgroup dir (the dir is gone: nothing to restore).
  void erase_unit_dir(const std::string& unit_id, const std::string& cgroup_dir);

 private:
  std::string path_;
  bool persistent_;
  JournalData data_;
};

}  // namespace adrg
