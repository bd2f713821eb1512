// The HTTP API's request guard (Host, Origin, Sec-Fetch-Site, token, webhook secret) as a table
// of who may ask what, over TCP and over the unix socket, with and without a token.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/loopback.h"
#include "integrations/http_api/request_guard.h"

namespace adrg {
namespace {

HostAllowList allow_list(const HttpServerConfig& config = {}) {
  return make_host_allow_list(config, "pi5.home.arpa", {"192.168.1.20", "fe80::1"});
}

RequestFacts tcp(RouteAccess access, std::string_view host = "127.0.0.1:8765") {
  RequestFacts facts;
  facts.access = access;
  facts.host = host;
  return facts;
}

unsigned verdict(const RequestFacts& facts, const HttpServerConfig& config) {
  auto refusal = check_request(facts, config, allow_list(config));
  return refusal ? refusal->status : 200;
}

HttpServerConfig with_token() {
  HttpServerConfig config;
  config.token = "s3cret";
  return config;
}

TEST(RequestGuard, HostWithoutPortNormalisesAndRejectsMalformedValues) {
  EXPECT_EQ(host_without_port("Example.COM:8765"), "example.com");
  EXPECT_EQ(host_without_port("example.com."), "example.com");
  EXPECT_EQ(host_without_port("[::1]:8765"), "::1");
  EXPECT_EQ(host_without_port("[::1]"), "::1");
  EXPECT_EQ(host_without_port(" 127.0.0.1 "), "127.0.0.1");
  for (std::string_view bad : {"", ":8765", "[::1", "[::1]x", "::1", "a b", "a:99999", "a:", "a:1x",
                               "evil.com/x", "user@host", "[zz]:1"}) {
    EXPECT_EQ(host_without_port(bad), "") << bad;
  }
}

TEST(RequestGuard, LoopbackNames) {
  for (std::string_view host : {"localhost", "LOCALHOST", "app.localhost", "127.0.0.1",
                                "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (std::string_view host : {"localhost.evil.com", "xlocalhost", "128.0.0.1", "::2", "10.0.0.1",
                                "::ffff:10.0.0.1", ".localhost"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
}

TEST(RequestGuard, HostHeaderMustNameThisMachineOverTcp) {
  HttpServerConfig config;
  config.allowed_hosts = {"adrg.example", "Dash.Example:8080"};
  HostAllowList allow = allow_list(config);
  for (std::string_view host :
       {"127.0.0.1:8765", "localhost:8765", "[::1]:8765", "pi5.home.arpa", "PI5:8765", "pi5.local",
        "192.168.1.20:8765", "[fe80::1]:8765", "adrg.example", "dash.example"}) {
    EXPECT_TRUE(host_is_allowed(host, allow)) << host;
  }
  // A rebinding page sends its own name; a typo'd or foreign address is refused too.
  for (std::string_view host :
       {"attacker.example:8765", "192.168.1.21", "pi5.evil", "", "adrg.example.evil"}) {
    EXPECT_FALSE(host_is_allowed(host, allow)) << host;
    RequestFacts facts = tcp(RouteAccess::kHealth, host);
    auto refusal = check_request(facts, config, allow);
    ASSERT_TRUE(refusal) << host;
    EXPECT_EQ(refusal->status, 403u);
    EXPECT_NE(refusal->message.find("DNS-rebinding"), std::string::npos) << refusal->message;
  }
  // Token or not: the Host check comes first.
  RequestFacts with_bearer = tcp(RouteAccess::kAct, "attacker.example");
  with_bearer.authorization = "Bearer s3cret";
  EXPECT_EQ(verdict(with_bearer, with_token()), 403u);
  // The unix socket is not reachable from a browser: any Host.
  RequestFacts over_unix = tcp(RouteAccess::kAct, "attacker.example");
  over_unix.via_unix = true;
  EXPECT_EQ(verdict(over_unix, with_token()), 200u);
  // HTTP/1.0 clients without Host are not browsers.
  RequestFacts no_host;
  no_host.access = RouteAccess::kRead;
  EXPECT_EQ(verdict(no_host, HttpServerConfig{}), 200u);
}

TEST(RequestGuard, ForeignOriginAndCrossSiteFetchAreRefusedEvenWithTheToken) {
  for (RouteAccess access : {RouteAccess::kAct, RouteAccess::kWebhook, RouteAccess::kRead}) {
    RequestFacts facts = tcp(access);
    facts.origin = "http://attacker.example";
    EXPECT_EQ(verdict(facts, HttpServerConfig{}), 403u);
    facts.authorization = "Bearer s3cret";
    EXPECT_EQ(verdict(facts, with_token()), 403u);

    RequestFacts null_origin = tcp(access);
    null_origin.origin = "null";  // sandboxed frames, file: pages, some redirects
    EXPECT_EQ(verdict(null_origin, HttpServerConfig{}), 403u);

    RequestFacts cross = tcp(access);
    cross.sec_fetch_site = "cross-site";
    EXPECT_EQ(verdict(cross, HttpServerConfig{}), 403u);
  }
  // Another port on the same host is another origin.
  RequestFacts other_port = tcp(RouteAccess::kAct, "127.0.0.1:8765");
  other_port.origin = "http://127.0.0.1:3000";
  EXPECT_EQ(verdict(other_port, HttpServerConfig{}), 403u);
  // The API's own pages (same origin) may post.
  RequestFacts same = tcp(RouteAccess::kAct, "127.0.0.1:8765");
  same.origin = "http://127.0.0.1:8765";
  same.sec_fetch_site = "same-origin";
  EXPECT_EQ(verdict(same, HttpServerConfig{}), 200u);
  RequestFacts same_named = tcp(RouteAccess::kAct, "pi5.local:8765");
  same_named.origin = "HTTP://PI5.local:8765";
  EXPECT_EQ(verdict(same_named, HttpServerConfig{}), 200u);
  // The user typing the URL (no Origin, Sec-Fetch-Site: none) reads status.
  RequestFacts typed = tcp(RouteAccess::kRead);
  typed.sec_fetch_site = "none";
  EXPECT_EQ(verdict(typed, HttpServerConfig{}), 200u);
}

TEST(RequestGuard, WithoutATokenReadsAndTriggersStayOpenButJobDataNeverGoesOverTcp) {
  HttpServerConfig open;
  EXPECT_EQ(verdict(tcp(RouteAccess::kHealth), open), 200u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kRead), open), 200u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kStream), open), 200u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kAct), open), 200u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kWebhook), open), 200u);
  auto refusal = check_request(tcp(RouteAccess::kJobs), open, allow_list());
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 403u);
  EXPECT_NE(refusal->message.find("unix socket"), std::string::npos);
  RequestFacts over_unix = tcp(RouteAccess::kJobs);
  over_unix.via_unix = true;
  EXPECT_EQ(verdict(over_unix, open), 200u);
}

TEST(RequestGuard, WithATokenEverythingButHealthzNeedsItOverTcp) {
  HttpServerConfig config = with_token();
  for (RouteAccess access : {RouteAccess::kRead, RouteAccess::kStream, RouteAccess::kJobs,
                             RouteAccess::kAct, RouteAccess::kWebhook}) {
    RequestFacts none = tcp(access);
    auto missing = check_request(none, config, allow_list());
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 401u);
    EXPECT_TRUE(missing->ask_for_bearer);
    EXPECT_EQ(missing->message, "missing Authorization: Bearer <token>");
    for (std::string_view wrong : {"Bearer s3cre", "Bearer s3cret2", "Basic czNjcmV0", "s3cret",
                                   "Bearer ", "Bearer S3CRET"}) {
      RequestFacts facts = tcp(access);
      facts.authorization = wrong;
      EXPECT_EQ(verdict(facts, config), 401u) << wrong;
    }
    RequestFacts right = tcp(access);
    right.authorization = "bearer  s3cret ";
    EXPECT_EQ(verdict(right, config), 200u);
    RequestFacts over_unix = tcp(access);
    over_unix.via_unix = true;
    EXPECT_EQ(verdict(over_unix, config), 200u);
  }
  EXPECT_EQ(verdict(tcp(RouteAccess::kHealth), config), 200u);
}

TEST(RequestGuard, PublicReadOpensStatusAndMetricsOnly) {
  HttpServerConfig config = with_token();
  config.public_read = true;
  EXPECT_EQ(verdict(tcp(RouteAccess::kRead), config), 200u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kStream), config), 401u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kJobs), config), 401u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kAct), config), 401u);
}

TEST(RequestGuard, WebhookSecretReplacesTheTokenForTheWebhookOnly) {
  HttpServerConfig config = with_token();
  config.webhook_secret = "hook-secret";
  RequestFacts bearer = tcp(RouteAccess::kWebhook);
  bearer.authorization = "Bearer s3cret";
  EXPECT_EQ(verdict(bearer, config), 403u);  // the token is not the webhook's secret
  RequestFacts secret = tcp(RouteAccess::kWebhook);
  secret.webhook_secret = "hook-secret";
  EXPECT_EQ(verdict(secret, config), 200u);
  secret.webhook_secret = "hook-secreT";
  EXPECT_EQ(verdict(secret, config), 403u);
  RequestFacts trigger = tcp(RouteAccess::kAct);
  trigger.webhook_secret = "hook-secret";
  EXPECT_EQ(verdict(trigger, config), 401u);  // and the secret is not the token

  HttpServerConfig no_token;
  no_token.webhook_secret = "hook-secret";
  EXPECT_EQ(verdict(tcp(RouteAccess::kWebhook), no_token), 403u);
  EXPECT_EQ(verdict(tcp(RouteAccess::kAct), no_token), 200u);
}

TEST(RequestGuard, SecretCompare) {
  EXPECT_TRUE(secret_equals("abc", "abc"));
  EXPECT_FALSE(secret_equals("abd", "abc"));
  EXPECT_FALSE(secret_equals("ab", "abc"));
  EXPECT_FALSE(secret_equals("abcd", "abc"));
  EXPECT_FALSE(secret_equals("", "abc"));
  EXPECT_TRUE(secret_equals("", ""));
}

TEST(RequestGuard, AllowListHoldsTheHostnameItsShortAndMdnsFormsAndAddresses) {
  HostAllowList allow = allow_list();
  for (const char* name : {"pi5.home.arpa", "pi5", "pi5.local", "192.168.1.20", "fe80::1"}) {
    EXPECT_TRUE(allow.names.contains(name)) << name;
  }
  EXPECT_FALSE(machine_hostname().empty());
  EXPECT_FALSE(machine_addresses().empty());  // at least lo's 127.0.0.1
}

}  // namespace
}  // namespace adrg
