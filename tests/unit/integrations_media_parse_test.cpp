// Pure media parsers: Jellyfin/Emby /Sessions, Plex /status/sessions, the Jellyfin Webhook
// plugin and Plex webhook payloads (multipart and JSON), and secret masking. The samples are
// built from the fields the servers and plugins document (Jellyfin OpenAPI SessionInfo, the
// webhook plugin's default Generic template, Plex's webhook docs) and trimmed.
#include <gtest/gtest.h>

#include <string>

#include "integrations/media/media_parse.h"
#include "integrations/redact.h"

namespace adrg::media {
namespace {

// Four sessions: playing, paused, idle (no NowPlayingItem), playing without PlayState.
constexpr std::string_view kJellyfinSessions = R"([
  {"PlayState":{"PositionTicks":1234000,"CanSeek":true,"IsPaused":false,"IsMuted":false,
     "PlayMethod":"DirectPlay","RepeatMode":"RepeatNone"},
   "Id":"5a1c","UserId":"u1","UserName":"alice","Client":"Jellyfin Web","DeviceName":"Firefox",
   "DeviceId":"d1","ApplicationVersion":"10.8.13","IsActive":true,
   "NowPlayingItem":{"Name":"Big Buck Bunny","Id":"i1","Type":"Movie","MediaType":"Video",
     "RunTimeTicks":5963000000}},
  {"PlayState":{"PositionTicks":99,"CanSeek":true,"IsPaused":true,"IsMuted":false},
   "Id":"6b2d","UserName":"bob","Client":"Android TV","DeviceName":"Shield",
   "NowPlayingItem":{"Name":"Sintel","Id":"i2","Type":"Episode","MediaType":"Video"}},
  {"PlayState":{"CanSeek":false,"IsPaused":false,"IsMuted":false,"RepeatMode":"RepeatNone"},
   "Id":"7c3e","UserName":"alice","Client":"Jellyfin Web","DeviceName":"Chrome","IsActive":true},
  {"Id":"8d4f","UserName":"carol","Client":"Emby Theater","NowPlayingItem":{"Name":"Tears"}},
  {"Id":"9e5a","UserName":"dave","NowPlayingItem":null,"PlayState":{"IsPaused":false}}
])";

TEST(JellyfinSessions, CountsPlayingSessionsOnly) {
  auto count = parse_jellyfin_sessions(kJellyfinSessions, false);
  ASSERT_TRUE(count) << count.error().describe();
  EXPECT_EQ(*count, 2);  // alice on Firefox and carol; bob is paused, the rest are idle
}

TEST(JellyfinSessions, CountPausedAddsPausedSessions) {
  auto count = parse_jellyfin_sessions(kJellyfinSessions, true);
  ASSERT_TRUE(count) << count.error().describe();
  EXPECT_EQ(*count, 3);  // idle sessions still never count
}

TEST(JellyfinSessions, EmptyListAndIdleOnly) {
  EXPECT_EQ(*parse_jellyfin_sessions("[]", false), 0);
  EXPECT_EQ(*parse_jellyfin_sessions(R"([{"Id":"a","PlayState":{"IsPaused":false}}])", true), 0);
}

TEST(JellyfinSessions, MalformedIsAnError) {
  for (std::string_view bad : {"", "{", "not json", R"({"Sessions":[]})", "42", R"("x")"}) {
    auto count = parse_jellyfin_sessions(bad, false);
    EXPECT_FALSE(count) << bad;
    if (!count) {
      EXPECT_EQ(count.error().code, std::errc::bad_message);
    }
  }
}

constexpr std::string_view kPlexTwoSessions = R"json({"MediaContainer":{"size":3,"Metadata":[
  {"addedAt":1700000000,"title":"Big Buck Bunny","type":"movie","ratingKey":"10",
   "Player":{"address":"10.0.0.5","machineIdentifier":"m1","platform":"Chrome",
             "product":"Plex Web","state":"playing","title":"Chrome","local":true},
   "Session":{"id":"s1","bandwidth":4000,"location":"lan"},"User":{"id":"1","title":"alice"}},
  {"title":"Sintel","type":"episode",
   "Player":{"machineIdentifier":"m2","product":"Plex for Android (TV)","state":"paused"},
   "Session":{"id":"s2"},"User":{"id":"2","title":"bob"}},
  {"title":"Tears of Steel","type":"movie",
   "Player":{"machineIdentifier":"m3","product":"Plexamp","state":"buffering"},
   "Session":{"id":"s3"},"User":{"id":"3","title":"carol"}}
]}})json";

TEST(PlexSessions, SizeZeroWithoutMetadata) {
  auto count = parse_plex_sessions(R"({"MediaContainer":{"size":0}})");
  ASSERT_TRUE(count) << count.error().describe();
  EXPECT_EQ(*count, 0);
}

TEST(PlexSessions, SizeWithoutMetadataIsTheCount) {
  EXPECT_EQ(*parse_plex_sessions(R"({"MediaContainer":{"size":2}})"), 2);
}

TEST(PlexSessions, PausedPlayersCountOnlyWhenConfigured) {
  EXPECT_EQ(*parse_plex_sessions(kPlexTwoSessions, false), 2);  // playing + buffering
  EXPECT_EQ(*parse_plex_sessions(kPlexTwoSessions, true), 3);
}

TEST(PlexSessions, TwoPlaying) {
  constexpr std::string_view json = R"({"MediaContainer":{"size":2,"Metadata":[
    {"title":"a","Player":{"state":"playing"}},{"title":"b","Player":{"state":"playing"}}]}})";
  EXPECT_EQ(*parse_plex_sessions(json), 2);
}

TEST(PlexSessions, MalformedIsAnError) {
  for (std::string_view bad :
       {"", "<MediaContainer size=\"0\"/>", "[]", R"({"size":0})", R"({"MediaContainer":{}})",
        R"({"MediaContainer":{"size":-1}})", R"({"MediaContainer":[]})"}) {
    EXPECT_FALSE(parse_plex_sessions(bad)) << bad;
  }
}

// jellyfin-plugin-webhook, Generic destination, default template fields.
std::string jellyfin_webhook(std::string_view type) {
  return std::string(R"({"ServerId":"8a1c7f","ServerName":"media-box","ServerVersion":"10.8.13",
    "ServerUrl":"http://jellyfin:8096","NotificationType":")") +
         std::string(type) + R"(","Timestamp":"2024-03-01T20:15:00.0000000+01:00",
    "UtcTimestamp":"2024-03-01T19:15:00.0000000Z","Name":"Big Buck Bunny","Overview":"A rabbit.",
    "Tagline":"","ItemId":"i1","ItemType":"Movie","RunTimeTicks":5963000000,"RunTime":"00:09:56",
    "Year":2008,"NotificationUsername":"alice","UserId":"u1","PlaybackPositionTicks":0,
    "PlaybackPosition":"00:00:00","DeviceId":"d1","DeviceName":"Firefox",
    "ClientName":"Jellyfin Web","IsPaused":false})";
}

TEST(JellyfinWebhook, StartStopAndProgress) {
  auto start = parse_jellyfin_webhook(jellyfin_webhook("PlaybackStart"));
  ASSERT_TRUE(start) << start.error().describe();
  EXPECT_EQ(start->trigger, TriggerKind::kMediaStart);
  EXPECT_EQ(start->source, "jellyfin-webhook");
  EXPECT_EQ(start->user, "alice");
  EXPECT_EQ(start->title, "Big Buck Bunny");

  auto stop = parse_jellyfin_webhook(jellyfin_webhook("PlaybackStop"));
  ASSERT_TRUE(stop);
  EXPECT_EQ(stop->trigger, TriggerKind::kMediaStop);

  for (std::string_view ignored : {"PlaybackProgress", "ItemAdded", "AuthenticationSuccess"}) {
    auto event = parse_jellyfin_webhook(jellyfin_webhook(ignored));
    ASSERT_TRUE(event) << ignored;
    EXPECT_FALSE(event->trigger.has_value()) << ignored;
    EXPECT_EQ(event->event, ignored);
  }
}

// Plex's documented webhook payload (support.plex.tv "Webhooks"), trimmed.
std::string plex_payload(std::string_view event) {
  return std::string(R"json({"event":")json") + std::string(event) + R"json(","user":true,
    "owner":true,
    "Account":{"id":1,"thumb":"https://plex.tv/users/1022b120ffbaa/avatar?c=1465525047",
      "title":"elan"},
    "Server":{"title":"Office","uuid":"54664a3d8acc39983675640ec9ce00b70af9cc36"},
    "Player":{"local":true,"publicAddress":"200.200.200.200","title":"Plex Web (Safari)",
      "uuid":"r6yfkdnfggbh2bdnvkffwbms"},
    "Metadata":{"librarySectionType":"movie","ratingKey":"1936545",
      "key":"/library/metadata/1936545","type":"movie","title":"Love The One You're With",
      "summary":"","addedAt":1000396126,"updatedAt":1432897518}})json";
}

constexpr std::string_view kBoundary = "------------------------d1ad6f4c5b6d4d8b";

std::string plex_multipart(std::string_view event, bool with_thumb) {
  std::string body;
  body += "--" + std::string(kBoundary) + "\r\n";
  body += "Content-Disposition: form-data; name=\"payload\"\r\n";
  body += "Content-Type: application/json\r\n\r\n";
  body += plex_payload(event) + "\r\n";
  if (with_thumb) {
    body += "--" + std::string(kBoundary) + "\r\n";
    body += "Content-Disposition: form-data; name=\"thumb\"; filename=\"thumb.jpg\"\r\n";
    body += "Content-Type: image/jpeg\r\n\r\n";
    body += std::string("\xff\xd8\xff\xe0\0\x10JFIF\0--\r\n\xff\xd9", 17) + "\r\n";
  }
  body += "--" + std::string(kBoundary) + "--\r\n";
  return body;
}

std::string plex_content_type() {
  return "multipart/form-data; boundary=" + std::string(kBoundary);
}

TEST(PlexWebhook, MultipartEvents) {
  struct Case {
    std::string_view event;
    std::optional<TriggerKind> trigger;
  };
  for (const Case& c :
       {Case{"media.play", TriggerKind::kMediaStart},
        Case{"media.resume", TriggerKind::kMediaStart},
        Case{"media.pause", TriggerKind::kMediaStop}, Case{"media.stop", TriggerKind::kMediaStop},
        Case{"media.scrobble", std::nullopt}, Case{"library.new", std::nullopt}}) {
    for (bool thumb : {false, true}) {
      auto event = parse_media_webhook(plex_content_type(), plex_multipart(c.event, thumb));
      ASSERT_TRUE(event) << c.event << ": " << event.error().describe();
      EXPECT_EQ(event->source, "plex-webhook");
      EXPECT_EQ(event->event, c.event);
      EXPECT_EQ(event->trigger, c.trigger) << c.event;
      EXPECT_EQ(event->user, "elan");
      EXPECT_EQ(event->title, "Love The One You're With");
    }
  }
}

TEST(PlexWebhook, PauseKeepsMediaWhenPausedSessionsCount) {
  auto event = parse_media_webhook(plex_content_type(), plex_multipart("media.pause", false),
                                   /*count_paused=*/true);
  ASSERT_TRUE(event);
  EXPECT_FALSE(event->trigger.has_value());
}

TEST(PlexWebhook, QuotedBoundaryAndThumbFirst) {
  std::string body = plex_multipart("media.play", true);
  // Move the thumb part in front: the payload part is found wherever it is.
  std::string thumb_first;
  std::size_t second = body.find("--" + std::string(kBoundary), 2);
  std::size_t closing = body.rfind("--" + std::string(kBoundary) + "--");
  thumb_first =
      body.substr(second, closing - second) + body.substr(0, second) + body.substr(closing);
  auto event = parse_media_webhook(
      "Multipart/Form-Data; charset=utf-8; boundary=\"" + std::string(kBoundary) + "\"",
      thumb_first);
  ASSERT_TRUE(event) << event.error().describe();
  EXPECT_EQ(event->trigger, TriggerKind::kMediaStart);
}

TEST(PlexWebhook, PlainJsonBody) {
  auto event = parse_media_webhook("application/json", plex_payload("media.resume"));
  ASSERT_TRUE(event) << event.error().describe();
  EXPECT_EQ(event->source, "plex-webhook");
  EXPECT_EQ(event->trigger, TriggerKind::kMediaStart);
}

TEST(MediaWebhook, JellyfinJsonDispatch) {
  auto event = parse_media_webhook("application/json", jellyfin_webhook("PlaybackStop"));
  ASSERT_TRUE(event) << event.error().describe();
  EXPECT_EQ(event->source, "jellyfin-webhook");
  EXPECT_EQ(event->trigger, TriggerKind::kMediaStop);
  // Jellyfin's plugin may be set to text/plain; the body decides.
  EXPECT_TRUE(parse_media_webhook("text/plain", jellyfin_webhook("PlaybackStart")));
}

TEST(MediaWebhook, JunkIsAnInvalidArgument) {
  struct Case {
    std::string content_type;
    std::string body;
  };
  for (const Case& c : {
           Case{"application/json", ""},
           Case{"application/json", "{"},
           Case{"application/json", "[1,2]"},
           Case{"application/json", R"({"hello":"world"})"},
           Case{"application/json", R"({"event":""})"},
           Case{"multipart/form-data", plex_multipart("media.play", false)},  // no boundary
           Case{plex_content_type(), "garbage without delimiters"},
           Case{plex_content_type(), "--" + std::string(kBoundary) +
                                         "\r\nContent-Disposition: form-data; name=\"other\"\r\n"
                                         "\r\n{}\r\n--" +
                                         std::string(kBoundary) + "--\r\n"},
           Case{plex_content_type(), "--" + std::string(kBoundary) +
                                         "\r\nContent-Disposition: form-data; name=\"payload\""
                                         "\r\n\r\nnot json\r\n--" +
                                         std::string(kBoundary) + "--\r\n"},
       }) {
    auto event = parse_media_webhook(c.content_type, c.body);
    EXPECT_FALSE(event) << c.body;
    if (!event) {
      EXPECT_EQ(event.error().code, std::errc::invalid_argument) << c.body;
    }
  }
}

// A default std::string_view has a null data(); simdjson memcpy()s its input, and memcpy from
// null is undefined even for 0 bytes (the ASan/UBSan build aborted here; found by fuzzing).
TEST(MediaParse, NullEmptyViewIsAnError) {
  const std::string_view empty;
  EXPECT_FALSE(parse_jellyfin_sessions(empty, false));
  EXPECT_FALSE(parse_plex_sessions(empty, true));
  EXPECT_FALSE(parse_jellyfin_webhook(empty));
  EXPECT_FALSE(parse_plex_webhook(empty));
  auto webhook = parse_media_webhook("application/json", empty);
  ASSERT_FALSE(webhook);
  EXPECT_EQ(webhook.error().code, std::errc::invalid_argument);
}

TEST(Multipart, PartContentIsExact) {
  std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"payload\"\r\n\r\n"
      "line1\r\nline2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n\r\n--XyZ--";
  auto part = multipart_part("multipart/form-data; boundary=XyZ", body, "payload");
  ASSERT_TRUE(part) << part.error().describe();
  EXPECT_EQ(*part, "line1\r\nline2");
  auto empty = multipart_part("multipart/form-data; boundary=XyZ", body, "b");
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

}  // namespace
}  // namespace adrg::media

namespace adrg {
namespace {

TEST(Redact, MaskSecretKeepsNothing) {
  EXPECT_EQ(mask_secret(""), "");
  EXPECT_EQ(mask_secret("a"), "***");
  EXPECT_EQ(mask_secret("0123456789abcdef0123456789abcdef"), "***");
}

TEST(Redact, RedactReplacesEveryOccurrence) {
  EXPECT_EQ(redact("token=s3cr3t then s3cr3t again", {"s3cr3t", ""}), "token=*** then *** again");
  EXPECT_EQ(redact("pw hunter2, key k3y", {"hunter2", "k3y"}), "pw ***, key ***");
  EXPECT_EQ(redact("nothing here", {"absent"}), "nothing here");
}

TEST(Redact, UrlUserinfoAndTokenParameters) {
  EXPECT_EQ(redact_url("http://admin:adminadmin@qbittorrent:8080/api/v2"),
            "http://admin:***@qbittorrent:8080/api/v2");
  EXPECT_EQ(redact_url("http://plex:32400/status/sessions?X-Plex-Token=abc123&foo=bar"),
            "http://plex:32400/status/sessions?X-Plex-Token=***&foo=bar");
  EXPECT_EQ(redact_url("http://jf:8096/Sessions?api_key=K&ApiKey=K2#frag"),
            "http://jf:8096/Sessions?api_key=***&ApiKey=***#frag");
  EXPECT_EQ(redact_url("https://ntfy.sh/topic?auth=xyz"), "https://ntfy.sh/topic?auth=***");
  EXPECT_EQ(redact_url("http://jellyfin:8096"), "http://jellyfin:8096");
  EXPECT_EQ(redact_url("http://user@host/x?a=1"), "http://user@host/x?a=1");
}

}  // namespace
}  // namespace adrg
