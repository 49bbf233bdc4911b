#pragma once
// The daemon's settings, typed: what `tutti serve` reads from its config
// file (a JSON object; docs/operations.md lists every key) and its command
// line. Every key is checked for its type and its range before anything
// starts, so that no number wraps and no value means something else than
// it says; an unknown key, a key given twice or an empty token is an
// error naming the key.
//
// The file is read with limits (1 MiB, 8 levels deep). ParseConfig only
// reads text; CheckConfigFiles then reads the files the settings name
// (passwords, certificates), so that `tutti serve --check-config` can say
// everything that would stop a start.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "runtime/daemon/http_api.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {

/// The network side's settings (http_server.h).
struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (printed when listening)
  size_t max_body_bytes = 8 << 20;
  size_t max_header_bytes = 16 << 10;
  int idle_timeout_seconds = 30;
  int tick_milliseconds = 200;
  /// "tutti serve: listening on HOST:PORT" goes to stdout, or to stderr
  /// when stdout carries something else (`tutti simulate --serve`).
  bool announce_on_stderr = false;
  /// PEM files: when set, the HTTP API and the streaming ingest port are
  /// served over TLS only (1.2 and up).
  std::string tls_cert, tls_key;
  /// The streaming ingest port (raw TCP, NDJSON in, one acknowledgement
  /// line per batch out); off unless `stream`.
  bool stream = false;
  std::string stream_host = "127.0.0.1";
  uint16_t stream_port = 0;
  /// Tokens, and the hosts and origins requests may name.
  ApiAccess access;
  /// One log line per request (method, route, status, bytes, time).
  bool access_log = false;
  /// The file these came from, read again on SIGHUP; empty: none. And its
  /// text as read, to tell what a SIGHUP's version changes.
  std::string config_file;
  std::string config_text;
};

struct DaemonConfig {
  ServiceOptions service;
  ServerOptions server;
  LogFormat log_format = LogFormat::kText;
};

/// The settings in a config file's `text` (`name` says which file in
/// messages). kInvalid naming the key and what it must be.
Result<DaemonConfig> ParseConfig(std::string_view text, const std::string& name);
/// Reads (at most 1 MiB of) `path` and parses it.
Result<DaemonConfig> ReadConfig(const std::string& path);
/// Reads the files the settings name: each route's password file (into
/// its password) and CA file, and the TLS certificate and key.
Status CheckConfigFiles(DaemonConfig& config);

/// "HOST:PORT" (IPv6 as "[::1]:8080"), port 0 to 65535; false otherwise.
bool SplitHostPort(const std::string& text, std::string* host, uint16_t* port);

/// Whether `host` is an IPv4 or IPv6 address, or "localhost" (what the
/// daemon can listen on without resolving a name).
bool IsAddress(const std::string& host);

/// Whether `host` is a loopback address (127.0.0.0/8, ::1) or "localhost".
bool IsLoopback(const std::string& host);

/// The keys SIGHUP applies to a running daemon (the others need a
/// restart): tokens, allowed hosts and origins, body and header limits,
/// the idle timeout, the tick, the TLS certificate and key, the log
/// format and the access log.
void ApplyReloadable(const DaemonConfig& from, ServerOptions& to, LogFormat* log_format);

/// The keys whose values differ between two texts of a config file and
/// that only a restart applies (said at a SIGHUP rather than ignored).
std::vector<std::string> RestartOnlyChanges(std::string_view before, std::string_view after);

}  // namespace tutti::runtime
