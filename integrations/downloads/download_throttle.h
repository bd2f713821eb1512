// Caps a download client while media plays and gives the user's own limit back afterwards
// (ADRG `media_mode.download_throttle`: "The limit is removed automatically when media mode
// deactivates" -- adrg restores what was there, not "unlimited").
//
// Engage: read the client's limit in force, journal it (write_file_atomic, BEFORE anything is
// written to the client), then set the cap. Release: write the journaled original back exactly
// (qBittorrent bytes/s of the speed mode it was read from; Transmission value + enabled flag),
// then delete the journal. A journal left behind by a crash is restored by start(), unless the
// throttle is wanted again first: then the cap stays and the journaled original is kept (never
// re-read, which would read adrg's own cap).
//
// One operation in flight at a time; set_wanted() only records the wish and the loop converges
// to it (coalescing: engage+release+engage while a request is out costs one more step, not
// three). Errors (client down, timeouts) retry with exponential backoff (1 s .. 60 s), logged
// once per failure streak and once on recovery. Refused credentials are NOT retried on a timer:
// qBittorrent bans the address after 5 failed logins, so the next attempt
// waits for the next change of wish, a new client (config reload) or release_now().
//
// Destroying the throttle releases nothing (on purpose: it behaves like a crash, and the journal
// restores at the next start). Shutdown calls release_now() and waits for its callback.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/result.h"
#include "integrations/downloads/download_client.h"

namespace adrg::downloads {

inline constexpr std::string_view kDefaultStatePath = "/var/lib/adrg/download-throttle.json";

// ADRG's limit_mb_per_sec is MiB/s (1048576 bytes/s), like tier2_io_max_*_mb_per_sec and the io
// caps: one meaning of "MB" across the config.
std::uint64_t mib_per_sec_to_bytes(double mib_per_sec);

// The journal record: what to restore, and where.
struct ThrottleRecord {
  std::string provider;  // "qbittorrent" | "transmission"
  std::string url;       // DownloadClient::display_url() (credentials masked)
  DownloadLimit original;
  DownloadLimit cap;
  double engaged_at = 0;  // wall seconds, for the status dump
};

std::string serialize_record(const ThrottleRecord& record);
Result<ThrottleRecord> parse_record(std::string_view json);

class DownloadThrottle {
 public:
  struct Options {
    Duration min_backoff = std::chrono::seconds(1);
    Duration max_backoff = std::chrono::seconds(60);
  };

  DownloadThrottle(Reactor& reactor, std::unique_ptr<DownloadClient> client,
                   std::uint64_t cap_bytes_per_sec, std::string state_path);
  DownloadThrottle(Reactor& reactor, std::unique_ptr<DownloadClient> client,
                   std::uint64_t cap_bytes_per_sec, std::string state_path, Options options);
  ~DownloadThrottle();
  DownloadThrottle(const DownloadThrottle&) = delete;
  DownloadThrottle& operator=(const DownloadThrottle&) = delete;

  // Loads the journal. A leftover record for this client is restored asynchronously (unless
  // engage() is called first); one for another provider/URL cannot be restored with this client:
  // it is logged with the value to restore by hand and moved aside to <state_path>.orphaned. A
  // corrupt journal is moved aside to <state_path>.corrupt. Errors only when the journal exists
  // but cannot be read.
  Status start();

  void set_wanted(bool wanted);
  void engage() { set_wanted(true); }
  void release() { set_wanted(false); }
  // Shutdown: release now (no backoff wait), done(status of that attempt) once it finished; ok
  // at once (posted) when nothing is held. A failed attempt keeps the journal for next start.
  void release_now(std::function<void(Status)> done);

  // A new cap applies at once when engaged (the original stays the journaled one).
  void set_cap(std::uint64_t bytes_per_sec);
  // Config reload. Same provider and URL (credentials changed): swapped at once, the record is
  // kept. Another client: the old one releases first, then the new one takes over.
  void replace_client(std::unique_ptr<DownloadClient> client);

  bool wanted() const { return wanted_; }
  // The cap is in force in the client (as far as adrg knows).
  bool engaged() const { return record_.has_value() && cap_applied_; }
  // Nothing in flight, no retry pending, and the client matches the wish.
  bool settled() const;
  const std::optional<ThrottleRecord>& record() const { return record_; }
  std::uint64_t cap_bytes_per_sec() const { return cap_bytes_; }
  const std::string& last_error() const { return last_error_; }
  std::uint64_t failures() const { return failures_; }
  const DownloadClient& client() const { return *client_; }
  const std::string& state_path() const { return state_path_; }
  // JSON object for /status (no secrets).
  std::string status_json() const;

 private:
  void reconcile();
  void do_engage();
  void do_release();
  void finish(const Status& status, bool was_release);
  void schedule_retry();
  Status write_journal();
  void remove_journal();

  Reactor& reactor_;
  std::unique_ptr<DownloadClient> client_;
  std::unique_ptr<DownloadClient> pending_client_;
  std::uint64_t cap_bytes_;
  std::string state_path_;
  Options options_;

  bool wanted_ = false;
  bool busy_ = false;
  bool blocked_ = false;  // credentials refused: no timer retry
  bool cap_applied_ = false;
  std::optional<DownloadLimit> applied_cap_;
  std::optional<ThrottleRecord> record_;
  Reactor::Id retry_timer_ = 0;
  std::uint64_t failures_ = 0;
  std::string last_error_;
  std::vector<std::function<void(Status)>> release_waiters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace adrg::downloads
