// Asynchronous HTTP on the reactor: libcurl's multi interface with CURLMOPT_SOCKETFUNCTION and
// CURLMOPT_TIMERFUNCTION wired to Reactor::watch_fd and a timer, so no request ever blocks the
// loop. Used for the Docker Engine API (unix socket), media servers, download clients, and
// notification endpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/reactor.h"

namespace adrg {

struct HttpRequest {
  std::string method = "GET";
  std::string url;                   // http://localhost/v1.41/... when unix_socket is set
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::string unix_socket;                      // CURLOPT_UNIX_SOCKET_PATH when not empty
  std::string user_password;                    // "user:password" for basic auth, empty for none
  Duration timeout = std::chrono::seconds(10);  // whole transfer; zero means none (streams)
  Duration connect_timeout = std::chrono::seconds(5);
  // Streaming bodies (Docker /events): every chunk is handed over as it arrives and not kept in
  // HttpResponse::body. Returning false aborts the transfer.
  std::function<bool(std::string_view chunk)> on_chunk;
};

struct HttpResponse {
  int curl_code = 0;  // CURLcode; 0 is CURLE_OK
  std::string error;  // curl's error buffer when curl_code != 0 (a unix socket is named in it)
  int os_errno = 0;   // the errno behind a failed connect or transfer (CURLINFO_OS_ERRNO), or 0
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, in order
  std::string body;
  double seconds = 0;  // total time of the transfer

  bool transport_ok() const { return curl_code == 0; }
  bool ok() const { return curl_code == 0 && status >= 200 && status < 300; }
  // Case-insensitive lookup of the last header with that name; empty when absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  using Id = std::uint64_t;
  using Callback = std::function<void(HttpResponse)>;

  explicit HttpClient(Reactor& reactor);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The callback runs on the loop thread exactly once, unless the request is cancelled first.
  Id send(HttpRequest request, Callback callback);
  void cancel(Id id);
  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace adrg
