#include "integrations/downloads/download_service.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "core/json_writer.h"

namespace adrg::downloads {

namespace {

// How the dry-run log names the client it would have capped ("qbittorrent at http://...").
std::string dry_run_name(const DownloadThrottleConfig& config, const DownloadClient& client) {
  return config.provider + " at " + client.display_url();
}

}  // namespace

std::string download_journal_path(const std::string& journal_file) {
  return (std::filesystem::path(journal_file).parent_path() / "download-throttle.json").string();
}

DownloadService::DownloadService(Reactor& reactor, HttpClient& http, const Config& config,
                                 std::string state_path)
    : DownloadService(reactor, http, config, std::move(state_path), DownloadThrottle::Options{}) {}

DownloadService::DownloadService(Reactor& reactor, HttpClient& http, const Config& config,
                                 std::string state_path, DownloadThrottle::Options options,
                                 bool dry_run)
    : reactor_(reactor),
      http_(http),
      config_(config.media_mode.download_throttle),
      state_path_(std::move(state_path)),
      options_(options),
      dry_run_(dry_run) {
  // The client is built even when throttling is disabled: a cap left by a crashed run must still
  // be given back.
  auto client = make_download_client(http_, config_);
  if (!client) {
    setup_error_ = client.error().describe();
    return;
  }
  if (dry_run_) {
    // Built only to name it: a dry run never sends the client a request.
    dry_run_client_ = dry_run_name(config_, **client);
    return;
  }
  throttle_ = std::make_unique<DownloadThrottle>(reactor_, std::move(*client), cap_bytes(),
                                                 state_path_, options_);
}

DownloadService::~DownloadService() = default;

std::uint64_t DownloadService::cap_bytes() const {
  return mib_per_sec_to_bytes(config_.limit_mb_per_sec);
}

Status DownloadService::start() {
  if (dry_run_) {
    std::error_code ec;
    if (std::filesystem::exists(state_path_, ec)) {
      spdlog::warn(
          "dry-run: {} holds a download cap left by an earlier run; a real run would give "
          "the client its journaled limit back (nothing is changed now)",
          state_path_);
    }
    return {};
  }
  if (!throttle_) {
    if (config_.enabled) spdlog::error("download throttle: {}", setup_error_);
    return {};
  }
  if (config_.enabled && cap_bytes() == 0) {
    spdlog::warn("download throttle: limit_mb_per_sec {} is not positive; throttling is off",
                 config_.limit_mb_per_sec);
  }
  return throttle_->start();
}

void DownloadService::apply_wish() {
  if (dry_run_) {
    log_dry_run_wish();
    return;
  }
  if (throttle_) throttle_->set_wanted(wanted_ && config_.enabled);
}

void DownloadService::log_dry_run_wish() {
  const bool engage = would_engage();
  if (engage == dry_run_logged_engaged_) return;
  dry_run_logged_engaged_ = engage;
  if (engage) {
    spdlog::info("dry-run: would cap {} to {} MiB/s (and journal its own limit first)",
                 dry_run_client_.empty() ? config_.provider : dry_run_client_,
                 config_.limit_mb_per_sec);
  } else {
    spdlog::info("dry-run: would give {} its own limit back",
                 dry_run_client_.empty() ? config_.provider : dry_run_client_);
  }
}

void DownloadService::set_wanted(bool wanted) {
  wanted_ = wanted;
  apply_wish();
}

void DownloadService::reconfigure(const Config& config) {
  const DownloadThrottleConfig& next = config.media_mode.download_throttle;
  const bool client_changed = next.provider != config_.provider || next.url != config_.url ||
                              next.username != config_.username ||
                              next.password != config_.password;
  config_ = next;
  if (dry_run_) {
    if (auto client = make_download_client(http_, config_)) {
      dry_run_client_ = dry_run_name(config_, **client);
    }
    apply_wish();
    return;
  }
  if (client_changed || !throttle_) {
    auto client = make_download_client(http_, config_);
    if (!client) {
      setup_error_ = client.error().describe();
      if (config_.enabled) spdlog::error("download throttle: {}", setup_error_);
      // Keep the old throttle (and its record) rather than lose what it must give back.
      if (throttle_) throttle_->set_wanted(false);
      return;
    }
    setup_error_.clear();
    if (throttle_) {
      throttle_->replace_client(std::move(*client));
    } else {
      throttle_ = std::make_unique<DownloadThrottle>(reactor_, std::move(*client), cap_bytes(),
                                                     state_path_, options_);
      if (auto st = throttle_->start(); !st) {
        spdlog::error("download throttle: {}", st.error().describe());
      }
    }
  }
  throttle_->set_cap(cap_bytes());
  apply_wish();
}

void DownloadService::release_now(std::function<void(Status)> done) {
  wanted_ = false;
  if (dry_run_) log_dry_run_wish();
  if (!throttle_) {
    reactor_.post([done = std::move(done)] { done(Status{}); });
    return;
  }
  throttle_->release_now(std::move(done));
}

std::string DownloadService::status_json() const {
  JsonWriter json;
  json.begin_object()
      .field("enabled", config_.enabled)
      .field("provider", config_.provider)
      .field("limit_mb_per_sec", config_.limit_mb_per_sec);
  if (dry_run_) {
    json.field("dry_run", true).field("would_be_engaged", would_engage());
  } else if (throttle_) {
    json.key("throttle").raw(throttle_->status_json());
  } else {
    json.field("error", setup_error_);
  }
  json.end_object();
  return json.take();
}

}  // namespace adrg::downloads
