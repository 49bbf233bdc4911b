#pragma once
// The daemon's network side, with the channel adapters (channels/) the only
// code that touches Asio: an HTTP server (Boost.Beast) on one event-loop thread that checks
// and routes requests (http_api.h) to a Service, the streaming ingest port
// (stream_protocol.h), the clock tick, delivery attempts as soon as they
// are due, and signals: SIGTERM/SIGINT stop cleanly, SIGHUP reloads the
// journeys, the TLS certificate and the config's reloadable keys.
//
// Limits (ServerOptions): request bodies and headers are capped; a
// connection idle or too slow for `idle_timeout_seconds` is closed; with
// tokens configured, ingest and admin endpoints need
// `Authorization: Bearer TOKEN`.
//
// Under systemd (NOTIFY_SOCKET set), it says READY=1 once listening,
// RELOADING=1 and READY=1 around a SIGHUP, and STOPPING=1 on a stop.

#include "runtime/daemon/config.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {

/// Serves until SIGTERM or SIGINT; returns the process exit code (0 on a
/// clean stop). Prints "tutti serve: listening on HOST:PORT" once ready
/// (and "tutti serve: streaming ingest on HOST:PORT" when that is on).
int Serve(Service& service, ServerOptions options);

/// Tells the service manager `state` ("READY=1") when NOTIFY_SOCKET names
/// one (sd_notify(3)); does nothing otherwise.
void NotifyServiceManager(const std::string& state);

}  // namespace tutti::runtime
