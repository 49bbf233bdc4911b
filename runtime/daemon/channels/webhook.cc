#include "runtime/daemon/channels/webhook.h"

#include <fstream>

#include <boost/beast/http.hpp>

#include "runtime/daemon/channels/peer_answers.h"

namespace tutti::runtime {
namespace {

using namespace outbound;
namespace http = beast::http;

/// A webhook: POST the action with its Idempotency-Key; a 2xx delivers it.
/// Over https the receiver's certificate must verify against the route's
/// CA file (or the system's) and name its host. Only the head of the
/// answer is read (peer_answers.h), and a small body announced by its
/// length; over plain HTTP a connection the answer lets live is kept for
/// the next attempt (IdleConnections), else it is closed.
class WebhookCall final : public OutboundCall {
 public:
  WebhookCall(net::io_context& io, Service& service, DeliveryJob job, const WebhookTarget& url, Clients& clients)
      : OutboundCall(io, service, std::move(job), url), url_(url), clients_(clients) {}
  /// Over an idle connection to the receiver.
  WebhookCall(net::io_context& io, Service& service, DeliveryJob job, const WebhookTarget& url, Clients& clients,
              beast::tcp_stream idle)
      : OutboundCall(io, service, std::move(job), url, std::move(idle)), url_(url), clients_(clients), reused_(true) {}

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
    req_.target(url_.path);
    req_.version(11);
    req_.set(http::field::host, url_.host);
    req_.set(http::field::content_type, "application/json");
    req_.set(http::field::user_agent, "tutti");
    req_.set("Idempotency-Key", job_.idempotency_key);
    req_.body() = job_.body;
    req_.prepare_payload();
    LimitAnswerParser(answer_);
    if (!url_.tls) {
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
    bool keep = !url_.tls && answer_.keep_alive() && !answer_.chunked() &&
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
    clients_.idle.Put(url_.host + ":" + url_.port, std::move(stream_));
    Done(outcome, /*close=*/false);
  }

  /// The kept connection was dead: the same attempt over a new one (not
  /// another attempt: nothing was answered).
  void AgainOnANewConnection() {
    if (done_) return;
    done_ = true;  // this call reports nothing; the new one will
    Close();
    std::make_shared<WebhookCall>(io_, service_, std::move(job_), url_, clients_)->Start();
  }

  const WebhookTarget& url_;
  Clients& clients_;
  bool reused_ = false;  // over a kept connection
  beast::flat_buffer buffer_{kMaxAnswerHeaderBytes + kMaxKeptBody + 1024};
  http::request<http::string_body> req_;
  AnswerParser answer_;
};

class Webhook final : public ChannelAdapter {
 public:
  const char* section() const override { return "webhooks"; }
  const char* route_name() const override { return "a webhook"; }
  const char* keys() const override { return "url, ca_file"; }

  Result<std::shared_ptr<RouteTarget>> Configure(ConfigKeys& keys) const override {
    auto url = std::make_shared<WebhookTarget>();
    std::string address;
    TUTTI_TRY(keys.Text("url", address));
    if (!url->SetUrl(address))
      return Status::Invalid(keys.where() + ": needs \"url\": \"http://host:port/path\" (or https://)");
    TUTTI_TRY(keys.Text("ca_file", url->ca_file));
    return std::shared_ptr<RouteTarget>(std::move(url));
  }

  Status Validate(const RouteTarget& target, const std::string& where) const override {
    const auto& url = static_cast<const WebhookTarget&>(target);
    if (!url.tls && !url.ca_file.empty()) return Status::Invalid(where + ": 'ca_file' is for https urls");
    return Status::Ok();
  }

  Status ReadFiles(RouteTarget& target, const std::string& where) const override {
    const auto& url = static_cast<const WebhookTarget&>(target);
    if (!url.ca_file.empty() && !std::ifstream(url.ca_file))
      return Status::Invalid(where + ": cannot read the 'ca_file' " + url.ca_file);
    return Status::Ok();
  }

  /// Every action can be posted: its JSON is the body.
  std::optional<DeliveryOutcome> Prepare(DeliveryJob&, const std::function<std::string()>&) const override {
    return std::nullopt;
  }

  /// Over a kept connection to the receiver if there is one (plain HTTP).
  void Attempt(net::io_context& io, Service& service, DeliveryJob job, Clients& clients) const override {
    const auto& url = static_cast<const WebhookTarget&>(*job.route->target);
    std::optional<beast::tcp_stream> idle = url.tls ? std::nullopt : clients.idle.Take(url.host + ":" + url.port);
    if (idle) std::make_shared<WebhookCall>(io, service, std::move(job), url, clients, std::move(*idle))->Start();
    else std::make_shared<WebhookCall>(io, service, std::move(job), url, clients)->Start();
  }
};

}  // namespace

bool WebhookTarget::SetUrl(const std::string& url) {
  constexpr std::string_view kHttp = "http://", kHttps = "https://";
  tls = url.compare(0, kHttps.size(), kHttps) == 0;
  if (!tls && url.compare(0, kHttp.size(), kHttp) != 0) return false;
  std::string rest = url.substr(tls ? kHttps.size() : kHttp.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  host = authority.substr(0, colon);
  port = colon == std::string::npos ? (tls ? "443" : "80") : authority.substr(colon + 1);
  for (unsigned char c : path)
    if (c <= ' ' || c == 0x7f) return false;
  return !host.empty() && IsPort(port);
}

const ChannelAdapter& WebhookAdapter() {
  static const Webhook adapter;
  return adapter;
}

}  // namespace tutti::runtime
