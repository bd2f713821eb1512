#include "integrations/downloads/download_throttle.h"

#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "core/fs.h"
#include "core/json_writer.h"

namespace adrg::downloads {
namespace {

double wall_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void write_limit(JsonWriter& json, const DownloadLimit& limit) {
  json.begin_object().field("value", limit.value).field("enabled", limit.enabled);
  if (limit.mode) json.field("mode", *limit.mode);
  json.end_object();
}

Result<DownloadLimit> read_limit(simdjson::dom::element element, std::string_view name) {
  DownloadLimit limit;
  simdjson::dom::object object;
  if (element[name].get_object().get(object) != simdjson::SUCCESS ||
      object["value"].get_uint64().get(limit.value) != simdjson::SUCCESS ||
      object["enabled"].get_bool().get(limit.enabled) != simdjson::SUCCESS) {
    return Error{std::make_error_code(std::errc::bad_message),
                 "download throttle journal: bad \"" + std::string(name) + "\""};
  }
  std::int64_t mode = 0;
  if (object["mode"].get_int64().get(mode) == simdjson::SUCCESS) {
    limit.mode = static_cast<int>(mode);
  }
  return limit;
}

bool is_auth_error(const Error& error) { return error.code == std::errc::permission_denied; }

}  // namespace

std::uint64_t mib_per_sec_to_bytes(double mib_per_sec) {
  if (!(mib_per_sec > 0)) return 0;
  return static_cast<std::uint64_t>(std::llround(mib_per_sec * 1048576.0));
}

std::string serialize_record(const ThrottleRecord& record) {
  JsonWriter json;
  json.begin_object()
      .field("version", 1)
      .field("provider", record.provider)
      .field("url", record.url)
      .key("original");
  write_limit(json, record.original);
  json.key("cap");
  write_limit(json, record.cap);
  json.field("engaged_at", record.engaged_at).end_object();
  return json.take() + "\n";
}

Result<ThrottleRecord> parse_record(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  auto bad = [](std::string what) {
    return Error{std::make_error_code(std::errc::bad_message),
                 "download throttle journal: " + std::move(what)};
  };
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) {
    return bad("not JSON");
  }
  std::int64_t version = 0;
  if (root["version"].get_int64().get(version) != simdjson::SUCCESS || version != 1) {
    return bad("unknown version");
  }
  ThrottleRecord record;
  std::string_view provider;
  std::string_view url;
  if (root["provider"].get_string().get(provider) != simdjson::SUCCESS ||
      root["url"].get_string().get(url) != simdjson::SUCCESS) {
    return bad("no provider/url");
  }
  record.provider = provider;
  record.url = url;
  auto original = read_limit(root, "original");
  if (!original) return original.error();
  record.original = *original;
  auto cap = read_limit(root, "cap");
  if (!cap) return cap.error();
  record.cap = *cap;
  if (root["engaged_at"].get_double().get(record.engaged_at) != simdjson::SUCCESS) {
    record.engaged_at = 0;
  }
  return record;
}

DownloadThrottle::DownloadThrottle(Reactor& reactor, std::unique_ptr<DownloadClient> client,
                                   std::uint64_t cap_bytes_per_sec, std::string state_path)
    : DownloadThrottle(reactor, std::move(client), cap_bytes_per_sec, std::move(state_path),
                       Options{}) {}

DownloadThrottle::DownloadThrottle(Reactor& reactor, std::unique_ptr<DownloadClient> client,
                                   std::uint64_t cap_bytes_per_sec, std::string state_path,
                                   Options options)
    : reactor_(reactor),
      client_(std::move(client)),
      cap_bytes_(cap_bytes_per_sec),
      state_path_(std::move(state_path)),
      options_(options) {}

DownloadThrottle::~DownloadThrottle() {
  alive_.reset();
  if (retry_timer_ != 0) reactor_.cancel(retry_timer_);
  // client_ cancels its requests; their callbacks (which capture this) never run.
}

Status DownloadThrottle::start() {
  auto text = read_text_file(state_path_);
  if (!text) {
    if (text.error().code == std::errc::no_such_file_or_directory) return {};
    return text.error();
  }
  if (trim(*text).empty()) return {};
  auto record = parse_record(*text);
  if (!record) {
    std::error_code ec;
    std::filesystem::rename(state_path_, state_path_ + ".corrupt", ec);
    spdlog::error("download throttle: {} ({}); moved aside to {}.corrupt, nothing to restore",
                  record.error().describe(), state_path_, state_path_);
    return {};
  }
  if (record->provider != client_->provider() || record->url != client_->display_url()) {
    std::error_code ec;
    std::filesystem::rename(state_path_, state_path_ + ".orphaned", ec);
    spdlog::error(
        "download throttle: leftover record for {} at {} cannot be restored with the configured "
        "{} at {}; set its download limit back by hand to {} (record kept in {}.orphaned)",
        record->provider, record->url, client_->provider(), client_->display_url(),
        describe(record->original, record->provider), state_path_);
    return {};
  }
  spdlog::warn(
      "download throttle: adrg stopped while {} at {} was capped; restoring its limit ({}) "
      "unless media mode wants the cap again",
      record->provider, record->url, describe(record->original, record->provider));
  record_ = std::move(*record);
  // The cap may or may not still be in force; engaging again rewrites it.
  cap_applied_ = false;
  reactor_.post([alive = std::weak_ptr<bool>(alive_), this] {
    if (!alive.expired()) reconcile();
  });
  return {};
}

void DownloadThrottle::set_wanted(bool wanted) {
  if (wanted == wanted_) return;
  wanted_ = wanted;
  // A change of wish is a fresh start: no waiting out an old backoff, and refused credentials
  // get one more try (rare: media starts and stops, not every tick).
  blocked_ = false;
  if (retry_timer_ != 0) {
    reactor_.cancel(retry_timer_);
    retry_timer_ = 0;
  }
  reconcile();
}

void DownloadThrottle::release_now(std::function<void(Status)> done) {
  wanted_ = false;
  blocked_ = false;
  if (retry_timer_ != 0) {
    reactor_.cancel(retry_timer_);
    retry_timer_ = 0;
  }
  if (!record_ && !busy_) {
    reactor_.post([done = std::move(done)] { done(Status{}); });
    return;
  }
  release_waiters_.push_back(std::move(done));
  reconcile();
}

void DownloadThrottle::set_cap(std::uint64_t bytes_per_sec) {
  if (bytes_per_sec == cap_bytes_) return;
  cap_bytes_ = bytes_per_sec;
  reconcile();
}

void DownloadThrottle::replace_client(std::unique_ptr<DownloadClient> client) {
  // Never destroy a client with a request in flight (its callback would be lost): the swap is
  // done by reconcile() between operations.
  pending_client_ = std::move(client);
  blocked_ = false;
  if (retry_timer_ != 0) {
    reactor_.cancel(retry_timer_);
    retry_timer_ = 0;
  }
  reconcile();
}

bool DownloadThrottle::settled() const {
  if (busy_ || retry_timer_ != 0 || pending_client_) return false;
  if (wanted_) return engaged() && applied_cap_ == client_->cap_for(cap_bytes_);
  return !record_.has_value();
}

void DownloadThrottle::reconcile() {
  if (busy_ || retry_timer_ != 0) return;
  if (pending_client_) {
    bool same = pending_client_->provider() == client_->provider() &&
                pending_client_->display_url() == client_->display_url();
    if (record_ && !same) {
      // The record belongs to the old client: give its limit back there first.
      spdlog::info("download throttle: client changed to {} at {}; releasing {} first",
                   pending_client_->provider(), pending_client_->display_url(),
                   client_->display_url());
      return do_release();
    }
    client_ = std::move(pending_client_);
    if (!same) cap_applied_ = false;
  }
  if (blocked_) return;
  const bool want = wanted_ && cap_bytes_ > 0;
  if (!want && record_) return do_release();
  if (want && (!record_ || !cap_applied_ || applied_cap_ != client_->cap_for(cap_bytes_))) {
    return do_engage();
  }
}

void DownloadThrottle::do_engage() {
  busy_ = true;
  std::weak_ptr<bool> alive = alive_;
  auto set_cap = [this, alive] {
    DownloadLimit cap = client_->cap_for(cap_bytes_);
    client_->set_limit(cap, [this, alive, cap](const Status& status) {
      if (alive.expired()) return;
      if (status) {
        if (!cap_applied_ || applied_cap_ != cap) {
          spdlog::info("download throttle: {} at {} capped to {} (was {})", client_->provider(),
                       client_->display_url(), describe(cap, client_->provider()),
                       describe(record_->original, client_->provider()));
        }
        cap_applied_ = true;
        applied_cap_ = cap;
        if (record_->cap != cap) {
          record_->cap = cap;
          if (auto st = write_journal(); !st) {
            spdlog::warn("download throttle: {}", st.error().describe());
          }
        }
      }
      finish(status, false);
    });
  };
  if (record_) return set_cap();  // original already journaled (possibly by a crashed run)
  client_->read_limit([this, alive, set_cap](Result<DownloadLimit> limit) {
    if (alive.expired()) return;
    if (!limit) return finish(limit.error(), false);
    record_ = ThrottleRecord{std::string(client_->provider()), client_->display_url(), *limit,
                             client_->cap_for(cap_bytes_), wall_now()};
    // Journal first: if adrg dies between the write below and the release, the next start
    // knows what to give back. No journal, no cap.
    if (auto st = write_journal(); !st) {
      record_.reset();
      return finish(st.error(), false);
    }
    set_cap();
  });
}

void DownloadThrottle::do_release() {
  busy_ = true;
  std::weak_ptr<bool> alive = alive_;
  DownloadLimit original = record_->original;
  client_->set_limit(original, [this, alive, original](const Status& status) {
    if (alive.expired()) return;
    if (status) {
      spdlog::info("download throttle: {} at {} restored to {}", client_->provider(),
                   client_->display_url(), describe(original, client_->provider()));
      record_.reset();
      cap_applied_ = false;
      applied_cap_.reset();
      remove_journal();
    }
    finish(status, true);
  });
}

void DownloadThrottle::finish(const Status& status, bool was_release) {
  busy_ = false;
  if (status) {
    if (failures_ > 0) {
      spdlog::info("download throttle: {} at {} answers again after {} failed attempt(s)",
                   client_->provider(), client_->display_url(), failures_);
    }
    failures_ = 0;
    last_error_.clear();
  } else {
    ++failures_;
    last_error_ = status.error().describe();
    if (failures_ == 1 || is_auth_error(status.error())) {
      spdlog::warn("download throttle: {} {} failed: {}{}", was_release ? "release" : "engage",
                   client_->provider(), last_error_,
                   is_auth_error(status.error()) ? " (not retried until the next media change or "
                                                   "config reload)"
                                                 : "; retrying with backoff");
    } else {
      spdlog::debug("download throttle: attempt {} failed: {}", failures_, last_error_);
    }
  }
  // release_now() waits for the outcome of the first release attempt after it was called.
  auto notify = [this](const Status& outcome) {
    auto waiters = std::move(release_waiters_);
    release_waiters_.clear();
    for (auto& waiter : waiters) waiter(outcome);
  };
  if (was_release) notify(status);
  if (!status && release_waiters_.empty()) {
    if (is_auth_error(status.error())) {
      blocked_ = true;
    } else {
      schedule_retry();
    }
    return;
  }
  reconcile();
  if (!busy_ && !release_waiters_.empty()) {
    // Nothing (left) to release, e.g. an engage failed before anything was journaled.
    notify(record_ ? Status(Error{std::make_error_code(std::errc::resource_unavailable_try_again),
                                  "download throttle: release did not run"})
                   : Status{});
  }
}

void DownloadThrottle::schedule_retry() {
  Duration delay = options_.min_backoff;
  for (std::uint64_t i = 1; i < failures_ && delay < options_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, options_.max_backoff);
  std::weak_ptr<bool> alive = alive_;
  auto timer = reactor_.add_timer(delay, Duration::zero(), [this, alive] {
    if (alive.expired()) return;
    retry_timer_ = 0;
    reconcile();
  });
  if (!timer) {
    spdlog::error("download throttle: cannot arm the retry timer: {}", timer.error().describe());
    return;
  }
  retry_timer_ = *timer;
}

Status DownloadThrottle::write_journal() {
  std::filesystem::path parent = std::filesystem::path(state_path_).parent_path();
  if (!parent.empty()) {
    if (auto st = make_directories(parent.string(), 0700); !st) return st;
  }
  if (auto st = write_file_atomic(state_path_, serialize_record(*record_)); !st) {
    return Error{st.error().code, "journal " + state_path_ + ": " + st.error().message};
  }
  return {};
}

void DownloadThrottle::remove_journal() {
  std::error_code ec;
  std::filesystem::remove(state_path_, ec);
  if (ec) {
    spdlog::error(
        "download throttle: cannot remove {}: {} (the next start would restore a stale "
        "limit)",
        state_path_, ec.message());
  }
}

std::string DownloadThrottle::status_json() const {
  JsonWriter json;
  json.begin_object()
      .field("provider", client_->provider())
      .field("url", client_->display_url())
      .field("wanted", wanted_)
      .field("engaged", engaged())
      .field("settled", settled())
      .field("cap_bytes_per_sec", cap_bytes_)
      .field("cap", describe(client_->cap_for(cap_bytes_), client_->provider()));
  json.key("original");
  if (record_) {
    json.value(describe(record_->original, record_->provider));
  } else {
    json.null();
  }
  json.field("failures", failures_).field("blocked", blocked_);
  json.key("last_error");
  if (last_error_.empty()) {
    json.null();
  } else {
    json.value(last_error_);
  }
  json.field("journal", state_path_).end_object();
  return json.take();
}

}  // namespace adrg::downloads
