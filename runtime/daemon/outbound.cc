#include "runtime/daemon/outbound.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cassert>
#include <chrono>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/algorithm/string/predicate.hpp>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace tutti::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

/// One delivery attempt to a route's host:port: resolves and connects
/// within the route's timeout, then hands over to Connected(); reports the
/// outcome to the service exactly once.
class OutboundCall : public std::enable_shared_from_this<OutboundCall> {
 public:
  OutboundCall(net::io_context& io, Service& service, DeliveryJob job)
      : resolver_(io), stream_(io), service_(service), job_(std::move(job)) {}
  virtual ~OutboundCall() = default;

  void Run() {
    stream_.expires_after(std::chrono::milliseconds(job_.route->timeout_ms));
    resolver_.async_resolve(job_.route->host, job_.route->port,
                            [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
                              if (ec) return self->Done(false, "cannot resolve " + self->job_.route->host + ": " + ec.message());
                              self->stream_.async_connect(r, [self](beast::error_code ec, const tcp::endpoint&) {
                                if (ec) return self->Done(false, "cannot connect: " + ec.message());
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

  void Done(bool ok, const std::string& detail) {
    if (done_) return;
    done_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    if (secure_) beast::get_lowest_layer(*secure_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    service_.ReportDelivery(job_.seq, ok, detail);
  }

  /// Moves the connection under TLS (secure_): the peer's certificate must
  /// verify against the route's CA file (or the system's) and name its
  /// host; then `then` runs. `peer` names it in failures ("receiver").
  void Secure(TlsClients& tls, const char* peer, std::function<void()> then) {
    std::string error;
    ssl::context* context = tls.For(job_.route->ca_file, error);
    if (context == nullptr) return Done(false, error);
    secure_.emplace(std::move(stream_), *context);
    const std::string& host = job_.route->host;
    if (!SSL_set_tlsext_host_name(secure_->native_handle(), host.c_str()))
      return Done(false, std::string("cannot name the ") + peer + " for TLS");
    secure_->set_verify_callback(ssl::host_name_verification(host));
    secure_->async_handshake(ssl::stream_base::client,
                             [self = shared_from_this(), peer, then = std::move(then)](beast::error_code ec) {
                               if (ec)
                                 return self->Done(false, std::string("TLS handshake with the ") + peer +
                                                              " failed: " + ec.message());
                               then();
                             });
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;  // under TLS: the connection, moved in
  Service& service_;
  DeliveryJob job_;
  bool done_ = false;
};

/// A webhook: POST the action with its Idempotency-Key; a 2xx delivers it.
/// Over https the receiver's certificate must verify against the route's
/// CA file (or the system's) and name its host.
class WebhookCall final : public OutboundCall {
 public:
  WebhookCall(net::io_context& io, Service& service, DeliveryJob job, TlsClients& tls)
      : OutboundCall(io, service, std::move(job)), tls_(tls) {}

 private:
  void Connected() override {
    req_.method(http::verb::post);
    req_.target(job_.route->target);
    req_.version(11);
    req_.set(http::field::host, job_.route->host);
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::user_agent, "tutti");
    req_.set("Idempotency-Key", job_.idempotency_key);
    req_.body() = job_.body;
    req_.prepare_payload();
    if (!job_.route->tls) return Exchange(stream_);
    Secure(tls_, "receiver", [self = Self<WebhookCall>()] { self->Exchange(*self->secure_); });
  }

  template <typename Stream>
  void Exchange(Stream& stream) {
    http::async_write(stream, req_, [self = Self<WebhookCall>(), &stream](beast::error_code ec, size_t) {
      if (ec) return self->Done(false, "sending failed: " + ec.message());
      http::async_read(stream, self->buffer_, self->res_, [self](beast::error_code ec, size_t) {
        if (ec) return self->Done(false, "no answer: " + ec.message());
        unsigned status = self->res_.result_int();
        self->Done(status >= 200 && status < 300, "answered " + std::to_string(status));
      });
    });
  }

  TlsClients& tls_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

/// One e-mail through an SMTP relay: the SMTP dialogue (EHLO, then
/// STARTTLS and EHLO again when the route asks for TLS, AUTH PLAIN when it
/// has a user name, MAIL FROM, RCPT TO, DATA, QUIT), each answer checked
/// for the code expected; the outcome reported to the service. Over TLS the
/// relay's certificate must verify against the route's CA file (or the
/// system's) and name its host; credentials are only ever sent over TLS.
class SmtpCall final : public OutboundCall {
 public:
  SmtpCall(net::io_context& io, Service& service, DeliveryJob job, TlsClients& tls)
      : OutboundCall(io, service, std::move(job)), tls_(tls) {}

 private:
  using Next = std::function<void()>;

  void Connected() override {
    auto self = Self<SmtpCall>();
    Expect(220, [self] { self->Greet(); });
  }

  void Greet() {
    auto self = Self<SmtpCall>();
    Command("EHLO tutti", 250, [self] { self->Greeted(); });
  }

  /// After EHLO: secure the connection, log in, or send.
  void Greeted() {
    auto self = Self<SmtpCall>();
    const DeliveryRoute& route = *job_.route;
    if (route.starttls && !secure_) {
      if (!Offers("STARTTLS")) return Done(false, "the relay does not offer STARTTLS");
      return Command("STARTTLS", 220, [self] { self->StartTls(); });
    }
    if (!route.username.empty()) {
      assert(secure_ && "the config allows a user name only with starttls");
      if (!Offers("AUTH", "PLAIN")) return Done(false, "the relay does not offer AUTH PLAIN");
      std::string credentials = std::string(1, '\0') + route.username + std::string(1, '\0') + route.password;
      return Command("AUTH PLAIN " + Base64(credentials), 235, [self] { self->Send(); });
    }
    Send();
  }

  void StartTls() {
    // Whatever the relay sent after its 220 came before the handshake:
    // never read as if it came over TLS.
    if (!input_.empty()) return Done(false, "the relay sent more than its answer to STARTTLS");
    Secure(tls_, "relay", [self = Self<SmtpCall>()] { self->Greet(); });  // capabilities may differ over TLS
  }

  void Send() {
    auto self = Self<SmtpCall>();
    Command("MAIL FROM:<" + job_.route->from + ">", 250, [self] {
      self->Command("RCPT TO:<" + self->job_.to + ">", 250, [self] {
        self->Command("DATA", 354, [self] {
          self->Command(self->Message() + "\r\n.", 250, [self] { self->Quit(); });
        });
      });
    });
  }

  /// The relay took the message (250 after DATA): it is delivered, whatever
  /// becomes of the QUIT that ends the session politely.
  void Quit() {
    auto out = std::make_shared<std::string>("QUIT\r\n");
    OnStream([&](auto& stream) {
      net::async_write(stream, net::buffer(*out), [self = Self<SmtpCall>(), out](beast::error_code, size_t) {
        self->Done(true, "accepted by the relay");
      });
    });
  }

  /// Whether the last reply (EHLO's) lists `capability`, and `argument`
  /// among its arguments when given ("AUTH PLAIN LOGIN", or the older
  /// "AUTH=PLAIN", offers PLAIN).
  bool Offers(const std::string& capability, const std::string& argument = "") const {
    for (const std::string& line : reply_) {
      std::istringstream words(line);
      std::string word;
      words >> word;
      std::string first_argument;
      if (size_t eq = word.find('='); eq != std::string::npos) {
        first_argument = word.substr(eq + 1);
        word.resize(eq);
      }
      if (!boost::iequals(word, capability)) continue;
      if (argument.empty() || boost::iequals(first_argument, argument)) return true;
      while (words >> word)
        if (boost::iequals(word, argument)) return true;
    }
    return false;
  }

  static std::string Base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<size_t>(n));
    return out;
  }

  /// The message, dot-stuffed, with CRLF line ends (without the final ".").
  std::string Message() const {
    std::string text = "From: <" + job_.route->from + ">\r\nTo: <" + job_.to + ">\r\nSubject: " + job_.subject +
                       "\r\nMessage-ID: <" + job_.idempotency_key + "@tutti>\r\nIdempotency-Key: " +
                       job_.idempotency_key + "\r\nContent-Type: application/json\r\n\r\n";
    std::string body = job_.body;
    for (size_t start = 0; start <= body.size();) {
      size_t end = body.find('\n', start);
      std::string line = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (!line.empty() && line[0] == '.') text += '.';
      text += line + "\r\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return text;
  }

  /// Calls `f` with the connection: over TLS once STARTTLS is through.
  template <typename F>
  void OnStream(F&& f) {
    if (secure_) f(*secure_);
    else f(stream_);
  }

  void Command(const std::string& line, int want, Next next) {
    auto out = std::make_shared<std::string>(line + "\r\n");
    OnStream([&](auto& stream) {
      net::async_write(stream, net::buffer(*out), [self = Self<SmtpCall>(), out, want, next](beast::error_code ec, size_t) {
        if (ec) return self->Done(false, "the relay went away: " + ec.message());
        self->reply_.clear();
        self->Expect(want, next);
      });
    });
  }

  /// Reads one (possibly multi-line) reply, keeping its lines' text in
  /// reply_, and goes on if its code is `want`.
  void Expect(int want, Next next) {
    OnStream([&](auto& stream) {
      // Bounded: a relay that never ends a line, or a reply, fails the
      // attempt rather than filling memory until the timeout.
      net::async_read_until(stream, net::dynamic_buffer(input_, kMaxReplyBytes), "\r\n",
                            [self = Self<SmtpCall>(), want, next](beast::error_code ec, size_t) {
        if (ec) return self->Done(false, "no answer from the relay: " + ec.message());
        for (;;) {
          size_t nl = self->input_.find("\r\n");
          if (nl == std::string::npos) return self->Expect(want, next);
          std::string line = self->input_.substr(0, nl);
          self->input_.erase(0, nl + 2);
          if (line.size() >= 4) self->reply_.push_back(line.substr(4));
          if (self->reply_.size() > kMaxReplyLines) return self->Done(false, "the relay's answer is too long");
          if (line.size() >= 4 && line[3] == '-') continue;  // more lines of this reply follow
          if (line.size() < 3 || std::atoi(line.substr(0, 3).c_str()) != want)
            return self->Done(false, "the relay answered '" + line + "'");
          return next();
        }
      });
    });
  }

  static constexpr size_t kMaxReplyBytes = 64 * 1024;
  static constexpr size_t kMaxReplyLines = 256;

  TlsClients& tls_;
  std::string input_;               // what the relay sent and was not read yet
  std::vector<std::string> reply_;  // the text of the last reply's lines
};

}  // namespace

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

void Attempt(net::io_context& io, Service& service, DeliveryJob job, TlsClients& tls) {
  if (job.route->kind == DeliveryRoute::Kind::kSmtp) std::make_shared<SmtpCall>(io, service, std::move(job), tls)->Run();
  else std::make_shared<WebhookCall>(io, service, std::move(job), tls)->Run();
}

}  // namespace tutti::runtime
