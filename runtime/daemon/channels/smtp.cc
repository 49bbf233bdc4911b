#include "runtime/daemon/channels/smtp.h"

#include <fstream>
#include <sstream>

#include <boost/algorithm/string/predicate.hpp>

#include "base/check.h"
#include "runtime/daemon/channels/mime.h"
#include "runtime/daemon/channels/peer_answers.h"

namespace tutti::runtime {
namespace {

using namespace outbound;

/// One e-mail through an SMTP relay: the SMTP dialogue (EHLO, then
/// STARTTLS and EHLO again when the route asks for TLS, AUTH PLAIN when it
/// has a user name, MAIL FROM, RCPT TO, DATA, QUIT), each answer checked
/// for the code expected; the outcome reported to the service. Over TLS the
/// relay's certificate must verify against the route's CA file (or the
/// system's) and name its host; credentials are only ever sent over TLS.
class SmtpCall final : public OutboundCall {
 public:
  SmtpCall(net::io_context& io, Service& service, DeliveryJob job, const SmtpTarget& relay, Clients& clients)
      : OutboundCall(io, service, std::move(job), relay), relay_(relay), tls_(clients.tls) {}

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
    const SmtpTarget& route = relay_;
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
    Command("MAIL FROM:<" + relay_.from + ">", 250, [self] {
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
    std::string mail = ComposeMail({relay_.from, job_.to, content.subject, content.text, content.html,
                                    job_.idempotency_key, relay_.unsubscribe});
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

  const SmtpTarget& relay_;
  TlsClients& tls_;
  std::string input_;      // what the relay sent and was not read yet
  SmtpReplyReader reply_;  // the last reply
};

class Smtp final : public ChannelAdapter {
 public:
  const char* section() const override { return "smtp"; }
  const char* route_name() const override { return "an smtp route"; }
  const char* keys() const override { return "relay, from, unsubscribe, starttls, username, password_file, ca_file"; }

  Result<std::shared_ptr<RouteTarget>> Configure(ConfigKeys& keys) const override {
    auto relay = std::make_shared<SmtpTarget>();
    const std::string& where = keys.where();
    std::string address;
    TUTTI_TRY(keys.Text("relay", address));
    if (!relay->SetRelay(address))
      return Status::Invalid(where + ": needs \"relay\": \"host:port\" and \"from\": \"address\"");
    TUTTI_TRY(keys.Text("from", relay->from));
    if (relay->from.empty() || relay->from.find_first_of("<> ") != std::string::npos)
      return Status::Invalid(where + ": needs \"from\": an e-mail address");
    TUTTI_TRY(keys.Text("unsubscribe", relay->unsubscribe));
    const std::string& unsubscribe = relay->unsubscribe;
    if (!unsubscribe.empty() &&
        ((unsubscribe.rfind("https://", 0) != 0 && unsubscribe.rfind("mailto:", 0) != 0) ||
         unsubscribe.size() > 2000 || unsubscribe.find_first_of("<> \r\n") != std::string::npos))
      return Status::Invalid(where + ": \"unsubscribe\" must be an https:// URL or a mailto: address");
    TUTTI_TRY(keys.Bool("starttls", relay->starttls));
    TUTTI_TRY(keys.Text("username", relay->username));
    TUTTI_TRY(keys.Text("password_file", relay->password_file));
    TUTTI_TRY(keys.Text("ca_file", relay->ca_file));
    return std::shared_ptr<RouteTarget>(std::move(relay));
  }

  Status Validate(const RouteTarget& target, const std::string& where) const override {
    const auto& relay = static_cast<const SmtpTarget&>(target);
    if (!relay.username.empty() || !relay.password_file.empty()) {
      // Credentials travel only over TLS, and come from a file an operator
      // can keep out of the config (and out of logs).
      if (relay.username.empty() || relay.password_file.empty() || !relay.starttls)
        return Status::Invalid(where + ": a login needs \"username\", \"password_file\" and \"starttls\": true together");
    }
    if (!relay.starttls && !relay.ca_file.empty())
      return Status::Invalid(where + ": 'ca_file' is for \"starttls\": true");
    return Status::Ok();
  }

  Status ReadFiles(RouteTarget& target, const std::string& where) const override {
    auto& relay = static_cast<SmtpTarget&>(target);
    if (!relay.password_file.empty()) {
      // A file the operator keeps out of the config: its first line, read
      // no further than the longest password taken (a file with no line
      // end, /dev/zero, is not read whole).
      constexpr size_t kMaxPassword = 1024;
      std::ifstream secret(relay.password_file, std::ios::binary);
      std::string head(kMaxPassword + 2, '\0');
      secret.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(secret.gcount()));
      size_t end = head.find('\n');
      relay.password = head.substr(0, end);
      if (!relay.password.empty() && relay.password.back() == '\r') relay.password.pop_back();  // CRLF line ends
      if (relay.password.empty() || relay.password.size() > kMaxPassword ||
          relay.password.find('\0') != std::string::npos)
        return Status::Invalid(where + ": cannot read a password from " + relay.password_file);
    }
    if (!relay.ca_file.empty() && !std::ifstream(relay.ca_file))
      return Status::Invalid(where + ": cannot read the 'ca_file' " + relay.ca_file);
    return Status::Ok();
  }

  /// A mail needs content (a send of a declared template) and the
  /// recipient's address; without them no attempt could ever deliver it.
  std::optional<DeliveryOutcome> Prepare(DeliveryJob& job,
                                         const std::function<std::string()>& email_address) const override {
    if (!job.message)
      return DeliveryOutcome{false, "the send names no declared template, so there is no content to mail", "no content"};
    job.to = email_address();
    if (job.to.empty()) return DeliveryOutcome{false, "the recipient has no usable e-mail address", "no address"};
    return std::nullopt;
  }

  void Attempt(net::io_context& io, Service& service, DeliveryJob job, Clients& clients) const override {
    const auto& relay = static_cast<const SmtpTarget&>(*job.route->target);
    std::make_shared<SmtpCall>(io, service, std::move(job), relay, clients)->Run();
  }
};

}  // namespace

bool SmtpTarget::SetRelay(const std::string& relay) {
  size_t colon = relay.rfind(':');
  if (colon == std::string::npos) return false;
  host = relay.substr(0, colon);
  port = relay.substr(colon + 1);
  return !host.empty() && IsPort(port);
}

const ChannelAdapter& SmtpAdapter() {
  static const Smtp adapter;
  return adapter;
}

}  // namespace tutti::runtime
