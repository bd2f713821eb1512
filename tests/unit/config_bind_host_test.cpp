// general.http_server.host is checked by the loader as the HTTP layer will use it, so the daemon,
// a reload and --check-config refuse the same files (issue 16 part 7): a host getaddrinfo cannot
// take, and a bind beyond loopback without a token.
#include <gtest/gtest.h>

#include <string>

#include "config/bind_host.h"
#include "config/loader.h"
#include "tests/support/config_load.h"

namespace adrg {
namespace {

const std::map<std::string, std::string> kNoEnvironment;

TEST(ConfigBindHost, AddressesAndLocalhostAreCheckedExactly) {
  struct Case {
    const char* text;
    const char* host;
    bool loopback;
  };
  const Case cases[] = {
      {"127.0.0.1", "127.0.0.1", true},
      {"127.8.9.10", "127.8.9.10", true},
      {" 127.0.0.1 ", "127.0.0.1", true},
      {"127.0.0.1\t", "127.0.0.1", true},
      {"0.0.0.0", "0.0.0.0", false},
      {"192.168.1.10", "192.168.1.10", false},
      {"::1", "::1", true},
      {"[::1]", "[::1]", true},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1", true},
      {"::", "::", false},
      {"fe80::1%eth0", "fe80::1%eth0", false},
      {"localhost", "localhost", true},
      {"LocalHost", "LocalHost", true},
  };
  for (const auto& c : cases) {
    auto r = parse_bind_host(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
    EXPECT_EQ(r->host, c.host) << c.text;
    EXPECT_EQ(r->loopback, c.loopback) << c.text;
    EXPECT_FALSE(r->is_name) << c.text;
  }
}

TEST(ConfigBindHost, NamesAreCheckedForSyntaxOnly) {
  for (const char* name : {"nas", "nas.home.arpa", "nas.home.arpa.", "my-server", "a1.example"}) {
    auto r = parse_bind_host(name);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
    EXPECT_TRUE(r->is_name) << name;
    EXPECT_FALSE(r->loopback) << name;
  }
}

TEST(ConfigBindHost, Rejects) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "expected an address to bind, such as 127.0.0.1, got ''"},
      {"   ", "expected an address to bind, such as 127.0.0.1, got ''"},
      {"127.0.0.1.5", "'127.0.0.1.5': not an IPv4 address (four numbers 0-255, such as 127.0.0.1)"},
      {"300.1.1.1", "'300.1.1.1': not an IPv4 address (four numbers 0-255, such as 127.0.0.1)"},
      {"127.1", "'127.1': not an IPv4 address (four numbers 0-255, such as 127.0.0.1)"},
      {"127.0.0.1 8765",
       "'127.0.0.1 8765': ' ' cannot appear in a host name (letters, digits, "
       "'-' and '.')"},
      {"http://127.0.0.1",
       "'http://127.0.0.1': give the address alone, without a scheme such as http://"},
      {"127.0.0.1:8765",
       "'127.0.0.1:8765': the port goes in general.http_server.port, not in host"},
      {"::1::2", "'::1::2' is not an IPv6 address (such as ::1 or ::)"},
      {"[127.0.0.1]", "'[127.0.0.1]' is not an IPv6 address in brackets, such as [::1]"},
      {"[::1", "'[::1' is not an IPv6 address in brackets, such as [::1]"},
      {"my_host", "'my_host': '_' cannot appear in a host name (letters, digits, '-' and '.')"},
      {"-nas", "'-nas': a label of a host name cannot start or end with '-'"},
      {"nas..lan", "'nas..lan': a host name has no empty labels ('..' or a leading '.')"},
  };
  for (const auto& c : cases) {
    auto r = parse_bind_host(c.text);
    ASSERT_FALSE(r.ok()) << "'" << c.text << "' accepted";
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

ConfigLoad load_http(const std::string& http_server) {
  return load_config_text("general:\n  http_server:\n" + http_server, "h.yaml",
                          testing::isolated_load_options(&kNoEnvironment));
}

TEST(ConfigBindHost, BeyondLoopbackWithoutATokenIsAnError) {
  ConfigLoad any = load_http("    host: 0.0.0.0\n");
  ASSERT_EQ(any.errors.size(), 1u) << testing::all_issues(any);
  EXPECT_EQ(format_issue(any.errors[0], "error"),
            "h.yaml:3:11: error: general.http_server.host '0.0.0.0' is reachable beyond this "
            "machine but general.http_server.token is empty: the API would let anyone on the "
            "network trigger actions; set a token or bind 127.0.0.1");
  ConfigLoad name = load_http("    host: nas.home.arpa\n");
  ASSERT_EQ(name.errors.size(), 1u) << testing::all_issues(name);
  EXPECT_EQ(format_issue(name.errors[0], "error"),
            "h.yaml:3:11: error: general.http_server.host 'nas.home.arpa' is a host name, which "
            "may be reachable beyond this machine but general.http_server.token is empty: the API "
            "would let anyone on the network trigger actions; set a token or bind 127.0.0.1");
  EXPECT_EQ(load_http("    host: \"::\"\n").errors.size(), 1u);
}

TEST(ConfigBindHost, BeyondLoopbackWithATokenOrDisabledLoads) {
  ConfigLoad token = load_http("    host: 0.0.0.0\n    token: s3cret\n");
  ASSERT_TRUE(token.ok()) << testing::all_issues(token);
  EXPECT_EQ(token.config->general.http_server.host, "0.0.0.0");
  ConfigLoad off = load_http("    enabled: false\n    host: 0.0.0.0\n");
  EXPECT_TRUE(off.ok()) << testing::all_issues(off);
  ConfigLoad localhost = load_http("    host: localhost\n");
  EXPECT_TRUE(localhost.ok()) << testing::all_issues(localhost);
}

TEST(ConfigBindHost, TheHostIsTrimmedAndAMalformedOneIsAnError) {
  ConfigLoad spaced = load_http("    host: \"127.0.0.1 \"\n");
  ASSERT_TRUE(spaced.ok()) << testing::all_issues(spaced);
  EXPECT_EQ(spaced.config->general.http_server.host, "127.0.0.1");
  ConfigLoad bad = load_http("    host: 127.0.0.1.5\n");
  ASSERT_EQ(bad.errors.size(), 1u) << testing::all_issues(bad);
  EXPECT_EQ(format_issue(bad.errors[0], "error"),
            "h.yaml:3:11: error: general.http_server.host: '127.0.0.1.5': not an IPv4 address "
            "(four numbers 0-255, such as 127.0.0.1)");
}

}  // namespace
}  // namespace adrg
