#include "runtime/daemon/outbound.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>

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

#include "base/check.h"
#include "base/text.h"
#include "runtime/daemon/mime.h"
#include "runtime/daemon/peer_answers.h"

namespace tutti::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

/// One delivery attempt to a route's host:port: resolves and connects
/// within the route's connect timeout, then hands over to Connected()
/// under its timeout; reports the outcome to the service exactly once.
class OutboundCall : public std::enable_shared_from_this<OutboundCall> {
 public:
  OutboundCall(net::io_context& io, Service& service, DeliveryJob job)
      : io_(io), resolver_(io), stream_(io), service_(service), job_(std::move(job)) {}
  /// The same over `stream`, a connection already open to the route.
  OutboundCall(net::io_context& io, Service& service, DeliveryJob job, beast::tcp_stream stream)
      : io_(io), resolver_(io), stream_(std::move(stream)), service_(service), job_(std::move(job)) {}
  virtual ~OutboundCall() = default;

  /// Connects, then Connected().
  void Run() {
    stream_.expires_after(std::chrono::milliseconds(job_.route->connect_timeout_ms));
    // An address needs no resolver (a thread of its own, a hop each time).
    beast::error_code numeric;
    auto address = net::ip::make_address(job_.route->host, numeric);
    if (!numeric) {
      tcp::endpoint endpoint(address, static_cast<unsigned short>(std::stoul(job_.route->port)));
      stream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
        if (ec)
          return self->Fail("cannot connect: " + ec.message(), ec == beast::error::timeout ? "connect timeout" : "connect");
        self->Connected();
      });
      return;
    }
    resolver_.async_resolve(
        job_.route->host, job_.route->port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type r) {
          if (ec) return self->Fail("cannot resolve " + self->job_.route->host + ": " + ec.message(), "resolve");
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
    ssl::context* context = tls.For(job_.route->ca_file, error);
    if (context == nullptr) return Fail(error, "tls setup");
    secure_.emplace(std::move(stream_), *context);
    const std::string& host = job_.route->host;
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
  bool done_ = false;
};

/// A webhook: POST the action with its Idempotency-Key; a 2xx delivers it.
/// Over https the receiver's certificate must verify against the route's
/// CA file (or the system's) and name its host. Only the head of the
/// answer is read (peer_answers.h), and a small body announced by its
/// length; over plain HTTP a connection the answer lets live is kept for
/// the next attempt (IdleConnections), else it is closed.
class WebhookCall final : public OutboundCall {
 public:
  WebhookCall(net::io_context& io, Service& service, DeliveryJob job, Clients& clients)
      : OutboundCall(io, service, std::move(job)), clients_(clients) {}
  /// Over an idle connection to the receiver.
  WebhookCall(net::io_context& io, Service& service, DeliveryJob job, Clients& clients, beast::tcp_stream idle)
      : OutboundCall(io, service, std::move(job), std::move(idle)), clients_(clients), reused_(true) {}

  /// Over the idle connection if it has one, else over a new one.
  void Start() {
    if (reused_) Connected();
    else Run();
  }

 private:
  /// The longest answer body read to keep a connection; longer ones close it.
  static constexpr uint64_t kMaxKeptBody = 4096;

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
    LimitAnswerParser(answer_);
    if (!job_.route->tls) {
      StartTimeout();
      return Exchange(stream_);
    }
    Secure(clients_.tls, "receiver", [self = Self<WebhookCall>()] {
      self->StartTimeout();
      self->Exchange(*self->secure_);
    });
  }

  template <typename Stream>
  void Exchange(Stream& stream) {
    http::async_write(stream, req_, [self = Self<WebhookCall>(), &stream](beast::error_code ec, size_t) {
      if (ec && self->reused_) return self->AgainOnANewConnection();
      if (ec) return self->Fail("sending failed: " + ec.message(), ec == beast::error::timeout ? "timeout" : "send");
      http::async_read_header(stream, self->buffer_, self->answer_, [self](beast::error_code ec, size_t) {
        // A kept connection the receiver closed just as it was taken.
        if ((ec == http::error::end_of_stream || ec == net::error::connection_reset) && self->reused_ &&
            self->buffer_.size() == 0)
          return self->AgainOnANewConnection();
        if (ec == beast::error::timeout) return self->Fail("no answer within the timeout", "timeout");
        if (ec == http::error::header_limit)
          return self->Fail("the receiver's answer has headers over 16 KiB", "bad answer");
        if (ec) return self->Fail("no answer: " + ec.message(), "no answer");
        self->Answered();
      });
    });
  }

  /// The head is read: reports the outcome, and keeps the connection when
  /// the answer allows it and its body is read whole.
  void Answered() {
    DeliveryOutcome outcome = WebhookOutcome(answer_.get().result_int());
    boost::optional<uint64_t> length = answer_.content_length();
    uint64_t have = buffer_.size();  // bytes read past the head
    bool keep = !job_.route->tls && answer_.keep_alive() && !answer_.chunked() &&
                (answer_.is_done() ? have == 0 : length && *length <= kMaxKeptBody && have <= *length);
    if (!keep) return Done(outcome);
    uint64_t rest = answer_.is_done() ? 0 : *length - have;
    if (rest == 0) return Keep(outcome);
    net::async_read(stream_, buffer_, net::transfer_exactly(rest),
                    [self = Self<WebhookCall>(), outcome](beast::error_code ec, size_t) {
                      if (ec) return self->Done(outcome);  // answered all the same
                      self->Keep(outcome);
                    });
  }

  void Keep(const DeliveryOutcome& outcome) {
    stream_.expires_never();
    clients_.idle.Put(job_.route->host + ":" + job_.route->port, std::move(stream_));
    Done(outcome, /*close=*/false);
  }

  /// The kept connection was dead: the same attempt over a new one (not
  /// another attempt: nothing was answered).
  void AgainOnANewConnection() {
    if (done_) return;
    done_ = true;  // this call reports nothing; the new one will
    Close();
    std::make_shared<WebhookCall>(io_, service_, std::move(job_), clients_)->Start();
  }

  Clients& clients_;
  bool reused_ = false;  // over a kept connection
  beast::flat_buffer buffer_{kMaxAnswerHeaderBytes + kMaxKeptBody + 1024};
  http::request<http::string_body> req_;
  AnswerParser answer_;
};

/// One e-mail through an SMTP relay: the SMTP dialogue (EHLO, then
/// STARTTLS and EHLO again when the route asks for TLS, AUTH PLAIN when it
/// has a user name, MAIL FROM, RCPT TO, DATA, QUIT), each answer checked
/// for the code expected; the outcome reported to the service. Over TLS the
/// relay's certificate must verify against the route's CA file (or the
/// system's) and name its host; credentials are only ever sent over TLS.
class SmtpCall final : public OutboundCall {
 public:
  SmtpCall(net::io_context& io, Service& service, DeliveryJob job, Clients& clients)
      : OutboundCall(io, service, std::move(job)), tls_(clients.tls) {}

 private:
  using Next = std::function<void()>;

  void Connected() override {
    auto self = Self<SmtpCall>();
    StartTimeout();
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
      if (!Offers("STARTTLS")) return Fail("the relay does not offer STARTTLS", "no starttls");
      return Command("STARTTLS", 220, [self] { self->StartTls(); });
    }
    if (!route.username.empty()) {
      TUTTI_CHECK(secure_, "the config allows a user name only with starttls");
      if (!Offers("AUTH", "PLAIN")) return Fail("the relay does not offer AUTH PLAIN", "no auth plain");
      std::string credentials = std::string(1, '\0') + route.username + std::string(1, '\0') + route.password;
      return Command("AUTH PLAIN " + Base64(credentials), 235, [self] { self->Send(); });
    }
    Send();
  }

  void StartTls() {
    // Whatever the relay sent after its 220 came before the handshake:
    // never read as if it came over TLS.
    if (!input_.empty()) return Fail("the relay sent more than its answer to STARTTLS", "bad reply");
    Secure(tls_, "relay", [self = Self<SmtpCall>()] {
      self->StartTimeout();
      self->Greet();  // capabilities may differ over TLS
    });
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
        self->Done({true, "accepted by the relay", "smtp 250"});
      });
    });
  }

  /// Whether the last reply (EHLO's) lists `capability`, and `argument`
  /// among its arguments when given ("AUTH PLAIN LOGIN", or the older
  /// "AUTH=PLAIN", offers PLAIN).
  bool Offers(const std::string& capability, const std::string& argument = "") const {
    for (const std::string& line : reply_.lines()) {
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

  /// The message (mime.h), dot-stuffed (without the final ".").
  std::string Message() const {
    const RenderedMessage& content = *job_.message;
    std::string mail = ComposeMail({job_.route->from, job_.to, content.subject, content.text, content.html,
                                    job_.idempotency_key, job_.route->unsubscribe});
    std::string text;
    for (size_t start = 0; start < mail.size();) {
      size_t end = mail.find("\r\n", start);
      std::string_view line = std::string_view(mail).substr(start, end - start);
      if (!line.empty() && line[0] == '.') text += '.';
      text += std::string(line) + "\r\n";
      start = end + 2;
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
        if (ec) return self->Fail("the relay went away: " + ec.message(), ec == beast::error::timeout ? "timeout" : "send");
        self->reply_.Reset();
        self->Expect(want, next);
      });
    });
  }

  /// Reads one (possibly multi-line) reply (peer_answers.h), and goes on
  /// if its code is `want`.
  void Expect(int want, Next next) {
    switch (reply_.Feed(input_)) {
      case SmtpReplyReader::State::kBad: return Fail(reply_.error(), "bad reply");
      case SmtpReplyReader::State::kDone:
        if (reply_.code() != want)
          return Fail("the relay answered '" + reply_.Printed() + "'", "smtp " + std::to_string(reply_.code()));
        return next();
      case SmtpReplyReader::State::kMore: break;
    }
    OnStream([&](auto& stream) {
      net::async_read_until(stream, net::dynamic_buffer(input_, SmtpReplyReader::kMaxLineBytes + 2), "\r\n",
                            [self = Self<SmtpCall>(), want, next](beast::error_code ec, size_t) {
                              if (ec == net::error::not_found)
                                return self->Fail("the relay sent a line over the limit", "bad reply");
                              if (ec)
                                return self->Fail("no answer from the relay: " + ec.message(),
                                                  ec == beast::error::timeout ? "timeout" : "no answer");
                              self->Expect(want, next);
                            });
    });
  }

  TlsClients& tls_;
  std::string input_;      // what the relay sent and was not read yet
  SmtpReplyReader reply_;  // the last reply
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

void Attempt(net::io_context& io, Service& service, DeliveryJob job, Clients& clients) {
  if (job.route->kind == DeliveryRoute::Kind::kSmtp) {
    std::make_shared<SmtpCall>(io, service, std::move(job), clients)->Run();
    return;
  }
  std::optional<beast::tcp_stream> idle =
      job.route->tls ? std::nullopt : clients.idle.Take(job.route->host + ":" + job.route->port);
  if (idle) std::make_shared<WebhookCall>(io, service, std::move(job), clients, std::move(*idle))->Start();
  else std::make_shared<WebhookCall>(io, service, std::move(job), clients)->Start();
}

}  // namespace tutti::runtime
