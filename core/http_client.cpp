// libcurl's multi_socket API on the reactor (everything.curl.dev "multi_socket"): curl tells us
// which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call back (CURLMOPT_TIMERFUNCTION);
// the reactor reports readiness and we hand it to curl_multi_socket_action. No curl call ever
// waits, so the loop stays responsive while transfers run.
//
// Re-entrancy: curl forbids calling curl_multi_add_handle/remove_handle from inside its own
// callbacks (CURLM_RECURSIVE_API_CALL). on_chunk runs inside curl_multi_socket_action, so a
// send() or cancel() made there is queued and applied once curl returned.
#include "core/http_client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/result.h"

namespace adrg {

std::string HttpResponse::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (it->first.size() == name.size() &&
        ::strncasecmp(it->first.data(), name.data(), name.size()) == 0) {
      return it->second;
    }
  }
  return {};
}

namespace {

std::string_view trim_header_value(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

bool has_header(const std::vector<std::string>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (h.size() >= name.size() && ::strncasecmp(h.data(), name.data(), name.size()) == 0 &&
        (h.size() == name.size() || h[name.size()] == ':' || h[name.size()] == ';')) {
      return true;
    }
  }
  return false;
}

long to_millis(Duration d) {
  return static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
}

}  // namespace

struct HttpClient::Impl {
  struct Transfer {
    Id id = 0;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    HttpRequest request;
    Callback callback;
    HttpResponse response;
    char error[CURL_ERROR_SIZE] = {};
    bool added = false;      // in the multi handle
    bool cancelled = false;  // cancel() arrived while curl was running
    bool aborted_by_chunk = false;

    ~Transfer() {
      if (easy != nullptr) curl_easy_cleanup(easy);
      if (header_list != nullptr) curl_slist_free_all(header_list);
    }
  };

  explicit Impl(Reactor& r) : reactor(r) {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &Impl::socket_callback);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &Impl::timer_callback);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
  }

  ~Impl() {
    destroying = true;
    for (auto& [id, transfer] : transfers) {
      if (transfer->added) curl_multi_remove_handle(multi, transfer->easy);
    }
    transfers.clear();
    curl_multi_cleanup(multi);  // may still report CURL_POLL_REMOVE for cached connections
    for (auto& [fd, watch] : sockets) reactor.cancel(watch);
    reactor.cancel(timer);
  }

  // ---- curl -> reactor

  static int socket_callback(CURL*, curl_socket_t s, int what, void* userp, void*) {
    auto* self = static_cast<Impl*>(userp);
    auto it = self->sockets.find(s);
    if (what == CURL_POLL_REMOVE) {
      if (it != self->sockets.end()) {
        self->reactor.cancel(it->second);
        self->sockets.erase(it);
      }
      return 0;
    }
    std::uint32_t events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= POLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= POLLOUT;
    if (it != self->sockets.end()) {
      if (auto status = self->reactor.modify_fd(it->second, events); !status) {
        spdlog::error("http: {}", status.error().describe());
      }
      return 0;
    }
    auto watch = self->reactor.watch_fd(
        s, events, [self, s](std::uint32_t revents) { self->on_socket(s, revents); });
    if (!watch) {
      spdlog::error("http: {}", watch.error().describe());
      return -1;  // curl fails the transfers on this socket
    }
    self->sockets[s] = *watch;
    return 0;
  }

  static int timer_callback(CURLM*, long timeout_ms, void* userp) {
    auto* self = static_cast<Impl*>(userp);
    if (self->destroying) return 0;
    if (timeout_ms < 0) {
      self->reactor.cancel(self->timer);
      self->timer = 0;
      return 0;
    }
    // 0 means "call socket_action(CURL_SOCKET_TIMEOUT) soon": a zero timer runs it on the next
    // loop iteration, never from inside this callback (curl forbids that re-entry).
    Duration delay = std::chrono::milliseconds(timeout_ms);
    if (self->timer != 0 && self->reactor.rearm_timer(self->timer, delay, {})) return 0;
    auto timer = self->reactor.add_timer(delay, {}, [self] {
      self->timer = 0;  // a one-shot is forgotten once it fired
      self->action(CURL_SOCKET_TIMEOUT, 0);
    });
    if (!timer) {
      spdlog::error("http: {}", timer.error().describe());
      return -1;
    }
    self->timer = *timer;
    return 0;
  }

  void on_socket(curl_socket_t s, std::uint32_t revents) {
    int flags = 0;
    if (revents & (POLLIN | POLLPRI | POLLHUP)) flags |= CURL_CSELECT_IN;
    if (revents & POLLOUT) flags |= CURL_CSELECT_OUT;
    if (revents & (POLLERR | POLLNVAL)) flags |= CURL_CSELECT_ERR;
    action(s, flags);
  }

  void action(curl_socket_t s, int flags) {
    int running = 0;
    ++in_curl;
    curl_multi_socket_action(multi, s, flags, &running);
    --in_curl;
    after_action();
  }

  // Applies what was queued while curl ran, then completes finished transfers.
  void after_action() {
    while (!deferred_cancels.empty() || !deferred_adds.empty()) {
      std::vector<Id> cancels, adds;
      cancels.swap(deferred_cancels);
      adds.swap(deferred_adds);
      for (Id id : cancels) remove(id);
      for (Id id : adds) start(id);
    }
    std::vector<std::pair<Id, CURLcode>> done;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      char* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      done.emplace_back(static_cast<Id>(reinterpret_cast<std::uintptr_t>(priv)), msg->data.result);
    }
    // Completion callbacks may send or cancel anything, including transfers further down this
    // list; each id is looked up again.
    for (auto [id, code] : done) complete(id, code);
  }

  void complete(Id id, CURLcode code) {
    auto it = transfers.find(id);
    if (it == transfers.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    transfers.erase(it);
    HttpResponse& response = transfer->response;
    response.curl_code = code;
    if (code != CURLE_OK) {
      response.error = transfer->aborted_by_chunk ? "transfer aborted by on_chunk"
                       : transfer->error[0]       ? transfer->error
                                                  : curl_easy_strerror(code);
      long os_errno = 0;
      curl_easy_getinfo(transfer->easy, CURLINFO_OS_ERRNO, &os_errno);
      response.os_errno = static_cast<int>(os_errno);
      if (!transfer->request.unix_socket.empty()) {
        response.error = unix_socket_error(transfer->request.unix_socket, code, response.os_errno,
                                           response.error);
      }
    }
    curl_easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
    curl_easy_getinfo(transfer->easy, CURLINFO_TOTAL_TIME, &response.seconds);
    curl_multi_remove_handle(multi, transfer->easy);
    transfer->added = false;
    Callback callback = std::move(transfer->callback);
    HttpResponse result = std::move(response);
    transfer.reset();  // the easy handle is gone before user code runs
    callback(std::move(result));
  }

  // curl words a failed unix-socket connect after the URL's host ("Failed to connect to
  // localhost port 80"), which sends a user looking for a TCP port. Every transport error of a
  // unix-socket request names the socket instead, with the reason the kernel gave.
  static std::string unix_socket_error(const std::string& path, CURLcode code, int os_errno,
                                       const std::string& curl_error) {
    if (code == CURLE_COULDNT_CONNECT) {
      return "cannot connect to unix socket " + path + ": " +
             (os_errno != 0 ? errno_text(os_errno) : curl_easy_strerror(code));
    }
    return "unix socket " + path + ": " + curl_error;
  }

  // ---- transfers

  static std::size_t write_callback(char* data, std::size_t size, std::size_t n, void* userp) {
    auto* transfer = static_cast<Transfer*>(userp);
    const std::size_t bytes = size * n;
    if (transfer->cancelled) return 0;  // CURLE_WRITE_ERROR ends it; removed without callback
    if (transfer->request.on_chunk) {
      if (!transfer->request.on_chunk(std::string_view(data, bytes))) {
        transfer->aborted_by_chunk = true;
        return 0;
      }
      return bytes;
    }
    transfer->response.body.append(data, bytes);
    return bytes;
  }

  static std::size_t header_callback(char* data, std::size_t size, std::size_t n, void* userp) {
    auto* transfer = static_cast<Transfer*>(userp);
    const std::size_t bytes = size * n;
    std::string_view line = trim_header_value(std::string_view(data, bytes));
    if (line.starts_with("HTTP/")) {
      // A new status line (100 Continue, a redirect hop): headers belong to the last response.
      transfer->response.headers.clear();
    } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
      transfer->response.headers.emplace_back(
          std::string(trim_header_value(line.substr(0, colon))),
          std::string(trim_header_value(line.substr(colon + 1))));
    }
    return bytes;
  }

  void configure(Transfer& t) {
    CURL* e = t.easy;
    const HttpRequest& r = t.request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    // The id, not a pointer: a finished message for a transfer cancelled meanwhile is dropped
    // by the lookup in complete().
    curl_easy_setopt(e, CURLOPT_PRIVATE,
                     reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr)
                         static_cast<std::uintptr_t>(t.id)));
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based DNS timeouts in a daemon
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Impl::write_callback);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Impl::header_callback);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     r.timeout > Duration::zero() ? to_millis(r.timeout) : 0L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     r.connect_timeout > Duration::zero() ? to_millis(r.connect_timeout) : 0L);
    if (!r.unix_socket.empty())
      curl_easy_setopt(e, CURLOPT_UNIX_SOCKET_PATH, r.unix_socket.c_str());
    if (!r.user_password.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(e, CURLOPT_USERPWD, r.user_password.c_str());
    }

    for (const auto& h : r.headers) t.header_list = curl_slist_append(t.header_list, h.c_str());
    // curl 7.88 adds "Expect: 100-continue" to POSTs over 1 KiB and then waits up to a second
    // for the interim response; our peers are local and answer directly.
    if (!has_header(r.headers, "Expect")) {
      t.header_list = curl_slist_append(t.header_list, "Expect:");
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.header_list);

    const std::string& m = r.method;
    if (m == "GET" && r.body.empty()) {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (m == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
      // POSTFIELDS sends the body for any method; CUSTOMREQUEST then renames the verb (PUT,
      // DELETE, PATCH). The body lives in the Transfer, so curl need not copy it.
      if (!r.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      }
      if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
  }

  Id send(HttpRequest request, Callback callback) {
    auto transfer = std::make_unique<Transfer>();
    Id id = next_id++;
    transfer->id = id;
    transfer->request = std::move(request);
    transfer->callback = std::move(callback);
    transfer->easy = curl_easy_init();
    if (transfer->easy == nullptr) {
      fail_soon(std::move(transfer->callback), CURLE_OUT_OF_MEMORY, "curl_easy_init failed");
      return id;
    }
    configure(*transfer);
    transfers[id] = std::move(transfer);
    if (in_curl > 0) {
      deferred_adds.push_back(id);
    } else {
      start(id);
    }
    return id;
  }

  void start(Id id) {
    auto it = transfers.find(id);
    if (it == transfers.end() || it->second->cancelled) return;
    CURLMcode rc = curl_multi_add_handle(multi, it->second->easy);
    if (rc != CURLM_OK) {
      Callback callback = std::move(it->second->callback);
      transfers.erase(it);
      fail_soon(std::move(callback), CURLE_FAILED_INIT, curl_multi_strerror(rc));
      return;
    }
    it->second->added = true;
  }

  // The callback contract is "later, on the loop thread", never from inside send().
  void fail_soon(Callback callback, CURLcode code, std::string error) {
    std::weak_ptr<bool> alive = alive_token;
    reactor.post([alive, callback = std::move(callback), code, error = std::move(error)] {
      if (alive.expired()) return;
      HttpResponse response;
      response.curl_code = code;
      response.error = error;
      callback(std::move(response));
    });
  }

  void cancel(Id id) {
    auto it = transfers.find(id);
    if (it == transfers.end()) return;
    if (in_curl > 0) {
      it->second->cancelled = true;
      deferred_cancels.push_back(id);
      return;
    }
    remove(id);
  }

  void remove(Id id) {
    auto it = transfers.find(id);
    if (it == transfers.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    transfers.erase(it);
    if (transfer->added) curl_multi_remove_handle(multi, transfer->easy);
  }

  Reactor& reactor;
  CURLM* multi = nullptr;
  Reactor::Id timer = 0;
  Id next_id = 1;
  int in_curl = 0;
  bool destroying = false;
  std::unordered_map<Id, std::unique_ptr<Transfer>> transfers;
  std::unordered_map<curl_socket_t, Reactor::Id> sockets;
  std::vector<Id> deferred_cancels;
  std::vector<Id> deferred_adds;
  std::shared_ptr<bool> alive_token = std::make_shared<bool>(true);
};

HttpClient::HttpClient(Reactor& reactor) : impl_(std::make_unique<Impl>(reactor)) {}
HttpClient::~HttpClient() = default;

HttpClient::Id HttpClient::send(HttpRequest request, Callback callback) {
  return impl_->send(std::move(request), std::move(callback));
}

void HttpClient::cancel(Id id) { impl_->cancel(id); }

std::size_t HttpClient::in_flight() const { return impl_->transfers.size(); }

}  // namespace adrg
