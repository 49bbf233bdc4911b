#include "runtime/daemon/http_server.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "runtime/daemon/outbound.h"

namespace tutti::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

/// The query parameter `name` of `query` ("a=1&b=2"), if present.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> Number(const std::optional<std::string>& text) {
  if (!text || text->empty() || text->size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Reply Error(int status, const std::string& message) {
  return {status, "{\"error\": \"" + message + "\"}\n", "application/json"};
}

/// Whether `req` carries `token` as its bearer token (any request does
/// when no token is configured).
bool Authorised(const Request& req, const std::string& token) {
  if (token.empty()) return true;
  auto it = req.find(http::field::authorization);
  return it != req.end() && it->value() == "Bearer " + token;
}

/// Routes one request to the service. `route` is set to a label without
/// ids, for the metrics.
Reply Route(Service& service, const ServerOptions& options, const Request& req, std::string& route) {
  std::string_view target(req.target().data(), req.target().size());
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  bool get = req.method() == http::verb::get, post = req.method() == http::verb::post;
  auto authorised = [&](const std::string& token) { return Authorised(req, token); };
  route = std::string(path);
  if (path == "/healthz" || path == "/readyz") {
    if (!get) return Error(405, "use GET");
    if (path == "/readyz")
      if (auto why = service.NotReady())
        return {503, nlohmann::json{{"status", "not ready"}, {"reason", *why}}.dump() + "\n", "application/json"};
    return {200, "{\"status\": \"ok\"}\n", "application/json"};
  }
  if (path == "/metrics") {
    if (!get) return Error(405, "use GET");
    return service.GetMetrics();
  }
  if (path == "/v1/events" || path == "/v1/profiles") {
    if (!post) return Error(405, "use POST with one JSON object or NDJSON lines");
    if (!authorised(options.ingest_token)) return Error(401, "this endpoint needs the ingest token: Authorization: Bearer TOKEN");
    // An authorised POST is staged by its session for the next group
    // commit (Session::Ingest) and never routed here.
    assert(false && "ingest requests are staged by the session");
    return Error(500, "ingest request routed past the group commit");
  }
  if (path == "/v1/outcomes") {
    if (!post) return Error(405, "use POST with NDJSON lines {\\\"idempotency_key\\\": KEY, \\\"outcome\\\": ...}");
    if (!authorised(options.ingest_token)) return Error(401, "this endpoint needs the ingest token: Authorization: Bearer TOKEN");
    return service.PostOutcomes(req.body());
  }
  if (path.substr(0, 4) == "/v1/" && !authorised(options.admin_token))
    return Error(401, "this endpoint needs the admin token: Authorization: Bearer TOKEN");
  if (path == "/v1/clock") {
    if (!post) return Error(405, "use POST {\\\"to\\\": TIME}");
    return service.PostClock(req.body());
  }
  if (path == "/v1/actions") {
    if (!get) return Error(405, "use GET");
    auto since = QueryParam(query, "since");
    auto limit = QueryParam(query, "limit");
    auto since_n = since ? Number(since) : std::optional<uint64_t>(0);
    auto limit_n = limit ? Number(limit) : std::optional<uint64_t>(1000);
    if (!since_n || !limit_n || *limit_n == 0 || *limit_n > 100000)
      return Error(400, "since must be a cursor (a whole number) and limit a number from 1 to 100000");
    return service.GetActions(*since_n, *limit_n);
  }
  if (path == "/v1/journeys") {
    if (!get) return Error(405, "use GET");
    return service.GetJourneys();
  }
  constexpr std::string_view kJourneys = "/v1/journeys/", kPause = "/pause", kResume = "/resume";
  if (path.substr(0, kJourneys.size()) == kJourneys) {
    std::string_view rest = path.substr(kJourneys.size());
    for (auto [suffix, pause] : {std::pair{kPause, true}, std::pair{kResume, false}}) {
      if (rest.size() > suffix.size() && rest.substr(rest.size() - suffix.size()) == suffix) {
        route = std::string("/v1/journeys/{name}") + std::string(suffix);
        if (!post) return Error(405, "use POST");
        return service.PostPause(rest.substr(0, rest.size() - suffix.size()), pause);
      }
    }
  }
  constexpr std::string_view kCustomers = "/v1/customers/", kAccounts = "/v1/accounts/", kHistory = "/history";
  if (path.substr(0, kCustomers.size()) == kCustomers && path.size() > kCustomers.size()) {
    route = "/v1/customers/{id}";
    if (!get) return Error(405, "use GET");
    return service.GetCustomer(path.substr(kCustomers.size()), QueryParam(query, "profile").value_or(""));
  }
  if (path.substr(0, kAccounts.size()) == kAccounts && path.size() > kAccounts.size() + kHistory.size() &&
      path.substr(path.size() - kHistory.size()) == kHistory) {
    route = "/v1/accounts/{id}/history";
    if (!get) return Error(405, "use GET");
    return service.GetAccountHistory(path.substr(kAccounts.size(), path.size() - kAccounts.size() - kHistory.size()));
  }
  route = "other";
  return Error(404, "no such endpoint; see docs/operations.md");
}

/// Hot reload: loads, checks and compiles the journeys on a worker thread,
/// so that the event loop keeps serving meanwhile, then takes the new
/// version on in the loop (Service::CommitReload). One at a time.
class Reloader {
 public:
  Reloader(net::io_context& io, Service& service) : io_(io), service_(service) {}
  /// Waits for a compile in progress (its result is dropped).
  ~Reloader() {
    if (worker_.joinable()) worker_.join();
  }

  /// Starts a reload; `done` gets the reply, on the loop thread. False when
  /// one is already running.
  bool Start(std::function<void(Reply)> done) {
    if (running_) return false;
    running_ = true;
    if (worker_.joinable()) worker_.join();
    worker_ = std::thread([this, done = std::move(done)]() mutable {
      auto prepared = std::make_shared<PreparedReload>(Service::PrepareReload(service_.options()));
      net::post(io_, [this, prepared, done = std::move(done)] {
        running_ = false;
        done(service_.CommitReload(std::move(*prepared)));
      });
    });
    return true;
  }

 private:
  net::io_context& io_;
  Service& service_;
  std::thread worker_;
  bool running_ = false;  // touched on the loop thread only
};

/// Starts a connection: over TLS, the handshake first (under the idle
/// timeout; a failed one is counted, and the connection dropped); then
/// `next`.
template <typename Stream>
void HandshakeThen(Stream& stream, Service& service, int idle_timeout_seconds, std::function<void()> next) {
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    next();
  } else {
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(idle_timeout_seconds));
    stream.async_handshake(net::ssl::stream_base::server, [&service, next = std::move(next)](beast::error_code ec) {
      if (ec) return service.CountRequest("tls_handshake", 400, 0);
      next();
    });
  }
}

/// One HTTP connection, over `Stream`: a beast::tcp_stream, or a
/// beast::ssl_stream of one when the server has a certificate (the TLS
/// handshake comes first, under the idle timeout).
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(Stream stream, Service& service, const ServerOptions& options, Reloader& reloader)
      : stream_(std::move(stream)), service_(service), options_(options), reloader_(reloader) {}

  void Start() {
    HandshakeThen(stream_, service_, options_.idle_timeout_seconds, [self = this->shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(options_.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted)
      return Close();
    if (ec == http::error::body_limit)
      return Send(Error(413, "the body is over the limit of " + std::to_string(options_.max_body_bytes) + " bytes"), false);
    if (ec == http::error::header_limit) return Send(Error(431, "the headers are too large"), false);
    if (ec) return Send(Error(400, "malformed HTTP request: " + ec.message()), false);
    Request req = parser_->release();
    auto started = std::chrono::steady_clock::now();
    if (req.target() == "/v1/journeys/reload") return Reload(req, started);
    if ((req.target() == "/v1/events" || req.target() == "/v1/profiles") && req.method() == http::verb::post &&
        Authorised(req, options_.ingest_token))
      return Ingest(req, started);
    std::string route;
    Reply reply = Route(service_, options_, req, route);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    service_.CountRequest(route, reply.status, seconds);
    Send(std::move(reply), req.keep_alive());
  }

  /// POST /v1/events and /v1/profiles: staged, and answered once the
  /// group commit that takes them is durable.
  void Ingest(const Request& req, std::chrono::steady_clock::time_point started) {
    bool keep_alive = req.keep_alive();
    std::string route(req.target());
    // Decoded now, so the body need not outlive this call.
    service_.Stage(req.body(), route == "/v1/events" ? Accept::kEvents : Accept::kProfiles,
                   [self = this->shared_from_this(), started, keep_alive, route](IngestResult result) {
                     Reply reply = Service::IngestReply(result);
                     double seconds =
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                     self->service_.CountRequest(route, reply.status, seconds);
                     self->Send(std::move(reply), keep_alive);
                   });
  }

  /// POST /v1/journeys/reload: answers once the new version runs, or
  /// with why it does not.
  void Reload(const Request& req, std::chrono::steady_clock::time_point started) {
    bool keep_alive = req.keep_alive();
    auto finish = [self = this->shared_from_this(), started, keep_alive](Reply reply) {
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      self->service_.CountRequest("/v1/journeys/reload", reply.status, seconds);
      self->Send(std::move(reply), keep_alive);
    };
    if (req.method() != http::verb::post) return finish(Error(405, "use POST"));
    if (!Authorised(req, options_.admin_token))
      return finish(Error(401, "this endpoint needs the admin token: Authorization: Bearer TOKEN"));
    if (!reloader_.Start(finish)) finish(Error(409, "a reload is already in progress"));
  }

  void Send(Reply reply, bool keep_alive) {
    auto res = std::make_shared<Response>(static_cast<http::status>(reply.status), 11);
    res->set(http::field::server, "tutti");
    res->set(http::field::content_type, reply.content_type);
    res->keep_alive(keep_alive);
    res->body() = std::move(reply.body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_write(stream_, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !res->keep_alive()) return self->Close();
      self->Read();
    });
  }

  void Close() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Service& service_;
  const ServerOptions& options_;
  Reloader& reloader_;
};

/// The streaming ingest protocol, on its own port: a producer keeps one
/// TCP connection open and writes NDJSON events; whenever complete lines
/// have arrived, the daemon takes them as one batch (durable before the
/// answer, as POST /v1/events) and writes back one line:
///   {"lines": [FIRST, LAST], "accepted": N, "refused": M, "errors": [...]}
/// with line numbers counted from the start of the connection. With an
/// ingest token configured, the first line must be {"token": "TOKEN"}.
/// Over `Stream`: plain TCP, or TLS when the server has a certificate.
template <typename Stream>
class StreamSession : public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  StreamSession(Stream stream, Service& service, const ServerOptions& options)
      : stream_(std::move(stream)), service_(service), options_(options),
        authorised_(options.ingest_token.empty()) {}

  void Start() {
    HandshakeThen(stream_, service_, options_.idle_timeout_seconds, [self = this->shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    auto space = buffer_.prepare(64 * 1024);
    stream_.async_read_some(space, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->Close();
      self->buffer_.commit(n);
      self->Consume();
    });
  }

  void Consume() {
    std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    size_t end = data.rfind('\n');
    if (end == std::string_view::npos) {
      if (data.size() > options_.max_body_bytes) return Fail("a line is over the limit of " + std::to_string(options_.max_body_bytes) + " bytes");
      return Read();
    }
    std::string batch(data.substr(0, end + 1));
    buffer_.consume(end + 1);
    if (!authorised_) {
      size_t nl = batch.find('\n');
      std::string first = batch.substr(0, nl);
      if (first != "{\"token\": \"" + options_.ingest_token + "\"}" && first != "{\"token\":\"" + options_.ingest_token + "\"}")
        return Fail("the first line must be {\"token\": \"INGEST TOKEN\"}");
      authorised_ = true;
      ++line_;
      batch.erase(0, nl + 1);
    }
    size_t lines = static_cast<size_t>(std::count(batch.begin(), batch.end(), '\n'));
    if (lines > 0) {
      auto started = std::chrono::steady_clock::now();
      service_.Stage(batch, Accept::kEvents, [self = this->shared_from_this(), started, lines](IngestResult result) {
        self->service_.CountRequest("stream", result.status,
                                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        self->WriteAck(self->Ack(result, lines), lines);
      });
      return;
    }
    Read();
  }

  /// Sends `ack` for a batch of `lines` lines, then reads on.
  void WriteAck(std::string ack, size_t lines) {
    line_ += lines;
    auto out = std::make_shared<std::string>(std::move(ack));
    net::async_write(stream_, net::buffer(*out), [self = this->shared_from_this(), out](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Read();
    });
  }

  /// The acknowledgement line for a batch of `lines` lines, its refused
  /// lines numbered from the start of the connection.
  std::string Ack(const IngestResult& result, size_t lines) const {
    nlohmann::json errors = nlohmann::json::array();
    if (!result.error.empty()) errors.push_back({{"error", result.error}});
    for (const auto& [line, error] : result.lines)
      if (!error.empty()) errors.push_back({{"line", line_ + line}, {"error", error}});
    nlohmann::json ack{{"lines", {line_ + 1, line_ + lines}}, {"accepted", result.accepted},
                       {"refused", result.refused}, {"errors", errors}};
    return ack.dump() + "\n";
  }

  void Fail(const std::string& why) {
    auto out = std::make_shared<std::string>("{\"error\": " + nlohmann::json(why).dump() + "}\n");
    net::async_write(stream_, net::buffer(*out), [self = this->shared_from_this(), out](beast::error_code, size_t) { self->Close(); });
  }

  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  Service& service_;
  const ServerOptions& options_;
  bool authorised_;
  size_t line_ = 0;  // lines taken so far on this connection
};

class Server {
 public:
  Server(net::io_context& io, Service& service, const ServerOptions& options)
      : io_(io), acceptor_(io), stream_acceptor_(io), ticker_(io), signals_(io, SIGINT, SIGTERM), hangup_(io, SIGHUP),
        service_(service), options_(options), reloader_(io, service) {}

  /// Binds and starts; an error message when the address cannot be used.
  std::optional<std::string> Start() {
    if (!options_.tls_cert.empty()) {
      tls_server_.emplace(net::ssl::context::tls_server);
      tls_server_->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                               net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                               net::ssl::context::no_tlsv1_1);
      beast::error_code ec;
      tls_server_->use_certificate_chain_file(options_.tls_cert, ec);
      if (ec) return "cannot load the TLS certificate " + options_.tls_cert + ": " + ec.message();
      tls_server_->use_private_key_file(options_.tls_key, net::ssl::context::pem, ec);
      if (ec) return "cannot load the TLS key " + options_.tls_key + ": " + ec.message();
    }
    if (auto err = Listen(acceptor_, options_.host, options_.port, "")) return err;
    if (options_.stream) {
      if (auto err = Listen(stream_acceptor_, options_.stream_host, options_.stream_port, " for streaming ingest"))
        return err;
      std::printf("tutti serve: streaming ingest on %s:%u%s\n", options_.stream_host.c_str(),
                  stream_acceptor_.local_endpoint().port(), tls_server_ ? " (tls)" : "");
      AcceptStream();
    }
    std::printf("tutti serve: listening on %s:%u%s\n", options_.host.c_str(), acceptor_.local_endpoint().port(),
                tls_server_ ? " (https)" : "");
    std::fflush(stdout);
    // Group commit: the batches of requests read in one turn of the loop
    // are logged together, in one synced write, when that turn is over.
    service_.OnStaged([this] {
      if (committing_) return;
      committing_ = true;
      net::post(io_, [this] {
        committing_ = false;
        service_.Commit();
      });
    });
    // Work left behind (timers falling due by the million) goes on one
    // slice per turn of the loop, requests served in between.
    service_.OnBacklog([this] {
      if (working_) return;
      working_ = true;
      net::post(io_, [this] {
        working_ = false;
        service_.Work(Service::kSlice);
      });
    });
    Accept();
    Tick();
    signals_.async_wait([this](beast::error_code, int signal) {
      std::fprintf(stderr, "tutti serve: %s, stopping\n", signal == SIGINT ? "SIGINT" : "SIGTERM");
      beast::error_code ignored;
      acceptor_.close(ignored);
      stream_acceptor_.close(ignored);
      ticker_.cancel();
      service_.Tick();  // settle and deliver what is due
      service_.SaveSnapshot();  // the next start replays nothing
      io_.stop();
    });
    Hangup();
    return std::nullopt;
  }

 private:
  /// Opens `acceptor` on host:port; an error message when it cannot.
  static std::optional<std::string> Listen(tcp::acceptor& acceptor, const std::string& host, uint16_t port,
                                           const char* what) {
    beast::error_code ec;
    auto address = net::ip::make_address(host, ec);
    if (ec) return "'" + host + "' is not an IP address";
    tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return std::string("cannot listen") + what + " on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return std::nullopt;
  }

  /// SIGHUP: a hot reload, its outcome on stderr.
  void Hangup() {
    hangup_.async_wait([this](beast::error_code ec, int) {
      if (ec) return;
      std::fprintf(stderr, "tutti serve: SIGHUP, reloading the journeys\n");
      bool started = reloader_.Start([](Reply reply) {
        std::fprintf(stderr, "tutti serve: reload: %d %s", reply.status, reply.body.c_str());
      });
      if (!started) std::fprintf(stderr, "tutti serve: a reload is already in progress\n");
      Hangup();
    });
  }

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) return Accept();
      if (tls_server_) {
        using Tls = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<Session<Tls>>(Tls(beast::tcp_stream(std::move(socket)), *tls_server_), service_, options_,
                                       reloader_)
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), service_, options_,
                                                     reloader_)
            ->Start();
      }
      Accept();
    });
  }

  void AcceptStream() {
    stream_acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) return AcceptStream();
      if (tls_server_) {
        using Tls = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<StreamSession<Tls>>(Tls(beast::tcp_stream(std::move(socket)), *tls_server_), service_,
                                             options_)
            ->Start();
      } else {
        std::make_shared<StreamSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), service_, options_)
            ->Start();
      }
      AcceptStream();
    });
  }

  void Tick() {
    service_.Tick();
    for (DeliveryJob& job : service_.TakeDeliveryJobs()) {
      Attempt(io_, service_, std::move(job), tls_clients_);
    }
    ticker_.expires_after(std::chrono::milliseconds(options_.tick_milliseconds));
    ticker_.async_wait([this](beast::error_code ec) {
      if (!ec) Tick();
    });
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  tcp::acceptor stream_acceptor_;
  net::steady_timer ticker_;
  net::signal_set signals_;
  net::signal_set hangup_;
  Service& service_;
  const ServerOptions& options_;
  Reloader reloader_;
  bool working_ = false;  // a slice of Service::Work is posted
  bool committing_ = false;  // a Service::Commit is posted
  TlsClients tls_clients_;
  std::optional<net::ssl::context> tls_server_;  // when the API is served over TLS
};

}  // namespace

int Serve(Service& service, const ServerOptions& options) {
  net::io_context io(1);
  Server server(io, service, options);
  if (auto err = server.Start()) {
    std::fprintf(stderr, "tutti serve: %s\n", err->c_str());
    return 1;
  }
  io.run();
  return 0;
}

}  // namespace tutti::runtime
