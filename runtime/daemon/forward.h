#pragma once
// A read sent on to the node of the cluster that owns its customer's
// partition, or a node's part of a request asked of every node
// (docs/cluster.md, "Reads"): the request's method, target and
// Authorization go to the owner's advertised API over HTTP (HTTPS when
// the nodes serve their API over TLS), with
// X-Tutti-Forwarded naming this node (the owner never sends it on again),
// and the owner's answer is this request's.
//
// The owner's answer is bytes from outside like any other: its head and
// body are bounded (kMaxForwardedBytes) and only its status, a JSON or
// text content type and its Retry-After are kept. A node that cannot be
// reached, or answers late or too much, is a 503 the client may retry
// (the partition is moving, or its node died and the group has not moved
// it yet).

#include <functional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "runtime/daemon/http_api.h"
#include "runtime/daemon/reply.h"

namespace tutti::runtime {

constexpr size_t kMaxForwardedBytes = 16u << 20;
constexpr int kForwardTimeoutSeconds = 10;

/// The reply made of the owner's whole answer `bytes` (status line,
/// head, body), as Forward keeps it; the 503 when the bytes are not
/// one bounded HTTP answer. For the fuzzer: Forward reads off the
/// connection with the same limits.
Reply ForwardedAnswer(std::string_view bytes, const std::string& owner);

/// Sends `request` on to the node `owner` whose API is at `api`
/// ("host:port"): a GET (or HEAD) as a GET, a POST with its body as JSON;
/// `done` gets its answer (or the 503) on `executor`. `self` names this
/// node in X-Tutti-Forwarded. With `tls`, over TLS: the owner's
/// certificate is verified with `tls` (its certificate authorities) and
/// must name the host of `api`.
void Forward(const boost::asio::any_io_executor& executor, const std::string& owner, const std::string& api,
             const ApiRequest& request, const std::string& self, std::function<void(Reply)> done,
             boost::asio::ssl::context* tls = nullptr);

}  // namespace tutti::runtime
