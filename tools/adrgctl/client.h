// adrgctl's HTTP client: one blocking libcurl easy transfer to adrg over its unix socket or TCP,
// and the exit-code convention every subcommand shares. A CLI, not the daemon: blocking is fine.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace adrg::ctl {

// Exit codes: 0 ok, 1 the server answered with an error (its message is printed), 2 the server
// could not be reached or the answer was unreadable; CLI11's own codes for usage errors.
constexpr int kExitServerError = 1;
constexpr int kExitTransport = 2;

struct Target {
  std::string socket;
  std::string url;
  std::string token;

  std::string describe() const { return socket.empty() ? url : "unix:" + socket; }
};

struct Reply {
  int code = 0;  // CURLcode
  std::string curl_error;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed
};

struct Request {
  std::string method = "GET";  // GET, POST, DELETE
  std::string path;
  std::string body;
  std::string content_type;
  bool stream = false;
  // Streaming: every chunk of a 2xx body is handed over instead of kept; false aborts.
  std::function<bool(std::string_view)> on_chunk;
  long timeout_seconds = 30;  // whole transfer; 0 = none (streams)
};

Reply perform(const Target& target, const Request& request);

// The server's {"error":"..."} message, or the raw body when it is not that shape.
std::string server_message(const std::string& body);

// Prints what went wrong and returns the exit code; 0 when the reply is a success.
int check(const Target& target, const Reply& reply);

// Percent-encodes a path segment (RFC 3986 unreserved characters stay).
std::string url_escape(std::string_view text);

}  // namespace adrg::ctl
