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

// False when the body is not JSON. An empty view may carry a null pointer, which simdjson would
// hand to memcpy (undefined even for 0 bytes), so it is refused first.
bool parse_document(simdjson::dom::parser& parser, std::string_view body,
                    simdjson::dom::element& root) {
  return !body.empty() &&
         parser.parse(body.data(), body.size(), true).get(root) == simdjson::SUCCESS;
}

}  // namespace

Status parse_transmission_reply(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (!parse_document(parser, body, root)) {
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
  if (!parse_document(parser, body, root)) {
    return bad_message("transmission session-get: reply is not JSON");
  }
  // get() on every step: the implicit conversion of a lookup to an element throws
  // simdjson_error when the key is missing, and nothing up the reply callback catches it.
  simdjson::dom::object args;
  if (root["arguments"].get_object().get(args) != simdjson::SUCCESS) {
    return bad_message("transmission session-get: reply has no arguments object");
  }
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
