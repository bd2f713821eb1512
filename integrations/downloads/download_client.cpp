#include "integrations/downloads/download_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include "core/fs.h"
#include "integrations/downloads/qbittorrent_client.h"
#include "integrations/downloads/transmission_client.h"

namespace adrg::downloads {

std::string describe(const DownloadLimit& limit, std::string_view provider) {
  if (provider == "transmission") {
    return fmt::format("speed-limit-down {} kB/s ({}){}", limit.value,
                       limit.enabled ? "enabled" : "disabled",
                       limit.mode.value_or(0) == 1 ? ", turtle mode on" : "");
  }
  std::string text = limit.enabled && limit.value != 0
                         ? fmt::format("{} bytes/s ({:.2f} MiB/s)", limit.value,
                                       static_cast<double>(limit.value) / 1048576.0)
                         : std::string("unlimited");
  if (limit.mode) text += *limit.mode == 1 ? " [alternative speed mode]" : " [normal speed mode]";
  return text;
}

Result<std::unique_ptr<DownloadClient>> make_download_client(HttpClient& http,
                                                             const DownloadThrottleConfig& config) {
  if (config.provider == "qbittorrent") {
    return std::unique_ptr<DownloadClient>(
        std::make_unique<QbittorrentClient>(http, config.url, config.username, config.password));
  }
  if (config.provider == "transmission") {
    return std::unique_ptr<DownloadClient>(
        std::make_unique<TransmissionClient>(http, config.url, config.username, config.password));
  }
  return Error{std::make_error_code(std::errc::invalid_argument),
               "download_throttle.provider '" + config.provider +
                   "' is not supported (qbittorrent | transmission)"};
}

Error transport_error(const HttpResponse& response, std::string what) {
  if (!response.transport_ok()) {
    std::errc code = std::errc::io_error;
    switch (response.curl_code) {
      case CURLE_COULDNT_CONNECT:
        code = std::errc::connection_refused;
        break;
      case CURLE_OPERATION_TIMEDOUT:
        code = std::errc::timed_out;
        break;
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        code = std::errc::host_unreachable;
        break;
      default:
        break;
    }
    return Error{std::make_error_code(code), what + " failed: " + response.error};
  }
  std::errc code = response.status == 401 || response.status == 403 ? std::errc::permission_denied
                                                                    : std::errc::bad_message;
  std::string body = trim(response.body).substr(0, 120);
  return Error{std::make_error_code(code),
               fmt::format("{} answered HTTP {}{}", what, response.status,
                           body.empty() ? std::string() : " (" + body + ")")};
}

}  // namespace adrg::downloads
