// TLS, end to end: the HTTP API over https with a certificate from the
// config (plain HTTP is refused and counted), a certificate that cannot be
// loaded stops the start with the reason, https webhooks verify the
// receiver against the route's CA file, and e-mail goes through a relay
// over STARTTLS with a login, or not at all.

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/daemon/daemon_fixture.h"

namespace {

using namespace tutti::testing;
namespace fs = std::filesystem;
using Json = nlohmann::json;

TEST(Tls, TheApiIsServedOverHttpsOnly) {
  fs::path dir = FreshDir("tls");
  MakeCertificate(dir);
  std::ofstream(dir / "config.json") << Json{{"tls_cert", (dir / "cert.pem").string()},
                                             {"tls_key", (dir / "key.pem").string()}}.dump();
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  std::string plain = Shell("curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(d.port()) +
                            "/healthz");
  EXPECT_NE(plain, "200") << "plain HTTP must not be served";
  d.UseTls((dir / "cert.pem").string());
  EXPECT_EQ(d.Curl("GET", "/healthz").substr(0, 3), "200");
  std::string r = d.Curl("POST", "/v1/events", EventSlice(dir, 0, 30));
  EXPECT_EQ(r.substr(0, 3), "200") << r;
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_http_refused_total{reason=\"tls_handshake\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("tutti_events_in_total 30"), std::string::npos) << metrics;
}

TEST(Tls, TheStreamingPortSpeaksTlsToo) {
  fs::path dir = FreshDir("tls-stream");
  MakeCertificate(dir);
  std::ofstream(dir / "config.json") << Json{{"tls_cert", (dir / "cert.pem").string()},
                                             {"tls_key", (dir / "key.pem").string()},
                                             {"stream_listen", "127.0.0.1:0"}}.dump();
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  ASSERT_NE(d.StreamPort(), 0);
  // A producer over TLS: writes 20 events, reads acknowledgements until
  // every line is accounted for.
  std::ofstream(dir / "producer.py") << R"(import json, socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[1])
s = context.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2]))), server_hostname="127.0.0.1")
s.sendall(open(sys.argv[3], "rb").read())
seen, buf = 0, b""
while seen < 20:
    buf += s.recv(65536)
    *acks, buf = buf.split(b"\n")
    for a in acks:
        ack = json.loads(a)
        seen += ack["accepted"] + ack["refused"]
        print(a.decode())
)";
  std::string out = Shell("python3 " + (dir / "producer.py").string() + " " + (dir / "cert.pem").string() + " " +
                          std::to_string(d.StreamPort()) + " " + EventSlice(dir, 0, 20) + " 2>&1");
  EXPECT_NE(out.find("\"accepted\":"), std::string::npos) << out;
  std::string metrics = d.Curl("GET", "/metrics");
  EXPECT_EQ(metrics.find("tutti_events_in_total 20"), std::string::npos) << "the metrics are served over https only";
  d.UseTls((dir / "cert.pem").string());
  metrics = d.Curl("GET", "/metrics");
  EXPECT_NE(metrics.find("tutti_events_in_total 20"), std::string::npos) << metrics;
}

TEST(Tls, ACertificateThatCannotBeLoadedStopsTheStart) {
  fs::path dir = FreshDir("tls-missing");
  std::string out = RefusedStart(dir, "data", {{"tls_cert", (dir / "nowhere.pem").string()},
                                              {"tls_key", (dir / "nowhere.key").string()}});
  EXPECT_NE(out.find("cannot read the TLS certificate " + (dir / "nowhere.pem").string()), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
}

TEST(Tls, HttpsWebhooksVerifyTheReceiver) {
  fs::path dir = FreshDir("tls-webhook");
  MakeCertificate(dir);
  Receiver receiver(dir / "received.txt", 0, "tests/daemon/webhook_receiver.py",
                    (dir / "cert.pem").string() + " " + (dir / "key.pem").string());
  ASSERT_NE(receiver.port(), 0);
  std::string url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/orders";
  auto run = [&](const char* name, const Json& route) {
    std::ofstream(dir / "config.json", std::ios::trunc) << Json{{"webhooks", {{"webhook", route}}}}.dump();
    Daemon d(dir / name, {"--config", (dir / "config.json").string()});
    EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
    EXPECT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
    d.WaitIdle();
    return FinalWebhookActions(d, "webhook");
  };
  // Trusting the receiver's certificate: delivered.
  std::vector<Json> trusted = run("trusted", {{"url", url}, {"ca_file", (dir / "cert.pem").string()}});
  ASSERT_EQ(trusted.size(), 2u);
  for (const Json& a : trusted) EXPECT_EQ(a["delivery"], "delivered") << a.dump();
  EXPECT_NE(ReadFile(dir / "received.txt").find(trusted[0]["idempotency_key"].get<std::string>() + " 1 200"),
            std::string::npos);
  // The system's authorities do not know it: never sent, dead-lettered.
  std::vector<Json> untrusted = run("untrusted", {{"url", url}, {"max_attempts", 2}, {"backoff_ms", 20}});
  ASSERT_EQ(untrusted.size(), 2u);
  for (const Json& a : untrusted) EXPECT_EQ(a["delivery"], "dead_letter") << a.dump();
  EXPECT_NE(ReadFile(dir / "untrusted.out.err").find("last=\"tls handshake\""), std::string::npos)
      << ReadFile(dir / "untrusted.out.err");
}

TEST(Tls, MailGoesThroughARelayOverStartTlsWithALogin) {
  fs::path dir = FreshDir("tls-smtp");
  MakeCertificate(dir);
  Receiver relay(dir / "relayed.txt", 0, "tests/daemon/smtp_relay.py",
                 (dir / "cert.pem").string() + " " + (dir / "key.pem").string() + " tutti s3cret");
  ASSERT_NE(relay.port(), 0);
  std::ofstream(dir / "password.good") << "s3cret\r\n";  // written on Windows: the CR is not the password's
  std::ofstream(dir / "password.wrong") << "guess\n";
  auto run = [&](const char* name, Json route) {
    route["relay"] = "127.0.0.1:" + std::to_string(relay.port());
    route["from"] = "service@abc-pharma.example";
    route["backoff_ms"] = 20;
    route["max_attempts"] = 2;
    std::ofstream(dir / "config.json", std::ios::trunc) << Json{{"smtp", {{"service_email", route}}}}.dump();
    Daemon d(dir / name, {"--config", (dir / "config.json").string()});
    EXPECT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
    EXPECT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
    d.WaitIdle();
    return FinalWebhookActions(d, "service_email");
  };
  Json login{{"starttls", true}, {"ca_file", (dir / "cert.pem").string()}, {"username", "tutti"}};
  // Over TLS, logged in: delivered, each message in a TLS session of the login.
  Json good = login;
  good["password_file"] = (dir / "password.good").string();
  std::vector<Json> mails = run("good", good);
  ASSERT_EQ(mails.size(), GoldenActionsOn("service_email"));
  std::string sessions = ReadFile(dir / "relayed.txt.sessions");
  for (const Json& a : mails) {
    EXPECT_EQ(a["delivery"], "delivered") << a.dump();
    EXPECT_NE(sessions.find(a["idempotency_key"].get<std::string>() + " tls=1 user=tutti"), std::string::npos)
        << sessions;
  }
  // A wrong password: refused by the relay, retried, dead-lettered.
  Json wrong = login;
  wrong["password_file"] = (dir / "password.wrong").string();
  for (const Json& a : run("wrong", wrong)) EXPECT_EQ(a["delivery"], "dead_letter") << a.dump();
  // The log names the relay's code, never its words (they may quote an address).
  EXPECT_NE(ReadFile(dir / "wrong.out.err").find("last=\"smtp 535\""), std::string::npos)
      << ReadFile(dir / "wrong.out.err");
  // A relay the route cannot verify: nothing is sent, not even the login.
  Json unverified = good;
  unverified.erase("ca_file");
  for (const Json& a : run("unverified", unverified)) EXPECT_EQ(a["delivery"], "dead_letter") << a.dump();
  EXPECT_NE(ReadFile(dir / "unverified.out.err").find("last=\"tls handshake\""), std::string::npos)
      << ReadFile(dir / "unverified.out.err");
  // A login without STARTTLS is refused when the config is read.
  Json plain = good;
  plain.erase("starttls");
  plain.erase("ca_file");
  plain["relay"] = "127.0.0.1:25";
  plain["from"] = "service@abc-pharma.example";
  std::string out = RefusedStart(dir, "plain", {{"smtp", {{"service_email", plain}}}});
  EXPECT_NE(out.find("a login needs \"username\", \"password_file\" and \"starttls\": true together"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
  // A CA file that cannot be read stops the start too, not each delivery.
  Json missing = good;
  missing["ca_file"] = (dir / "nowhere.pem").string();
  missing["relay"] = "127.0.0.1:25";
  missing["from"] = "service@abc-pharma.example";
  out = RefusedStart(dir, "missing", {{"smtp", {{"service_email", missing}}}});
  EXPECT_NE(out.find("cannot read the 'ca_file'"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
  // A key of the wrong type is named, with what it wants.
  Json typo = missing;
  typo["ca_file"] = (dir / "cert.pem").string();
  typo["starttls"] = "yes";
  out = RefusedStart(dir, "typo", {{"smtp", {{"service_email", typo}}}});
  EXPECT_NE(out.find("smtp.service_email.starttls: must be true or false"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
}

}  // namespace
