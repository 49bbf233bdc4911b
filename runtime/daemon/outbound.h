#pragma once
// Delivery attempts to the outside world, on the daemon's event loop: a
// webhook (an HTTP or HTTPS POST of the action) or an e-mail through an
// SMTP relay. Each attempt resolves and connects within its route's
// timeout (or takes a webhook receiver's idle connection) and reports its
// outcome to the service exactly once
// (Service::ReportDelivery); retries and backoff are the service's.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "runtime/daemon/service.h"

namespace tutti::runtime {

/// The TLS client settings of https webhooks and STARTTLS relays, one per CA file ("" for the
/// system's certificate authorities), made when first needed.
class TlsClients {
 public:
  /// The context that verifies servers against `ca_file`; null with `error`
  /// set when the file cannot be loaded.
  boost::asio::ssl::context* For(const std::string& ca_file, std::string& error);

 private:
  std::map<std::string, std::unique_ptr<boost::asio::ssl::context>> contexts_;
};

/// Connections to webhook receivers (plain HTTP) kept open after an answer
/// that allows it, for the next attempt to the same host and port: a
/// receiver answering at once then costs no TCP handshake per delivery.
/// At most kPerEndpoint idle ones per endpoint, none older than kIdle; one
/// the receiver has closed meanwhile is found out before it is used.
class IdleConnections {
 public:
  static constexpr size_t kPerEndpoint = 64;
  static constexpr std::chrono::seconds kIdle{30};

  /// An open connection to `endpoint` ("host:port"), if one is idle.
  std::optional<boost::beast::tcp_stream> Take(const std::string& endpoint);
  /// Keeps `stream` (its answer read whole) for the next attempt.
  void Put(const std::string& endpoint, boost::beast::tcp_stream stream);

 private:
  struct Idle {
    boost::beast::tcp_stream stream;
    std::chrono::steady_clock::time_point since;
  };
  std::map<std::string, std::deque<Idle>> idle_;
};

/// The clients' state shared by attempts: TLS settings and idle connections.
struct Clients {
  TlsClients tls;
  IdleConnections idle;
};

/// Starts one attempt of `job` on `io`.
void Attempt(boost::asio::io_context& io, Service& service, DeliveryJob job, Clients& clients);

}  // namespace tutti::runtime
