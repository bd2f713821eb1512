// Pure parts of integrations/notify: message texts from Decisions, the exact request of each
// service, Retry-After parsing, secret masking and the rate-limit coalescer (with exact times).
#include <gtest/gtest.h>

#include <string>

#include "integrations/notify/coalescer.h"
#include "integrations/notify/notification.h"
#include "integrations/redact.h"

namespace adrg::notify {
namespace {

using std::chrono::seconds;

bool has_header(const HttpRequest& r, std::string_view line) {
  for (const auto& h : r.headers) {
    if (h == line) return true;
  }
  return false;
}

// ---- texts

TEST(NotifyFormat, ThermalStage2IsHighAndReadable) {
  Decision d{"thermal",
             "thermal_stage2",
             "stage1",
             "stage2",
             "max temperature 81.5 °C >= stage2 threshold 80.0 °C",
             {}};
  Notification n = format_notification(d);
  EXPECT_EQ(n.title, "Thermal stage 2");
  EXPECT_EQ(n.display_title(), "🌡️ Thermal stage 2");
  EXPECT_EQ(n.message, "Paused tier 2+3: max temperature 81.5 °C ≥ stage2 threshold 80.0 °C.");
  EXPECT_EQ(n.priority, NotifyPriority::kHigh);
  EXPECT_EQ(n.tags, (std::vector<std::string>{"thermometer", "fire"}));
}

TEST(NotifyFormat, ThermalStage1IsDefaultPriority) {
  Notification n = format_notification({"thermal",
                                        "thermal_stage1",
                                        "normal",
                                        "stage1",
                                        "max temperature 76.0 °C >= stage1 threshold 75.0 °C",
                                        {}});
  EXPECT_EQ(n.title, "Thermal stage 1");
  EXPECT_EQ(n.message, "Paused tier 3: max temperature 76.0 °C ≥ stage1 threshold 75.0 °C.");
  EXPECT_EQ(n.priority, NotifyPriority::kDefault);
}

TEST(NotifyFormat, MediaModeOnAndOff) {
  Notification on = format_notification({"media",
                                         "media_mode_activated",
                                         "inactive",
                                         "active",
                                         "2 active media session(s) (jellyfin)",
                                         {}});
  EXPECT_EQ(on.display_title(), "🎬 Media mode on");
  EXPECT_EQ(on.message, "Paused tier 3, throttled tier 2: 2 active media session(s) (jellyfin).");
  Notification off = format_notification({"media",
                                          "media_mode_deactivated",
                                          "active",
                                          "inactive",
                                          "no active media for 60 s (cooldown)",
                                          {}});
  EXPECT_EQ(off.title, "Media mode off");
  EXPECT_EQ(off.message, "Released tier 2 and 3: no active media for 60 s (cooldown).");
}

TEST(NotifyFormat, EmergencyRestartIsUrgentAndNamesUnmentionedUnits) {
  const std::string id = "0123456789abcdef0123456789abcdef";
  Notification n = format_notification(
      {"memory",
       "memory_emergency_restart",
       "critical",
       "critical",
       "memory full avg10 30.00 > 25.00: emergency restart of tdarr (tier 3, memory.current "
       "812.0 MiB)",
       {id}});
  EXPECT_EQ(n.title, "Memory emergency: container restarted");
  EXPECT_EQ(n.priority, NotifyPriority::kUrgent);
  EXPECT_EQ(n.message,
            "Memory full avg10 30.00 > 25.00: emergency restart of tdarr (tier 3, memory.current "
            "812.0 MiB). (0123456789ab)");
  // A unit the reason already names is not repeated.
  Notification named = format_notification(
      {"memory", "memory_critical_restart", "squeeze", "squeeze", "restart of abc123", {"abc123"}});
  EXPECT_EQ(named.message, "Restart of abc123.");
  EXPECT_EQ(named.priority, NotifyPriority::kHigh);
}

TEST(NotifyFormat, UnknownEventsStillReadWell) {
  Notification n =
      format_notification({"io", "io_throttle_engaged", "normal", "throttled", "", {}});
  EXPECT_EQ(n.title, "Io: normal → throttled");
  EXPECT_EQ(n.message, "Io: normal → throttled.");
  EXPECT_EQ(n.priority, NotifyPriority::kDefault);
}

TEST(NotifyFormat, Lifecycle) {
  Notification start = format_lifecycle("daemon_start", "adrg 0.1.0 on nas");
  EXPECT_EQ(start.display_title(), "▶️ adrg started");
  EXPECT_EQ(start.message, "Adrg 0.1.0 on nas.");
  Notification stop = format_notification({"", "daemon_stop", "", "", "SIGTERM", {}});
  EXPECT_EQ(stop.title, "adrg stopping");
  EXPECT_EQ(format_lifecycle("daemon_stop", "").message, "adrg stopping.");
}

// ---- wire formats

TEST(NotifyWire, DiscordJsonWithoutMentions) {
  Notification n = format_notification(
      {"thermal", "thermal_stage2", "stage1", "stage2", "81.5 °C \"hot\" >= 80 °C", {}});
  HttpRequest r = build_discord_request("https://discord.com/api/webhooks/1/tok", n);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://discord.com/api/webhooks/1/tok");
  EXPECT_TRUE(has_header(r, "Content-Type: application/json"));
  EXPECT_EQ(
      r.body,
      "{\"content\":\"**🌡️ Thermal stage 2**\\nPaused tier 2+3: 81.5 °C \\\"hot\\\" ≥ 80 "
      "°C.\",\"username\":\"adrg\",\"allowed_mentions\":{\"parse\":[]}}");
}

TEST(NotifyWire, DiscordContentCappedAt2000Bytes) {
  Notification n;
  n.title = "t";
  n.message = std::string(3000, 'x');
  HttpRequest r = build_discord_request("https://d/x", n);
  const auto start = r.body.find("\"content\":\"") + 11;
  const auto end = r.body.find("\",\"username\"");
  EXPECT_LE(end - start, 2000u + 1);  // "\n" is escaped as two characters
  EXPECT_NE(r.body.find("…"), std::string::npos);
}

TEST(NotifyWire, NtfyHeadersAndBody) {
  Notification n = format_notification(
      {"thermal", "thermal_stage2", "stage1", "stage2", "max temperature 81.5 °C >= 80 °C", {}});
  HttpRequest r = build_ntfy_request("https://ntfy.sh/my-secret-topic", "tk_abc", n);
  EXPECT_EQ(r.url, "https://ntfy.sh/my-secret-topic");
  EXPECT_TRUE(has_header(r, "Title: Thermal stage 2"));
  EXPECT_TRUE(has_header(r, "Priority: high"));
  EXPECT_TRUE(has_header(r, "Tags: thermometer,fire"));
  EXPECT_TRUE(has_header(r, "Authorization: Bearer tk_abc"));
  EXPECT_EQ(r.body, "Paused tier 2+3: max temperature 81.5 °C ≥ 80 °C.");
  // No token, no Authorization header at all (public topics).
  HttpRequest anon = build_ntfy_request("https://ntfy.sh/t", "", n);
  for (const auto& h : anon.headers) EXPECT_EQ(h.rfind("Authorization", 0), std::string::npos);
}

TEST(NotifyWire, HeaderValuesAreEncodedAndCannotInject) {
  EXPECT_EQ(header_value("plain"), "plain");
  EXPECT_EQ(header_value("a\r\nX-Evil: 1"), "a  X-Evil: 1");
  EXPECT_EQ(header_value("81 °C"), "=?UTF-8?B?ODEgwrBD?=");
}

TEST(NotifyWire, GotifyHeaderTokenAndJson) {
  Notification n = format_notification(
      {"memory", "memory_emergency_restart", "critical", "critical", "restart of x1234", {}});
  HttpRequest r = build_gotify_request("http://gotify.local/", "AbCdEf123", n);
  EXPECT_EQ(r.url, "http://gotify.local/message");
  EXPECT_EQ(r.url.find("AbCdEf123"), std::string::npos);
  EXPECT_TRUE(has_header(r, "X-Gotify-Key: AbCdEf123"));
  EXPECT_EQ(r.body,
            "{\"title\":\"🚨 Memory emergency: container restarted\",\"message\":\"Restart of "
            "x1234.\",\"priority\":10}");
  EXPECT_EQ(build_gotify_request("https://h/gotify", "t", n).url, "https://h/gotify/message");
}

TEST(NotifyWire, RetryAfter) {
  EXPECT_DOUBLE_EQ(*parse_retry_after("0.2", "", 0), 0.2);
  EXPECT_DOUBLE_EQ(*parse_retry_after(" 3 ", "", 0), 3.0);
  EXPECT_DOUBLE_EQ(*parse_retry_after("", R"({"message":"rate limited","retry_after":1.5})", 0),
                   1.5);
  EXPECT_DOUBLE_EQ(*parse_retry_after("1", R"({"retry_after":2.25,"global":false})", 0), 2.25);
  EXPECT_DOUBLE_EQ(*parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", "", 1445412470.0), 10.0);
  EXPECT_DOUBLE_EQ(*parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", "", 1445412490.0), 0.0);
  EXPECT_FALSE(parse_retry_after("", "", 0));
  EXPECT_FALSE(parse_retry_after("soon", "<html>busy</html>", 0));
  EXPECT_FALSE(parse_retry_after("-1", "", 0));
}

TEST(NotifyWire, TruncateUtf8KeepsCharactersWhole) {
  EXPECT_EQ(truncate_utf8("short", 10), "short");
  EXPECT_EQ(truncate_utf8("abcdef", 5), "ab…");
  // "°" is two bytes; a cut inside it backs off to before it.
  EXPECT_EQ(truncate_utf8("a°°°°", 5), "a…");
  EXPECT_EQ(truncate_utf8("a°°°°", 6), "a°…");
}

// ---- masking

TEST(NotifyRedact, MaskSecret) {
  EXPECT_EQ(mask_secret(""), "");
  EXPECT_EQ(mask_secret("tk_0123456789abcdef"), "***");
}

TEST(NotifyRedact, MaskUrlKeepsSchemeAndHostOnly) {
  EXPECT_EQ(mask_url("https://discord.com/api/webhooks/123456/AbCdEfToken"),
            "https://discord.com/…");
  EXPECT_EQ(mask_url("https://ntfy.sh/my-secret-topic"), "https://ntfy.sh/…");
  EXPECT_EQ(mask_url("http://gotify.local"), "http://gotify.local");
  EXPECT_EQ(mask_url("http://gotify.local/"), "http://gotify.local/");
  EXPECT_EQ(mask_url("http://user:pw@127.0.0.1:8080/x?token=s"), "http://127.0.0.1:8080/…");
  EXPECT_EQ(mask_url("http://h:1?token=abc"), "http://h:1/…");
  EXPECT_EQ(mask_url("not a url with secret"), "***");
  EXPECT_EQ(mask_url(""), "");
}

TEST(NotifyRedact, ScrubberMasksUrlsPartsAndTokens) {
  SecretScrubber s;
  s.add_url("https://discord.com/api/webhooks/123456/AbCdEfToken");
  s.add_url("http://user:pw123@gotify.local/?token=qsecret");
  s.add("tk_0123456789");
  s.add("ab");  // too short to be masked anywhere
  EXPECT_EQ(s.scrub("POST https://discord.com/api/webhooks/123456/AbCdEfToken failed"),
            "POST *** failed");
  EXPECT_EQ(s.scrub("bad token AbCdEfToken; Bearer tk_0123456789"), "bad token ***; Bearer ***");
  EXPECT_EQ(s.scrub("auth pw123 token=qsecret"), "auth *** ***");
  EXPECT_EQ(s.scrub("value qsecret alone"), "value *** alone");
  EXPECT_EQ(s.scrub("about abc"), "about abc");
}

// ---- rate limit

Notification note(std::string message) {
  Notification n;
  n.title = "T";
  n.message = std::move(message);
  return n;
}

TEST(NotifyCoalescer, FirstSentBurstHeldLatestReleasedWithCount) {
  EventCoalescer c;
  const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
  const Duration interval = seconds(30);
  auto a = c.admit("thermal_stage2", note("m1"), t0, interval);
  ASSERT_TRUE(a.send);
  EXPECT_EQ(a.send->message, "m1");
  EXPECT_EQ(a.window_end, t0 + interval);

  auto b = c.admit("thermal_stage2", note("m2"), t0 + seconds(1), interval);
  EXPECT_FALSE(b.send);
  EXPECT_EQ(b.folded, 0u);  // held, not yet lost
  EXPECT_EQ(b.window_end, t0 + interval);
  auto d = c.admit("thermal_stage2", note("m3"), t0 + seconds(2), interval);
  EXPECT_EQ(d.folded, 1u);  // m2 will never be sent on its own
  auto e = c.admit("thermal_stage2", note("m4"), t0 + seconds(3), interval);
  EXPECT_EQ(e.folded, 1u);
  // Another kind has its own window.
  EXPECT_TRUE(c.admit("media_mode_activated", note("x"), t0 + seconds(3), interval).send);
  EXPECT_EQ(c.held(), 1u);

  auto released = c.release("thermal_stage2", t0 + interval);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->message, "m4 (+2 more)");
  EXPECT_FALSE(c.release("thermal_stage2", t0 + interval));
  // The release opened a new window.
  EXPECT_FALSE(c.admit("thermal_stage2", note("m5"), t0 + interval + seconds(1), interval).send);
  auto single = c.release("thermal_stage2", t0 + 2 * interval);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->message, "m5");  // nothing folded: no "(+0 more)"
}

TEST(NotifyCoalescer, LateEventCarriesTheHeldOne) {
  EventCoalescer c;
  const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
  const Duration interval = seconds(10);
  ASSERT_TRUE(c.admit("e", note("a"), t0, interval).send);
  EXPECT_FALSE(c.admit("e", note("b"), t0 + seconds(1), interval).send);
  EXPECT_FALSE(c.admit("e", note("c"), t0 + seconds(2), interval).send);
  // The window ended but its timer has not released "c" yet.
  auto late = c.admit("e", note("d"), t0 + seconds(11), interval);
  ASSERT_TRUE(late.send);
  EXPECT_EQ(late.send->message, "d (+2 more)");
  EXPECT_EQ(late.folded, 1u);
  EXPECT_EQ(c.held(), 0u);
}

TEST(NotifyCoalescer, ZeroIntervalDisablesAndReleaseAllFlushes) {
  EventCoalescer c;
  const TimePoint t0 = TimePoint{} + std::chrono::hours(1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(c.admit("e", note("m"), t0, Duration::zero()).send);
  ASSERT_TRUE(c.admit("a", note("a1"), t0, seconds(5)).send);
  ASSERT_TRUE(c.admit("b", note("b1"), t0, seconds(5)).send);
  EXPECT_FALSE(c.admit("a", note("a2"), t0, seconds(5)).send);
  EXPECT_FALSE(c.admit("b", note("b2"), t0, seconds(5)).send);
  EXPECT_FALSE(c.admit("b", note("b3"), t0, seconds(5)).send);
  auto all = c.release_all(t0 + seconds(1));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].first, "a");
  EXPECT_EQ(all[0].second.message, "a2");
  EXPECT_EQ(all[1].second.message, "b3 (+1 more)");
  EXPECT_EQ(c.held(), 0u);
}

}  // namespace
}  // namespace adrg::notify
