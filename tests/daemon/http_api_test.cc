// The HTTP API without the network (runtime/daemon/http_api.h): targets
// split into segments before they are percent-decoded (an escaped '/'
// stays in its id) and refused when their escapes are malformed, decode to
// NUL or to bytes that are not UTF-8; the checks made before a body is
// read (framing two parsers could read two ways, hosts not served, state
// changes from other origins and sites, bodies that are not JSON); the
// routes the server handles itself with their method and token; tokens
// compared whole. Every refusal is an RFC 9457 problem.

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/daemon/http_api.h"

namespace tutti::runtime {
namespace {

using namespace std::string_literals;

/// Checks that `reply` is an RFC 9457 problem with `status`.
void ExpectProblem(const Reply& reply, int status, const std::string& context = "") {
  EXPECT_EQ(reply.status, status) << context;
  EXPECT_EQ(reply.content_type, "application/problem+json") << context;
  nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << context << ": " << reply.body;
  EXPECT_EQ(body.value("type", ""), "about:blank") << context;
  EXPECT_EQ(body.value("title", ""), StatusTitle(status)) << context;
  EXPECT_EQ(body.value("status", 0), status) << context;
  ASSERT_TRUE(body.contains("detail") && body["detail"].is_string()) << context;
  EXPECT_FALSE(body["detail"].get<std::string>().empty()) << context;
}

std::string HeaderOf(const Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers)
    if (key == name) return value;
  return "(none)";
}

// --- ParseTarget -------------------------------------------------------------

struct TargetCase {
  std::string target;
  std::vector<std::string> segments;
  std::string query;
  std::string route;
};

TEST(ParseTarget, SplitsDecodesAndLabelsTargets) {
  const TargetCase cases[] = {
      {"/healthz", {"healthz"}, "", "/healthz"},
      {"/readyz", {"readyz"}, "", "/readyz"},
      {"/metrics", {"metrics"}, "", "/metrics"},
      {"/v1/events", {"v1", "events"}, "", "/v1/events"},
      {"/v1/events/", {"v1", "events"}, "", "/v1/events"},
      {"/v1/profiles", {"v1", "profiles"}, "", "/v1/profiles"},
      {"/v1/outcomes", {"v1", "outcomes"}, "", "/v1/outcomes"},
      {"/v1/clock", {"v1", "clock"}, "", "/v1/clock"},
      {"/v1/actions?since=3&limit=10", {"v1", "actions"}, "since=3&limit=10", "/v1/actions"},
      {"/v1/journeys", {"v1", "journeys"}, "", "/v1/journeys"},
      {"/v1/journeys/reload", {"v1", "journeys", "reload"}, "", "/v1/journeys/reload"},
      {"/v1/journeys/onboarding/pause", {"v1", "journeys", "onboarding", "pause"}, "", "/v1/journeys/{name}/pause"},
      {"/v1/journeys/on%20boarding/resume", {"v1", "journeys", "on boarding", "resume"}, "",
       "/v1/journeys/{name}/resume"},
      // An escaped '/' stays inside its segment.
      {"/v1/customers/a%2Fb", {"v1", "customers", "a/b"}, "", "/v1/customers/{id}"},
      {"/v1/customers/a%2fb%2F", {"v1", "customers", "a/b/"}, "", "/v1/customers/{id}"},
      {"/v1/customers/h1?profile=hcp", {"v1", "customers", "h1"}, "profile=hcp", "/v1/customers/{id}"},
      {"/v1/customers/caf%C3%A9", {"v1", "customers", "caf\xc3\xa9"}, "", "/v1/customers/{id}"},
      {"/v1/customers/%E2%82%AC", {"v1", "customers", "\xe2\x82\xac"}, "", "/v1/customers/{id}"},
      {"/v1/customers/caf\xc3\xa9", {"v1", "customers", "caf\xc3\xa9"}, "", "/v1/customers/{id}"},
      {"/v1/customers/%2e%2e", {"v1", "customers", ".."}, "", "/v1/customers/{id}"},
      {"/v1/customers/a%2Fb/history?limit=5", {"v1", "customers", "a/b", "history"}, "limit=5",
       "/v1/customers/{id}/history"},
      {"/v1/accounts/acc%231/history", {"v1", "accounts", "acc#1", "history"}, "", "/v1/accounts/{id}/history"},
      // The query is kept as sent (its parameters are decoded where read),
      // without a fragment.
      {"/v1/actions?since=%zz", {"v1", "actions"}, "since=%zz", "/v1/actions"},
      {"/v1/actions?a=1?b=2", {"v1", "actions"}, "a=1?b=2", "/v1/actions"},
      {"/v1/actions?since=1#top", {"v1", "actions"}, "since=1", "/v1/actions"},
      {"/v1/actions?", {"v1", "actions"}, "", "/v1/actions"},
      // Anything else is "other", ids or not.
      {"/v1/unknown", {"v1", "unknown"}, "", "other"},
      {"/v1/customers", {"v1", "customers"}, "", "other"},
      {"/v1/customers/a/b", {"v1", "customers", "a", "b"}, "", "other"},
      {"/v1/customers/a/b/c/d", {"v1", "customers", "a", "b", "c", "d"}, "", "other"},
      {"/v1/journeys/x/stop", {"v1", "journeys", "x", "stop"}, "", "other"},
      {"/V1/EVENTS", {"V1", "EVENTS"}, "", "other"},
      {"/v1//events", {"v1", "", "events"}, "", "other"},
  };
  for (const TargetCase& c : cases) {
    std::optional<ApiTarget> t = ParseTarget(c.target);
    ASSERT_TRUE(t.has_value()) << c.target;
    EXPECT_EQ(t->segments, c.segments) << c.target;
    EXPECT_EQ(t->query, c.query) << c.target;
    EXPECT_EQ(t->route, c.route) << c.target;
  }
}

TEST(ParseTarget, RefusesTargetsThatAreNotOriginFormOrDoNotDecodeToUtf8) {
  const std::string refused[] = {
      "",
      "*",
      "v1/events",
      "http://localhost:8080/v1/events",  // absolute form
      "?x=1",
      "/v1/customers/%",                  // escapes cut short or not hex
      "/v1/customers/%2",
      "/v1/customers/a%",
      "/v1/customers/%zz",
      "/v1/customers/%2G",
      "/v1/customers/%G2",
      "/v1/customers/% 2F",
      "/v1/customers/%-1",
      "/v1/customers/%2/",
      "/v1/customers/%00",                // NUL
      "/v1/customers/a%00b/history",
      "/v1/customers/%ff",                // not UTF-8
      "/v1/customers/%C3",                // cut short
      "/v1/customers/%C3/history",
      "/v1/customers/%C3%28",
      "/v1/customers/%C0%AF",             // an overlong '/'
      "/v1/customers/%E0%80%AF",
      "/v1/customers/%ED%A0%80",          // a surrogate
      "/v1/customers/%F4%90%80%80",       // past U+10FFFF
      "/v1/customers/\xff",               // a raw byte that is not UTF-8
      "/v1/%ff/customers",
  };
  for (const std::string& target : refused) EXPECT_FALSE(ParseTarget(target).has_value()) << target;
}

TEST(ParseTarget, TakesEveryEscapeOfAPrintableByte) {
  for (int byte = 1; byte < 0x80; ++byte) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string target = "/v1/customers/%"s + kHex[byte >> 4] + kHex[byte & 15];
    std::optional<ApiTarget> t = ParseTarget(target);
    ASSERT_TRUE(t.has_value()) << target;
    ASSERT_EQ(t->segments.size(), 3u) << target;
    EXPECT_EQ(t->segments[2], std::string(1, static_cast<char>(byte))) << target;
  }
}

// --- CheckHead: framing ---------------------------------------------------------

ApiRequest Post(const std::string& host = "localhost:8080") {
  ApiRequest r;
  r.method = "POST";
  r.target = "/v1/events";
  r.host = host;
  r.content_type = "application/json";
  return r;
}

ApiRequest Get(const std::string& host = "localhost:8080") {
  ApiRequest r;
  r.method = "GET";
  r.target = "/v1/actions";
  r.host = host;
  return r;
}

TEST(CheckHead, TakesAWellFormedRequest) {
  ApiAccess access;
  EXPECT_FALSE(CheckHead(Get(), access).has_value());
  ApiRequest post = Post();
  post.content_lengths = {"12"};
  EXPECT_FALSE(CheckHead(post, access).has_value());
  post.content_lengths.clear();
  for (const char* te : {"chunked", "Chunked", " chunked "}) {
    post.transfer_encodings = {te};
    EXPECT_FALSE(CheckHead(post, access).has_value()) << te;
  }
}

TEST(CheckHead, RefusesFramingTwoParsersCouldReadTwoWaysAndCloses) {
  struct Case {
    std::string name;
    std::vector<std::string> transfer_encodings, content_lengths;
  };
  const Case cases[] = {
      {"chunked then identity", {"chunked, identity"}, {}},
      {"identity then chunked", {"identity, chunked"}, {}},
      {"gzip then chunked", {"gzip, chunked"}, {}},
      {"xchunked", {"xchunked"}, {}},
      {"chunkedx", {"chunkedx"}, {}},
      {"identity", {"identity"}, {}},
      {"an empty coding", {""}, {}},
      {"chunked twice, one header", {"chunked, chunked"}, {}},
      {"chunked twice, two headers", {"chunked", "chunked"}, {}},
      {"chunked with a Content-Length", {"chunked"}, {"5"}},
      {"chunked with a zero Content-Length", {"chunked"}, {"0"}},
      {"two Content-Lengths", {}, {"5", "6"}},
      {"two equal Content-Lengths", {}, {"5", "5"}},
  };
  for (const Case& c : cases) {
    for (ApiRequest r : {Post(), Get()}) {
      r.transfer_encodings = c.transfer_encodings;
      r.content_lengths = c.content_lengths;
      std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
      ASSERT_TRUE(refusal.has_value()) << c.name;
      ExpectProblem(*refusal, 400, c.name);
      EXPECT_TRUE(refusal->close) << c.name;
    }
  }
}

TEST(CheckHead, ChecksFramingBeforeTheHost) {
  ApiRequest r = Post("evil.example");
  r.transfer_encodings = {"chunked"};
  r.content_lengths = {"5"};
  std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 400);
}

// --- CheckHead: hosts ---------------------------------------------------------------

TEST(CheckHead, RefusesARequestWithoutAHost) {
  std::optional<Reply> refusal = CheckHead(Get(""), ApiAccess{});
  ASSERT_TRUE(refusal.has_value());
  ExpectProblem(*refusal, 400);
}

TEST(CheckHead, ServesLoopbackNamesOnLoopback) {
  for (const char* host : {"localhost:8080", "localhost", "LOCALHOST:8080", "127.0.0.1:8080", "127.0.0.1",
                           "[::1]:8080", "[::1]", "app.localhost:8080"}) {
    EXPECT_FALSE(CheckHead(Get(host), ApiAccess{}).has_value()) << host;
    EXPECT_FALSE(CheckHead(Post(host), ApiAccess{}).has_value()) << host;
  }
}

TEST(CheckHead, RefusesHostsNotServedWith421) {
  // DNS rebinding: a page of evil.example whose name now points at
  // 127.0.0.1 sends its requests with its own name.
  for (const char* host : {"evil.example:8080", "evil.example", "localhost.evil.example:8080",
                           "127.0.0.1.nip.io:8080", "localhost.:8080", "xlocalhost:8080", "[::2]:8080",
                           "0.0.0.0:8080"}) {
    for (const ApiRequest& r : {Get(host), Post(host)}) {
      std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
      ASSERT_TRUE(refusal.has_value()) << host;
      ExpectProblem(*refusal, 421, host);
      EXPECT_TRUE(refusal->close) << host;
    }
  }
}

TEST(CheckHead, ServesOnlyTheAllowedHostsWhenGivenAndLoopbackNames) {
  ApiAccess access;
  access.loopback = false;
  access.allowed_hosts = {"tutti.example.com", "Api.Example.com:8443", "fe80::1"};
  // Loopback names are always served: only a page on this machine names
  // them (a container's health check does).
  for (const char* host : {"tutti.example.com", "tutti.example.com:8080", "TUTTI.example.com:443",
                           "api.example.com:9999", "[fe80::1]:8080", "localhost:8080", "127.0.0.1", "[::1]:8080"})
    EXPECT_FALSE(CheckHead(Get(host), access).has_value()) << host;
  for (const char* host : {"evil.example", "example.com", "tutti.example.com.evil", "10.0.0.1"}) {
    std::optional<Reply> refusal = CheckHead(Get(host), access);
    ASSERT_TRUE(refusal.has_value()) << host;
    EXPECT_EQ(refusal->status, 421) << host;
  }
}

TEST(CheckHead, TakesAnIpv6AddressInAllowedHostsWithoutBrackets) {
  // "Host names (or addresses)": an IPv6 address is written ::1.
  ApiAccess access;
  access.allowed_hosts = {"::1", "fe80::1"};
  EXPECT_FALSE(CheckHead(Get("[::1]:8080"), access).has_value());
  EXPECT_FALSE(CheckHead(Get("[fe80::1]"), access).has_value());
}

TEST(CheckHead, ServesAnyHostOffLoopbackWithoutAList) {
  ApiAccess access;
  access.loopback = false;
  EXPECT_FALSE(CheckHead(Get("tutti.internal:8080"), access).has_value());
  EXPECT_FALSE(CheckHead(Post("10.0.0.5:8080"), access).has_value());
}

// --- CheckHead: origins and sites -------------------------------------------------

TEST(CheckHead, RefusesStateChangesFromAnotherOrigin) {
  for (const char* origin : {"http://evil.example", "https://evil.example:8080", "null", "evil.example",
                             "http://localhost.evil.example:8080", "http://127.0.0.1:8080", "file://",
                             "http://[::1]:8080"}) {
    for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
      ApiRequest r = Post("localhost:8080");
      r.method = method;
      r.origin = origin;
      std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
      ASSERT_TRUE(refusal.has_value()) << method << " from " << origin;
      ExpectProblem(*refusal, 403, origin);
    }
  }
}

TEST(CheckHead, RefusesAStateChangeFromAnotherPortOfTheSameHost) {
  // Another origin: another web server on the operator's machine.
  ApiRequest r = Post("localhost:8080");
  r.origin = "http://localhost:9999";
  std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, 403);
}

TEST(CheckHead, TakesAStateChangeFromTheSameOrigin) {
  struct Case {
    std::string host, origin;
  };
  const Case cases[] = {
      {"localhost:8080", "http://localhost:8080"},
      {"localhost:8080", "HTTP://LocalHost:8080"},
      {"127.0.0.1:8080", "http://127.0.0.1:8080"},
      {"[::1]:8080", "http://[::1]:8080"},
  };
  for (const Case& c : cases) {
    ApiRequest r = Post(c.host);
    r.origin = c.origin;
    EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value()) << c.origin;
  }
}

TEST(CheckHead, TakesAStateChangeFromAnAllowedOrigin) {
  ApiAccess access;
  access.allowed_origins = {"https://console.example.com"};
  for (const char* origin : {"https://console.example.com", "HTTPS://Console.Example.com", " https://console.example.com "}) {
    ApiRequest r = Post();
    r.origin = origin;
    EXPECT_FALSE(CheckHead(r, access).has_value()) << origin;
  }
  for (const char* origin : {"http://console.example.com", "https://console.example.com.evil.example",
                             "https://evil.example", "https://console.example.com:8443"}) {
    ApiRequest r = Post();
    r.origin = origin;
    std::optional<Reply> refusal = CheckHead(r, access);
    ASSERT_TRUE(refusal.has_value()) << origin;
    EXPECT_EQ(refusal->status, 403) << origin;
  }
}

TEST(CheckHead, RefusesAStateChangeFromAnotherSite) {
  for (const char* site : {"cross-site", "Cross-Site"}) {
    ApiRequest r = Post();
    r.fetch_site = site;
    std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
    ASSERT_TRUE(refusal.has_value()) << site;
    ExpectProblem(*refusal, 403, site);
  }
  for (const char* site : {"same-origin", "same-site", "none"}) {
    ApiRequest r = Post();
    r.fetch_site = site;
    EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value()) << site;
  }
}

TEST(CheckHead, LetsReadsComeFromAnywhere) {
  // A page may make a GET (a browser keeps the answer from it).
  ApiRequest r = Get();
  r.origin = "http://evil.example";
  r.fetch_site = "cross-site";
  EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value());
  r.method = "HEAD";
  EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value());
}

// --- CheckHead: content types --------------------------------------------------------

TEST(CheckHead, TakesAPostOfJsonOrNdjson) {
  for (const char* type : {"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
                           "Application/JSON", " application/json ", "application/x-ndjson",
                           "application/ndjson"}) {
    ApiRequest r = Post();
    r.content_type = type;
    EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value()) << type;
  }
}

TEST(CheckHead, RefusesAPostOfAnythingElseWith415) {
  // What a page can send across origins without asking first.
  for (const char* type : {"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "application/jsonx", "application/json-seq",
                           "text/json", "text/plain; application/json", "application/xml", "json", "*/*"}) {
    ApiRequest r = Post();
    r.content_type = type;
    std::optional<Reply> refusal = CheckHead(r, ApiAccess{});
    ASSERT_TRUE(refusal.has_value()) << "'" << type << "'";
    ExpectProblem(*refusal, 415, type);
  }
}

TEST(CheckHead, NeedsNoContentTypeForAGet) {
  ApiRequest r = Get();
  r.content_type = "";
  EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value());
  r.content_type = "text/plain";
  EXPECT_FALSE(CheckHead(r, ApiAccess{}).has_value());
}

// --- SpecialRoute --------------------------------------------------------------------

Special SpecialOf(const ApiRequest& r, const ApiAccess& access, std::optional<Reply>* refusal) {
  std::optional<ApiTarget> t = ParseTarget(r.target);
  EXPECT_TRUE(t.has_value()) << r.target;
  return SpecialRoute(r, *t, access, refusal);
}

TEST(SpecialRoute, SendsIngestsAndReloadsToTheServer) {
  struct Case {
    std::string target;
    Special special;
  };
  const Case cases[] = {
      {"/v1/events", Special::kIngestEvents},
      {"/v1/events/", Special::kIngestEvents},
      {"/v1/events?x=1", Special::kIngestEvents},
      {"/v1/profiles", Special::kIngestProfiles},
      {"/v1/journeys/reload", Special::kReload},
      {"/v1/outcomes", Special::kNone},
      {"/v1/actions", Special::kNone},
      {"/v1/journeys", Special::kNone},
      {"/healthz", Special::kNone},
      {"/nowhere", Special::kNone},
  };
  for (const Case& c : cases) {
    ApiRequest r = Post();
    r.target = c.target;
    std::optional<Reply> refusal;
    EXPECT_EQ(SpecialOf(r, ApiAccess{}, &refusal), c.special) << c.target;
    EXPECT_FALSE(refusal.has_value()) << c.target;
  }
}

TEST(SpecialRoute, RefusesOtherMethodsWith405AndAnAllowHeader) {
  for (const char* target : {"/v1/events", "/v1/profiles", "/v1/journeys/reload"}) {
    for (const char* method : {"GET", "HEAD", "PUT", "DELETE", "post"}) {
      ApiRequest r = Post();
      r.method = method;
      r.target = target;
      std::optional<Reply> refusal;
      EXPECT_EQ(SpecialOf(r, ApiAccess{}, &refusal), Special::kNone) << method << " " << target;
      ASSERT_TRUE(refusal.has_value()) << method << " " << target;
      ExpectProblem(*refusal, 405, target);
      EXPECT_EQ(HeaderOf(*refusal, "Allow"), "POST") << method << " " << target;
    }
  }
}

TEST(SpecialRoute, NeedsTheIngestTokenForIngests) {
  ApiAccess access;
  access.ingest_token = "in-token";
  access.admin_token = "admin-token";
  for (const char* target : {"/v1/events", "/v1/profiles"}) {
    for (const char* authorization : {"", "Bearer", "Bearer ", "Bearer wrong", "Bearer in-toke", "Bearer in-token2",
                                      "in-token", "Basic in-token", "Bearer admin-token"}) {
      ApiRequest r = Post();
      r.target = target;
      r.authorization = authorization;
      std::optional<Reply> refusal;
      EXPECT_EQ(SpecialOf(r, access, &refusal), Special::kNone) << target << " " << authorization;
      ASSERT_TRUE(refusal.has_value()) << target << " " << authorization;
      ExpectProblem(*refusal, 401, authorization);
      EXPECT_EQ(HeaderOf(*refusal, "WWW-Authenticate"), "Bearer");
    }
    ApiRequest r = Post();
    r.target = target;
    r.authorization = "Bearer in-token";
    std::optional<Reply> refusal;
    EXPECT_NE(SpecialOf(r, access, &refusal), Special::kNone) << target;
    EXPECT_FALSE(refusal.has_value()) << target;
  }
}

TEST(SpecialRoute, NeedsTheAdminTokenForAReload) {
  ApiAccess access;
  access.ingest_token = "in-token";
  access.admin_token = "admin-token";
  for (const char* authorization : {"", "Bearer in-token", "Bearer admin", "admin-token"}) {
    ApiRequest r = Post();
    r.target = "/v1/journeys/reload";
    r.authorization = authorization;
    std::optional<Reply> refusal;
    EXPECT_EQ(SpecialOf(r, access, &refusal), Special::kNone) << authorization;
    ASSERT_TRUE(refusal.has_value()) << authorization;
    ExpectProblem(*refusal, 401, authorization);
  }
  ApiRequest r = Post();
  r.target = "/v1/journeys/reload";
  r.authorization = "Bearer admin-token";
  std::optional<Reply> refusal;
  EXPECT_EQ(SpecialOf(r, access, &refusal), Special::kReload);
  EXPECT_FALSE(refusal.has_value());
}

TEST(SpecialRoute, NeedsNoTokenWhereNoneIsSet) {
  ApiAccess access;
  access.admin_token = "admin-token";  // the ingest token is not set
  ApiRequest r = Post();
  std::optional<Reply> refusal;
  EXPECT_EQ(SpecialOf(r, access, &refusal), Special::kIngestEvents);
  EXPECT_FALSE(refusal.has_value());
}

// --- TokenMatches, SameSecret -----------------------------------------------------

TEST(TokenMatches, TakesOnlyBearerAndTheWholeToken) {
  const std::string token = "s3cret-token";
  struct Case {
    std::string authorization;
    bool matches;
  };
  const Case cases[] = {
      {"Bearer s3cret-token", true},
      {"Bearer wrong-token!", false},
      {"Bearer s3cret-tokeN", false},
      {"Bearer s3cret", false},                // a prefix
      {"Bearer s", false},
      {"Bearer s3cret-token-and-more", false},  // the token and more
      {"Bearer s3cret-tokens3cret-token", false},
      {"Bearer s3cret-token\0"s, false},
      {"s3cret-token", false},                 // no "Bearer "
      {"Bearers3cret-token", false},
      {"Basic s3cret-token", false},
      {"Bearer  s3cret-token", false},
      {"Bearer ", false},
      {"Bearer", false},
      {"", false},
  };
  for (const Case& c : cases) EXPECT_EQ(TokenMatches(c.authorization, token), c.matches) << c.authorization;
}

TEST(SameSecret, ComparesWholeSecrets) {
  EXPECT_TRUE(SameSecret("s3cret", "s3cret"));
  EXPECT_TRUE(SameSecret("", ""));
  EXPECT_FALSE(SameSecret("s3cre", "s3cret"));
  EXPECT_FALSE(SameSecret("s3crets", "s3cret"));
  EXPECT_FALSE(SameSecret("S3cret", "s3cret"));
  EXPECT_FALSE(SameSecret("", "s3cret"));
  EXPECT_FALSE(SameSecret("s3cret", ""));
  EXPECT_FALSE(SameSecret("s3cret\0"s, "s3cret"));
  std::string long_token(10000, 'x');
  EXPECT_TRUE(SameSecret(long_token, long_token));
  EXPECT_FALSE(SameSecret(long_token + "y", long_token));
}

// --- Problem ----------------------------------------------------------------------------

TEST(Problem, IsAnRfc9457ProblemWithTheDetailRepeatedAsError) {
  Reply reply = Problem(409, "the records changed", Json{{"extra", 1}});
  ExpectProblem(reply, 409);
  nlohmann::json body = nlohmann::json::parse(reply.body);
  EXPECT_EQ(body["title"], "Conflict");
  EXPECT_EQ(body["detail"], "the records changed");
  EXPECT_EQ(body["error"], "the records changed");
  EXPECT_EQ(body["extra"], 1);
}

TEST(Problem, StaysValidJsonWhateverTheDetailHolds) {
  Reply reply = Problem(400, "bad \xff\xfe bytes \x01 and \"quotes\"");
  nlohmann::json body = nlohmann::json::parse(reply.body, nullptr, false);
  EXPECT_FALSE(body.is_discarded()) << reply.body;
}

}  // namespace
}  // namespace tutti::runtime
