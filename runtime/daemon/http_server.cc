#include "runtime/daemon/http_server.h"
#include "runtime/daemon/forward.h"
#include "runtime/cluster/topic_records.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/channels/connection.h"
#include "runtime/daemon/http_request.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/stream_protocol.h"

namespace tutti::runtime {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Response = http::response<http::string_body>;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point started) { return std::chrono::duration<double>(Clock::now() - started).count(); }

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
      if (ec) return service.CountRefusal("tls_handshake");
      next();
    });
  }
}

/// One HTTP connection, over `Stream`: a beast::tcp_stream, or a
/// beast::ssl_stream of one when the server has a certificate (the TLS
/// handshake comes first, under the idle timeout). A request's head is
/// read and checked (http_api.h) before its body.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(Stream stream, Service& service, const ServerOptions& options, Reloader& reloader)
      : stream_(std::move(stream)), service_(service), options_(options), reloader_(reloader) {
    beast::error_code ec;
    auto peer = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) peer_ = peer.address().to_string();
  }

  void Start() {
    HandshakeThen(stream_, service_, options_.idle_timeout_seconds, [self = this->shared_from_this()] { self->Read(); });
  }

 private:
  void Read() {
    parser_.emplace();
    LimitRequestParser(*parser_, options_);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(options_.idle_timeout_seconds));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHead(ec); });
  }

  /// Refuses a request that could not be read, and closes.
  bool Unreadable(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      Close();
      return true;
    }
    if (!ec) return false;
    started_ = Clock::now();
    route_ = "unreadable";
    if (ec == http::error::body_limit) {
      service_.CountRefusal("body_limit");
      Send(Problem(413, "the body is over the limit of " + std::to_string(options_.max_body_bytes) + " bytes"), false);
    } else if (ec == http::error::header_limit) {
      service_.CountRefusal("header_limit");
      Send(Problem(431, "the headers are over the limit of " + std::to_string(options_.max_header_bytes) + " bytes"),
           false);
    } else {
      service_.CountRefusal("malformed");
      Send(Problem(400, "malformed HTTP request: " + ec.message()), false);
    }
    return true;
  }

  void OnHead(beast::error_code ec) {
    if (Unreadable(ec)) return;
    started_ = Clock::now();
    head_ = HeadOf(parser_->get());
    route_ = "other";
    if (auto refusal = CheckHead(head_, options_.access)) {
      service_.CountRefusal(refusal->status == 421 || head_.host.empty() ? "host"
                            : refusal->status == 403                 ? "origin"
                            : refusal->status == 415                 ? "content_type"
                                                                     : "framing");
      route_ = "refused";
      return Send(std::move(*refusal), false);
    }
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnBody(beast::error_code ec) {
    if (Unreadable(ec)) return;
    bool keep_alive = parser_->get().keep_alive();
    head_.body = std::move(parser_->get().body());
    auto target = ParseTarget(head_.target);
    if (!target) {
      service_.CountRefusal("target");
      return Send(Problem(400, "the request's target is not a path, or its %-escapes are malformed"), keep_alive);
    }
    route_ = target->route;
    std::optional<Reply> refusal;
    switch (SpecialRoute(head_, *target, options_.access, &refusal)) {
      case Special::kIngestEvents: return Ingest(Accept::kEvents, keep_alive);
      case Special::kIngestProfiles: return Ingest(Accept::kProfiles, keep_alive);
      case Special::kReload: return Reload(keep_alive);
      case Special::kNone: break;
    }
    if (!refusal && service_.OnACluster() && IsCustomerRead(*target)) return ReadOnCluster(*target, keep_alive);
    if (!refusal && service_.OnACluster() && GatheredOnCluster(*target, keep_alive)) return;
    if (!refusal && service_.OnACluster() && ActionByKeyOnCluster(*target, keep_alive)) return;
    Send(refusal ? std::move(*refusal) : Route(service_, head_, *target, options_.access), keep_alive);
  }

  /// A read of one customer on a cluster: answered by the node that runs
  /// their partition, here (on the node's thread) or sent on to it.
  void ReadOnCluster(const ApiTarget& target, bool keep_alive) {
    if (auto refusal = ReadRefusal(head_, options_.access)) return Send(std::move(*refusal), keep_alive);
    Service::CustomerReadPlan plan = service_.PlanCustomerRead(target.segments[2], !head_.forwarded.empty());
    if (plan.refusal) {
      service_.CountClusterRead("refused");
      return Send(std::move(*plan.refusal), keep_alive);
    }
    const char* where = plan.forward_to.empty() ? "here" : "sent_on";
    auto answer = [self = this->shared_from_this(), keep_alive, where](Reply reply) {
      self->service_.CountClusterRead(reply.status == 503 ? "refused" : where);
      self->Send(std::move(reply), keep_alive);
    };
    if (!plan.forward_to.empty())
      return Forward(stream_.get_executor(), plan.owner, plan.forward_to, head_, service_.NodeName(), answer,
                     service_.PeerTls());
    const Service& service = service_;
    service_.ReadHere(
        plan.partition, [&service, target](const EngineView& view) { return CustomerRead(service, target, view); },
        OnLoop(answer));
  }

  /// `then`, called from another thread (the node's), run on the loop's.
  std::function<void(Reply)> OnLoop(std::function<void(Reply)> then) {
    // Shared, so that the last reference to the session is dropped on the
    // loop's thread, never on the node's.
    auto shared = std::make_shared<std::function<void(Reply)>>(std::move(then));
    return [executor = stream_.get_executor(), shared](Reply reply) mutable {
      net::post(executor, [shared = std::move(shared), reply = std::move(reply)]() mutable { (*shared)(std::move(reply)); });
    };
  }

  /// On a cluster, the reads every node has a part of: GET /v1/journeys
  /// (and a journey's graph), GET /v1/tasks, GET /v1/engagement and
  /// /v1/accounts, an account's history and GET /v1/actions, gathered
  /// here; a node's own part (GET /v1/cluster/journeys, /v1/cluster/tasks,
  /// /v1/cluster/engagement, /v1/cluster/accounts/{id}/history, made on its
  /// node's thread; /v1/cluster/actions, its delivery outbox's, on this
  /// one). False for any other route.
  bool GatheredOnCluster(const ApiTarget& target, bool keep_alive) {
    const std::string& route = target.route;
    auto send = [self = this->shared_from_this(), keep_alive](Reply reply) { self->Send(std::move(reply), keep_alive); };
    static const char* const kGathered[] = {
        "/v1/journeys",         "/v1/journeys/{name}/graph",  "/v1/tasks",
        "/v1/engagement",       "/v1/accounts",               "/v1/accounts/{id}/history",
        "/v1/actions",          "/v1/cluster/journeys",       "/v1/cluster/tasks",
        "/v1/cluster/engagement", "/v1/cluster/accounts/{id}/history", "/v1/cluster/actions"};
    if (std::none_of(std::begin(kGathered), std::end(kGathered), [&](const char* r) { return route == r; }))
      return false;
    if (auto refusal = ReadRefusal(head_, options_.access)) {
      send(std::move(*refusal));
      return true;
    }
    TaskFilter filter;
    if (route == "/v1/tasks" || route == "/v1/cluster/tasks")
      if (auto refusal = TaskFilterOf(target.query, true, &filter)) {
        send(std::move(*refusal));
        return true;
      }
    const Service& service = service_;
    if (route == "/v1/cluster/journeys") service_.JourneysPartHere(OnLoop(send));
    else if (route == "/v1/cluster/tasks") service_.TasksPartHere(filter, OnLoop(send));
    else if (route == "/v1/cluster/engagement") service_.EngagementPartHere(target.query, OnLoop(send));
    else if (route == "/v1/cluster/accounts/{id}/history")
      service_.AccountHistoryPartHere(target.segments[3], target.query, OnLoop(send));
    else if (route == "/v1/accounts/{id}/history")
      Gather("/v1/cluster/accounts/" + PathSegment(target.segments[2]) + "/history?" + target.query,
             [&service, id = target.segments[2], query = target.query](auto done) {
               service.AccountHistoryPartHere(id, query, std::move(done));
             },
             [&service, target](const std::vector<Reply>& parts) {
               return service.AccountHistoryFromParts(parts, target.segments[2], target.query);
             },
             std::move(send));
    else if (route == "/v1/engagement" || route == "/v1/accounts")
      GatherEngagement(target, std::move(send));
    else if (route == "/v1/cluster/actions")
      send(service_.ActionsPartHere(target.query));
    else if (route == "/v1/actions")
      GatherActions(target, std::move(send));
    else if (route == "/v1/tasks")
      Gather("/v1/cluster/tasks?" + target.query,
             [&service, filter](auto done) { service.TasksPartHere(filter, std::move(done)); },
             [&service, filter](const std::vector<Reply>& parts) { return service.TasksFromParts(parts, filter); },
             std::move(send));
    else
      Gather("/v1/cluster/journeys", [&service](auto done) { service.JourneysPartHere(std::move(done)); },
             [&service, target](const std::vector<Reply>& parts) {
               return target.route == "/v1/journeys" ? service.JourneysFromParts(parts, target.query)
                                                     : service.GraphFromParts(parts, target.segments[2], target.query);
             },
             std::move(send));
    return true;
  }

  /// GET /v1/engagement or /v1/accounts on a cluster, in two rounds: the
  /// cluster's time (the latest partition clock, from every node's part of
  /// the journeys), then every node's figures over the one window that
  /// time gives.
  void GatherEngagement(const ApiTarget& target, std::function<void(Reply)> send) {
    const Service& service = service_;
    Gather(
        "/v1/cluster/journeys", [&service](auto done) { service.JourneysPartHere(std::move(done)); },
        [self = this->shared_from_this(), &service, target](const std::vector<Reply>& clocks,
                                                              std::function<void(Reply)> send) {
          Instant now = 0;
          if (auto refusal = service.ClusterNow(clocks, &now)) return send(std::move(*refusal));
          bool accounts = target.route == "/v1/accounts";
          std::string query = "now=" + std::to_string(now) + (accounts ? "&accounts=1" : "") + "&" + target.query;
          self->Gather("/v1/cluster/engagement?" + query,
                       [&service, query](auto done) { service.EngagementPartHere(query, std::move(done)); },
                       [&service, target, accounts](const std::vector<Reply>& parts) {
                         return service.EngagementFromParts(parts, accounts, target.query);
                       },
                       std::move(send));
        },
        std::move(send));
  }

  /// GET /v1/actions on a cluster: a page of every node's delivery outbox,
  /// each after its own place in the query's cursor.
  void GatherActions(const ApiTarget& target, std::function<void(Reply)> send) {
    const Service& service = service_;
    std::string probe;
    if (auto refusal = service.ActionsPartTarget(target.query, "", &probe)) return send(std::move(*refusal));
    GatherEach(
        [&service, query = target.query](const cluster::Member& node) {
          std::string part;
          (void)service.ActionsPartTarget(query, node.node, &part);  // the query was checked above
          return part;
        },
        [&service](const std::string& part, std::function<void(Reply)> done) {
          done(service.ActionsPartHere(std::string_view(part).substr(part.find('?') + 1)));
        },
        [&service, query = target.query](const std::vector<Reply>& parts, std::function<void(Reply)> send) {
          send(service.ActionsFromParts(parts, query));
        },
        std::move(send), std::nullopt, true);
  }

  /// On a cluster, an action named by its idempotency key, held by
  /// whichever node read it from the actions topic (cluster_actions.cc):
  /// POST /v1/outcomes, POST /v1/actions/{key}/retry and GET
  /// /v1/decisions/{key}/why ask every node; POST
  /// /v1/cluster/actions/held, /v1/cluster/actions/{key}/retry and GET
  /// /v1/cluster/decisions/{key}/why are a node's own answer to them.
  /// False for any other route.
  bool ActionByKeyOnCluster(const ApiTarget& target, bool keep_alive) {
    const std::string& route = target.route;
    bool outcomes = route == "/v1/outcomes", held = route == "/v1/cluster/actions/held";
    bool retry = route == "/v1/actions/{key}/retry", retry_here = route == "/v1/cluster/actions/{key}/retry";
    bool why = route == "/v1/decisions/{key}/why", why_here = route == "/v1/cluster/decisions/{key}/why";
    if (!outcomes && !held && !retry && !retry_here && !why && !why_here) return false;
    auto send = [self = this->shared_from_this(), keep_alive](Reply reply) { self->Send(std::move(reply), keep_alive); };
    auto refusal = why || why_here ? ReadRefusal(head_, options_.access)
                                   : PostRefusal(head_, options_.access, outcomes || held);
    if (refusal) {
      send(std::move(*refusal));
      return true;
    }
    Service& service = service_;
    if (held) {
      send(service.HeldActionsHere(head_.body));
    } else if (retry_here) {
      send(service.RetryHere(target.segments[3]));
    } else if (why_here) {
      service.WhyHere(target.segments[3], OnLoop(send));
    } else if (why) {
      GatherEach([part = "/v1/cluster/decisions/" + PathSegment(target.segments[2]) + "/why"](
                     const cluster::Member&) { return part; },
                 [&service, key = target.segments[2]](const std::string&, std::function<void(Reply)> done) {
                   service.WhyHere(key, std::move(done));
                 },
                 [](const std::vector<Reply>& answers, std::function<void(Reply)> send) {
                   send(Service::FromHolder(answers));
                 },
                 std::move(send), std::nullopt, true);
    } else if (retry) {
      GatherEach([part = "/v1/cluster/actions/" + PathSegment(target.segments[2]) + "/retry"](
                     const cluster::Member&) { return part; },
                 [&service, key = target.segments[2]](const std::string&, std::function<void(Reply)> done) {
                   done(service.RetryHere(key));
                 },
                 [](const std::vector<Reply>& answers, std::function<void(Reply)> send) {
                   send(Service::FromHolder(answers));
                 },
                 std::move(send), "", true);
    } else {
      // Every node is asked which of the lines' actions it holds.
      auto lines = std::make_shared<std::vector<Service::OutcomeLine>>(Service::ReadOutcomeLines(head_.body));
      if (lines->size() > Service::kMaxOutcomesAtOnce) {
        send(Problem(400, "at most " + std::to_string(Service::kMaxOutcomesAtOnce) + " outcomes at a time on a cluster"));
        return true;
      }
      Json keys = Json::array();
      for (const Service::OutcomeLine& line : *lines)
        if (line.error.empty()) keys.push_back(line.key);
      if (keys.empty()) {
        send(service.OutcomesFromParts({}, *lines));
        return true;
      }
      std::string body = keys.dump(-1, ' ', false, Json::error_handler_t::replace);
      GatherEach([](const cluster::Member&) { return std::string("/v1/cluster/actions/held"); },
                 [&service, body](const std::string&, std::function<void(Reply)> done) {
                   done(service.HeldActionsHere(body));
                 },
                 [&service, lines](const std::vector<Reply>& answers, std::function<void(Reply)> send) {
                   send(service.OutcomesFromParts(answers, *lines));
                 },
                 std::move(send), body, true);
    }
    return true;
  }

  /// Every node's part (`part_target` on each, this node's made by
  /// `here` on its node's thread), added up by `add_up` once all are in.
  void Gather(const std::string& part_target, std::function<void(std::function<void(Reply)>)> here,
              std::function<Reply(const std::vector<Reply>&)> add_up, std::function<void(Reply)> send) {
    Gather(
        part_target, std::move(here),
        [add_up = std::move(add_up)](const std::vector<Reply>& parts, std::function<void(Reply)> send) {
          send(add_up(parts));
        },
        std::move(send));
  }

  /// Every node's part, handed to `then` with `send` once all are in.
  void Gather(const std::string& part_target, std::function<void(std::function<void(Reply)>)> here,
              std::function<void(const std::vector<Reply>&, std::function<void(Reply)>)> then,
              std::function<void(Reply)> send) {
    GatherEach([part_target](const cluster::Member&) { return part_target; },
               [here = std::move(here)](const std::string&, std::function<void(Reply)> done) { here(std::move(done)); },
               std::move(then), std::move(send));
  }

  /// Every node's part, each asked for with its own target (`target_of`;
  /// this node's made by `here` from its target), handed to `then` with
  /// `send` once all are in. With a `post` body, each is asked by a POST.
  /// The nodes asked run partitions; with `holders`, also those that only
  /// deliver actions (for the reads of actions).
  void GatherEach(std::function<std::string(const cluster::Member&)> target_of,
                  std::function<void(const std::string&, std::function<void(Reply)>)> here,
                  std::function<void(const std::vector<Reply>&, std::function<void(Reply)>)> then,
                  std::function<void(Reply)> send, std::optional<std::string> post = std::nullopt,
                  bool holders = false) {
    std::vector<cluster::Member> owners = holders ? service_.ClusterHolders() : service_.ClusterOwners();
    if (owners.empty())
      return send(TryAgain("not every partition has a node announced yet: try again once the group has given them out", 1));
    struct Gathered {
      std::vector<Reply> answers;
      size_t left = 0;
    };
    auto gathered = std::make_shared<Gathered>();
    gathered->answers.resize(owners.size());
    gathered->left = owners.size();
    auto finish = std::make_shared<std::pair<decltype(then), decltype(send)>>(std::move(then), std::move(send));
    for (size_t i = 0; i < owners.size(); ++i) {
      auto got = [gathered, i, finish](Reply reply) {
        gathered->answers[i] = std::move(reply);
        if (--gathered->left > 0) return;
        finish->first(gathered->answers, std::move(finish->second));
      };
      ApiRequest part;
      part.method = post ? "POST" : "GET";
      if (post) part.body = *post;
      part.target = target_of(owners[i]);
      part.authorization = head_.authorization;
      if (owners[i].node == service_.NodeName()) here(part.target, OnLoop(got));
      else Forward(stream_.get_executor(), owners[i].node, owners[i].api, part, service_.NodeName(), got, service_.PeerTls());
    }
  }

  /// POST /v1/events and /v1/profiles: staged, and answered once the
  /// group commit that takes them is durable.
  void Ingest(Accept accept, bool keep_alive) {
    // Decoded now, so the body need not outlive this call.
    service_.Stage(head_.body, accept, [self = this->shared_from_this(), keep_alive](IngestResult result) {
      self->Send(Service::IngestReply(result), keep_alive);
    });
    head_.body.clear();
  }

  /// POST /v1/journeys/reload: answers once the new version runs, or
  /// with why it does not.
  void Reload(bool keep_alive) {
    auto finish = [self = this->shared_from_this(), keep_alive](Reply reply) { self->Send(std::move(reply), keep_alive); };
    if (!reloader_.Start(finish)) finish(Problem(409, "a reload is already in progress"));
  }

  void Send(Reply reply, bool keep_alive) {
    service_.CountRequest(route_, reply.status, Since(started_));
    if (options_.access_log)
      Log(LogLevel::kInfo, "access", "request",
          {{"peer", peer_}, {"method", head_.method}, {"route", route_}, {"status", reply.status},
           {"bytes", reply.body.size()}, {"seconds", Since(started_)}});
    bool head = head_.method == "HEAD";
    auto res = std::make_shared<Response>(static_cast<http::status>(reply.status), 11);
    res->set(http::field::server, "tutti");
    res->set(http::field::content_type, reply.content_type);
    res->set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : reply.headers) res->set(name, value);
    res->keep_alive(keep_alive && !reply.close);
    res->body() = std::move(reply.body);
    res->prepare_payload();
    if (head) res->body().clear();  // the length of what a GET would get, and no body
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
  std::optional<RequestParser> parser_;
  Service& service_;
  const ServerOptions& options_;
  Reloader& reloader_;
  ApiRequest head_;
  std::string route_ = "other";
  std::string peer_;
  Clock::time_point started_ = Clock::now();
};

/// The streaming ingest port (stream_protocol.h), over `Stream`: plain TCP,
/// or TLS when the server has a certificate.
template <typename Stream>
class StreamSession : public std::enable_shared_from_this<StreamSession<Stream>> {
 public:
  StreamSession(Stream stream, Service& service, const ServerOptions& options)
      : stream_(std::move(stream)), service_(service), options_(options),
        protocol_(options.access.ingest_token, options.max_body_bytes) {}

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
    size_t taken = 0;
    StreamIngest::Step step = protocol_.Take(data, &taken);
    buffer_.consume(taken);
    switch (step.kind) {
      case StreamIngest::Step::Kind::kFail:
        service_.CountRefusal("stream");
        return Fail(step.fail);
      case StreamIngest::Step::Kind::kMore: return Read();
      case StreamIngest::Step::Kind::kBatch: break;
    }
    auto started = Clock::now();
    size_t lines = step.lines;
    service_.Stage(step.batch, Accept::kEvents, [self = this->shared_from_this(), started, lines](IngestResult result) {
      self->service_.CountRequest("stream", result.status, Since(started));
      self->WriteAck(self->protocol_.Ack(result, lines));
    });
  }

  /// Sends an acknowledgement, then reads on.
  void WriteAck(std::string ack) {
    auto out = std::make_shared<std::string>(std::move(ack));
    net::async_write(stream_, net::buffer(*out), [self = this->shared_from_this(), out](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      self->Read();
    });
  }

  void Fail(const std::string& line) {
    auto out = std::make_shared<std::string>(line);
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
  StreamIngest protocol_;
};

class Server {
 public:
  Server(net::io_context& io, Service& service, ServerOptions options)
      : io_(io), acceptor_(io), stream_acceptor_(io), ticker_(io), delivery_timer_(io), finals_timer_(io),
        signals_(io, SIGINT, SIGTERM),
        hangup_(io, SIGHUP), service_(service), options_(std::move(options)), reloader_(io, service) {
    // Served on loopback only, requests must name a loopback host (DNS
    // rebinding); beyond it, any host unless allowed_hosts says which.
    options_.access.loopback = IsLoopback(options_.host);
  }

  /// Binds and starts; an error message when the address cannot be used.
  std::optional<std::string> Start() {
    if (!options_.tls_cert.empty()) {
      auto context = MakeTlsContext(options_.tls_cert, options_.tls_key);
      if (!context.ok()) return context.status().message();
      tls_server_ = std::move(*context);
    }
    if (tls_server_ && service_.OnACluster()) {
      // Requests sent on to the other nodes go over TLS too, verified.
      auto peers = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
      peers->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
      beast::error_code ec;
      peers->set_verify_mode(net::ssl::verify_peer, ec);
      if (service_.PeerCa().empty()) peers->set_default_verify_paths(ec);
      else peers->load_verify_file(service_.PeerCa(), ec);
      if (ec) return "cannot load the certificate authorities of the other nodes (kafka.peer_ca): " + ec.message();
      service_.UsePeerTls(std::move(peers));
    }
    if (auto err = Listen(acceptor_, options_.host, options_.port, "")) return err;
    service_.Listening(options_.host, acceptor_.local_endpoint().port());
    if (options_.stream) {
      if (auto err = Listen(stream_acceptor_, options_.stream_host, options_.stream_port, " for streaming ingest"))
        return err;
      std::printf("tutti serve: streaming ingest on %s:%u%s\n", options_.stream_host.c_str(),
                  stream_acceptor_.local_endpoint().port(), tls_server_ ? " (tls)" : "");
      AcceptStream();
    }
    // Safe defaults: an API on another address than loopback with no
    // token takes anyone's inputs; said at the start and in the metrics.
    bool open = options_.access.ingest_token.empty() || options_.access.admin_token.empty();
    bool exposed = !IsLoopback(options_.host) || (options_.stream && !IsLoopback(options_.stream_host));
    service_.metrics().AddGauge("tutti_api_without_tokens",
                                "1 when the API listens beyond loopback with an endpoint open to anyone (no token).",
                                [this] {
                                  bool exposed = !IsLoopback(options_.host) ||
                                                 (options_.stream && !IsLoopback(options_.stream_host));
                                  return exposed && (options_.access.ingest_token.empty() ||
                                                     options_.access.admin_token.empty()) ? 1.0 : 0.0;
                                });
    if (open && exposed)
      Log(LogLevel::kWarning, "http",
          "the API listens beyond loopback and some of its endpoints need no token: anyone who can reach it can send "
          "inputs or read customers; set ingest_token and admin_token",
          {{"listen", options_.host}});
    std::FILE* announce = options_.announce_on_stderr ? stderr : stdout;
    std::fprintf(announce, "tutti serve: listening on %s:%u%s\n", options_.host.c_str(),
                 acceptor_.local_endpoint().port(), tls_server_ ? " (https)" : "");
    std::fflush(announce);
    // Group commit: the batches of requests read in one turn of the loop
    // are logged together, in one synced write, when the turn after it is
    // over: a request whose head was read in this turn has its body read
    // (from what is already buffered) in the next, and joins the write.
    service_.OnStaged([this] {
      if (committing_) return;
      committing_ = true;
      net::post(io_, [this] {
        net::post(io_, [this] {
          committing_ = false;
          service_.Commit();
        });
      });
    });
    // Final delivery states wait up to 2 ms for others, to share a synced
    // write: under load one write carries hundreds of them.
    service_.OnFinalStaged([this] {
      if (finals_armed_) return;
      finals_armed_ = true;
      finals_timer_.expires_after(std::chrono::milliseconds(2));
      finals_timer_.async_wait([this](beast::error_code) {
        finals_armed_ = false;
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
    // Delivery attempts start as soon as they may: an action routed, a
    // slot freed, a backoff over.
    service_.OnDeliveries([this] {
      if (pumping_) return;
      pumping_ = true;
      net::post(io_, [this] {
        pumping_ = false;
        Pump();
      });
    });
    Accept();
    Tick();
    Pump();
    signals_.async_wait([this](beast::error_code, int signal) {
      Log(LogLevel::kInfo, "http", std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
      NotifyServiceManager("STOPPING=1");
      beast::error_code ignored;
      acceptor_.close(ignored);
      stream_acceptor_.close(ignored);
      ticker_.cancel();
      delivery_timer_.cancel();
      stopping_ = true;  // no attempt starts from now on
      // Attempts under way finish (each within its route's timeouts) and
      // their outcomes are written, rather than made again after the
      // start; a second signal stops at once.
      signals_.async_wait([this](beast::error_code ec, int) {
        if (!ec) Stop();
      });
      WaitForAttempts(std::chrono::steady_clock::now() + service_.LongestAttempt() + std::chrono::seconds(1));
    });
    Hangup();
    NotifyServiceManager("READY=1");
    return std::nullopt;
  }

 private:
  /// A TLS server context for `cert` and `key` (PEM), TLS 1.2 and up.
  static Result<std::shared_ptr<net::ssl::context>> MakeTlsContext(const std::string& cert, const std::string& key) {
    auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_server);
    context->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                         net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    beast::error_code ec;
    context->use_certificate_chain_file(cert, ec);
    if (ec) return Status::Invalid("cannot load the TLS certificate " + cert + ": " + ec.message());
    context->use_private_key_file(key, net::ssl::context::pem, ec);
    if (ec) return Status::Invalid("cannot load the TLS key " + key + ": " + ec.message());
    return context;
  }

  /// Opens `acceptor` on host:port; an error message when it cannot.
  static std::optional<std::string> Listen(tcp::acceptor& acceptor, const std::string& host, uint16_t port,
                                           const char* what) {
    beast::error_code ec;
    auto address = net::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
    if (ec) return "'" + host + "' is not an IP address";
    tcp::endpoint endpoint(address, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return std::string("cannot listen") + what + " on " + host + ":" + std::to_string(port) + ": " + ec.message();
    return std::nullopt;
  }

  /// SIGHUP: a hot reload of the journeys, and of the config's reloadable
  /// keys and the TLS certificate; outcomes in the log.
  void Hangup() {
    hangup_.async_wait([this](beast::error_code ec, int) {
      if (ec) return;
      NotifyServiceManager("RELOADING=1");
      Log(LogLevel::kInfo, "reload", "SIGHUP: reloading the config and the journeys");
      ReloadConfig();
      bool started = reloader_.Start([](Reply reply) {
        Log(reply.status == 200 ? LogLevel::kInfo : LogLevel::kError, "reload",
            "reload: " + std::to_string(reply.status) + " " + reply.body.substr(0, reply.body.find_last_not_of('\n') + 1));
        NotifyServiceManager("READY=1");
      });
      if (!started) {
        Log(LogLevel::kWarning, "reload", "a reload is already in progress");
        NotifyServiceManager("READY=1");
      }
      Hangup();
    });
  }

  /// Reads the config file again and applies what can change while
  /// running (config.h ApplyReloadable); a config that does not check
  /// changes nothing.
  void ReloadConfig() {
    if (options_.config_file.empty()) return;
    auto config = ReadConfig(options_.config_file);
    Status files = config.ok() ? CheckConfigFiles(*config) : config.status();
    if (!files.ok()) {
      Log(LogLevel::kError, "reload", "the config does not check; nothing of it was applied: " + files.message());
      return;
    }
    if (config->server.tls_cert.empty() != options_.tls_cert.empty()) {
      Log(LogLevel::kWarning, "reload", "turning TLS on or off needs a restart; the rest of the config was applied");
      config->server.tls_cert = options_.tls_cert;
      config->server.tls_key = options_.tls_key;
    }
    if (tls_server_) {
      auto context = MakeTlsContext(config->server.tls_cert, config->server.tls_key);
      if (!context.ok()) {
        Log(LogLevel::kError, "reload", "the TLS certificate was not reloaded: " + context.status().message());
        config->server.tls_cert = options_.tls_cert;
        config->server.tls_key = options_.tls_key;
      } else {
        // New connections use the new one; those open keep theirs: each
        // SSL holds its own reference to its SSL_CTX (SSL_new), and this
        // context sets no callback that asio would free with it.
        tls_server_ = std::move(*context);
      }
    }
    LogFormat format = CurrentLogFormat();
    for (const std::string& key : RestartOnlyChanges(options_.config_text, config->server.config_text))
      Log(LogLevel::kWarning, "reload", "'" + key + "' changed in the config: that takes a restart, not a reload");
    ApplyReloadable(*config, options_, &format);
    ConfigureLog(format);
    Log(LogLevel::kInfo, "reload", "the config's reloadable keys were applied");
  }

  template <template <typename> class S, typename... Args>
  void StartSession(tcp::socket socket, Args&... args) {
    if (tls_server_) {
      using Tls = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<S<Tls>>(Tls(beast::tcp_stream(std::move(socket)), *tls_server_), service_, options_, args...)
          ->Start();
    } else {
      std::make_shared<S<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), service_, options_, args...)->Start();
    }
  }

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) StartSession<Session>(std::move(socket), reloader_);
      AfterAccept(ec, [this] { Accept(); });
    });
  }

  void AcceptStream() {
    stream_acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (!ec) StartSession<StreamSession>(std::move(socket));
      AfterAccept(ec, [this] { AcceptStream(); });
    });
  }

  /// Accepts the next connection: at once, or after a pause when accepting
  /// failed (out of file descriptors: retrying at once would spin).
  void AfterAccept(beast::error_code ec, std::function<void()> next) {
    if (!ec) return next();
    service_.CountRefusal("accept");
    auto pause = std::make_shared<net::steady_timer>(io_, std::chrono::milliseconds(100));
    pause->async_wait([pause, next = std::move(next)](beast::error_code) { next(); });
  }

  /// Once no delivery attempt is under way (or at `deadline`), stops.
  void WaitForAttempts(std::chrono::steady_clock::time_point deadline) {
    if (service_.AttemptsInFlight() == 0 || std::chrono::steady_clock::now() >= deadline) return Stop();
    ticker_.expires_after(std::chrono::milliseconds(10));
    ticker_.async_wait([this, deadline](beast::error_code ec) {
      if (!ec) WaitForAttempts(deadline);
    });
  }

  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    service_.Tick();          // settle, and write the outcomes come back
    service_.SaveSnapshot();  // the next start replays nothing
    io_.stop();
  }

  /// Starts the delivery attempts that may start, and wakes up again when
  /// the next backoff or rate-limit slot is over.
  void Pump() {
    if (stopping_) return;
    for (DeliveryJob& job : service_.TakeDeliveryJobs()) Attempt(io_, service_, std::move(job), clients_);
    auto due = service_.NextAttemptDue();
    if (!due) return;
    if (armed_ && *armed_ <= *due) return;  // already set to wake up in time
    armed_ = *due;
    delivery_timer_.expires_at(*due);
    delivery_timer_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      armed_.reset();
      Pump();
    });
  }

  void Tick() {
    service_.Tick();
    Pump();
    ticker_.expires_after(std::chrono::milliseconds(options_.tick_milliseconds));
    ticker_.async_wait([this](beast::error_code ec) {
      if (!ec) Tick();
    });
  }

  net::io_context& io_;
  tcp::acceptor acceptor_;
  tcp::acceptor stream_acceptor_;
  net::steady_timer ticker_;
  net::steady_timer delivery_timer_;
  net::steady_timer finals_timer_;
  bool finals_armed_ = false;  // finals_timer_ will commit the final states staged
  std::optional<Clock::time_point> armed_;  // when delivery_timer_ wakes up
  bool stopping_ = false;  // a signal came: attempts under way finish, no new one starts
  bool stopped_ = false;   // Stop ran
  net::signal_set signals_;
  net::signal_set hangup_;
  Service& service_;
  ServerOptions options_;
  Reloader reloader_;
  bool working_ = false;     // a slice of Service::Work is posted
  bool committing_ = false;  // a Service::Commit is posted
  bool pumping_ = false;     // a Pump is posted
  Clients clients_;  // TLS settings and idle connections of delivery attempts
  std::shared_ptr<net::ssl::context> tls_server_;  // when the API is served over TLS
};

}  // namespace

void NotifyServiceManager(const std::string& state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || (path[0] != '/' && path[0] != '@') || std::strlen(path) >= sizeof(sockaddr_un::sun_path))
    return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  size_t length = std::strlen(path);
  std::memcpy(address.sun_path, path, length);
  if (path[0] == '@') address.sun_path[0] = '\0';  // an abstract socket
  ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length));
  ::close(fd);
}

int Serve(Service& service, ServerOptions options) {
  net::io_context io(1);
  Server server(io, service, std::move(options));
  if (auto err = server.Start()) {
    Log(LogLevel::kError, "http", *err);
    return 1;
  }
  io.run();
  // A cluster's reads still waiting are answered now, while the loop
  // they would be posted to still exists (it runs no more).
  service.StopReads();
  return 0;
}

}  // namespace tutti::runtime
