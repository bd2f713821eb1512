#include "integrations/downloads/download_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "core/json_writer.h"

namespace adrg::downloads {

namespace {

// How log lines name the client ("qbittorrent at http://..."): the URL without credentials.
std::string client_name(const DownloadThrottleConfig& config, const DownloadClient& client) {
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
                                 std::string state_path, DownloadThrottle::Options options)
    : reactor_(reactor),
      http_(http),
      config_(config.media_mode.download_throttle),
      state_path_(std::move(state_path)),
      options_(options) {
  // The client is built even when throttling is disabled: a cap left by a crashed run must still
  // be given back. Building it sends nothing.
  auto client = make_download_client(http_, config_);
  if (!client) {
    setup_error_ = client.error().describe();
    return;
  }
  client_name_ = client_name(config_, **client);
  throttle_ = std::make_unique<DownloadThrottle>(reactor_, std::move(*client), cap_bytes(),
                                                 state_path_, options_);
}

DownloadService::~DownloadService() = default;

std::uint64_t DownloadService::cap_bytes() const {
  return mib_per_sec_to_bytes(config_.limit_mb_per_sec);
}

std::string DownloadService::describe() const {
  return client_name_.empty() ? config_.provider : client_name_;
}

std::string DownloadService::describe_limit() const {
  return fmt::format("{} MiB/s", config_.limit_mb_per_sec);
}

bool DownloadService::has_leftover() const {
  std::error_code ec;
  return std::filesystem::exists(state_path_, ec);
}

Status DownloadService::start() {
  started_ = true;
  if (!throttle_) {
    if (config_.enabled) spdlog::error("download throttle: {}", setup_error_);
    return {};
  }
  if (config_.enabled && cap_bytes() == 0) {
    spdlog::warn("download throttle: limit_mb_per_sec {} is not positive; throttling is off",
                 config_.limit_mb_per_sec);
  }
  throttle_->set_cap(cap_bytes());  // a reconfigure before start() only kept it
  return throttle_->start();
}

void DownloadService::apply_wish() {
  if (started_ && throttle_) throttle_->set_wanted(wanted_ && config_.enabled);
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
  if (client_changed || !throttle_) {
    auto client = make_download_client(http_, config_);
    if (!client) {
      setup_error_ = client.error().describe();
      if (config_.enabled) spdlog::error("download throttle: {}", setup_error_);
      // Keep the old throttle (and its record) rather than lose what it must give back.
      if (throttle_ && started_) throttle_->set_wanted(false);
      return;
    }
    setup_error_.clear();
    client_name_ = client_name(config_, **client);
    if (throttle_) {
      throttle_->replace_client(std::move(*client));
    } else {
      throttle_ = std::make_unique<DownloadThrottle>(reactor_, std::move(*client), cap_bytes(),
                                                     state_path_, options_);
      // Started only when the service was: before start() nothing touches the client.
      if (auto st = started_ ? throttle_->start() : Status{}; !st) {
        spdlog::error("download throttle: {}", st.error().describe());
      }
    }
  }
  if (!started_) return;  // a dry run: nothing touches the client
  throttle_->set_cap(cap_bytes());
  apply_wish();
}

void DownloadService::release_now(std::function<void(Status)> done) {
  wanted_ = false;
  if (!throttle_ || !started_) {
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
  if (throttle_) {
    json.key("throttle").raw(throttle_->status_json());
  } else {
    json.field("error", setup_error_);
  }
  json.end_object();
  return json.take();
}

}  // namespace adrg::downloads
