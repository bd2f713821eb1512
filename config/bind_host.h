// general.http_server.host, checked the way the HTTP layer will use it (getaddrinfo, AI_PASSIVE)
// but without DNS, so --check-config and a start-up never block on a resolver: numeric addresses
// and "localhost" are checked exactly, other names only for their syntax.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace adrg {

struct BindHost {
  std::string host;       // trimmed: what the HTTP layer is given
  bool loopback = false;  // 127.0.0.0/8, ::1, ::ffff:127.x.y.z, or "localhost"
  bool is_name = false;   // a DNS name other than localhost: where it points is not known here
};

// Accepts an IPv4 address in dotted-quad form, an IPv6 address (bare or in brackets, an
// optional %zone), "localhost" in any case, or a host name of letters, digits and '-' labels.
// Leading and trailing blanks are dropped (a quoted "127.0.0.1 " or a ${VAR} from an env file
// with a trailing space would otherwise fail getaddrinfo at start). The error is a sentence
// about `text` without the setting's name.
Result<BindHost> parse_bind_host(std::string_view text);

}  // namespace adrg
