// Pure download-client reply parsers, on replies recorded from transmission-daemon 3.00 and
// qbittorrent-nox 4.5.2 and malformed ones (the fuzz target's seeds).
#include <gtest/gtest.h>

#include <string_view>

#include "integrations/downloads/download_parse.h"

namespace adrg::downloads {
namespace {

// The "(...)" in "version" would end a plain raw string: hence the j delimiter.
constexpr std::string_view kSessionGet =
    R"j({"arguments":{"alt-speed-down":50,"alt-speed-enabled":false,"dht-enabled":false,)j"
    R"j("lpd-enabled":false,"port-forwarding-enabled":false,"rpc-version":16,)j"
    R"j("speed-limit-down":100,"speed-limit-down-enabled":false,"version":"3.00 (bb6b5a062e)"},)j"
    R"j("result":"success","tag":1})j";

TEST(TransmissionReply, SuccessAndFailures) {
  EXPECT_TRUE(parse_transmission_reply(R"({"arguments":{},"result":"success","tag":2})"));
  auto unknown =
      parse_transmission_reply(R"({"arguments":{},"result":"method name not recognized"})");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, std::errc::bad_message);
  EXPECT_EQ(unknown.error().message, "method name not recognized");
  EXPECT_EQ(parse_transmission_reply("<html>").error().message, "reply is not JSON");
  EXPECT_EQ(parse_transmission_reply(R"({"result":7})").error().message, "reply has no result");
  EXPECT_EQ(parse_transmission_reply("[]").error().message, "reply has no result");
}

TEST(TransmissionSession, ReadsLimitEnabledAndTurtleMode) {
  auto limit = parse_transmission_session(kSessionGet);
  ASSERT_TRUE(limit) << limit.error().describe();
  EXPECT_EQ(*limit, (DownloadLimit{false, 100, 0}));
  auto turtle = parse_transmission_session(
      R"({"arguments":{"speed-limit-down":512,"speed-limit-down-enabled":true,)"
      R"("alt-speed-enabled":true},"result":"success"})");
  ASSERT_TRUE(turtle);
  EXPECT_EQ(*turtle, (DownloadLimit{true, 512, 1}));
}

// Valid JSON without an "arguments" object used to throw simdjson_error out of the reply
// callback, which terminated adrg (found by tests/fuzz/fuzz_download_parse with "1\n").
TEST(TransmissionSession, MissingOrMistypedFieldsAreErrors) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           std::string_view(), "", "{", "1\n", "[]", R"({"result":"success"})",
           R"({"arguments":[],"result":"success"})", R"({"arguments":null,"result":"success"})",
           R"({"arguments":{"speed-limit-down":-1,"speed-limit-down-enabled":true}})",
           R"({"arguments":{"speed-limit-down":"100","speed-limit-down-enabled":true}})",
           R"({"arguments":{"speed-limit-down":100,"speed-limit-down-enabled":1}})"}) {
    auto limit = parse_transmission_session(bad);
    EXPECT_FALSE(limit) << bad;
    if (!limit) {
      EXPECT_EQ(limit.error().code, std::errc::bad_message);
    }
  }
}

TEST(QbittorrentReplies, LoginModeAndLimit) {
  EXPECT_TRUE(qbittorrent_login_ok("Ok."));
  EXPECT_TRUE(qbittorrent_login_ok(" Ok.\n"));
  EXPECT_FALSE(qbittorrent_login_ok("Fails."));
  EXPECT_FALSE(qbittorrent_login_ok(""));

  EXPECT_EQ(*parse_qbittorrent_mode("0"), 0);
  EXPECT_EQ(*parse_qbittorrent_mode("1\n"), 1);
  for (std::string_view bad : {"", "2", "-1", "x", "1 1"}) {
    EXPECT_FALSE(parse_qbittorrent_mode(bad)) << bad;
  }

  EXPECT_EQ(*parse_qbittorrent_limit("0"), (DownloadLimit{false, 0, std::nullopt}));
  EXPECT_EQ(*parse_qbittorrent_limit("1048576\n"), (DownloadLimit{true, 1048576, std::nullopt}));
  auto bad = parse_qbittorrent_limit("Forbidden");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "qbittorrent transfer/downloadLimit answered \"Forbidden\"");
  EXPECT_FALSE(parse_qbittorrent_limit("18446744073709551616"));  // one past uint64
}

}  // namespace
}  // namespace adrg::downloads
