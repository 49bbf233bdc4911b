#pragma once
// A channel adapter: how the actions of a routed channel reach the outside
// world. One adapter per kind of route, each in a file of its own
// (webhook.cc, smtp.cc), and the list of them in adapters.cc: a new kind
// is a new file and a line there; the config, the service's queues,
// retries and dead letters, and the server's event loop are every kind's.
//
// An adapter reads its routes' settings from the config file (under its
// section: {"SECTION": {"CHANNEL": {...}}}), reads the files they name at
// start, says whether an action can be delivered at all (content to mail,
// an address to mail it to), and makes one attempt at a time on the
// daemon's event loop, reporting its outcome to the service exactly once
// (Service::ReportDelivery); retries and backoff are the service's.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/status.h"
#include "runtime/daemon/config_keys.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {

struct Clients;  // connection.h: what attempts share (TLS settings, idle connections)

class ChannelAdapter {
 public:
  virtual ~ChannelAdapter() = default;

  /// The config section that routes channels to this adapter ("webhooks").
  virtual const char* section() const = 0;
  /// How the docs and errors name one of its routes ("a webhook").
  virtual const char* route_name() const = 0;
  /// The keys its routes take beyond every route's ("url, ca_file").
  virtual const char* keys() const = 0;

  /// Reads its own settings of one route from `keys` (whose errors name
  /// the route); kInvalid, naming the key, when they cannot work. Files
  /// named are only read by ReadFiles.
  virtual Result<std::shared_ptr<RouteTarget>> Configure(ConfigKeys& keys) const = 0;
  /// Checks the settings against each other (a login without TLS), once
  /// every key is known: a misspelt key is reported as unknown first.
  virtual Status Validate(const RouteTarget& target, const std::string& where) const = 0;
  /// Reads what the settings name on disk (a password file, a CA file) at
  /// start, and for --check-config; `where` names the route in errors.
  virtual Status ReadFiles(RouteTarget& target, const std::string& where) const = 0;

  /// Readies `job` for its attempts; the outcome that fails the action at
  /// once when none could ever deliver it (no content to mail, no address
  /// to mail it to). `email_address` looks up the recipient's profile.
  virtual std::optional<DeliveryOutcome> Prepare(DeliveryJob& job,
                                                 const std::function<std::string()>& email_address) const = 0;
  /// Starts one attempt of `job` on `io`.
  virtual void Attempt(boost::asio::io_context& io, Service& service, DeliveryJob job, Clients& clients) const = 0;
};

/// Every adapter, in the order the config's sections are read.
const std::vector<const ChannelAdapter*>& ChannelAdapters();

/// Starts one attempt of `job` through its route's adapter.
inline void Attempt(boost::asio::io_context& io, Service& service, DeliveryJob job, Clients& clients) {
  const ChannelAdapter* adapter = job.route->adapter;
  adapter->Attempt(io, service, std::move(job), clients);
}

}  // namespace tutti::runtime
