// Operations as operators expect them, end to end: --version and
// --check-config, readiness told to systemd, SIGHUP reloading the config's
// tokens and the TLS certificate, logs as JSON with an access log, metrics
// by Prometheus's conventions, problem bodies with Allow and Retry-After,
// and a warning when the API is open beyond loopback.

#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <regex>
#include <set>

#include "tests/daemon/daemon_fixture.h"

namespace tutti::testing {
namespace {

std::string Write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name, std::ios::binary) << text;
  return (dir / name).string();
}

std::string Status(const std::string& curl) { return curl.substr(0, 3); }

TEST(Operations, TheBinarySaysItsVersion) {
  std::string out = Shell(TuttiBinary() + " --version");
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(^tutti \d+\.\d+\.\d+ \(\w+, \w+\)\nstdlib: /.*/stdlib\n$)"))) << out;
}

TEST(Operations, CheckConfigSaysWhatWouldStopAStart) {
  fs::path dir = FreshDir("check-config");
  std::string good = Write(dir, "good.json", R"({"journeys": ")" + Source("journeys") + R"(", "data": ")" +
                                                 (dir / "data").string() + R"(", "admin_token": "a-secret"})");
  std::string out = Shell(TuttiBinary() + " serve --check-config " + good + " 2>&1; echo \"exit $?\"");
  EXPECT_NE(out.find("checks: 11 journeys"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 0"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "data")) << "a check must not start anything";
  // A key out of range, a missing password file, journeys that do not check.
  std::string bad = Write(dir, "bad.json", R"({"journeys": "x", "data": "y", "idle_timeout_seconds": 0})");
  out = Shell(TuttiBinary() + " serve --check-config " + bad + " 2>&1; echo \"exit $?\"");
  EXPECT_NE(out.find("bad.json.idle_timeout_seconds: must be a whole number from 1 to 86400"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 2"), std::string::npos) << out;
  std::string login = Write(dir, "login.json", R"({"journeys": "x", "data": "y", "smtp": {"email": {"relay": "127.0.0.1:25",
      "from": "a@b.example", "starttls": true, "username": "u", "password_file": "/nowhere/secret"}}})");
  out = Shell(TuttiBinary() + " serve --check-config " + login + " 2>&1; echo \"exit $?\"");
  EXPECT_NE(out.find("smtp.email: cannot read a password from /nowhere/secret"), std::string::npos) << out;
  fs::create_directories(dir / "broken");
  std::ofstream(dir / "broken" / "j.tutti") << "journey oops {\n  send nowhere \"x\" to hcp\n}\n";
  std::string broken = Write(dir, "broken.json", R"({"journeys": ")" + (dir / "broken").string() + R"(", "data": "y"})");
  out = Shell(TuttiBinary() + " serve --check-config " + broken + " 2>&1; echo \"exit $?\"");
  EXPECT_NE(out.find("do not check"), std::string::npos) << out;
  EXPECT_NE(out.find("exit 1"), std::string::npos) << out;
}

/// A unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const fs::path& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  std::string Next() {
    char buf[256];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

TEST(Operations, SystemdIsToldWhenTheDaemonIsReadyReloadsAndStops) {
  fs::path dir = FreshDir("notify");
  NotifySocket notify(dir / "notify.sock");
  ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
  Daemon d(dir / "data");
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_EQ(notify.Next(), "READY=1");
  ::kill(d.pid(), SIGHUP);
  EXPECT_EQ(notify.Next(), "RELOADING=1");
  EXPECT_EQ(notify.Next(), "READY=1");
  EXPECT_EQ(d.Kill(SIGTERM), 0);
  EXPECT_EQ(notify.Next(), "STOPPING=1");
}

TEST(Operations, SighupReloadsTheTokensAndTheCertificate) {
  fs::path dir = FreshDir("sighup");
  auto certificate = [&](const std::string& name) {
    Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=" + name +
          " -addext subjectAltName=IP:127.0.0.1 -keyout " + (dir / "key.pem").string() + " -out " +
          (dir / "cert.pem").string() + " 2>/dev/null");
    fs::copy_file(dir / "cert.pem", dir / (name + ".pem"), fs::copy_options::overwrite_existing);
  };
  auto config = [&](const std::string& admin) {
    Write(dir, "config.json", R"({"admin_token": ")" + admin + R"(", "tls_cert": ")" + (dir / "cert.pem").string() +
                                  R"(", "tls_key": ")" + (dir / "key.pem").string() + R"("})");
  };
  certificate("first");
  config("old-secret");
  Daemon d(dir / "data", {"--config", (dir / "config.json").string()});
  d.UseTls((dir / "first.pem").string());
  EXPECT_EQ(Status(d.Curl("GET", "/v1/journeys", "", "-H 'Authorization: Bearer old-secret'")), "200");
  certificate("second");
  config("new-secret");
  ::kill(d.pid(), SIGHUP);
  for (int i = 0; i < 100; ++i) {
    if (ReadFile(dir / "data.out.err").find("reloadable keys were applied") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // New connections get the new certificate and need the new token.
  d.UseTls((dir / "second.pem").string());
  EXPECT_EQ(Status(d.Curl("GET", "/v1/journeys", "", "-H 'Authorization: Bearer new-secret'")), "200");
  EXPECT_EQ(Status(d.Curl("GET", "/v1/journeys", "", "-H 'Authorization: Bearer old-secret'")), "401");
  d.UseTls((dir / "first.pem").string());
  EXPECT_EQ(Status(d.Curl("GET", "/healthz")), "000") << "the old certificate is no longer served";
  // A config that does not check changes nothing.
  Write(dir, "config.json", R"({"admin_token": ""})");
  ::kill(d.pid(), SIGHUP);
  for (int i = 0; i < 100; ++i) {
    if (ReadFile(dir / "data.out.err").find("nothing of it was applied") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  d.UseTls((dir / "second.pem").string());
  EXPECT_EQ(Status(d.Curl("GET", "/v1/journeys", "", "-H 'Authorization: Bearer new-secret'")), "200");
}

TEST(Operations, LogsAreJsonLinesWithAnAccessLogAndNoRecordValue) {
  fs::path dir = FreshDir("json-log");
  Daemon d(dir / "data", {"--config", Write(dir, "config.json", R"({"log_format": "json", "access_log": true})")});
  PlayTheScenario(d, dir);
  EXPECT_EQ(Status(d.Curl("GET", "/v1/customers/hcp-empire-00017")), "200");
  d.Kill(SIGTERM);
  std::istringstream lines(ReadFile(dir / "data.out.err"));
  size_t access = 0, total = 0;
  for (std::string line; std::getline(lines, line);) {
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ++total;
    for (const char* key : {"time", "level", "component", "message"}) EXPECT_TRUE(j.contains(key)) << line;
    if (j["component"] == "access") {
      ++access;
      EXPECT_TRUE(j.contains("route") && j.contains("status") && j.contains("seconds")) << line;
      // The route, never the id in the path.
      EXPECT_EQ(line.find("hcp-empire-00017"), std::string::npos) << line;
    }
  }
  EXPECT_GE(access, 3u);
  EXPECT_GT(total, access);
}

TEST(Operations, MetricsFollowPrometheusConventions) {
  fs::path dir = FreshDir("prometheus");
  Daemon d(dir / "data");
  PlayTheScenario(d, dir);
  std::string metrics = d.Curl("GET", "/metrics").substr(4);
  std::set<std::string> helped, typed, seen;
  std::map<std::string, std::string> types;
  std::istringstream lines(metrics);
  // A value as Go's ParseFloat reads it: a write under 0.1 ms sums to 9.9e-05.
  std::regex sample(R"(^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (-?[0-9.]+(e[+-]?[0-9]+)?|\+Inf|NaN)$)");
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) helped.insert(line.substr(7, line.find(' ', 7) - 7));
    else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      typed.insert(name);
      types[name] = line.substr(line.rfind(' ') + 1);
    } else if (std::regex_match(line, m, sample)) {
      seen.insert(m[1]);
    } else {
      ADD_FAILURE() << "not a sample: " << line;
    }
  }
  EXPECT_EQ(helped, typed);
  for (const std::string& name : seen) {
    std::string family = std::regex_replace(name, std::regex("_(bucket|sum|count)$"), "");
    EXPECT_TRUE(typed.count(name) || typed.count(family)) << name << " has no # TYPE";
  }
  for (const char* gauge : {"tutti_snapshot_last_bytes", "tutti_snapshot_last_duration_seconds", "tutti_shards",
                            "tutti_snapshot_restored_position", "process_resident_memory_bytes"})
    EXPECT_EQ(types[gauge], "gauge") << gauge;
  for (const auto& [name, type] : types) {
    if (type == "counter") EXPECT_TRUE(name.size() > 6 && name.substr(name.size() - 6) == "_total") << name;
    if (type == "histogram") EXPECT_NE(name.find("_seconds"), std::string::npos) << name;
  }
  EXPECT_NE(metrics.find("tutti_build_info{version=\""), std::string::npos);
  EXPECT_NE(metrics.find("\nprocess_cpu_seconds_total "), std::string::npos);
}

TEST(Operations, ProblemsSayWhatToDo) {
  fs::path dir = FreshDir("problems");
  Daemon d(dir / "data");
  std::string r = Shell("curl -s -i -X DELETE http://127.0.0.1:" + std::to_string(d.port()) + "/v1/journeys");
  EXPECT_NE(r.find("HTTP/1.1 405"), std::string::npos) << r;
  EXPECT_NE(r.find("Allow: GET"), std::string::npos) << r;
  EXPECT_NE(r.find("Content-Type: application/problem+json"), std::string::npos) << r;
  Json body = Json::parse(r.substr(r.find("\r\n\r\n") + 4), nullptr, false);
  EXPECT_EQ(body["status"], 405) << r;
  EXPECT_EQ(body["title"], "Method Not Allowed") << r;
  EXPECT_EQ(body["type"], "about:blank") << r;
  EXPECT_TRUE(body.contains("detail")) << r;
  r = Shell("curl -s -i http://127.0.0.1:" + std::to_string(d.port()) + "/v1/customers/nobody");
  EXPECT_NE(r.find("HTTP/1.1 404"), std::string::npos) << r;
  // A data folder gone: 503 with Retry-After.
  fs::remove_all(dir / "data");
  r = Shell("curl -s -i -H 'Content-Type: application/json' -d '{\"type\": \"email_opened\", \"hcp\": \"h\", "
            "\"template\": \"t\"}' http://127.0.0.1:" + std::to_string(d.port()) + "/v1/events");
  EXPECT_NE(r.find("HTTP/1.1 503"), std::string::npos) << r;
  EXPECT_NE(r.find("Retry-After: 5"), std::string::npos) << r;
}

TEST(Operations, AnApiOpenBeyondLoopbackIsSaidAtTheStart) {
  fs::path dir = FreshDir("open");
  // Any free port on every address: the daemon prints 0.0.0.0, the fixture
  // reads the port and talks to loopback (served as 0.0.0.0 is).
  Daemon d(dir / "data", {"--listen", "0.0.0.0:0", "--config",
                          Write(dir, "config.json", R"({"allowed_hosts": ["127.0.0.1"]})")});
  std::string err = ReadFile(dir / "data.out.err");
  EXPECT_NE(err.find("listens beyond loopback and some of its endpoints need no token"), std::string::npos) << err;
  EXPECT_NE(d.Curl("GET", "/metrics").find("\ntutti_api_without_tokens 1\n"), std::string::npos);
}

}  // namespace
}  // namespace tutti::testing
