#include "tests/support/download_peers.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tests/support/wait.h"

namespace adrg::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Single-quoted for /bin/sh.
std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Body, then the HTTP code on the last line (curl -w).
std::string split_status(std::string output, int* status) {
  std::size_t nl = output.rfind('\n');
  std::string code = nl == std::string::npos ? output : output.substr(nl + 1);
  if (status != nullptr) *status = std::atoi(code.c_str());
  return nl == std::string::npos ? std::string() : output.substr(0, nl);
}

bool wait_http(const std::string& url, milliseconds deadline) {
  return wait_until(
      [&] {
        auto result =
            run_command("curl -s -o /dev/null --max-time 1 " + shell_quote(url), seconds(5));
        return result.exit_code == 0;
      },
      deadline, milliseconds(50));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

bool program_available(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// ---- qBittorrent -------------------------------------------------------------------------------

QbittorrentPeer::QbittorrentPeer(std::string dir) : dir_(std::move(dir)) {
  webui_port_ = free_tcp_port();
  torrent_port_ = free_tcp_port();
  while (torrent_port_ == webui_port_) torrent_port_ = free_tcp_port();
}

QbittorrentPeer::~QbittorrentPeer() { stop(); }

void QbittorrentPeer::write_config() const {
  std::filesystem::create_directories(dir_ + "/qBittorrent/config");
  std::filesystem::create_directories(dir_ + "/dl");
  // qbittorrent-nox: loopback only, no DHT/LSD/PeX/UPnP/GeoIP. MaxAuthenticationFailCount is
  // high so wrong-password tests do not get 127.0.0.1 banned for an hour.
  std::ofstream conf(dir_ + "/qBittorrent/config/qBittorrent.conf");
  conf << "[LegalNotice]\nAccepted=true\n\n"
       << "[BitTorrent]\n"
       << "Session\\Interface=lo\nSession\\InterfaceName=lo\n"
       << "Session\\InterfaceAddress=127.0.0.1\n"
       << "Session\\Port=" << torrent_port_ << "\n"
       << "Session\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
       << "Session\\DefaultSavePath=" << dir_ << "/dl\n\n"
       << "[Network]\nPortForwardingEnabled=false\n\n"
       << "[Preferences]\n"
       << "WebUI\\Address=127.0.0.1\nWebUI\\Port=" << webui_port_ << "\n"
       << "WebUI\\UseUPnP=false\nWebUI\\LocalHostAuth=true\n"
       << "WebUI\\MaxAuthenticationFailCount=1000\n"
       << "Connection\\ResolvePeerCountries=false\n";
}

bool QbittorrentPeer::start(std::string* error) {
  stop();
  // Only on the first start: on a restart qBittorrent's own rewrite (it stores the limits) is
  // what the test wants to keep.
  if (!std::filesystem::exists(dir_ + "/qBittorrent/config/qBittorrent.conf")) write_config();
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kProgram, "--profile=" + dir_,
                               "--webui-port=" + std::to_string(webui_port_)},
      dir_ + "/qbt.log", std::vector<std::string>{"HOME=" + dir_});
  logged_in_ = false;
  if (!wait_http(url() + "/", seconds(20))) {
    if (error != nullptr) *error = "qbittorrent-nox not ready within 20 s; log:\n" + log();
    return false;
  }
  return true;
}

void QbittorrentPeer::stop() {
  if (!process_) return;
  if (process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait_exit(seconds(15))) process_->signal(SIGKILL);
    process_->wait_exit(seconds(5));
  }
  process_.reset();
}

std::string QbittorrentPeer::url() const {
  return "http://127.0.0.1:" + std::to_string(webui_port_);
}

bool QbittorrentPeer::login() {
  auto result = run_command("curl -s -c " + shell_quote(dir_ + "/cookies") +
                                " --data-urlencode username=" + kUsername +
                                " --data-urlencode password=" + kPassword + " " +
                                shell_quote(url() + "/api/v2/auth/login"),
                            seconds(10));
  logged_in_ = result.output == "Ok.";
  return logged_in_;
}

std::string QbittorrentPeer::api(const std::string& path, const std::string& form, bool post,
                                 int* status) {
  if (!logged_in_ && !login()) {
    if (status != nullptr) *status = 0;
    return "(login failed)";
  }
  std::string command = "curl -s -w '\\n%{http_code}' -b " + shell_quote(dir_ + "/cookies");
  if (post || !form.empty()) command += " --data " + shell_quote(form);
  command += " " + shell_quote(url() + "/api/v2/" + path);
  return split_status(run_command(command, seconds(10)).output, status);
}

std::string QbittorrentPeer::log() const {
  return read_file(dir_ + "/qbt.log") + read_file(dir_ + "/qBittorrent/data/logs/qbittorrent.log");
}

// ---- Transmission ------------------------------------------------------------------------------

TransmissionPeer::TransmissionPeer(std::string dir) : dir_(std::move(dir)) {
  rpc_port_ = free_tcp_port();
  peer_port_ = free_tcp_port();
  while (peer_port_ == rpc_port_) peer_port_ = free_tcp_port();
}

TransmissionPeer::~TransmissionPeer() { stop(); }

bool TransmissionPeer::start(std::string* error) {
  stop();
  std::filesystem::create_directories(dir_ + "/dl");
  // transmission-daemon: RPC and peers on loopback only, no DHT (-O), no LPD (-Y), no port mapping
  // (-M), basic auth (-t -u -v), foreground (-f).
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kProgram,    "-f",
                               "-g",        dir_,
                               "-p",        std::to_string(rpc_port_),
                               "-r",        "127.0.0.1",
                               "-i",        "127.0.0.1",
                               "-I",        "::1",
                               "-P",        std::to_string(peer_port_),
                               "-O",        "-Y",
                               "-M",        "-t",
                               "-u",        kUsername,
                               "-v",        kPassword,
                               "-w",        dir_ + "/dl",
                               "--log-info"},
      dir_ + "/tr.log", std::vector<std::string>{"HOME=" + dir_});
  session_id_.clear();
  if (!wait_http(rpc_url(), seconds(20))) {
    if (error != nullptr) *error = "transmission-daemon not ready within 20 s; log:\n" + log();
    return false;
  }
  return true;
}

void TransmissionPeer::stop() {
  if (!process_) return;
  if (process_->running()) {
    process_->signal(SIGTERM);
    if (!process_->wait_exit(seconds(15))) process_->signal(SIGKILL);
    process_->wait_exit(seconds(5));
  }
  process_.reset();
}

std::string TransmissionPeer::url() const {
  return "http://127.0.0.1:" + std::to_string(rpc_port_);
}

std::string TransmissionPeer::rpc_url() const { return url() + "/transmission/rpc"; }

std::string TransmissionPeer::rpc(const std::string& json) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string command = "curl -s -i -u " + shell_quote(std::string(kUsername) + ":" + kPassword) +
                          " -H " + shell_quote("X-Transmission-Session-Id: " + session_id_) +
                          " --data " + shell_quote(json) + " " + shell_quote(rpc_url());
    std::string output = run_command(command, seconds(10)).output;
    std::size_t header_end = output.find("\r\n\r\n");
    std::string headers = output.substr(0, header_end);
    if (headers.find(" 409 ") != std::string::npos) {
      const std::string name = "X-Transmission-Session-Id: ";
      std::size_t at = headers.find(name);
      if (at == std::string::npos) return output;
      std::size_t end = headers.find("\r\n", at);
      session_id_ = headers.substr(at + name.size(), end - at - name.size());
      continue;
    }
    return header_end == std::string::npos ? output : output.substr(header_end + 4);
  }
  return "(session id handshake failed)";
}

std::string TransmissionPeer::log() const { return read_file(dir_ + "/tr.log"); }

}  // namespace adrg::testing
