// The media-server parsers (integrations/media/media_parse.h): Jellyfin/Emby /Sessions, Plex
// /status/sessions and the webhook payloads. Input format: the first line is the request's
// Content-Type, the rest is the body ("application/json\n{...}", or "multipart/form-data;
// boundary=X\n--X\r\n..."), so the fuzzer mutates the multipart boundary too. The session parsers
// get the body alone, with and without count_paused.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "integrations/media/media_parse.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  adrg::fuzz::quiet_logging();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace media = adrg::media;
  const auto [content_type, body] = adrg::fuzz::split_first_line(adrg::fuzz::as_text(data, size));

  for (bool count_paused : {false, true}) {
    (void)media::parse_jellyfin_sessions(body, count_paused);
    (void)media::parse_plex_sessions(body, count_paused);
    (void)media::parse_plex_webhook(body, count_paused);
    (void)media::parse_media_webhook(content_type, body, count_paused);
  }
  (void)media::parse_jellyfin_webhook(body);
  (void)media::multipart_part(content_type, body, "payload");
  (void)media::multipart_part(content_type, body, "thumb");
  return 0;
}
