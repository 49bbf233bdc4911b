#pragma once
// What the network adapters (webhook.cc, smtp.cc) share: a peer's address,
// the TLS client settings and kept connections every attempt may use, and
// OutboundCall, one attempt's connection to its peer (resolve, connect and
// secure within the route's connect timeout, then the route's timeout),
// which reports its outcome to the service exactly once.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include "base/text.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {

/// A route's peer: a host and port, and the certificate authorities to
/// verify it against when the connection is secured ("": the system's).
struct NetworkTarget : RouteTarget {
  std::string host, port;
  std::string ca_file;
};

/// Whether `port` is a port number (1 to 5 digits, at most 65535).
bool IsPort(const std::string& port);

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

namespace outbound {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

/// One delivery attempt to a route's host:port: resolves and connects
/// within the route's connect timeout, then hands over to Connected()
/// under its timeout; reports the outcome to the service exactly once.
class OutboundCall : public std::enable_shared_from_this<OutboundCall> {
 public:
  /// `peer`: where the route points (lives as long as the route).
  OutboundCall(net::io_context& io, Service& service, DeliveryJob job, const NetworkTarget& peer)
      : io_(io), resolver_(io), stream_(io), service_(service), job_(std::move(job)), peer_(peer) {}
  /// The same over `stream`, a connection already open to the route.
  OutboundCall(net::io_context& io, Service& service, DeliveryJob job, const NetworkTarget& peer,
               beast::tcp_stream stream)
      : io_(io), resolver_(io), stream_(std::move(stream)), service_(service), job_(std::move(job)), peer_(peer) {}
  virtual ~OutboundCall() = default;

  /// Connects, then Connected().
  void Run() {
    stream_.expires_after(std::chrono::milliseconds(job_.route->connect_timeout_ms));
    // An address needs no resolver (a thread of its own, a hop each time).
    beast::error_code numeric;
    auto address = net::ip::make_address(peer_.host, numeric);
    if (!numeric) {
      tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoul(peer_.port)));
      stream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
        if (ec)
          return self->Fail("cannot connect: " + ec.message(), ec == beast::error::timeout ? "connect timeout" : "connect");
        self->Connected();
      });
      return;
    }
    resolver_.async_resolve(
        peer_.host, peer_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->Fail("cannot resolve " + self->peer_.host + ": " + ec.message(), "resolve");
          self->stream_.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
            if (ec)
              return self->Fail("cannot connect: " + ec.message(),
                                ec == beast::error::timeout ? "connect timeout" : "connect");
            self->Connected();
          });
        });
  }

 protected:
  virtual void Connected() = 0;

  template <typename T>
  std::shared_ptr<T> Self() {
    return std::static_pointer_cast<T>(shared_from_this());
  }

  /// Reports `outcome`, once; closes the connection unless it was handed on.
  void Done(DeliveryOutcome outcome, bool close = true) {
    if (done_) return;
    done_ = true;
    if (close) Close();
    service_.ReportDelivery(job_.seq, outcome);
  }
  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (secure_) beast::get_lowest_layer(*secure_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
  /// A failed attempt: `detail` for the journeys (made printable), `code`
  /// for the log (the daemon's words only).
  void Fail(const std::string& detail, const std::string& code) { Done({false, Printable(detail, 300), code}); }
  /// From here the attempt has its route's timeout.
  void StartTimeout() {
    if (secure_) beast::get_lowest_layer(*secure_).expires_after(std::chrono::milliseconds(job_.route->timeout_ms));
    else stream_.expires_after(std::chrono::milliseconds(job_.route->timeout_ms));
  }

  /// Moves the connection under TLS (secure_): the peer's certificate must
  /// verify against the route's CA file (or the system's) and name its
  /// host; then `then` runs. `peer` names it in failures ("receiver").
  void Secure(TlsClients& tls, const char* peer, std::function<void()> then) {
    std::string error;
    ssl::context* context = tls.For(peer_.ca_file, error);
    if (context == nullptr) return Fail(error, "tls setup");
    secure_.emplace(std::move(stream_), *context);
    const std::string& host = peer_.host;
    if (!SSL_set_tlsext_host_name(secure_->native_handle(), host.c_str()))
      return Fail(std::string("cannot name the ") + peer + " for TLS", "tls setup");
    secure_->set_verify_callback(ssl::host_name_verification(host));
    secure_->async_handshake(ssl::stream_base::client,
                             [self = shared_from_this(), peer, then = std::move(then)](beast::error_code ec) {
                               if (ec)
                                 return self->Fail(std::string("TLS handshake with the ") + peer + " failed: " +
                                                       ec.message(), "tls handshake");
                               then();
                             });
  }

  net::io_context& io_;
  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;  // under TLS: the connection, moved in
  Service& service_;
  DeliveryJob job_;
  const NetworkTarget& peer_;
  bool done_ = false;
};

}  // namespace outbound
}  // namespace tutti::runtime
