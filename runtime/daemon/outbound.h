#pragma once
// Delivery attempts to the outside world, on the daemon's event loop: a
// webhook (an HTTP or HTTPS POST of the action) or an e-mail through an
// SMTP relay. Each attempt resolves and connects within its route's
// timeout and reports its outcome to the service exactly once
// (Service::ReportDelivery); retries and backoff are the service's.

#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

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

/// Starts one attempt of `job` on `io`.
void Attempt(boost::asio::io_context& io, Service& service, DeliveryJob job, TlsClients& tls);

}  // namespace tutti::runtime
