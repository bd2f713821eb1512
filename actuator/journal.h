// The write-ahead journal of every cgroup override adrg made: the ORIGINAL content of each file
// (read before adrg first wrote it), what adrg last wrote, and which units adrg paused. It is
// saved before the cgroup file changes, so a crash or SIGKILL never loses an original: the
// next start (or `adrg --cleanup`) restores from it.
//
// It only has to outlive adrg, not the kernel: every override and pause it records is kernel
// state that a reboot discards. So it is saved without fsync (temp + rename: never torn, and
// the page cache outlives a crashed adrg), lives in /run by default, and carries the kernel's
// boot_id: a journal from an earlier boot describes nothing that still exists and is set aside
// at load, never "restored" over the new boot's containers. (A download client's limit does
// survive a reboot; it has its own, fsynced journal.)
//
// On disk it is one JSON object (hand-written, see journal_to_json):
//   {"format":"adrg-journal","version":1,"saved_at":1700000000,"boot_id":"<uuid>",
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
  // clang-tidy 14 reads the defaulted comparison's internal 0 as a null pointer constant.
  auto operator<=>(const JournalKey&) const = default;  // NOLINT(modernize-use-nullptr)
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
  // The kernel the entries belong to (/proc/sys/kernel/random/boot_id); "" = not recorded.
  std::string boot_id;
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
  // boot_id: this kernel's (read_boot_id); "" skips the earlier-boot check.
  explicit Journal(std::string path, bool persistent = true, std::string boot_id = "");

  // Reads the file. A missing file is an empty journal. A corrupt one is renamed aside to
  // <path>.corrupt-<YYYYmmddTHHMMSS> (kept for a human), the journal starts empty and the
  // returned error says what happened and where the file went. One saved under another boot_id
  // is renamed to <path>.previous-boot with a warning, and the journal starts empty (no error:
  // nothing was lost). A stale <path>.tmp from a crash inside a save is ignored: its rename
  // never happened, so <path> is the truth.
  Status load();
  // replace_file of the whole journal (temp + rename, no fsync); no-op when not persistent.
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
  std::string boot_id_;
  JournalData data_;
};

// The running kernel's boot_id from <proc_root>/sys/kernel/random/boot_id, "" when unreadable.
std::string read_boot_id(const std::string& proc_root);

}  // namespace adrg
