// The daemon's config file (runtime/daemon/config.h): every key is checked
// for its type and its range before anything starts, so that no number
// wraps (4294967297 seconds is not 1 second) and no value means something
// else than it says; an unknown key, a key given twice or an empty token
// is an error naming the key; webhook and SMTP routes are checked the same
// way; the file is read with limits (1 MiB, 8 levels, no NUL byte). Also
// SplitHostPort, IsLoopback, ReadConfig and CheckConfigFiles.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/text.h"
#include "runtime/daemon/channels/smtp.h"
#include "runtime/daemon/channels/webhook.h"
#include "runtime/daemon/config.h"

namespace tutti::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

Result<DaemonConfig> Parse(const std::string& text) { return ParseConfig(text, "tutti.json"); }

/// The message of the refusal of `text`, or "ok".
std::string ErrorOf(const std::string& text) {
  Result<DaemonConfig> c = Parse(text);
  if (c.ok()) return "ok";
  EXPECT_EQ(c.status().code(), StatusCode::kInvalid) << text;
  return c.status().message();
}

/// `{"KEY": VALUE}`.
std::string One(const std::string& key, const std::string& value) { return "{\"" + key + "\": " + value + "}"; }

const char kWebhook[] = R"("url": "http://127.0.0.1:9000/hook")";
const char kSmtp[] = R"("relay": "smtp.example.com:587", "from": "journeys@example.com")";

/// A config routing channel `email` with the settings `body` (without braces).
std::string Route(const std::string& section, const std::string& body) {
  return R"({")" + section + R"(": {"email": {)" + body + "}}}";
}

/// A temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tutti-config-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& content) const {
    std::string path = (fs::path(path_) / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string Path(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

// --- Whole numbers -----------------------------------------------------------

struct NumberKey {
  std::string key;
  uint64_t min, max;
  std::function<uint64_t(const DaemonConfig&)> get;
};

const std::vector<NumberKey>& NumberKeys() {
  static const std::vector<NumberKey> keys = {
      {"max_body_bytes", 1024, 1ull << 30, [](const DaemonConfig& c) { return uint64_t(c.server.max_body_bytes); }},
      {"max_header_bytes", 1024, 1 << 20, [](const DaemonConfig& c) { return uint64_t(c.server.max_header_bytes); }},
      {"idle_timeout_seconds", 1, 86400,
       [](const DaemonConfig& c) { return uint64_t(c.server.idle_timeout_seconds); }},
      {"tick_milliseconds", 1, 3600000, [](const DaemonConfig& c) { return uint64_t(c.server.tick_milliseconds); }},
      {"actions_retained", 1, 1000000000,
       [](const DaemonConfig& c) { return uint64_t(c.service.actions_retained); }},
      {"snapshot_every", 0, 1000000000000ull, [](const DaemonConfig& c) { return uint64_t(c.service.snapshot_every); }},
      {"shards", 0, 256, [](const DaemonConfig& c) { return uint64_t(c.service.shards); }},
  };
  return keys;
}

TEST(ParseConfig, TakesEveryWholeNumberKeyAtTheEndsOfItsRange) {
  for (const NumberKey& k : NumberKeys()) {
    for (uint64_t v : {k.min, k.max}) {
      Result<DaemonConfig> c = Parse(One(k.key, std::to_string(v)));
      ASSERT_TRUE(c.ok()) << k.key << " = " << v << ": " << c.status().message();
      EXPECT_EQ(k.get(*c), v) << k.key;
    }
  }
}

TEST(ParseConfig, RefusesNumbersOutOfRangeTooLargeForTheirTypeNegativeFractionalOrNotNumbers) {
  for (const NumberKey& k : NumberKeys()) {
    std::vector<std::string> bad = {
        std::to_string(k.max + 1),
        "4294967296",            // 2^32: 0 as a 32-bit number
        "4294967297",            // 2^32 + 1: 1 as a 32-bit number
        "2147483648",            // 2^31: negative as an int
        "18446744073709551615",  // 2^64 - 1
        "18446744073709551616",  // 2^64: not even a uint64
        "-1",
        "-4294967295",
        "1.5",
        "10.0",
        "1e3",
        "\"10\"",
        "true",
        "null",
        "[10]",
        "{\"value\": 10}",
    };
    if (k.min > 0) bad.push_back(std::to_string(k.min - 1));
    for (const std::string& v : bad) {
      if (v == "4294967296" && k.max >= 4294967296ull) continue;  // snapshot_every takes it
      if ((v == "4294967297" || v == "2147483648") && k.max >= 4294967297ull) continue;
      std::string error = ErrorOf(One(k.key, v));
      EXPECT_NE(error, "ok") << k.key << " = " << v;
      EXPECT_NE(error.find(k.key), std::string::npos) << k.key << " = " << v << ": " << error;
    }
  }
}

TEST(ParseConfig, SaysWhatRangeANumberMustBeIn) {
  EXPECT_EQ(ErrorOf(One("idle_timeout_seconds", "4294967297")),
            "tutti.json.idle_timeout_seconds: must be a whole number from 1 to 86400");
  EXPECT_EQ(ErrorOf(One("tick_milliseconds", "4294967296")),
            "tutti.json.tick_milliseconds: must be a whole number from 1 to 3600000");
  EXPECT_EQ(ErrorOf(One("shards", "2147483648")), "tutti.json.shards: must be a whole number from 0 to 256");
  EXPECT_EQ(ErrorOf(One("max_body_bytes", "-1")),
            "tutti.json.max_body_bytes: must be a whole number from 1024 to 1073741824");
  EXPECT_EQ(ErrorOf(One("tick_milliseconds", "\"200\"")),
            "tutti.json.tick_milliseconds: must be a whole number from 1 to 3600000");
}

TEST(ParseConfig, TakesSnapshotEveryPastFourBillion) {
  Result<DaemonConfig> c = Parse(One("snapshot_every", "4294967297"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->service.snapshot_every, 4294967297ull);
}

// --- Defaults, text, choices ---------------------------------------------------

TEST(ParseConfig, AnEmptyObjectGivesTheDefaults) {
  Result<DaemonConfig> c = Parse("{}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_FALSE(c->server.stream);
  EXPECT_EQ(c->server.access.ingest_token, "");
  EXPECT_EQ(c->server.access.admin_token, "");
  EXPECT_EQ(c->log_format, LogFormat::kText);
  EXPECT_FALSE(c->service.virtual_clock);
  EXPECT_TRUE(c->service.jit);
  EXPECT_TRUE(c->service.routes.empty());
  EXPECT_TRUE(Parse(" \n{ }\n ").ok());
}

TEST(ParseConfig, TakesAFullConfig) {
  Result<DaemonConfig> c = Parse(R"({
    "journeys": "journeys", "data": "/var/lib/tutti", "profiles": "profiles.ndjson", "stdlib": "stdlib",
    "actions_file": "actions.ndjson", "listen": "0.0.0.0:9090", "stream_listen": "[::1]:9091",
    "clock": "virtual", "engine": "interp", "ingest_token": "in-token", "admin_token": "admin-token",
    "allowed_hosts": ["tutti.example.com"], "allowed_origins": ["https://console.example.com"],
    "log_format": "json", "access_log": true, "accept_data_loss": true, "history_details": false
  })");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->service.journeys, "journeys");
  EXPECT_EQ(c->service.data_dir, "/var/lib/tutti");
  EXPECT_EQ(c->service.profiles, "profiles.ndjson");
  EXPECT_EQ(c->service.stdlib_dir, "stdlib");
  EXPECT_EQ(c->service.actions_file, "actions.ndjson");
  EXPECT_EQ(c->server.host, "0.0.0.0");
  EXPECT_EQ(c->server.port, 9090);
  EXPECT_TRUE(c->server.stream);
  EXPECT_EQ(c->server.stream_host, "::1");
  EXPECT_EQ(c->server.stream_port, 9091);
  EXPECT_TRUE(c->service.virtual_clock);
  EXPECT_FALSE(c->service.jit);
  EXPECT_EQ(c->server.access.ingest_token, "in-token");
  EXPECT_EQ(c->server.access.admin_token, "admin-token");
  EXPECT_EQ(c->server.access.allowed_hosts, std::vector<std::string>{"tutti.example.com"});
  EXPECT_EQ(c->server.access.allowed_origins, std::vector<std::string>{"https://console.example.com"});
  EXPECT_EQ(c->log_format, LogFormat::kJson);
  EXPECT_TRUE(c->server.access_log);
  EXPECT_TRUE(c->service.accept_data_loss);
  EXPECT_FALSE(c->service.history_details);
}

TEST(ParseConfig, RefusesTextKeysThatAreNotTextEmptyOrHoldControlCharacters) {
  for (const char* key : {"journeys", "data", "profiles", "stdlib", "actions_file", "listen", "stream_listen",
                          "clock", "engine", "tls_cert", "tls_key", "log_format"}) {
    for (const std::string& v : {"5"s, "true"s, "null"s, "[\"a\"]"s, "\"\""s, "\"a\\u0001b\""s, "\"a\\nb\""s,
                                 "\"a\\u007fb\""s}) {
      std::string error = ErrorOf(One(key, v));
      EXPECT_NE(error.find("tutti.json."s + key + ":"), std::string::npos) << key << " = " << v << ": " << error;
    }
  }
}

TEST(ParseConfig, RefusesBooleansGivenAsAnythingElse) {
  for (const char* key : {"access_log", "accept_data_loss", "history_details"}) {
    for (const char* v : {"1", "0", "\"true\"", "null"}) {
      EXPECT_EQ(ErrorOf(One(key, v)), "tutti.json."s + key + ": must be true or false") << key << " = " << v;
    }
  }
}

TEST(ParseConfig, TakesOnlyTheNamedChoices) {
  EXPECT_EQ(ErrorOf(One("clock", "\"wall\"")), "tutti.json.clock: must be \"system\" or \"virtual\"");
  EXPECT_EQ(ErrorOf(One("engine", "\"llvm\"")), "tutti.json.engine: must be \"jit\" or \"interp\"");
  EXPECT_EQ(ErrorOf(One("log_format", "\"xml\"")), "tutti.json.log_format: must be \"text\" or \"json\"");
  EXPECT_EQ(ErrorOf(One("log_format", "\"JSON\"")), "tutti.json.log_format: must be \"text\" or \"json\"");
  ASSERT_TRUE(Parse(One("log_format", "\"text\"")).ok());
  EXPECT_EQ(Parse(One("log_format", "\"text\""))->log_format, LogFormat::kText);
  EXPECT_EQ(Parse(One("log_format", "\"json\""))->log_format, LogFormat::kJson);
  EXPECT_FALSE(Parse(One("clock", "\"system\""))->service.virtual_clock);
  EXPECT_TRUE(Parse(One("engine", "\"jit\""))->service.jit);
}

TEST(ParseConfig, RefusesAListenAddressThatIsNotHostAndPort) {
  for (const char* v : {"\"127.0.0.1\"", "\"127.0.0.1:\"", "\":8080\"", "\"127.0.0.1:65536\"", "\"127.0.0.1:http\"",
                        "\"127.0.0.1:-1\"", "\"127.0.0.1:123456\""}) {
    EXPECT_EQ(ErrorOf(One("listen", v)), "tutti.json.listen: must be ADDRESS:PORT, such as 127.0.0.1:8080 or [::1]:8080") << v;
    EXPECT_EQ(ErrorOf(One("stream_listen", v)), "tutti.json.stream_listen: must be ADDRESS:PORT, such as 127.0.0.1:8081")
        << v;
  }
}

TEST(ParseConfig, RefusesACertificateWithoutItsKey) {
  EXPECT_EQ(ErrorOf(One("tls_cert", "\"cert.pem\"")), "tutti.json: 'tls_cert' and 'tls_key' go together");
  EXPECT_EQ(ErrorOf(One("tls_key", "\"key.pem\"")), "tutti.json: 'tls_cert' and 'tls_key' go together");
  EXPECT_TRUE(Parse(R"({"tls_cert": "cert.pem", "tls_key": "key.pem"})").ok());
}

// --- Tokens, hosts, origins -----------------------------------------------------

TEST(ParseConfig, RefusesAnEmptyToken) {
  EXPECT_EQ(ErrorOf(One("admin_token", "\"\"")),
            "tutti.json.admin_token: must be a non-empty string (leave the key out for no token)");
  EXPECT_EQ(ErrorOf(One("ingest_token", "\"\"")),
            "tutti.json.ingest_token: must be a non-empty string (leave the key out for no token)");
}

TEST(ParseConfig, RefusesTokensThatAreNotTextOrHoldSpacesOrControlCharacters) {
  for (const char* key : {"admin_token", "ingest_token"}) {
    for (const char* v : {"null", "12345", "true", "[\"t\"]", "\"two words\"", "\" lead\"", "\"trail \"",
                          "\"tab\\there\"", "\"nl\\n\"", "\"del\\u007f\"", "\"nul\\u0000\""}) {
      std::string error = ErrorOf(One(key, v));
      EXPECT_EQ(error.rfind("tutti.json."s + key + ": must", 0), 0u) << key << " = " << v << ": " << error;
    }
  }
  Result<DaemonConfig> c = Parse(One("admin_token", "\"s3cr\xc3\xa9t-!#$%\""));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.access.admin_token, "s3cr\xc3\xa9t-!#$%");
}

TEST(ParseConfig, NormalisesAllowedOriginsAndRefusesOtherForms) {
  Result<DaemonConfig> c =
      Parse(One("allowed_origins", R"(["https://Console.Example.COM/", "http://localhost:3000//"])"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.access.allowed_origins,
            (std::vector<std::string>{"https://console.example.com", "http://localhost:3000"}));

  for (const char* v : {R"(["console.example.com"])", R"(["ftp://example.com"])", R"(["//example.com"])",
                        R"(["null"])"}) {
    EXPECT_EQ(ErrorOf(One("allowed_origins", v)),
              "tutti.json.allowed_origins: must be origins such as \"https://console.example.com\"")
        << v;
  }
  for (const char* v : {R"("https://console.example.com")", R"([""])", R"([1])", R"([null])", R"([["x"]])",
                        R"({"a": "https://x"})"}) {
    EXPECT_EQ(ErrorOf(One("allowed_origins", v)), "tutti.json.allowed_origins: must be a list of strings") << v;
  }
  EXPECT_TRUE(Parse(One("allowed_origins", "[]")).ok());
}

TEST(ParseConfig, TakesAllowedHostsAsAListOfStrings) {
  Result<DaemonConfig> c = Parse(One("allowed_hosts", R"(["a.example", "b.example:8080"])"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->server.access.allowed_hosts, (std::vector<std::string>{"a.example", "b.example:8080"}));
  for (const char* v : {R"("a.example")", R"([""])", R"([5])"})
    EXPECT_EQ(ErrorOf(One("allowed_hosts", v)), "tutti.json.allowed_hosts: must be a list of strings") << v;
  // Bounded.
  std::string many = "[";
  for (int i = 0; i < 1001; ++i) many += std::string(i ? "," : "") + "\"h" + std::to_string(i) + "\"";
  EXPECT_EQ(ErrorOf(One("allowed_hosts", many + "]")), "tutti.json.allowed_hosts: must be a list of strings");
}

// --- Unknown and repeated keys ------------------------------------------------------

TEST(ParseConfig, RefusesAnUnknownKeyNamingIt) {
  std::string error = ErrorOf(R"({"listen": "127.0.0.1:8080", "idle_timeout": 30})");
  EXPECT_EQ(error.rfind("tutti.json: unknown key 'idle_timeout'", 0), 0u) << error;
  // Its name is printable, whatever bytes it holds.
  error = ErrorOf("{\"bad\\u001bkey\\n\": 1}");
  EXPECT_NE(error.find("unknown key 'bad\\x1bkey\\n'"), std::string::npos) << error;
  EXPECT_TRUE(ValidUtf8(error));
}

TEST(ParseConfig, RefusesAKeyGivenTwiceNamingIt) {
  std::string error = ErrorOf(R"({"admin_token": "one", "admin_token": "two"})");
  EXPECT_NE(error, "ok");
  EXPECT_NE(error.find("'admin_token'"), std::string::npos) << error;
  EXPECT_NE(error.find("twice"), std::string::npos) << error;
  // Also inside a route.
  error = ErrorOf(Route("webhooks", std::string(kWebhook) + R"(, "max_attempts": 3, "max_attempts": 4)"));
  EXPECT_NE(error.find("'max_attempts'"), std::string::npos) << error;
  EXPECT_NE(error.find("twice"), std::string::npos) << error;
}

TEST(ParseConfig, RefusesAChannelRoutedTwice) {
  std::string text = R"({"webhooks": {"email": {)" + std::string(kWebhook) + R"(}}, "smtp": {"email": {)" + kSmtp +
                     "}}}";
  EXPECT_EQ(ErrorOf(text), "tutti.json: channel 'email' is routed twice");
}

// --- Limits of the file -------------------------------------------------------

TEST(ParseConfig, RefusesWhatIsNotAJsonObject) {
  for (const char* text : {"[]", "\"config\"", "42", "null"})
    EXPECT_EQ(ErrorOf(text), "tutti.json is not a JSON object") << text;
  for (const char* text : {"", "{", "{\"listen\": }", "{} {}", "{}x", "{'a': 1}"}) {
    std::string error = ErrorOf(text);
    EXPECT_EQ(error.rfind("tutti.json", 0), 0u) << text << ": " << error;
    EXPECT_NE(error, "ok") << text;
  }
}

TEST(ParseConfig, RefusesConfigDeeperThanEightLevels) {
  // Eight levels are read (and then the key is unknown); nine are not.
  std::string eight = R"({"x": [[[[[[[1]]]]]]]})";
  std::string nine = R"({"x": [[[[[[[[1]]]]]]]]})";
  EXPECT_EQ(ErrorOf(eight).rfind("tutti.json: unknown key 'x'", 0), 0u) << ErrorOf(eight);
  std::string error = ErrorOf(nine);
  EXPECT_NE(error.find("nested deeper than 8 levels"), std::string::npos) << error;
  EXPECT_EQ(error.rfind("tutti.json, byte 14:", 0), 0u) << error;
  // Deep inside a route, and very deep.
  EXPECT_NE(ErrorOf(Route("webhooks", R"("url": [[[[[[["x"]]]]]]])")).find("nested deeper"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(100000, '[') + std::string(100000, ']')).find("nested deeper"), std::string::npos);
}

TEST(ParseConfig, RefusesANulByteWithItsPosition) {
  std::string error = ErrorOf("{\"journeys\": \"a\0b\"}"s);
  EXPECT_EQ(error, "tutti.json, byte 16: a NUL byte is not allowed in JSON input");
  error = ErrorOf("{}\0"s);
  EXPECT_EQ(error, "tutti.json, byte 3: a NUL byte is not allowed in JSON input");
}

TEST(ParseConfig, QuotesNoValueFromTheFileInItsMessages) {
  const std::string secret = "hunter2-SECRET";
  for (const std::string& text : {
           R"({"admin_token": "hunter2-SECRET )", R"({"admin_token": hunter2-SECRET})",
           R"({"listen": "hunter2-SECRET"})", R"({"clock": "hunter2-SECRET"})",
           R"({"admin_token": "hunter2-SECRET"} hunter2-SECRET)",
           "{\"admin_token\": \"hunter2-SECRET\xff\"}",
       }) {
    std::string error = ErrorOf(text);
    EXPECT_NE(error, "ok") << text;
    EXPECT_EQ(error.find(secret), std::string::npos) << error;
    EXPECT_TRUE(ValidUtf8(error)) << Printable(error);
  }
}

// --- Routes -------------------------------------------------------------------------

TEST(ParseConfig, TakesAWebhookRoute) {
  Result<DaemonConfig> c = Parse(Route("webhooks", R"("url": "https://hooks.example.com:8443/in?x=1",
      "ca_file": "ca.pem", "max_attempts": 7, "backoff_ms": 250, "connect_timeout_ms": 1500,
      "timeout_ms": 9000, "concurrency": 16, "rate_per_second": 50)"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->service.routes.count("email"), 1u);
  const DeliveryRoute& r = c->service.routes.at("email");
  EXPECT_EQ(r.adapter, &WebhookAdapter());
  const auto& url = dynamic_cast<const WebhookTarget&>(*r.target);
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "hooks.example.com");
  EXPECT_EQ(url.port, "8443");
  EXPECT_EQ(url.path, "/in?x=1");
  EXPECT_EQ(url.ca_file, "ca.pem");
  EXPECT_EQ(r.max_attempts, 7);
  EXPECT_EQ(r.backoff_ms, 250);
  EXPECT_EQ(r.connect_timeout_ms, 1500);
  EXPECT_EQ(r.timeout_ms, 9000);
  EXPECT_EQ(r.concurrency, 16);
  EXPECT_EQ(r.rate_per_second, 50);
}

TEST(ParseConfig, AMisspeltRouteKeyIsNamedBeforeTheSettingsAreCheckedTogether) {
  // "start_tls" for "starttls": the typo, not "a login needs starttls".
  Result<DaemonConfig> c = Parse(Route("smtp", std::string(kSmtp) + R"(, "username": "mailer",
      "password_file": "/run/secrets/smtp", "start_tls": true)"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown key 'start_tls'"), std::string::npos) << c.status().message();
}

TEST(ParseConfig, TakesAnSmtpRouteWithALoginOverStarttls) {
  Result<DaemonConfig> c = Parse(Route("smtp", std::string(kSmtp) + R"(, "starttls": true, "username": "mailer",
      "password_file": "/run/secrets/smtp", "ca_file": "ca.pem")"));
  ASSERT_TRUE(c.ok()) << c.status().message();
  const DeliveryRoute& r = c->service.routes.at("email");
  EXPECT_EQ(r.adapter, &SmtpAdapter());
  const auto& relay = dynamic_cast<const SmtpTarget&>(*r.target);
  EXPECT_EQ(relay.host, "smtp.example.com");
  EXPECT_EQ(relay.port, "587");
  EXPECT_EQ(relay.from, "journeys@example.com");
  EXPECT_TRUE(relay.starttls);
  EXPECT_EQ(relay.username, "mailer");
  EXPECT_EQ(relay.password_file, "/run/secrets/smtp");
  EXPECT_EQ(relay.password, "");  // until CheckConfigFiles reads the file
}

struct RouteNumber {
  std::string key;
  int min, max;
};

TEST(ParseConfig, ChecksTheRangeOfEveryRouteNumber) {
  const RouteNumber keys[] = {{"max_attempts", 1, 1000},         {"backoff_ms", 1, 86400000},
                              {"connect_timeout_ms", 1, 600000}, {"timeout_ms", 1, 86400000},
                              {"concurrency", 1, 1024},          {"rate_per_second", 1, 1000000}};
  for (const std::string& section : {"webhooks"s, "smtp"s}) {
    std::string base = section == "smtp" ? kSmtp : kWebhook;
    for (const RouteNumber& k : keys) {
      for (int v : {k.min, k.max})
        EXPECT_TRUE(Parse(Route(section, base + ", \"" + k.key + "\": " + std::to_string(v))).ok())
            << section << " " << k.key << " = " << v;
      for (const std::string& v : {std::to_string(k.min - 1), std::to_string(int64_t(k.max) + 1), "4294967297"s,
                                   "2147483648"s, "-1"s, "2.5"s, "\"3\""s, "null"s}) {
        std::string error = ErrorOf(Route(section, base + ", \"" + k.key + "\": " + v));
        EXPECT_EQ(error, "tutti.json: " + section + ".email." + k.key + ": must be a whole number from " +
                             std::to_string(k.min) + " to " + std::to_string(k.max))
            << v;
      }
    }
  }
}

TEST(ParseConfig, RefusesUnknownKeysOfARouteNamingThem) {
  std::string error = ErrorOf(Route("webhooks", std::string(kWebhook) + R"(, "retries": 3)"));
  EXPECT_EQ(error.rfind("tutti.json: webhooks.email: unknown key 'retries'", 0), 0u) << error;
  // SMTP settings are not a webhook's.
  error = ErrorOf(Route("webhooks", std::string(kWebhook) + R"(, "starttls": true)"));
  EXPECT_EQ(error.rfind("tutti.json: webhooks.email: unknown key 'starttls'", 0), 0u) << error;
  error = ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "url": "http://x/")"));
  EXPECT_EQ(error.rfind("tutti.json: smtp.email: unknown key 'url'", 0), 0u) << error;
}

TEST(ParseConfig, RefusesRoutesThatAreNotObjectsOrLackTheirAddress) {
  EXPECT_EQ(ErrorOf(R"({"webhooks": []})"), "tutti.json.webhooks: must map channels to settings");
  EXPECT_EQ(ErrorOf(R"({"smtp": "smtp.example.com:25"})"), "tutti.json.smtp: must map channels to settings");
  EXPECT_EQ(ErrorOf(R"({"webhooks": {"email": "http://x/"}})"),
            "tutti.json: webhooks.email: must be an object of settings");
  for (const char* url : {R"("url": "ftp://x/")", R"("url": "x.example.com/hook")", R"("url": "http://")",
                          R"("url": "http://x:99999/")", R"("url": "http://x/a b")", R"("max_attempts": 3)"}) {
    EXPECT_EQ(ErrorOf(Route("webhooks", url)),
              "tutti.json: webhooks.email: needs \"url\": \"http://host:port/path\" (or https://)")
        << url;
  }
  for (const char* relay : {R"("relay": "smtp.example.com")", R"("relay": ":25")", R"("relay": "x:port")",
                            R"("relay": "x:65536")", R"("relay": "smtp.example.com:")", R"("starttls": true)"}) {
    EXPECT_EQ(ErrorOf(Route("smtp", std::string(relay) + R"(, "from": "a@b")")),
              "tutti.json: smtp.email: needs \"relay\": \"host:port\" and \"from\": \"address\"")
        << relay;
  }
  for (const char* from : {R"("from": "")", R"("from": "<a@b>")", R"("from": "a @b")", R"("starttls": true)"}) {
    std::string error = ErrorOf(Route("smtp", std::string(R"("relay": "smtp.example.com:25", )") + from));
    EXPECT_TRUE(error == "tutti.json: smtp.email: needs \"from\": an e-mail address" ||
                error == "tutti.json: smtp.email.from: must not be empty")
        << from << ": " << error;
  }
}

TEST(ParseConfig, RefusesALoginWithoutStarttls) {
  const std::string login = "tutti.json: smtp.email: a login needs \"username\", \"password_file\" and \"starttls\": true together";
  EXPECT_EQ(ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "username": "u", "password_file": "p")")), login);
  EXPECT_EQ(ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "username": "u", "password_file": "p", "starttls": false)")),
            login);
  EXPECT_EQ(ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "username": "u", "starttls": true)")), login);
  EXPECT_EQ(ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "password_file": "p", "starttls": true)")), login);
  EXPECT_TRUE(Parse(Route("smtp", std::string(kSmtp) + R"(, "starttls": true)")).ok());
}

TEST(ParseConfig, RefusesACaFileWhereThereIsNoTls) {
  EXPECT_EQ(ErrorOf(Route("webhooks", std::string(kWebhook) + R"(, "ca_file": "ca.pem")")),
            "tutti.json: webhooks.email: 'ca_file' is for https urls");
  EXPECT_EQ(ErrorOf(Route("smtp", std::string(kSmtp) + R"(, "ca_file": "ca.pem")")),
            "tutti.json: smtp.email: 'ca_file' is for \"starttls\": true");
}

TEST(ParseConfig, PrintsAChannelNameSafely) {
  std::string error = ErrorOf("{\"webhooks\": {\"e\\u001b[2Jmail\": {\"url\": \"ftp://x\"}}}");
  EXPECT_NE(error.find("webhooks.e\\x1b[2Jmail"), std::string::npos) << error;
}

// --- SplitHostPort, IsLoopback ------------------------------------------------------

TEST(SplitHostPort, SplitsHostsAndPorts) {
  struct Case {
    std::string text, host;
    uint16_t port;
  };
  const Case cases[] = {
      {"127.0.0.1:8080", "127.0.0.1", 8080}, {"localhost:0", "localhost", 0},
      {"0.0.0.0:65535", "0.0.0.0", 65535},   {"[::1]:8080", "::1", 8080},
      {"[fe80::1]:443", "fe80::1", 443},     {"example.com:00080", "example.com", 80},
  };
  for (const Case& c : cases) {
    std::string host = "unset";
    uint16_t port = 1;
    ASSERT_TRUE(SplitHostPort(c.text, &host, &port)) << c.text;
    EXPECT_EQ(host, c.host) << c.text;
    EXPECT_EQ(port, c.port) << c.text;
  }
}

TEST(SplitHostPort, RefusesWhatIsNotHostColonPort) {
  for (const char* text : {"", "localhost", ":8080", "localhost:", "localhost:65536", "localhost:99999",
                           "localhost:123456", "localhost:-1", "localhost:+80", "localhost: 80", "localhost:80 ",
                           "localhost:0x50", "localhost:８０", "[::1]", "::1",  // IPv6 needs brackets
                           "[]:8080"}) {
    std::string host = "unset";
    uint16_t port = 1;
    EXPECT_FALSE(SplitHostPort(text, &host, &port)) << text << " gave host '" << host << "' port " << port;
  }
}

TEST(IsLoopback, KnowsLoopbackAddresses) {
  for (const char* host : {"localhost", "127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1"})
    EXPECT_TRUE(IsLoopback(host)) << host;
  for (const char* host : {"0.0.0.0", "128.0.0.1", "126.255.255.255", "10.0.0.1", "::", "", "[::1]",
                           "localhost.evil.example", "127.0.0.1.evil.example", "::2", "example.com"})
    EXPECT_FALSE(IsLoopback(host)) << host;
}

// --- ReadConfig, CheckConfigFiles -----------------------------------------------------

TEST(ReadConfig, ReadsAFileAndRemembersItsPath) {
  TempDir dir;
  std::string path = dir.Write("tutti.json", R"({"listen": "127.0.0.1:9999"})");
  Result<DaemonConfig> c = ReadConfig(path);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->server.port, 9999);
  EXPECT_EQ(c->server.config_file, path);
}

TEST(ReadConfig, NamesTheFileInItsErrors) {
  TempDir dir;
  std::string path = dir.Write("tutti.json", R"({"idle_timeout_seconds": 0})");
  Result<DaemonConfig> c = ReadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), path + ".idle_timeout_seconds: must be a whole number from 1 to 86400");
}

TEST(ReadConfig, RefusesAMissingFile) {
  TempDir dir;
  Result<DaemonConfig> c = ReadConfig(dir.Path("missing.json"));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kNotFound);
}

TEST(ReadConfig, TakesAFileOfOneMebibyteAndRefusesALargerOne) {
  TempDir dir;
  std::string exactly = "{}" + std::string((1 << 20) - 2, ' ');
  Result<DaemonConfig> c = ReadConfig(dir.Write("exact.json", exactly));
  EXPECT_TRUE(c.ok()) << c.status().message();

  std::string over = exactly + " ";
  std::string path = dir.Write("over.json", over);
  c = ReadConfig(path);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalid);
  EXPECT_EQ(c.status().message(), path + " is over 1048576 bytes: not a config file");

  // Much larger: still refused (and not read whole).
  std::string big = dir.Write("big.json", std::string(3 << 20, ' '));
  EXPECT_FALSE(ReadConfig(big).ok());
}

TEST(CheckConfigFiles, ReadsThePasswordFromTheFirstLineOfItsFile) {
  TempDir dir;
  struct Case {
    std::string content, password;
  };
  const Case cases[] = {
      {"s3cret\n", "s3cret"},
      {"s3cret", "s3cret"},
      {"s3cret\r\n", "s3cret"},
      {"s3cret\r\nsecond line\r\n", "s3cret"},
      {"s3cret\nsecond line\n", "s3cret"},
  };
  for (const Case& c : cases) {
    std::string file = dir.Write("password", c.content);
    Result<DaemonConfig> config =
        Parse(Route("smtp", std::string(kSmtp) + R"(, "starttls": true, "username": "u", "password_file": ")" +
                                file + "\""));
    ASSERT_TRUE(config.ok()) << config.status().message();
    Status s = CheckConfigFiles(*config);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(dynamic_cast<const SmtpTarget&>(*config->service.routes.at("email").target).password, c.password) << Printable(c.content);
  }
}

TEST(CheckConfigFiles, RefusesAMissingOrEmptyPasswordFile) {
  TempDir dir;
  for (const std::string& file : {dir.Path("missing"), dir.Write("empty", ""), dir.Write("blank", "\n"),
                                  dir.Write("cr", "\r\n"), dir.Write("long", std::string(2000, 'p') + "\n"),
                                  dir.Write("nul", std::string("pass\0word\n", 10)),
                                  // Endless, with no line end: read no further than a password.
                                  std::string("/dev/zero")}) {
    Result<DaemonConfig> config =
        Parse(Route("smtp", std::string(kSmtp) + R"(, "starttls": true, "username": "u", "password_file": ")" +
                                file + "\""));
    ASSERT_TRUE(config.ok()) << config.status().message();
    Status s = CheckConfigFiles(*config);
    EXPECT_FALSE(s.ok()) << file;
    EXPECT_EQ(s.code(), StatusCode::kInvalid);
    EXPECT_EQ(s.message(), "smtp.email: cannot read a password from " + file);
  }
}

TEST(CheckConfigFiles, RefusesMissingCaCertificateAndKeyFiles) {
  TempDir dir;
  std::string present = dir.Write("present.pem", "-----BEGIN CERTIFICATE-----\n");
  std::string missing = dir.Path("missing.pem");

  Result<DaemonConfig> c = Parse(Route("webhooks", R"("url": "https://x.example/", "ca_file": ")" + missing + "\""));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(CheckConfigFiles(*c).message(), "webhooks.email: cannot read the 'ca_file' " + missing);

  c = Parse(R"({"tls_cert": ")" + missing + R"(", "tls_key": ")" + present + "\"}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CheckConfigFiles(*c).message(), "cannot read the TLS certificate " + missing);

  c = Parse(R"({"tls_cert": ")" + present + R"(", "tls_key": ")" + missing + "\"}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CheckConfigFiles(*c).message(), "cannot read the TLS key " + missing);

  c = Parse(R"({"tls_cert": ")" + present + R"(", "tls_key": ")" + present + "\"}");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(CheckConfigFiles(*c).ok());

  // A cluster node's authorities for the other nodes' certificates.
  c = Parse(R"({"tls_cert": ")" + present + R"(", "tls_key": ")" + present + R"(", )"
            R"("kafka": {"brokers": "k:9092", "peer_ca": ")" + missing + "\"}}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(CheckConfigFiles(*c).message(),
            "cannot read the certificate authorities of the other nodes (kafka.peer_ca) " + missing);
  c = Parse(R"({"kafka": {"brokers": "k:9092", "peer_ca": ")" + present + "\"}}");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(CheckConfigFiles(*c).message(),
            "kafka.peer_ca is used only when the API is served over TLS (tls_cert, tls_key)");
}

TEST(ApplyReloadable, CopiesOnlyTheKeysSighupApplies) {
  Result<DaemonConfig> from = Parse(R"({"admin_token": "a", "ingest_token": "i", "allowed_hosts": ["h"],
      "allowed_origins": ["https://o"], "max_body_bytes": 2048, "max_header_bytes": 4096,
      "idle_timeout_seconds": 9, "tick_milliseconds": 7, "log_format": "json", "access_log": true,
      "listen": "127.0.0.1:1234"})");
  ASSERT_TRUE(from.ok()) << from.status().message();
  ServerOptions to;
  LogFormat format = LogFormat::kText;
  ApplyReloadable(*from, to, &format);
  EXPECT_EQ(to.access.admin_token, "a");
  EXPECT_EQ(to.access.ingest_token, "i");
  EXPECT_EQ(to.access.allowed_hosts, std::vector<std::string>{"h"});
  EXPECT_EQ(to.access.allowed_origins, std::vector<std::string>{"https://o"});
  EXPECT_EQ(to.max_body_bytes, 2048u);
  EXPECT_EQ(to.max_header_bytes, 4096u);
  EXPECT_EQ(to.idle_timeout_seconds, 9);
  EXPECT_EQ(to.tick_milliseconds, 7);
  EXPECT_TRUE(to.access_log);
  EXPECT_EQ(format, LogFormat::kJson);
  EXPECT_EQ(to.port, 8080);  // the listening address needs a restart
}

}  // namespace
}  // namespace tutti::runtime

namespace tutti::runtime {
namespace {

TEST(ParseConfig, RefusesAListenHostThatIsNotAnAddress) {
  auto c = ParseConfig(R"({"listen": "myhost:8080"})", "t.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "t.json.listen: must be ADDRESS:PORT, such as 127.0.0.1:8080 or [::1]:8080");
  EXPECT_TRUE(ParseConfig(R"({"listen": "[::1]:8080"})", "t.json").ok());
  EXPECT_TRUE(ParseConfig(R"({"listen": "localhost:8080"})", "t.json").ok());
  EXPECT_FALSE(ParseConfig(R"({"stream_listen": "stream.example:9"})", "t.json").ok());
}

TEST(RestartOnlyChanges, NamesTheKeysASighupCannotApply) {
  std::string before = R"({"admin_token": "a", "shards": 2, "webhooks": {"w": {"url": "http://h/x"}}})";
  std::string after = R"({"admin_token": "b", "shards": 3, "webhooks": {"w": {"url": "http://h/y"}},
                          "listen": "127.0.0.1:9"})";
  EXPECT_EQ(RestartOnlyChanges(before, after), (std::vector<std::string>{"listen", "shards", "webhooks"}));
  EXPECT_TRUE(RestartOnlyChanges(before, before).empty());
}

}  // namespace
TEST(Config, TheEngagementTablesReplaceTheStdlibsAndAreChecked) {
  Result<DaemonConfig> c = Parse(R"({"engagement": {"channel_roles": {"letter": "brand"}, "response_window_days": 3}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->service.engagement.channels, (std::map<std::string, std::string>{{"letter", "brand"}}));
  EXPECT_EQ(c->service.engagement.responses, EngagementRoles::Stdlib().responses) << "a table not given stays";
  EXPECT_EQ(c->service.engagement.response_window_days, 3);
  EXPECT_TRUE(c->service.engagement.staff.empty()) << "the stdlib's staff roles name the stdlib's channel roles";
  Result<DaemonConfig> staff = Parse(R"({"engagement": {"staff_roles": {"msl": "medical_affairs"}}})");
  ASSERT_TRUE(staff.ok()) << staff.status().message();
  EXPECT_EQ(staff->service.engagement.staff, (std::map<std::string, std::string>{{"msl", "medical_affairs"}}));
  EXPECT_EQ(Parse("{}")->service.engagement.staff, EngagementRoles::Stdlib().staff);
  EXPECT_EQ(ErrorOf(R"({"engagement": {"staff_roles": {"msl": ""}}})"),
            "tutti.json: engagement.staff_roles: must map names to roles, each 1 to 100 printable characters");
  EXPECT_EQ(ErrorOf(R"({"engagement": {"responses": {"email_opened": 7}}})"),
            "tutti.json: engagement.responses: must map names to roles, each 1 to 100 printable characters");
  EXPECT_EQ(ErrorOf(R"({"engagement": {"response_window_days": 0}})"),
            "tutti.json: engagement.response_window_days: must be a whole number from 1 to 365");
  EXPECT_NE(ErrorOf(R"({"engagement": {"roles": {}}})").find("unknown key 'roles'"), std::string::npos);
}

}  // namespace tutti::runtime
