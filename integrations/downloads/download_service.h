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
// runs asynchronously on the reactor. It is the daemon's ExternalLimit: the actuator decides
// whether any of it is called (with --dry-run nothing is: no request to the client, no journal
// read back or written). download_throttle.enabled false (or media_mode disabled, which makes
// the policy never want it) means never engaging; a cap already held is released.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "actuator/external_limit.h"
#include "config/config.h"
#include "core/http_client.h"
#include "core/reactor.h"
#include "integrations/downloads/download_throttle.h"

namespace adrg::downloads {

// Where the daemon journals the client's own limit: beside the cgroup journal
// (general.journal_file), so `adrg --cleanup` finds both.
std::string download_journal_path(const std::string& journal_file);

class DownloadService : public ExternalLimit {
 public:
  DownloadService(Reactor& reactor, HttpClient& http, const Config& config,
                  std::string state_path = std::string(kDefaultStatePath));
  DownloadService(Reactor& reactor, HttpClient& http, const Config& config, std::string state_path,
                  DownloadThrottle::Options options);
  ~DownloadService() override;  // releases nothing: call release_now() first on a clean shutdown

  // Loads the journal and restores a leftover cap. Errors only when the journal is unreadable;
  // the service still works then (the caller logs and goes on).
  Status start() override;
  void set_wanted(bool wanted);
  // Applies download_throttle from a validated new config (provider/URL/credentials/limit). The
  // current wish is applied again only once start() ran: before, nothing touches the client.
  void reconfigure(const Config& config);
  void release_now(std::function<void(Status)> done);

  // ExternalLimit
  std::string describe() const override;
  std::string describe_limit() const override;
  bool active() const override { return config_.enabled && cap_bytes() > 0; }
  bool has_leftover() const override;
  void set_engaged(bool engaged) override { set_wanted(engaged); }
  void release(std::function<void(Status)> done) override { release_now(std::move(done)); }

  bool enabled() const { return config_.enabled; }
  bool engaged() const { return throttle_ && throttle_->engaged(); }
  bool settled() const { return !throttle_ || throttle_->settled(); }
  // Null when the provider is unknown.
  const DownloadThrottle* throttle() const { return throttle_.get(); }
  // {"enabled":..,"limit_mb_per_sec":..,...throttle fields} for /status.
  std::string status_json() const;

 private:
  std::uint64_t cap_bytes() const;
  void apply_wish();

  Reactor& reactor_;
  HttpClient& http_;
  DownloadThrottleConfig config_;
  std::string state_path_;
  DownloadThrottle::Options options_;
  std::unique_ptr<DownloadThrottle> throttle_;
  std::string setup_error_;
  bool wanted_ = false;
  bool started_ = false;
  std::string client_name_;  // provider at the masked URL, for log lines
};

}  // namespace adrg::downloads
