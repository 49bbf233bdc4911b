#pragma once
// The real `tutti serve` binary on a free loopback port, for end-to-end
// tests: started and killed by the test, driven with curl, fed slices of the
// reference scenario's events.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace tutti::testing {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline std::string Source(const std::string& rel) { return std::string(TUTTI_SOURCE_DIR) + "/" + rel; }

/// The `tutti` the tests start: $TUTTI_DAEMON_BINARY when set (CTest sets
/// the sanitizer build's for the asan. copies of the tests), else the one
/// built beside them.
inline std::string TuttiBinary() {
  const char* other = std::getenv("TUTTI_DAEMON_BINARY");
  return other && *other ? other : TUTTI_BINARY;
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs a shell command; its stdout.
inline std::string Shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  ::pclose(p);
  return out;
}

/// A self-signed certificate for 127.0.0.1 (its subjectAltName too) in
/// DIR/NAME.pem, its key in DIR/NAME-key.pem (DIR/key.pem for "cert").
inline void MakeCertificate(const fs::path& dir, const std::string& name = "cert") {
  std::string key = name == "cert" ? "key.pem" : name + "-key.pem";
  Shell("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
        "-keyout " + (dir / key).string() + " -out " + (dir / (name + ".pem")).string() + " 2>/dev/null");
  ASSERT_TRUE(fs::exists(dir / (name + ".pem"))) << "openssl could not make a certificate";
}

/// Starts `args` (args[0] the program) with stdout and stderr written to
/// the files named; its pid, or -1.
inline pid_t Spawn(std::vector<std::string> args, const std::string& out, const std::string& err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&files, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&files);
  return pid;
}

/// A `tutti serve` process on a free loopback port.
class Daemon {
 public:
  /// `profiles`: the file loaded at the start; empty: none.
  Daemon(const fs::path& data, std::vector<std::string> extra = {}, std::string journeys = Source("journeys"),
         std::string profiles = Source("examples/abc-pharma/profiles.ndjson")) {
    out_ = data.string() + ".out";
    std::vector<std::string> args = {TuttiBinary(), "serve", "--journeys", journeys, "--data", data.string(),
                                     "--listen", "127.0.0.1:0", "--clock", "virtual"};
    if (!profiles.empty()) args.insert(args.end(), {"--profiles", profiles});
    // One cache of native code for every daemon a build's tests start: a
    // start then compiles only journeys no earlier test compiled (under
    // ASan, compiling the reference journeys takes 3 s).
    if (std::find(extra.begin(), extra.end(), "--jit-cache") == extra.end())
      args.insert(args.end(), {"--jit-cache", TuttiBinary() + "-jit-cache"});
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = Spawn(args, out_, out_ + ".err");
    EXPECT_GT(pid_, 0);
    // A start compiles the journeys and replays the log: under ASan, on a
    // loaded 2-core machine, that has taken more than 6 s. Waits up to 60 s
    // for the port, and no longer than the process lives.
    int status = 0;
    for (int i = 0; i < 3000 && port_ == 0; ++i) {
      std::string out = ReadFile(out_);
      auto at = out.find("listening on ");
      auto end = at == std::string::npos ? at : out.find('\n', at);
      if (end != std::string::npos) {
        port_ = std::stoi(out.substr(out.rfind(':', end) + 1));
      } else if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    EXPECT_NE(port_, 0) << "the daemon did not start (" << (pid_ < 0 ? "it exited" : "no port in 60 s")
                        << "): " << ReadFile(out_ + ".err");
  }
  ~Daemon() {
    if (pid_ > 0) Kill(SIGKILL);
  }

  /// curl against the daemon: "STATUS BODY".
  std::string Curl(const std::string& method, const std::string& path, const std::string& body_file = "",
                   const std::string& extra = "") {
    std::string cmd = "curl -s -o - -w '\\n%{http_code}' -X " + method + " " + extra + " ";
    // The daemon takes a POST only with a JSON content type (CSRF).
    if (method == "POST" && extra.find("Content-Type") == std::string::npos)
      cmd += "-H 'Content-Type: application/json' ";
    if (!body_file.empty()) cmd += "--data-binary @" + body_file + " ";
    if (!ca_.empty()) cmd += "--cacert " + ca_ + " ";
    cmd += "'" + std::string(ca_.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(port_) + path + "'";
    std::string out = Shell(cmd);
    size_t nl = out.rfind('\n');
    return nl == std::string::npos ? out : out.substr(nl + 1) + " " + out.substr(0, nl);
  }
  Json GetJson(const std::string& path) {
    std::string r = Curl("GET", path);
    return Json::parse(r.substr(r.find(' ') + 1), nullptr, false);
  }

  /// Sends `signal` and waits for the exit; the exit status.
  int Kill(int signal) {
    if (pid_ <= 0) return -1;  // never started, or already gone
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  /// Waits (up to 30 s) until every input taken is applied and its actions
  /// delivered: an acknowledgement only says the input is logged.
  void WaitIdle() {
    for (int i = 0; i < 600; ++i) {
      if (Curl("GET", "/metrics").find("\ntutti_inputs_unapplied 0\n") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the daemon did not catch up";
  }
  /// From now on, Curl speaks https and trusts the certificate in `ca`.
  void UseTls(const std::string& ca) { ca_ = ca; }
  /// The streaming ingest port, when the config turned it on.
  int StreamPort() const {
    std::string out = ReadFile(out_);
    auto at = out.find("streaming ingest on 127.0.0.1:");
    return at == std::string::npos ? 0 : std::stoi(out.substr(at + 30));
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string out_;
  std::string ca_;  // https: the certificate to trust
};

/// The text of `series` (a name with its labels, as /metrics prints it) on
/// the daemon's /metrics; empty when it is not there.
inline std::string MetricText(Daemon& d, const std::string& series) {
  std::string metrics = d.Curl("GET", "/metrics");
  size_t at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return "";
  at += series.size() + 2;
  return metrics.substr(at, metrics.find('\n', at) - at);
}

/// The value of `series` on the daemon's /metrics; -1 when it is not there.
inline double Metric(Daemon& d, const std::string& series) {
  std::string text = MetricText(d, series);
  return text.empty() ? -1 : std::stod(text);
}

/// A plain TCP connection to the daemon: the streaming ingest protocol,
/// or HTTP written by hand.
class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Connection() { ::close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& text) {
    for (size_t sent = 0; sent < text.size();) {
      ssize_t n = ::send(fd_, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }
  /// Everything until the daemon closes the connection (or `seconds` pass).
  std::string ReadAll(int seconds = 5) {
    timeval tv{seconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char chunk[4096];
    for (ssize_t n; (n = ::recv(fd_, chunk, sizeof chunk, 0)) > 0;) buffer_.append(chunk, static_cast<size_t>(n));
    return std::exchange(buffer_, "");
  }
  /// One line (without the newline); empty at end of stream.
  std::string ReadLine() {
    while (buffer_.find('\n') == std::string::npos) {
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    size_t nl = buffer_.find('\n');
    std::string line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    return line;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

/// A fake peer (webhook_receiver.py, smtp_relay.py) on a free port.
class Receiver {
 public:
  /// `extra`: more arguments (webhook_receiver.py: CERT KEY for https).
  Receiver(const fs::path& log, int fail_first, const char* script = "tests/daemon/webhook_receiver.py",
           const std::string& extra = "")
      : Receiver(script, log.string() + " " + std::to_string(fail_first) + " " + extra) {}
  /// `script` (a path in the source tree) with its arguments.
  Receiver(const char* script, const std::string& args) {
    std::string cmd = "python3 " + Source(script) + " " + args + " & echo $!";
    pipe_ = ::popen(cmd.c_str(), "r");
    char line[64] = {};
    if (std::fgets(line, sizeof line, pipe_)) pid_ = std::atoi(line);
    if (std::fgets(line, sizeof line, pipe_)) port_ = std::atoi(line);
  }
  ~Receiver() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    if (pipe_) ::pclose(pipe_);
  }
  int port() const { return port_; }

 private:
  FILE* pipe_ = nullptr;
  pid_t pid_ = 0;
  int port_ = 0;
};

/// Polls the action log until every action on `channel` is in a final
/// state (or 15 s pass); those actions.
inline std::vector<Json> FinalWebhookActions(Daemon& d, const std::string& channel) {
  std::vector<Json> out;
  for (int i = 0; i < 300; ++i) {
    out.clear();
    bool final = true;
    Json page = d.GetJson("/v1/actions?since=0&limit=100000");
    for (const Json& a : page["actions"]) {
      if (a.value("channel", "") != channel) continue;
      out.push_back(a);
      final &= a["delivery"] == "delivered" || a["delivery"] == "dead_letter";
    }
    if (final && !out.empty()) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return out;
}

/// The folders FreshDir made for the test running now.
inline std::vector<fs::path>& FoldersOfThisTest() {
  static std::vector<fs::path> folders;
  return folders;
}

/// Deletes a test's folders when it passes (a failure keeps them to look
/// at): a daemon killed with SIGKILL leaves RocksDB's preallocated
/// write-ahead log behind, some 70 MB a data folder.
class RemoveFoldersOfPassedTests final : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& test) override {
    std::error_code ec;
    if (test.result()->Passed())
      for (const fs::path& dir : FoldersOfThisTest()) fs::remove_all(dir, ec);
    FoldersOfThisTest().clear();
  }
};

inline const bool kFoldersRemovedAfterPassedTests = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new RemoveFoldersOfPassedTests);
  return true;
}();

inline fs::path FreshDir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tutti-daemon-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  FoldersOfThisTest().push_back(dir);
  return dir;
}

/// Writes lines [from, to) of the reference events to a file; its path.
inline std::string EventSlice(const fs::path& dir, size_t from, size_t to) {
  std::ifstream in(Source("examples/abc-pharma/events.ndjson"));
  std::string line, out;
  for (size_t i = 0; std::getline(in, line); ++i)
    if (i >= from && i < to) out += line + "\n";
  fs::path p = dir / ("events-" + std::to_string(from) + "-" + std::to_string(to) + ".ndjson");
  std::ofstream(p) << out;
  return p.string();
}

/// Every entry of a history, page after page of `limit`.
inline Json AllHistory(Daemon& d, const std::string& path, size_t limit) {
  Json all = Json::array();
  std::string cursor;
  for (int pages = 0; pages < 10000; ++pages) {
    Json page = d.GetJson(path + (path.find('?') == std::string::npos ? "?" : "&") + "limit=" + std::to_string(limit) +
                          (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_LE(page["history"].size(), limit);
    for (const Json& h : page["history"]) all.push_back(h);
    if (!page.contains("next")) break;
    cursor = page["next"].get<std::string>();
  }
  return all;
}

/// Waits until the daemon has written `n` snapshots since it started.
inline void WaitForSnapshots(Daemon& d, int n) {
  std::string series = "tutti_snapshots_total{outcome=\"written\"}";
  for (int i = 0; i < 200; ++i) {
    std::string metrics = d.Curl("GET", "/metrics");
    auto at = metrics.find(series + " ");
    if (at != std::string::npos && std::stoi(metrics.substr(at + series.size() + 1)) >= n) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "no snapshot was written";
}

inline constexpr const char* kClockToTheEnd = "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'";

/// The reference scenario's events (examples/abc-pharma/events.ndjson).
const size_t kEvents = 260;

/// Posts every reference event, moves the (virtual) clock to the end of
/// April, and waits until all of it is applied.
/// Starts `tutti serve` with `config` (written to DIR/NAME.json, data in
/// DIR/NAME), which must stop it before it listens; its stderr and
/// "exit STATUS".
inline std::string RefusedStart(const fs::path& dir, const std::string& name, const Json& config) {
  std::ofstream(dir / (name + ".json"), std::ios::trunc) << config.dump();
  return Shell(TuttiBinary() + " serve --journeys " + Source("journeys") + " --data " +
               (dir / name).string() + " --config " + (dir / (name + ".json")).string() +
               " --listen 127.0.0.1:0 2>&1; echo \"exit $?\"");
}

inline void PlayTheScenario(Daemon& d, const fs::path& dir) {
  ASSERT_EQ(d.Curl("POST", "/v1/events", EventSlice(dir, 0, kEvents)).substr(0, 3), "200");
  ASSERT_EQ(d.Curl("POST", "/v1/clock", "", "-d '{\"to\": \"2026-04-30T00:00:00Z\"}'").substr(0, 3), "200");
  d.WaitIdle();
}

/// idempotency key -> the action, from NDJSON text; counts repeats, which
/// must be identical to the first delivery.
inline std::map<std::string, Json> ActionsByKey(const std::string& text, size_t* repeats) {
  std::map<std::string, Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    Json a = Json::parse(line);
    if (a["decision"] != "action") continue;
    std::string key = a["idempotency_key"];
    if (out.count(key)) {
      if (repeats) ++*repeats;
      EXPECT_EQ(out[key], a) << "a repeated delivery differs from the first";
    }
    out[key] = a;
  }
  return out;
}

/// How many actions on `channel` the reference scenario takes (its golden
/// decisions, examples/abc-pharma/expected.ndjson).
inline size_t GoldenActionsOn(const std::string& channel) {
  std::istringstream lines(ReadFile(Source("examples/abc-pharma/expected.ndjson")));
  size_t n = 0;
  for (std::string line; std::getline(lines, line);)
    n += line.find("\"decision\":\"action\"") != std::string::npos &&
         line.find("\"channel\":\"" + channel + "\"") != std::string::npos;
  EXPECT_GT(n, 0u) << "the scenario takes no action on " << channel << ": a test counting them would prove nothing";
  return n;
}

/// The actions file holds every action of the reference scenario's golden
/// run, each identical, and nothing else. Without a crash, each exactly
/// once; across crashes, at least once (the file sink's cursor is written
/// after the file, so a kill between the two delivers those actions again,
/// with their idempotency keys): exactly once by idempotency key.
inline void ExpectTheGoldenActions(const fs::path& actions_file, bool crashed = false) {
  size_t repeats = 0;
  auto golden = ActionsByKey(ReadFile(Source("examples/abc-pharma/expected.ndjson")), nullptr);
  auto delivered = ActionsByKey(ReadFile(actions_file), &repeats);
  if (!crashed) EXPECT_EQ(repeats, 0u);
  EXPECT_EQ(delivered.size(), golden.size());
  for (const auto& [key, action] : golden) {
    auto it = delivered.find(key);
    if (it == delivered.end()) ADD_FAILURE() << "lost " << action.dump();
    else EXPECT_EQ(it->second, action);
  }
}

}  // namespace tutti::testing
