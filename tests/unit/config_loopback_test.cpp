// One meaning of "loopback" for the bind-address check and the Host-header defence.
#include <gtest/gtest.h>

#include <string>

#include "config/bind_host.h"
#include "core/loopback.h"

namespace adrg {
namespace {

TEST(Loopback, LiteralsAreClassifiedAndNonLiteralsAreNot) {
  EXPECT_EQ(ipv4_loopback("127.0.0.1"), true);
  EXPECT_EQ(ipv4_loopback("127.255.0.9"), true);
  EXPECT_EQ(ipv4_loopback("10.0.0.1"), false);
  EXPECT_EQ(ipv4_loopback("localhost"), std::nullopt);
  EXPECT_EQ(ipv4_loopback("::1"), std::nullopt);
  EXPECT_EQ(ipv6_loopback("::1"), true);
  EXPECT_EQ(ipv6_loopback("::ffff:127.0.0.2"), true);
  EXPECT_EQ(ipv6_loopback("::ffff:10.0.0.2"), false);
  EXPECT_EQ(ipv6_loopback("fe80::1%eth0"), false);
  EXPECT_EQ(ipv6_loopback("fe80::1%eth/0"), std::nullopt);  // not a zone the kernel names
  EXPECT_EQ(ipv6_loopback("127.0.0.1"), std::nullopt);
}

TEST(Loopback, HostNamesAsBrowsersResolveThem) {
  for (const char* host :
       {"localhost", "LOCALHOST.", "app.localhost", "127.0.0.1", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"", "localhost.example.com", "notlocalhost", "10.0.0.1",
                           "::", "192.168.1.10", "evil.com"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

// Whatever the bind check calls loopback (and so serves without a token) the Host check calls
// loopback too. The reverse holds except for *.localhost, which only a browser is sure to map to
// loopback: bound, such a name could be resolved through DNS.
TEST(Loopback, TheBindCheckNeverCallsLoopbackWhatTheHostCheckDoesNot) {
  for (const char* host :
       {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "LocalHost",
        "0.0.0.0", "::", "10.1.2.3", "pi5", "app.localhost", "fe80::1%eth0"}) {
    auto bind = parse_bind_host(host);
    ASSERT_TRUE(bind) << host;
    std::string bare = bind->host;
    if (bare.front() == '[') bare = bare.substr(1, bare.size() - 2);
    if (bind->loopback) {
      EXPECT_TRUE(is_loopback_host(bare)) << host;
    } else if (is_loopback_host(bare)) {
      EXPECT_EQ(bare, "app.localhost");
    }
  }
}

}  // namespace
}  // namespace adrg
