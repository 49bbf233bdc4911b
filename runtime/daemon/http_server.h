#pragma once
// The daemon's network side, and the only code that touches Asio: an HTTP
// server (Boost.Beast) on one event-loop thread that routes requests to a
// Service, ticks the engine's clock, and stops cleanly on SIGTERM/SIGINT.
//
// Limits (ServerOptions): request bodies and headers are capped; a
// connection idle or too slow for `idle_timeout_seconds` is closed; with
// tokens configured, ingest and admin endpoints need
// `Authorization: Bearer TOKEN`.

#include <cstdint>
#include <string>

#include "runtime/daemon/service.h"

namespace tutti::runtime {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (printed when listening)
  size_t max_body_bytes = 8 << 20;
  size_t max_header_bytes = 16 << 10;
  int idle_timeout_seconds = 30;
  std::string ingest_token;  // POST /v1/events, /v1/profiles
  std::string admin_token;   // everything else under /v1/
  int tick_milliseconds = 200;
  /// PEM files: when set, the HTTP API and the streaming ingest port are
  /// served over TLS only (1.2 and up).
  std::string tls_cert, tls_key;
  /// The streaming ingest port (raw TCP, NDJSON in, one acknowledgement
  /// line per batch out); 0: off. See docs/operations.md.
  bool stream = false;
  std::string stream_host = "127.0.0.1";
  uint16_t stream_port = 0;
};

/// Serves until SIGTERM or SIGINT; returns the process exit code (0 on a
/// clean stop). Prints "tutti serve: listening on HOST:PORT" once ready
/// (and "tutti serve: streaming ingest on HOST:PORT" when that is on).
int Serve(Service& service, const ServerOptions& options);

}  // namespace tutti::runtime
