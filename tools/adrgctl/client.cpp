#include "tools/adrgctl/client.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <cctype>
#include <cstdio>
#include <iostream>

namespace adrg::ctl {

namespace {

struct TransferState {
  CURL* curl = nullptr;
  Reply* reply = nullptr;
  const Request* request = nullptr;
};

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<TransferState*>(user);
  std::size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(state->curl, CURLINFO_RESPONSE_CODE, &status);
  if (state->request->on_chunk && status >= 200 && status < 300) {
    return state->request->on_chunk(std::string_view(data, bytes)) ? bytes : 0;
  }
  state->reply->body.append(data, bytes);
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* reply = static_cast<Reply*>(user);
  std::string_view line(data, size * count);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name;
    for (char c : line.substr(0, colon)) {
      name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) {
      value.remove_prefix(1);
    }
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
      value.remove_suffix(1);
    }
    reply->headers[name] = std::string(value);
  }
  return size * count;
}

}  // namespace

Reply perform(const Target& target, const Request& request) {
  Reply reply;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) {
    reply.code = CURLE_FAILED_INIT;
    reply.curl_error = "curl_easy_init failed";
    return reply;
  }
  std::string url;
  if (!target.socket.empty()) {
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, target.socket.c_str());
    url = "http://localhost" + request.path;
  } else {
    std::string base = target.url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url = base + request.path;
  }
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_slist* headers = nullptr;
  std::string authorization = "Authorization: Bearer " + target.token;
  if (!target.token.empty()) headers = curl_slist_append(headers, authorization.c_str());
  std::string content_type = "Content-Type: " + request.content_type;
  if (!request.content_type.empty()) headers = curl_slist_append(headers, content_type.c_str());
  if (request.stream) headers = curl_slist_append(headers, "Accept: text/event-stream");

  TransferState state{curl, &reply, &request};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "adrgctl/" ADRG_VERSION);
  if (!request.stream && request.timeout_seconds > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, request.timeout_seconds);
  }
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  CURLcode code = curl_easy_perform(curl);
  reply.code = code;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  if (code != CURLE_OK) {
    reply.curl_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

std::string server_message(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  std::string_view message;
  if (parser.parse(simdjson::padded_string(body)).get(document) == simdjson::SUCCESS &&
      document["error"].get(message) == simdjson::SUCCESS) {
    return std::string(message);
  }
  std::string trimmed = body;
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  return trimmed.empty() ? "(empty body)" : trimmed;
}

int check(const Target& target, const Reply& reply) {
  if (reply.code != CURLE_OK && reply.status == 0) {
    std::cerr << "adrgctl: cannot reach adrg at " << target.describe() << ": " << reply.curl_error
              << "\n";
    return kExitTransport;
  }
  if (reply.status < 200 || reply.status >= 300) {
    std::cerr << "adrgctl: HTTP " << reply.status << ": " << server_message(reply.body) << "\n";
    return kExitServerError;
  }
  if (reply.code != CURLE_OK) {
    std::cerr << "adrgctl: transfer from " << target.describe() << " failed: " << reply.curl_error
              << "\n";
    return kExitTransport;
  }
  return 0;
}

std::string url_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

}  // namespace adrg::ctl
