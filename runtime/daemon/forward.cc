#include "runtime/daemon/forward.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "base/text.h"

namespace tutti::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// "host:port" or "[v6]:port" split; nullopt when it is neither.
std::optional<std::pair<std::string, std::string>> HostPort(const std::string& api) {
  size_t colon = api.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == api.size()) return std::nullopt;
  std::string host = api.substr(0, colon), port = api.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535 || host.empty())
    return std::nullopt;
  return std::pair{host, port};
}

using Answer = http::response<http::string_body>;

/// A 503 naming the owner and why its answer is not this one.
Reply Unanswered(const std::string& owner, const std::string& why) {
  return TryAgain("this customer's partition is run by node " + Printable(owner, 100) + ", and " + why +
                      ": try again (a partition that moves is taken over within seconds)",
                  1);
}

/// What is kept of the owner's answer: its status, a content type
/// Tutti's answers have, a Retry-After of digits, its body.
Reply Kept(Answer& answer, const std::string& owner) {
  Reply reply;
  reply.status = static_cast<int>(answer.result_int());
  if (reply.status < 200 || reply.status > 599) return Unanswered(owner, "it answered with no HTTP status Tutti gives");
  std::string type(answer[http::field::content_type]);
  bool known = type == "application/json" || type == "application/problem+json" || type.rfind("text/plain", 0) == 0;
  reply.content_type = known && type.size() <= 100 ? type : "application/octet-stream";
  std::string retry(answer[http::field::retry_after]);
  if (!retry.empty() && retry.size() <= 4 &&
      std::all_of(retry.begin(), retry.end(), [](char c) { return c >= '0' && c <= '9'; }))
    reply.headers.emplace_back("Retry-After", retry);
  reply.body = std::move(answer.body());
  return reply;
}

void Limit(http::response_parser<http::string_body>& parser) {
  parser.header_limit(64 * 1024);
  parser.body_limit(kMaxForwardedBytes);
}

/// One read sent on: resolve, connect, secure (over TLS), write, read the
/// answer, each step under the one deadline. `Stream`: a beast::tcp_stream,
/// or a beast::ssl_stream of one.
template <typename Stream>
class Forwarded : public std::enable_shared_from_this<Forwarded<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <typename... TlsContext>
  Forwarded(const net::any_io_executor& executor, std::string owner, std::string host, std::string port,
            std::function<void(Reply)> done, TlsContext&... tls)
      : resolver_(executor), stream_(executor, tls...), deadline_(executor), owner_(std::move(owner)),
        host_(std::move(host)), port_(std::move(port)), done_(std::move(done)) {}

  void Run(http::request<http::string_body> request) {
    request_ = std::move(request);
    auto self = this->shared_from_this();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(kForwardTimeoutSeconds));
    // An address needs no resolver; a name's resolving is under the
    // deadline too.
    beast::error_code numeric;
    auto address = net::ip::make_address(host_, numeric);
    if (!numeric) {
      tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoul(port_)));
      return beast::get_lowest_layer(stream_).async_connect(endpoint,
                                                            [self](beast::error_code ec) { self->Connected(ec); });
    }
    deadline_.expires_after(std::chrono::seconds(kForwardTimeoutSeconds));
    deadline_.async_wait([self](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(host_, port_, [self](beast::error_code ec, tcp::resolver::results_type found) {
      self->deadline_.cancel();
      if (ec) return self->Fail("its address does not resolve");
      beast::get_lowest_layer(self->stream_).async_connect(
          found, [self](beast::error_code ec, const tcp::endpoint&) { self->Connected(ec); });
    });
  }

 private:
  void Connected(beast::error_code ec) {
    if (ec) return Fail(ec == beast::error::timeout ? "it did not answer in time" : "it cannot be reached");
    if constexpr (kTls) {
      // Its certificate must name the host it was announced by.
      beast::error_code numeric;
      (void)net::ip::make_address(host_, numeric);
      if (numeric && !SSL_set_tlsext_host_name(stream_.native_handle(), host_.c_str()))
        return Fail("its name cannot be sent to it");
      stream_.set_verify_callback(net::ssl::host_name_verification(host_));
      return stream_.async_handshake(net::ssl::stream_base::client,
                                     [self = this->shared_from_this()](beast::error_code ec) {
                                       if (ec == beast::error::timeout) return self->Fail("it did not answer in time");
                                       if (ec) return self->Fail("its certificate was not trusted, or TLS failed");
                                       self->Write();
                                     });
    }
    Write();
  }

  void Write() {
    http::async_write(stream_, request_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail("the read could not be sent to it");
      Limit(self->parser_);
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec, size_t) { self->Answered(ec); });
    });
  }

  void Answered(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) return Fail("its answer is over the limit");
    if (ec) return Fail(ec == beast::error::timeout ? "it did not answer in time" : "its answer could not be read");
    Finish(Kept(parser_.get(), owner_));
  }

  void Fail(const std::string& why) { Finish(Unanswered(owner_, why)); }

  void Finish(Reply reply) {
    // The answer is whole (or none will come): the connection just closes.
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    net::post(beast::get_lowest_layer(stream_).get_executor(),
              [done = std::move(done_), reply = std::move(reply)]() mutable { done(reply); });
  }

  tcp::resolver resolver_;
  Stream stream_;
  net::steady_timer deadline_;  // the resolver's
  std::string owner_, host_, port_;
  std::function<void(Reply)> done_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

Reply ForwardedAnswer(std::string_view bytes, const std::string& owner) {
  http::response_parser<http::string_body> parser;
  Limit(parser);
  beast::error_code ec;
  size_t used = 0;
  while (!ec && !parser.is_done() && used < bytes.size())
    used += parser.put(net::buffer(bytes.data() + used, bytes.size() - used), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec == http::error::need_more) ec = {};
  if (ec == http::error::body_limit || ec == http::error::header_limit)
    return Unanswered(owner, "its answer is over the limit");
  if (ec || !parser.is_done()) return Unanswered(owner, "its answer could not be read");
  return Kept(parser.get(), owner);
}

void Forward(const net::any_io_executor& executor, const std::string& owner, const std::string& api,
             const ApiRequest& request, const std::string& self, std::function<void(Reply)> done,
             net::ssl::context* tls) {
  auto hp = HostPort(api);
  if (!hp) {
    Reply reply = Unanswered(owner, "its announced address cannot be used");
    return net::post(executor, [done = std::move(done), reply = std::move(reply)]() mutable { done(reply); });
  }
  // A HEAD is asked as a GET: this node's answer leaves the body out. A
  // POST (a node's part of a request that changes something) takes its
  // body, JSON.
  bool post = request.method == "POST";
  http::request<http::string_body> out{post ? http::verb::post : http::verb::get, request.target, 11};
  if (post) {
    out.set(http::field::content_type, "application/json");
    out.body() = request.body;
    out.prepare_payload();
  }
  out.set(http::field::host, api);
  out.set(http::field::user_agent, "tutti");
  if (!request.authorization.empty()) out.set(http::field::authorization, request.authorization);
  out.set("X-Tutti-Forwarded", self);
  out.keep_alive(false);
  if (tls != nullptr) {
    std::make_shared<Forwarded<beast::ssl_stream<beast::tcp_stream>>>(executor, owner, hp->first, hp->second,
                                                                       std::move(done), *tls)
        ->Run(std::move(out));
  } else {
    std::make_shared<Forwarded<beast::tcp_stream>>(executor, owner, hp->first, hp->second, std::move(done))
        ->Run(std::move(out));
  }
}

}  // namespace tutti::runtime
