#include "integrations/downloads/download_parse.h"

#include <simdjson.h>

#include <string>
#include <system_error>
#include <utility>

#include "core/fs.h"
#include "integrations/downloads/download_util.h"

namespace adrg::downloads {
namespace {

Error bad_message(std::string what) {
  return Error{std::make_error_code(std::errc::bad_message), std::move(what)};
}

// A short, quoted excerpt of an unexpected body for the error message.
std::string excerpt(std::string_view body) { return "\"" + trim(body).substr(0, 40) + "\""; }

}  // namespace

Status parse_transmission_reply(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size(), true).get(root) != simdjson::SUCCESS) {
    return bad_message("reply is not JSON");
  }
  std::string_view result;
  if (root["result"].get_string().get(result) != simdjson::SUCCESS) {
    return bad_message("reply has no result");
  }
  if (result != "success") return bad_message(std::string(result));
  return {};
}

Result<DownloadLimit> parse_transmission_session(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size(), true).get(root) != simdjson::SUCCESS) {
    return bad_message("transmission session-get: reply is not JSON");
  }
  simdjson::dom::element args = root["arguments"];
  std::uint64_t value = 0;
  bool enabled = false;
  bool alt = false;
  if (args["speed-limit-down"].get_uint64().get(value) != simdjson::SUCCESS ||
      args["speed-limit-down-enabled"].get_bool().get(enabled) != simdjson::SUCCESS) {
    return bad_message("transmission session-get: no speed-limit-down/speed-limit-down-enabled");
  }
  if (args["alt-speed-enabled"].get_bool().get(alt) != simdjson::SUCCESS) alt = false;
  return DownloadLimit{enabled, value, alt ? 1 : 0};
}

bool qbittorrent_login_ok(std::string_view body) { return trim(body) == "Ok."; }

Result<int> parse_qbittorrent_mode(std::string_view body) {
  auto mode = parse_unsigned(trim(body));
  if (!mode || *mode > 1) {
    return bad_message("qbittorrent transfer/speedLimitsMode answered " + excerpt(body));
  }
  return static_cast<int>(*mode);
}

Result<DownloadLimit> parse_qbittorrent_limit(std::string_view body) {
  auto value = parse_unsigned(trim(body));
  if (!value) return bad_message("qbittorrent transfer/downloadLimit answered " + excerpt(body));
  return DownloadLimit{*value != 0, *value, std::nullopt};
}

}  // namespace adrg::downloads
