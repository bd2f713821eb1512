// Real download clients for integration tests, started on loopback with the verified recipes of
// qbittorrent-nox 4.5.2 and transmission-daemon 3.00:
// random free ports, a temporary profile, and the loopback-only config written BEFORE the first
// start (without it qBittorrent listens on every address and turns on DHT/LSD/PeX/UPnP).
// Each peer also has a tiny curl-based API client, independent of adrg's, so a test checks what
// the real client shows, not what adrg believes.
#pragma once

#include <memory>
#include <string>

#include "tests/support/process.h"

namespace adrg::testing {

// True when the program exists at that path (tests skip loudly otherwise).
bool program_available(const std::string& path);

class QbittorrentPeer {
 public:
  static constexpr const char* kProgram = "/usr/bin/qbittorrent-nox";
  // 4.5.2's default credentials (the WebUI logs "password has not been changed from the default").
  static constexpr const char* kUsername = "admin";
  static constexpr const char* kPassword = "adminadmin";

  // dir: an empty directory the profile lives in.
  explicit QbittorrentPeer(std::string dir);
  ~QbittorrentPeer();  // stop()
  QbittorrentPeer(const QbittorrentPeer&) = delete;
  QbittorrentPeer& operator=(const QbittorrentPeer&) = delete;

  // Starts (or restarts, same profile and ports) and waits until the WebUI answers; false with
  // the reason (and the log) on failure.
  bool start(std::string* error);
  // SIGTERM and wait (it rewrites its config on the way out, about 1.3 s).
  void stop();
  bool running() const { return process_ && process_->running(); }

  std::string url() const;  // http://127.0.0.1:<webui port>
  // One WebUI API call through curl with its own cookie jar (logs in on first use). GET when
  // form is empty and post is false. Returns the body; *status gets the HTTP code.
  std::string api(const std::string& path, const std::string& form = "", bool post = false,
                  int* status = nullptr);
  std::string log() const;

 private:
  bool login();
  void write_config() const;

  std::string dir_;
  int webui_port_ = 0;
  int torrent_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  bool logged_in_ = false;
};

class TransmissionPeer {
 public:
  static constexpr const char* kProgram = "/usr/bin/transmission-daemon";
  static constexpr const char* kUsername = "gov";
  static constexpr const char* kPassword = "test-pass-123";

  explicit TransmissionPeer(std::string dir);
  ~TransmissionPeer();
  TransmissionPeer(const TransmissionPeer&) = delete;
  TransmissionPeer& operator=(const TransmissionPeer&) = delete;

  bool start(std::string* error);
  void stop();  // SIGTERM and wait (about 2.2 s; it writes settings.json)

  std::string url() const;      // http://127.0.0.1:<rpc port>
  std::string rpc_url() const;  // url() + /transmission/rpc
  // One JSON-RPC call through curl, doing the 409 session-id handshake itself. Returns the body.
  std::string rpc(const std::string& json);
  std::string log() const;

 private:
  std::string dir_;
  int rpc_port_ = 0;
  int peer_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
  std::string session_id_;
};

}  // namespace adrg::testing
