// The download-client parsers: Transmission's JSON-RPC replies, qBittorrent's plain-text replies
// and login cookie (integrations/downloads/download_parse.h, download_util.h), and the throttle's
// journal record (download_throttle.h), which adrg reads back after a crash. Every parser gets the
// same bytes; the Set-Cookie lookup gets each input line as a header ("Name: value").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "integrations/downloads/download_parse.h"
#include "integrations/downloads/download_throttle.h"
#include "integrations/downloads/download_util.h"
#include "integrations/downloads/transmission_client.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  adrg::fuzz::quiet_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace dl = adrg::downloads;
  const std::string_view input = adrg::fuzz::as_text(data, size);

  (void)dl::parse_transmission_reply(input);
  (void)dl::parse_transmission_session(input);
  (void)dl::qbittorrent_login_ok(input);
  (void)dl::parse_qbittorrent_mode(input);
  (void)dl::parse_qbittorrent_limit(input);
  if (auto record = dl::parse_record(input)) {
    // What was read must serialize and read back as the same record (the journal round trip).
    auto again = dl::parse_record(dl::serialize_record(*record));
    if (!again || again->original != record->original || again->cap != record->cap)
      __builtin_trap();
  }
  (void)dl::TransmissionClient::rpc_url_for(input);

  adrg::HttpResponse response;
  std::string_view rest = input;
  while (!rest.empty()) {
    auto [line, tail] = adrg::fuzz::split_first_line(rest);
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      response.headers.emplace_back(std::string(line.substr(0, colon)),
                                    std::string(line.substr(colon + 1)));
    }
    rest = tail;
  }
  (void)dl::session_cookie(response);
  return 0;
}
