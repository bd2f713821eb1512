// Small helpers shared by the download clients (internal to integrations/downloads/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/http_client.h"

namespace adrg::downloads {

// application/x-www-form-urlencoded value: everything but unreserved characters percent-encoded.
std::string form_encode(std::string_view text);
std::string strip_trailing_slash(std::string_view url);
std::optional<std::uint64_t> parse_unsigned(std::string_view text);
// The first cookie (name=value, attributes dropped) of the last Set-Cookie header; empty when
// there is none.
std::string session_cookie(const HttpResponse& response);

}  // namespace adrg::downloads
