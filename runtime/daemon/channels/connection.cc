#include "runtime/daemon/channels/connection.h"

#include <sys/socket.h>

#include <cerrno>

namespace tutti::runtime {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;

bool IsPort(const std::string& port) {
  return !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
         std::stoul(port) <= 65535;
}

ssl::context* TlsClients::For(const std::string& ca_file, std::string& error) {
  auto it = contexts_.find(ca_file);
  if (it != contexts_.end()) return it->second.get();
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty()) context->set_default_verify_paths(ec);
  else context->load_verify_file(ca_file, ec);
  if (ec) {
    error = "cannot load the certificate authorities " + (ca_file.empty() ? std::string("of the system") : ca_file) +
            ": " + ec.message();
    return nullptr;
  }
  return contexts_.emplace(ca_file, std::move(context)).first->second.get();
}

std::optional<beast::tcp_stream> IdleConnections::Take(const std::string& endpoint) {
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return std::nullopt;
  std::deque<Idle>& idle = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!idle.empty()) {
    Idle newest = std::move(idle.back());
    idle.pop_back();
    if (now - newest.since > kIdle) continue;
    // Closed by the receiver meanwhile (end of stream), or with bytes no
    // request asked for: not used.
    char byte;
    ssize_t n = ::recv(newest.stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::move(newest.stream);
  }
  return std::nullopt;
}

void IdleConnections::Put(const std::string& endpoint, beast::tcp_stream stream) {
  std::deque<Idle>& idle = idle_[endpoint];
  idle.push_back({std::move(stream), std::chrono::steady_clock::now()});
  if (idle.size() > kPerEndpoint) idle.pop_front();  // closed as it goes
}

}  // namespace tutti::runtime
