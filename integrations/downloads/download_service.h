// The governor's handle on download throttling (media_mode.download_throttle). It builds the
// client from the config, owns the DownloadThrottle and follows the policy's wish:
//
//   DownloadService downloads(reactor, http, config, "/var/lib/adrg/download-throttle.json");
//   downloads.start();                                  // restores a leftover cap (crash)
//   ... after every evaluation:
//   downloads.set_wanted(policy.media().download_throttle_wanted());
//   ... SIGHUP with a validated config:   downloads.reconfigure(new_config);
//   ... SIGTERM:                          downloads.release_now([](Status) { /* stop loop */ });
//
// set_wanted() is cheap and idempotent (call it every tick); only changes start work, which
// runs asynchronously on the reactor. With dry_run (adrg --dry-run) the client is never called
// and no journal is read back or written: each change of wish is logged as what would be done,
// and /status shows it. download_throttle.enabled false (or media_mode disabled,
// which makes the policy never want it) means never engaging; a cap already held is released.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/config.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/downloads/download_throttle.h"

namespace adrg::downloads {

// Where the daemon journals the client's own limit: beside the cgroup journal
// (general.journal_file), so `adrg --cleanup` finds both.
std::string download_journal_path(const std::string& journal_file);

class DownloadService {
 public:
  DownloadService(Reactor& reactor, HttpClient& http, const Config& config,
                  std::string state_path = std::string(kDefaultStatePath));
  DownloadService(Reactor& reactor, HttpClient& http, const Config& config, std::string state_path,
                  DownloadThrottle::Options options, bool dry_run = false);
  ~DownloadService();  // releases nothing: call release_now() first on a clean shutdown

  // Loads the journal and restores a leftover cap. Errors only when the journal is unreadable;
  // the service still works then (the caller logs and goes on).
  Status start();
  void set_wanted(bool wanted);
  // Applies download_throttle from a validated new config (provider/URL/credentials/limit).
  void reconfigure(const Config& config);
  void release_now(std::function<void(Status)> done);

  bool enabled() const { return config_.enabled; }
  bool engaged() const { return throttle_ && throttle_->engaged(); }
  // Dry run: whether a real run would hold the cap now.
  bool would_engage() const { return dry_run_ && wanted_ && config_.enabled && cap_bytes() > 0; }
  bool settled() const { return !throttle_ || throttle_->settled(); }
  // Null when the provider is unknown.
  const DownloadThrottle* throttle() const { return throttle_.get(); }
  // {"enabled":..,"limit_mb_per_sec":..,...throttle fields} for /status.
  std::string status_json() const;

 private:
  std::uint64_t cap_bytes() const;
  void apply_wish();
  void log_dry_run_wish();

  Reactor& reactor_;
  HttpClient& http_;
  DownloadThrottleConfig config_;
  std::string state_path_;
  DownloadThrottle::Options options_;
  std::unique_ptr<DownloadThrottle> throttle_;
  std::string setup_error_;
  bool wanted_ = false;
  bool dry_run_ = false;
  bool dry_run_logged_engaged_ = false;  // the last "would" logged, so only changes are logged
  std::string dry_run_client_;           // provider @ masked URL, for the dry-run log
};

}  // namespace adrg::downloads
