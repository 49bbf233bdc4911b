#pragma once
// What the daemon does, apart from the network: the engine's shards (one
// per core, runtime/engine/shards.h) over a JourneySet, its durable input
// log, the delivery of its outbox, and the answers to the HTTP API as
// Replies. Only http_server.cc and the channel adapters (channels/) touch Asio; this file is
// plain, testable C++.
//
// Every call comes from the server's one event-loop thread, in order; the
// shards' threads work only within a call.

#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "runtime/cluster/action_feed.h"
#include "runtime/cluster/partition_worker.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/daemon/actions_query.h"
#include "runtime/daemon/engagement_scan.h"
#include "runtime/daemon/history_journal.h"
#include "runtime/daemon/history_part.h"
#include "runtime/daemon/input_log.h"
#include "runtime/daemon/metrics.h"
#include "runtime/daemon/reply.h"
#include "runtime/daemon/tasks_part.h"
#include "runtime/engine/clock.h"
#include "runtime/engine/journey_set.h"
#include "runtime/engine/shards.h"
#include "runtime/records/ingest_result.h"

namespace boost::asio::ssl {
class context;  // PeerTls
}

namespace tutti::runtime {

namespace cluster {
class Node;
struct Member;
}

class ChannelAdapter;  // channels/adapter.h

/// What a channel adapter read from one route's settings (its own type:
/// a webhook's URL, a relay and its sender).
struct RouteTarget {
  virtual ~RouteTarget() = default;
};

/// Where the actions of one channel go instead of the file sink, one by
/// one, through its adapter (channels/adapter.h: a webhook, an SMTP relay);
/// retried with exponential backoff and jitter, then dead-lettered. The
/// retry budget, timeouts and pace are every adapter's; the rest is the
/// adapter's own.
struct DeliveryRoute {
  const ChannelAdapter* adapter = nullptr;
  std::shared_ptr<RouteTarget> target;  // what `adapter` read
  int max_attempts = 5;
  int backoff_ms = 1000;   // before the 2nd attempt; doubled each time after
  int connect_timeout_ms = 5000;  // per attempt: resolving, connecting, the TLS handshake
  int timeout_ms = 60000;  // per attempt, once connected: sending and the answer
  int concurrency = 4;     // attempts in flight at once, for this channel
  int rate_per_second = 0;  // attempts started per second, at most; 0: no limit
};

/// One delivery attempt for the server to make.
struct DeliveryJob {
  uint64_t seq = 0;
  const DeliveryRoute* route = nullptr;
  std::string body;  // the action's JSON as written (with its rendered message)
  std::string idempotency_key;
  std::string to;    // the recipient's address, when the adapter needs one (SMTP)
  /// The content the engine rendered for the recipient (a send of a
  /// declared template); none: the send named no template.
  std::optional<RenderedMessage> message;
};

/// What became of one delivery attempt.
struct DeliveryOutcome {
  bool ok = false;
  /// What happened, for the action_failed event's reason: may quote the
  /// peer's answer (printable, bounded), so it is never logged.
  std::string detail;
  /// What happened in the daemon's words only ("http 503", "smtp 550",
  /// "timeout", "refused"): safe to log.
  std::string code;
};

/// Whose work each channel carries and which events are a prescriber's
/// responses, for the director's figures (engagement.cc; the `engagement`
/// setting). By default the stdlib's channels and events.
struct EngagementRoles {
  std::map<std::string, std::string> channels;   // channel -> role
  std::map<std::string, std::string> responses;  // event type -> the role it answers
  /// A colleague's `role` (the staff profile's) -> the role their tasks
  /// count under; a task whose assignee's role is not here counts under
  /// its channel's.
  std::map<std::string, std::string> staff;
  int64_t response_window_days = 7;
  static EngagementRoles Stdlib();
};

struct ServiceOptions {
  std::string journeys;     // folder (or file) of journeys
  std::string stdlib_dir;
  std::string data_dir;     // the input log and the actions file live here
  std::string profiles;     // NDJSON loaded at every start, before the log
  bool virtual_clock = false;  // time moves only with events and POST /v1/clock
  /// Native code (compiled at start, cached in DATA/jit-cache) or the
  /// interpreter; the decisions are the same.
  bool jit = true;
  /// The director's figures: roles and responses (the `engagement` setting).
  EngagementRoles engagement = EngagementRoles::Stdlib();
  /// Where the native code is cached: empty for DATA/jit-cache, "none" for
  /// nowhere. Daemons may share one (a file is written whole or not at all).
  std::string jit_cache;
  std::string actions_file;    // default: DATA/actions.ndjson
  /// Delivered (or dead-lettered) actions kept in memory for
  /// GET /v1/actions; older ones are forgotten (pending ones never are).
  size_t actions_retained = 100000;
  /// A snapshot of the state is written once this many inputs were logged
  /// since the last one (and at a clean stop); a start restores the
  /// newest it can read and replays the log after it. 0: no snapshots.
  size_t snapshot_every = 1000000;
  /// How many shards (engines, each on its own thread) split the
  /// customers; 0: one per core. Fixed by the data folder's first start:
  /// a later start keeps the number its log was written with. Journeys
  /// that reach past their own customers (WhyOneShard) run on one.
  uint32_t shards = 0;
  /// Start even when the log or the snapshots are damaged so that
  /// acknowledged inputs are lost: what can be read is used, the loss is
  /// logged, counted and reported by /readyz. Off: such a start stops.
  bool accept_data_loss = false;
  /// Keep the history journal (DATA/history): history pages show every
  /// event's fields, every action's template and step, and the sends held
  /// back or put off. Off: the journal is removed at the start and pages
  /// show the engine's entries (time, kind, name, journey).
  bool history_details = true;
  /// Channel (or "task", "notify") -> its route (a webhook, an SMTP
  /// relay); other channels go to the actions file.
  std::map<std::string, DeliveryRoute> routes;
  /// Cluster mode (docs/cluster.md), on when `kafka.kafka.brokers` is set:
  /// the inputs, the state and the actions live in Kafka's topics, and
  /// this daemon is one node of the group.
  cluster::PartitionSettings kafka;
  /// This node's name in the group, unique among the nodes; empty: the
  /// host's name and the process id.
  std::string node;
  /// Where the other nodes reach this node's API ("host:port"), to send
  /// it the reads of its partitions' customers; empty: the listening
  /// address, or the host's name when it listens on every address.
  std::string advertise;
  /// When the API is served over TLS: the certificate authorities (a PEM
  /// file) that sign the other nodes' API certificates, which requests
  /// sent on to them verify; empty: the system's.
  std::string peer_ca;
};

/// A version of the journeys loaded, checked and compiled off the event
/// loop (Service::PrepareReload), waiting to be taken on between two inputs
/// (Service::CommitReload).
struct PreparedReload {
  std::unique_ptr<JourneySet> set;  // null when the journeys do not check or compile
  std::string error;                // why not
  std::string diagnostics;          // the checker's, rendered as text
  double seconds = 0;               // loading, checking and compiling
};

/// Which tasks GET /v1/tasks lists (work_queues.cc): open ones (or, with
/// `closed`, the newest closed), of one assignee, role, customer and
/// journey when named; `limit` of them from `offset` on.
struct TaskFilter {
  std::string assignee, role, customer, journey;
  bool overdue_only = false;
  bool closed = false;
  size_t offset = 0, limit = 200;
};

/// The time a journey's windowed counts cover, [from, to), in whole UTC
/// days: from the day of `from` to the day `to` ends in, `to` excluded
/// when it is a midnight (answers.cc).
struct JourneyWindow {
  Instant from = 0, to = 0;
};
/// The days [first, end) of a window (Service::WindowDays) as a reply
/// gives them: {"from", "to"}, each a midnight.
Json WindowDaysJson(std::pair<int64_t, int64_t> days);

/// One version of a journey as GET /v1/journeys shows it: what the shards
/// (or on a cluster the partitions) add up to.
struct JourneyRow {
  const compiler::ir::Journey* journey = nullptr;
  const char* status = "running";  // "running", "paused" or "retired"
  int64_t active = 0;
  std::vector<int64_t> waiting;  // by step: instances resting there now
  JourneyStats stats;
};
/// GET /v1/journeys's answer from its rows, with a window's counts as of
/// the engine's `now` when one is asked; `more` adds to the reply's members.
Reply JourneysReply(const std::vector<JourneyRow>& rows, std::optional<JourneyWindow> window, Instant now, Json more);
/// GET /v1/journeys/{name}/graph's answer (journey_graph.cc) from every
/// version's row: `version` 0 is the newest still running.
Reply GraphReply(const std::vector<JourneyRow>& rows, std::string_view name, int64_t version,
                 std::optional<JourneyWindow> window, Instant now);

/// The engines a read of customers looks at: a daemon's shards, or on a
/// cluster the engine of the partition the customer is in (read on the
/// node's thread: cluster::Node::Read).
struct EngineView {
  std::vector<const Engine*> engines;  // at least one
  /// The one that owns the customer keyed `key` of `profile` (its
  /// instances and history).
  std::function<const Engine&(std::string_view profile, std::string_view key)> owner;
  /// The actions held for delivery; null on a cluster (they are in the
  /// actions topic).
  const Outbox* outbox = nullptr;
};

class Service {
 public:
  /// Loads the journeys and the profiles file, opens the log and replays
  /// it. A failure says why it cannot start (kCorruption: data would be
  /// lost; see ServiceOptions::accept_data_loss).
  static Result<std::unique_ptr<Service>> Start(const ServiceOptions& options);
  ~Service();

  /// POST /v1/outcomes: what a channel reported after delivery, as NDJSON
  /// lines {"idempotency_key": K, "outcome": "bounced" | "delivered" |
  /// "failed", "reason": TEXT}; each becomes the action_bounced (or
  /// action_delivered, action_failed) event of its action's prescriber,
  /// ingested like any event. Per-line results; 400 when none was taken.
  Reply PostOutcomes(std::string_view body);
  /// Longer keys name no action (Tutti's own are 16 hex digits).
  static constexpr size_t kMaxIdempotencyKeyBytes = 256;
  /// On a cluster, the outcome lines one request may hold (each key is
  /// looked for on every node).
  static constexpr size_t kMaxOutcomesAtOnce = 100000;
  /// An outcome line of POST /v1/outcomes as read: its action's key and
  /// the event it asks for, or why the line is refused.
  struct OutcomeLine {
    size_t number = 0;
    std::string key, reason, error;
    const char* type = nullptr;  // "action_bounced", ...
  };
  static std::vector<OutcomeLine> ReadOutcomeLines(std::string_view body);
  /// The outcome events of `lines`, each line's action found by `find`
  /// (its idempotency key: the action, or null when none is held),
  /// ingested together; the per-line results.
  Reply TakeOutcomes(const std::vector<OutcomeLine>& lines,
                     const std::function<const Decision*(const std::string& key)>& find);
  /// POST /v1/events and /v1/profiles, committed at once: one JSON object
  /// (on one line or several) or NDJSON lines. Each line is checked
  /// against its schema; the good ones are logged durably, then applied.
  /// The result says, per line, what was accepted and why anything was
  /// refused; 400 when nothing was acceptable, 503 when the log refused
  /// the write (then nothing was applied).
  IngestResult Ingest(std::string_view body, Accept accept);
  /// Group commit, for requests that arrive together: decodes `body` now
  /// and stages it; the next Commit logs every staged batch in one synced
  /// write, applies them in order, and calls each `done` with its result.
  /// Stage asks for that commit through OnStaged (commits at once without).
  void Stage(std::string_view body, Accept accept, std::function<void(IngestResult)> done);
  void Commit();
  void OnStaged(std::function<void()> call) { on_staged_ = std::move(call); }
  /// Asks for a commit soon, not at once: final delivery states (and the
  /// outcome events they carry) answer no one, so the server gathers those
  /// of a few milliseconds into one synced write (commits at once without).
  void OnFinalStaged(std::function<void()> call) { on_final_staged_ = std::move(call); }
  /// The answer to POST /v1/events or /v1/profiles for `result`.
  static Reply IngestReply(const IngestResult& result);
  /// Loads, checks and compiles the journeys folder of `options` again.
  /// Safe on any thread: it touches no service.
  static PreparedReload PrepareReload(const ServiceOptions& options);
  /// POST /v1/journeys/reload and SIGHUP, the second half, on the event
  /// loop: takes the prepared version on (Engine::Reload says what that
  /// means for running instances), logged like any input. 200 with what
  /// changed (or "unchanged"); 422 with the diagnostics when the journeys
  /// do not check; 409 when the records changed layout. On any refusal
  /// the running version stays.
  Reply CommitReload(PreparedReload prepared);
  const ServiceOptions& options() const { return options_; }

  /// POST /v1/journeys/NAME/pause and /resume (logged like any input).
  Reply PostPause(std::string_view journey, bool pause);
  /// POST /v1/clock {"to": TIME}: virtual clock only.
  Reply PostClock(std::string_view body);
  /// Moves a system clock's engine time to now (the server calls this a few
  /// times a second) and delivers what fell due.
  void Tick();
  /// Does a slice (about `budget`) of the work left behind: timers that
  /// fell due, then the inputs logged after them, in log order, then the
  /// deliveries. True while work remains: the server calls it again soon,
  /// serving other requests in between. Inputs are acknowledged once
  /// logged, so a million timers due at once (a clock jump, a tick after a
  /// long stop) hold up no acknowledgement; otherwise a request's events
  /// and profiles are applied before its answer.
  bool Work(std::chrono::microseconds budget);
  static const std::chrono::microseconds kSlice;  // the budget of one slice
  bool HasWork() const { return !unapplied_.empty() || tick_to_.has_value(); }
  /// Called whenever Work leaves work behind, so that the server schedules
  /// more (Work again, after the requests waiting).
  void OnBacklog(std::function<void()> call) { on_backlog_ = std::move(call); }
  /// When the engine next has something to do, in system-clock time.
  std::optional<Instant> NextDue();

  /// GET /v1/actions: up to `asked.limit` held actions after cursor
  /// `since`, only those in `asked.delivery`'s state and of
  /// `asked.customer` when given.
  Reply GetActions(uint64_t since, const ActionsQuery& asked) const;
  /// A page of `outbox` after `since`: each action's JSON line (with its
  /// `seq` and `delivery`), the last number looked at, and how many after
  /// `since` are no longer held.
  struct ActionLines {
    std::vector<std::string> lines;
    uint64_t next = 0, trimmed = 0;
  };
  /// An action's line in the action log: its NDJSON with its `seq` and `delivery`.
  static std::string ActionLine(const OutboxEntry& e);
  static ActionLines PageOfActions(const Outbox& outbox, uint64_t since, const ActionsQuery& asked);
  /// POST /v1/actions/{key}/retry: a dead letter delivered again, with a
  /// whole retry budget (an operator fixed what failed it). 202 once the
  /// retry is logged (it survives a restart); 404 when the action is not
  /// held, 409 when it is not a dead letter or its channel is no longer
  /// routed. Its outcome comes back to the journeys as for any delivery.
  Reply PostRetry(std::string_view key);
  /// GET /v1/journeys; with a window, each journey's counts in it as well
  /// (`window`: from its days, JourneyStats::days).
  Reply GetJourneys(std::optional<JourneyWindow> window = std::nullopt) const;
  /// The days [first, end) a window covers (DayOf), within those kept as
  /// of the engine's `now`.
  static std::pair<int64_t, int64_t> WindowDays(const JourneyWindow& window, Instant now);
  /// One journey's diagram (`tutti graph` as nodes and edges) with the live
  /// counts on it: `version` 0 is the newest version still running.
  /// With a window, the counts are the window's (GetJourneys), the
  /// waiting and active ones still now.
  Reply GetJourneyGraph(std::string_view name, int64_t version,
                        std::optional<JourneyWindow> window = std::nullopt) const;
  /// GET /v1/engagement: outreach and responses over `window`, by channel,
  /// event, journey and role, per bucket (engagement.cc defines them).
  Reply GetEngagement(const EngagementWindow& window) const;
  /// GET /v1/accounts: every account's engagement over `window`, ranked by
  /// it, or by likeness to account `similar_to` (404 if unknown), whose
  /// last campaign is `campaign` (a journey) or the one found.
  Reply GetAccounts(const EngagementWindow& window, std::string_view similar_to, std::string_view campaign = "") const;
  /// GET /v1/tasks: the work queues. Open tasks, the most urgent first
  /// (by due date, then the oldest), with every assignee's and role's
  /// counts; or the newest closed ones, with how they were closed.
  Reply GetTasks(const TaskFilter& filter) const;
  /// The engine's time now (what a window without an end ends at).
  Instant EngineNow() const { return shards_ ? shards_->now() : 0; }
  /// The engines a read of customers looks at: the shards.
  EngineView Engines() const;
  /// A customer's record, journey instances and the first page of its
  /// history (see GetHistory), as the engines of `view` hold them.
  Reply GetCustomer(const EngineView& view, std::string_view id, std::string_view profile) const;
  Reply GetCustomer(std::string_view id, std::string_view profile) const { return GetCustomer(Engines(), id, profile); }
  /// A page of a customer's (or, with `account`, an account's) history,
  /// oldest first: at most `limit` entries the filter lets through after
  /// `cursor` ("" for the start), with the cursor of the next page when
  /// more may follow (a page scans at most kHistoryScan entries).
  Reply GetHistory(const EngineView& view, std::string_view id, std::string_view profile, std::string_view cursor,
                   size_t limit, bool account, const HistoryFilter& filter = {}) const;
  Reply GetHistory(std::string_view id, std::string_view profile, std::string_view cursor, size_t limit,
                   bool account, const HistoryFilter& filter = {}) const {
    return GetHistory(Engines(), id, profile, cursor, limit, account, filter);
  }
  static constexpr size_t kHistoryScan = 100000;
  /// The chain behind the action with idempotency key `key`, while the
  /// outbox holds it: the inputs that caused it and started its instance
  /// (as logged, while the log holds them), the journey's trigger and
  /// audience, the instance's choices, the step, the policy rules passed.
  Reply GetWhy(std::string_view key) const;
  /// The input at `offset` of partition `p` of the inputs topic, as an
  /// explanation shows it (WhyHere), from its `record` as read (null: not read).
  static Json ClusterInput(int32_t p, const Result<cluster::Record>* record, uint64_t offset);
  /// The held action with idempotency key `key`, newest first (a linear
  /// scan of the outbox), or null.
  const OutboxEntry* FindHeld(std::string_view key) const;
  /// Why the daemon should not be sent inputs now (GET /readyz answers
  /// 503 with it), or nullopt: the input log's last write failed.
  std::optional<std::string> NotReady() const;
  /// Damage found at the start and accepted (--accept-data-loss): what
  /// was lost, for /readyz to say; empty when none.
  const std::string& data_loss() const { return data_loss_; }
  /// Prometheus text.
  Reply GetMetrics() const;
  Metrics& metrics() { return metrics_; }

  // Reads of one customer on a cluster (cluster_mode.cc): answered by the
  // node that runs the customer's partition, which the others send them to.
  bool OnACluster() const { return node_ != nullptr; }
  /// The server listens at `host`:`port`: what this node announces to the
  /// others, unless kafka.advertise says otherwise.
  void Listening(const std::string& host, unsigned port);
  /// Where a read of customer `id` goes: here, to another node's API
  /// (forward_to, not empty), or nowhere now (refusal). `forwarded`: the
  /// read was sent on by another node already, and is not sent on again.
  struct CustomerReadPlan {
    int32_t partition = -1;
    std::string owner, forward_to;
    std::optional<Reply> refusal;
  };
  CustomerReadPlan PlanCustomerRead(std::string_view id, bool forwarded) const;
  /// Runs `read` on the engine of partition `p`, on the node's thread,
  /// then `done` with its reply there (or with a 503 when the partition is
  /// not run here after all, or is being replayed).
  void ReadHere(int32_t p, std::function<Reply(const EngineView&)> read, std::function<void(Reply)> done) const;
  /// This node's name in the cluster.
  const std::string& NodeName() const;
  /// Answers a cluster's reads still waiting for the node (cluster::Node::StopReads).
  void StopReads();
  /// kafka.peer_ca: the authorities of the other nodes' API certificates.
  const std::string& PeerCa() const { return options_.peer_ca; }
  /// The TLS client settings of requests sent on to the other nodes (the
  /// server makes them when it serves TLS on a cluster); null: plain HTTP.
  boost::asio::ssl::context* PeerTls() const { return peer_tls_.get(); }
  void UsePeerTls(std::shared_ptr<boost::asio::ssl::context> tls) { peer_tls_ = std::move(tls); }
  // Reads that add every partition's part up (cluster_reads.cc).
  /// GET /v1/cluster/journeys: this node's partitions' part of GET
  /// /v1/journeys, to `done` on the node's thread.
  void JourneysPartHere(std::function<void(Reply)> done) const;
  /// The nodes to ask for their parts; empty while some partition has no
  /// owner announced.
  std::vector<cluster::Member> ClusterOwners() const;
  /// The owners and the nodes that only deliver actions (the reads of actions ask them all).
  std::vector<cluster::Member> ClusterHolders() const;
  /// GET /v1/journeys (with `query`'s window) from every node's answer to
  /// GET /v1/cluster/journeys; a 503 to try again when they do not cover
  /// every partition once.
  Reply JourneysFromParts(const std::vector<Reply>& answers, std::string_view query) const;
  /// GET /v1/journeys/{name}/graph (with `query`'s version and window) the same way.
  Reply GraphFromParts(const std::vector<Reply>& answers, std::string_view name, std::string_view query) const;
  /// GET /v1/cluster/tasks: this node's partitions' share of GET /v1/tasks
  /// with `filter` (tasks_part.h), to `done` on the node's thread.
  void TasksPartHere(const TaskFilter& filter, std::function<void(Reply)> done) const;
  /// GET /v1/tasks with `filter` from every node's answer to GET
  /// /v1/cluster/tasks; a 503 to try again when they do not cover every
  /// partition once.
  Reply TasksFromParts(const std::vector<Reply>& answers, const TaskFilter& filter) const;
  /// GET /v1/cluster/engagement: this node's partitions' part of the
  /// director's figures over `query`'s window (engagement_scan.h), to
  /// `done` on the node's thread; a 400 when the query is not a window.
  /// `now` in the query: the cluster's time the window ends by (the
  /// node asked read it first); `accounts=1`: the accounts' figures too.
  void EngagementPartHere(std::string query, std::function<void(Reply)> done) const;
  /// The cluster's time (the latest partition clock) from every node's
  /// answer to GET /v1/cluster/journeys; the refusal when they do not
  /// cover every partition once.
  std::optional<Reply> ClusterNow(const std::vector<Reply>& answers, Instant* now) const;
  /// GET /v1/engagement or (`accounts`) /v1/accounts with `query` from every
  /// node's answer to GET /v1/cluster/engagement; a 503 to try again when
  /// they do not cover every partition once or counted different windows.
  Reply EngagementFromParts(const std::vector<Reply>& answers, bool accounts, std::string_view query) const;
  /// GET /v1/cluster/actions: a page of this node's delivery outbox after
  /// the query's `since` (when its `incarnation` is this run's), with
  /// `limit` and `delivery` (actions_part.h).
  Reply ActionsPartHere(std::string_view query) const;
  /// GET /v1/actions from every node's page, `query`'s cursor naming each
  /// node's place; a 503 when a node could not answer.
  Reply ActionsFromParts(const std::vector<Reply>& answers, std::string_view query) const;
  /// The target of GET /v1/cluster/actions for `node`, from the query of
  /// GET /v1/actions (its cursor turned into the node's place); the 400
  /// when the query is not one.
  std::optional<Reply> ActionsPartTarget(std::string_view query, const std::string& node, std::string* target) const;
  // cluster_delivery.cc: actions found by idempotency key on any node.
  /// POST /v1/cluster/actions/held: which of the keys of `body` (a JSON
  /// array of texts) this node holds in its delivery outbox, as an actions
  /// part (actions_part.h) of those actions.
  Reply HeldActionsHere(std::string_view body) const;
  /// POST /v1/outcomes with `lines` from every node's answer to POST
  /// /v1/cluster/actions/held with their keys: each line's action is the
  /// first any node holds; a 503 when a node did not answer.
  Reply OutcomesFromParts(const std::vector<Reply>& answers, const std::vector<OutcomeLine>& lines);
  /// POST /v1/cluster/actions/{key}/retry: the dead letter `key` this node
  /// holds, written to the actions topic again (ActionValueAgain) for the
  /// deliverer of its partition to deliver anew, with a whole retry
  /// budget; it is handed over here. 202 once Kafka has it; 404 when this
  /// node holds no such action; 409 when it is not a dead letter.
  Reply RetryHere(std::string_view key);
  /// GET /v1/cluster/decisions/{key}/why: the explanation of the action
  /// `key` this node holds, as GetWhy gives it on one daemon, with the
  /// `node`; its inputs read from the inputs topic (`partition`, `offset`,
  /// `at`, `event`); 404 when this node holds no such action. To `done`,
  /// on the node's lookup thread once the inputs are read (or at once).
  void WhyHere(std::string_view key, std::function<void(Reply)> done) const;
  /// POST /v1/actions/{key}/retry (or GET /v1/decisions/{key}/why) from
  /// every node's answer to its /v1/cluster/ form: the node that held the
  /// action says what it did; a node that did not answer, its 503; 404
  /// when none holds it.
  static Reply FromHolder(const std::vector<Reply>& answers);
  /// The 404 of a node that holds no such action (FromHolder tells it
  /// from a node without the endpoint).
  static Reply NotHeldHere();
  /// GET /v1/cluster/accounts/{id}/history: this node's partitions' part
  /// of a page of the account's history (history_part.h) with `query`'s
  /// cursor, limit and filters, to `done` on the node's thread.
  void AccountHistoryPartHere(std::string id, std::string query, std::function<void(Reply)> done) const;
  /// GET /v1/accounts/{id}/history from every node's part; a 503 to try
  /// again when they do not cover every partition once.
  Reply AccountHistoryFromParts(const std::vector<Reply>& answers, std::string_view id, std::string_view query) const;
  /// The part of `engines` (by partition) of the page of account `id`'s
  /// history after `after`: at most limit + 1 entries of each partition,
  /// and where each stopped before its end.
  static HistoryPart AccountHistoryPart(const std::map<int32_t, const Engine*>& engines, std::string_view id,
                                        HistoryPlace after, size_t limit, const HistoryFilter& filter);
  /// Every node's part added up into `rows` (every version, retired ones
  /// too), with the latest partition clock and how many nodes answered;
  /// the refusal instead when they cannot be.
  std::optional<Reply> AddUpParts(const std::vector<Reply>& answers, std::vector<JourneyRow>* rows, Instant* now,
                                  size_t* nodes) const;
  /// The parts added up, with the window `query` asks for as of their
  /// latest clock: what `answer` makes the reply from.
  struct AddedUp {
    std::vector<JourneyRow> rows;
    Instant now = 0;
    size_t nodes = 0;
    std::optional<JourneyWindow> window;
  };
  Reply FromParts(const std::vector<Reply>& answers, std::string_view query,
                  const std::function<Reply(AddedUp&)>& answer) const;
  /// Counts a read of one customer: answered "here", "sent_on" to its
  /// owner, or "refused" for now (no owner known, the owner unreachable).
  void CountClusterRead(const char* where) { cluster_reads_->At({where}).Add(); }

  /// Writes a snapshot of the state (snapshot_file.h) unless there is
  /// nothing new since the last one, inputs wait to be applied, or
  /// snapshots are off; once written, drops the log before the older of
  /// the two snapshots kept. In the background (Tick, every snapshot_every
  /// inputs) a forked child writes it while this process goes on serving;
  /// otherwise (the server, at a clean stop) it is written before this
  /// returns, after any in the background. A failure is counted and
  /// logged, and changes nothing: the log still holds everything.
  void SaveSnapshot(bool in_background = false);

  /// Attempts due now, within each channel's concurrency and rate; the
  /// server makes them and reports each with ReportDelivery. Each is
  /// counted in the log before it starts, so that a retry budget holds
  /// across restarts.
  std::vector<DeliveryJob> TakeDeliveryJobs();
  /// Called when an attempt may start (an action routed, a retry's
  /// backoff set, an attempt done and its slot free): the server then
  /// takes the delivery jobs, at once rather than on the next tick.
  void OnDeliveries(std::function<void()> call) { on_deliveries_ = std::move(call); }
  /// When the next attempt waiting for its backoff or its channel's rate
  /// limit may start, if any does.
  std::optional<std::chrono::steady_clock::time_point> NextAttemptDue() const;
  /// How many delivery attempts are under way, and how long the longest
  /// any route allows one to take: a clean stop waits for them, so that
  /// their outcomes are recorded rather than attempted again.
  size_t AttemptsInFlight() const;
  std::chrono::milliseconds LongestAttempt() const;
  /// The outcome of an attempt. A final one (delivered, or the last
  /// attempt failed) is recorded together with the outcome event it
  /// feeds back to the journeys, in one durable write (at the next
  /// group commit).
  void ReportDelivery(uint64_t seq, const DeliveryOutcome& outcome);

  /// Counts a served request (for /metrics).
  void CountRequest(std::string_view route, int status, double seconds);
  /// Counts a connection or request refused before it reached a route
  /// (a TLS handshake, a malformed or forbidden request), by reason.
  void CountRefusal(std::string_view reason);

 private:
  // work_queues.cc
  struct TaskPeople;
  /// A task as GET /v1/tasks lists it, overdue as of `now`.
  Json TaskJson(const WorkTask& task, TaskPeople& people, Instant now) const;
  Json ClosedTaskJson(const ClosedTask& closed, TaskPeople& people) const;
  /// Whose tasks a share adds up: a shard or partition, its engine, and
  /// the time its tasks are overdue by.
  struct TaskSource {
    int32_t where = 0;
    const Engine* engine = nullptr;
    Instant now = INT64_MIN;
  };
  /// The share of `sources` in GET /v1/tasks with `filter`; the tasks
  /// listed rendered when `render` (a share sent on).
  TasksPart TasksPartOf(const TaskFilter& filter, const std::vector<TaskSource>& sources, bool render) const;
  /// The answer to GET /v1/tasks made of every share added up.
  Reply TasksReply(const TaskFilter& filter, const TasksPart& all) const;

  /// The director's figures over `engines` (each scanned on a thread of
  /// its own), with the profiles' figures read from `profiles` (none: not
  /// counted).
  static EngagementScan ScanEngines(const std::vector<const Engine*>& engines, const Engine* profiles,
                                    const EngagementWindow& window, const EngagementRoles& table);
  static EngagementScan EmptyScan(const EngagementWindow& window, const EngagementRoles& table);
  static void ScanProfiles(const Engine& any, EngagementScan& scan);
  static void ScanHistories(const Engine& engine, EngagementScan& scan);
  static void MergeScan(EngagementScan& into, const EngagementScan& part);
  /// The scan of `window`, the last one again while the state has not
  /// moved since (a page asks for several views of one scan).
  std::shared_ptr<const EngagementScan> Engagement(const EngagementWindow& window) const;
  /// What the last scan covered: its window, and the state it read (the
  /// log's size, the engine's time).
  mutable std::shared_ptr<const EngagementScan> engagement_;
  mutable std::array<int64_t, 5> engagement_of_{};
  Json WindowJson(const EngagementWindow& window, size_t buckets) const;
  /// The answers to GET /v1/engagement and /v1/accounts from a scan.
  Reply EngagementReply(const EngagementScan& scan) const;
  Reply AccountsReply(const EngagementScan& scan, std::string_view similar_to, std::string_view campaign) const;
  Service();
  /// Opens the actions file (the `actions_file` setting, or
  /// DATA/actions.ndjson) to append, made for its owner alone: it holds
  /// personal data.
  Status OpenActions();
  static std::FILE* OpenActionsFile(const std::string& path);
  /// Declares the metrics' families (once, at the start).
  void DeclareMetrics();
  // cluster_mode.cc: the same service as a node of a Kafka cluster.
  static Result<std::unique_ptr<Service>> StartCluster(const ServiceOptions& options);
  void DeclareClusterMetrics();
  void StageOnCluster(std::string_view body, Accept accept, const std::function<void(IngestResult)>& done);
  Reply PostClockOnCluster(Instant at);
  /// POST /v1/journeys/{name}/pause (or resume) on a cluster: a pause
  /// record to every partition.
  Reply PauseOnCluster(std::string_view journey, bool pause);
  std::optional<std::string> NotReadyOnCluster() const;
  void TickOnCluster();
  Reply PublishOnCluster(PreparedReload prepared);
  // cluster_delivery.cc: delivering the actions topic's actions.
  /// Reads the actions this node delivers, writes the file sink's and
  /// routes the others; writes the outcome events of the deliveries
  /// finished; commits how far the actions are done.
  void DeliverOnCluster();
  /// The file sink's actions read, appended to the actions file (fsynced).
  void WriteActionsFileOnCluster();
  /// The outcome events of finished deliveries, to the inputs topic.
  void WriteOutcomesOnCluster();
  /// A finished delivery (StageFinal's, on a cluster): its outcome event
  /// is written at the next tick, then the action is done.
  void StageFinalOnCluster(uint64_t seq, bool ok, const std::string& reason);
  /// Actions of partition `p` of the actions topic are now another
  /// node's to deliver: those not under way are dropped.
  void DropDeliveries(int32_t p);
  std::string ClusterAddressOf(uint64_t seq) const;
  /// The body of outbox entry `seq`: its action as NDJSON.
  std::string BodyOf(uint64_t seq, const Decision& action) const;
  /// Compiles `set` to native code in the background when `options` ask
  /// for it, cached in DATA/jit-cache: its engines start on the
  /// interpreter and take the code up when it is ready (a line in the log,
  /// component `jit`). A version is never held back by LLVM, nor refused
  /// by it (it then stays interpreted, with a warning).
  static void CompileSet(JourneySet& set, const ServiceOptions& options);
  /// Applies one logged entry to the engine (replay), decoding it; an
  /// error when a logged version of the journeys no longer builds. Events,
  /// profiles and clock moves wait in replay_ and go to the shards
  /// together (FlushReplay); anything else is applied after them, at once.
  Status Apply(const InputLog::Entry& entry);
  void FlushReplay();
  /// Replays the log from `from`; with damage accepted, the log is cut
  /// where it stops making sense.
  Status ReplayLog(uint64_t from);
  /// How many shards to run the first version `set` on: the log's number,
  /// or (on a new log) the configured one, or one for journeys that
  /// cannot be split. Records a new log's number.
  Result<uint32_t> ShardCount(const JourneySet& set);
  /// A version of the journeys as the log (or a snapshot) holds it, built
  /// and compiled again; an error when it no longer builds.
  Result<std::unique_ptr<JourneySet>> BuildVersion(const std::string& text) const;
  /// Runs `set` from now on: the first version makes the engine (and loads
  /// the profiles file, unless `restoring` a snapshot, which has them),
  /// later ones reload it. An error, and nothing changed, when the engine
  /// refuses it.
  Status Adopt(std::unique_ptr<JourneySet> set, Engine::ReloadReport* report, bool restoring = false);
  /// The newest snapshot that can be read and restored, restored; the log
  /// position to replay from (the log's first entry without one). A
  /// kCorruption when the log's start was dropped and no snapshot can
  /// stand in for it (unless the loss is accepted).
  Result<uint64_t> Restore();
  /// Records damage found at the start and accepted: logged, counted,
  /// reported by /readyz.
  void AcceptLoss(const std::string& what);
  /// Opens DATA/history; a damaged one is set aside and a new one made.
  Status OpenJournal();
  /// Journals the event notes taken now and `decisions` (history_journal.h),
  /// as the entries of the inputs before applied_next_.
  void Journal(std::vector<Decision> decisions);
  /// How far back a customer's history reaches (the engine's retention).
  static Instant HistoryRetention() { return EngineOptions{}.history_retention; }
  /// DATA/snapshots.
  std::string SnapshotDir() const;
  /// Reaps the child writing a snapshot, if it is done (or waits for it).
  void FinishSnapshot(bool wait);
  /// Runs a write to the input log, timing it into
  /// tutti_store_write_duration_seconds{operation} and counting a failure.
  Status Stored(const char* operation, const std::function<Status()>& write);
  /// A snapshot at snapshot_position_ was written (`error` ok) or not.
  void Snapshotted(const Status& error);
  /// The engine time to log an input at that comes now: never before the
  /// last one logged, and on the system clock not before the clock.
  Instant LogTime();
  /// Works until no input is left unapplied (before an input that is applied
  /// at once: a pause, a reload).
  void Drain();
  /// The version of the journeys running now.
  /// Input `seq` of the log, for an explanation: {"seq", "at", "event"},
  /// or {"seq", "kept": false, "why"} once the log no longer holds it.
  Json LoggedInput(uint64_t seq) const;
  const JourneySet& set() const { return *sets_.back(); }
  /// Instances of each journey version (engine index) across the shards:
  /// in all, and by the step they rest at.
  struct Instances {
    std::vector<int64_t> active;
    std::vector<std::vector<int64_t>> waiting;
  };
  Instances CountInstances() const { return CountInstances(Engines().engines); }
  /// The same over `engines`, which run the same journeys, each for its own customers.
  static Instances CountInstances(const std::vector<const Engine*>& engines);
  /// Writes the outbox entries not yet delivered to the actions file
  /// (fsynced), then records them as delivered, and queues the routed
  /// ones for their channels; takes the decision log for the metrics. A
  /// failed write is retried on the next tick: delivery is at least once,
  /// and the idempotency key tells a repeat.
  void Deliver();
  /// Appends `lines` (NDJSON) to the actions file, flushed and fsynced;
  /// false when that failed.
  bool AppendToActionsFile(const std::string& lines);
  /// Queues outbox entry `seq` for its channel's adapter, its attempts so
  /// far recorded in the log (a restart) counted against its budget.
  void Route(uint64_t seq, const std::string& channel);
  /// The outcome event `type` for action `a` as an NDJSON line, or nullopt
  /// with why there can be none.
  std::optional<std::string> OutcomeEvent(const Decision& a, const char* type, const std::string& reason,
                                          std::string* why_not) const;
  /// The outbox entries up to `through` (the log's delivered cursor) that
  /// were dispatched before the last stop take the final state recorded
  /// for them (finals_), or are attempted again (webhook, SMTP), or count
  /// as delivered (file sink); then the outbox is trimmed. Called during
  /// and after the replay, and by Deliver for any the replay made late.
  void ResumeDeliveries(uint64_t through);
  /// Forgets final outbox entries beyond `actions_retained`.
  void TrimOutbox();
  /// Stages a routed delivery's final state and the outcome event it
  /// feeds back, for the next group commit.
  void StageFinal(uint64_t seq, bool ok, const std::string& reason);
  /// The `email` of outbox entry `seq`'s recipient, if it has a usable one.
  std::string EmailAddressOf(uint64_t seq, const Decision& action) const;
  /// The actions being delivered: the engine's outbox, or on a cluster the
  /// actions read from the actions topic.
  Outbox& DeliveryOutbox() { return node_ ? cluster_outbox_ : shards_->outbox(); }
  /// The route an action is delivered by: a send's channel; a task's
  /// `via` channel when a route is configured for it, else its kind (task,
  /// notify), as for work for colleagues without a channel.
  const std::string& ChannelOf(const Decision& a) const {
    if (a.channel.empty() || (a.action != "send" && !options_.routes.count(a.channel))) return a.action;
    return a.channel;
  }
  /// A delivery's final state, as StageFinal was given it.
  struct Outcome {
    uint64_t seq = 0;
    bool ok = false;
    std::string reason;
  };
  /// A batch decoded and waiting for the next Commit: inputs, and final
  /// delivery states to record with them.
  struct Staged {
    std::vector<InputLog::Entry> entries;
    std::vector<Record> records;
    std::vector<InputLog::Final> finals;
    std::optional<Outcome> outcome;  // what StageFinal made this batch of
    IngestResult result;
    bool events = false;
    std::function<void(IngestResult)> done;
  };
  /// Decodes the lines of `body` (on the shards' threads when there are
  /// many) into `staged`, stamped from the engine time `t` on.
  void Decode(std::string_view body, Accept accept, Instant& t, Staged& staged);

  ServiceOptions options_;
  /// Every version run since the start, oldest first: retired journeys'
  /// instances run on the older ones.
  std::vector<std::unique_ptr<JourneySet>> sets_;
  std::unique_ptr<Shards> shards_;
  std::unique_ptr<cluster::Node> node_;  // cluster mode: the node, which runs the engines instead
  std::string cluster_trouble_;          // the node's last failure, as last logged
  Family<Counter>* cluster_reads_ = nullptr;  // tutti_cluster_customer_reads_total, by where
  std::shared_ptr<boost::asio::ssl::context> peer_tls_;  // PeerTls
  // Cluster mode's deliveries (cluster_delivery.cc).
  std::unique_ptr<cluster::ActionFeed> feed_;  // this node's share of the actions topic
  Outbox cluster_outbox_;                      // the actions read, numbered in the order read
  std::string incarnation_;                    // this run's, in the actions' cursors (actions_part.h)
  struct ClusterAction {
    int32_t partition = -1;  // where it is in the actions topic
    int64_t offset = -1;
    std::string json;     // the action as written: a webhook's body
    std::string address;  // its recipient's e-mail address, if any
    bool dropped = false;  // its partition went to another node meanwhile
    std::string key;       // its record's key (its customer's), and where it was made:
    cluster::ActionMark mark;  // what a retry writes again (ActionValueAgain)
  };
  std::map<uint64_t, ClusterAction> cluster_actions_;  // by outbox seq, until done
  /// The dead letters held (their offsets done), by outbox seq, until a
  /// retry sends them again or the outbox lets them go.
  std::map<uint64_t, ClusterAction> cluster_dead_letters_;
  /// What the explanation of each action held needs that is not in its
  /// outbox entry, by outbox seq, until the outbox lets it go: the
  /// partition whose inputs made it, and ActionWhy's object (or "").
  struct ClusterWhy {
    int32_t partition = -1;
    std::string why;
  };
  std::map<uint64_t, ClusterWhy> cluster_whys_;
  std::vector<uint64_t> to_file_;                      // for the actions file, not written yet
  struct ClusterFinal {
    uint64_t seq = 0;
    std::string event;  // the outcome event, if the journeys declare it
  };
  std::vector<ClusterFinal> cluster_finals_;  // outcome events to write
  std::string delivery_trouble_;              // the last failure of the feed, as last logged
  std::chrono::steady_clock::time_point feed_committed_;
  Counter* unreadable_actions_ = nullptr;
  /// Replayed inputs waiting for FlushReplay: (time, record or none).
  std::vector<std::pair<Instant, std::optional<Record>>> replay_;
  std::unique_ptr<InputLog> log_;
  /// The rich history (history_journal.h); none on a cluster node.
  std::unique_ptr<HistoryJournal> journal_;
  uint64_t applied_next_ = 0;  // the first input log entry not applied yet
  bool journal_skips_ = false;  // replaying what the journal holds already
  uint64_t journal_failures_seen_ = 0;
  SystemClock clock_;
  std::FILE* actions_ = nullptr;
  std::string data_loss_;  // damage accepted at the start

  // Metrics (DeclareMetrics).
  Metrics metrics_;
  Family<Counter>* records_in_ = nullptr;       // {kind}
  Family<Counter>* records_refused_ = nullptr;  // {kind}
  Family<Counter>* actions_total_ = nullptr;    // {channel, outcome}
  Family<Counter>* suppressed_ = nullptr;       // {policy, rule}
  Family<Counter>* decisions_ = nullptr;        // {decision}
  Family<Counter>* snapshots_total_ = nullptr;  // {outcome}
  Family<Counter>* reloads_ = nullptr;          // {outcome}
  Family<Counter>* requests_ = nullptr;         // {route, status}
  Family<Counter>* refusals_ = nullptr;         // {reason}
  Family<Counter>* data_loss_total_ = nullptr;  // {what}
  Family<Histogram>* request_seconds_ = nullptr;  // {route}
  Family<Histogram>* store_seconds_ = nullptr;    // {operation}
  Counter* log_failures_ = nullptr;
  Counter* log_commits_ = nullptr;
  Counter* delivery_failures_ = nullptr;
  Counter* journal_failures_ = nullptr;
  Counter* journal_damaged_ = nullptr;
  Counter* outcomes_in_ = nullptr;
  Counter* outcomes_refused_ = nullptr;
  Counter* outcome_events_refused_ = nullptr;
  Counter* undecodable_ = nullptr;
  Counter* unusable_snapshots_ = nullptr;
  Counter* replayed_ = nullptr;
  Gauge* restored_position_ = nullptr;
  Gauge* snapshot_bytes_ = nullptr;
  Gauge* snapshot_seconds_ = nullptr;
  Gauge* fork_seconds_ = nullptr;

  uint64_t resumed_through_ = 0;  // ResumeDeliveries has seen the outbox up to here
  std::map<uint64_t, char> finals_;  // final delivery states in the log at start
  std::map<uint64_t, uint32_t> logged_attempts_;  // attempts counted in the log at start, not final
  uint64_t dispatched_ = 0;  // outbox entries dispatched by this process, through here
  std::vector<uint64_t> snapshots_;  // positions of the snapshots kept, newest first
  pid_t snapshot_child_ = -1;        // the process writing one, if any
  int snapshot_errors_ = -1;         // the read end of its pipe for why it failed
  /// The outbox's first sequence number when each snapshot written by this
  /// process was taken, by position: finals before both kept ones' can go.
  std::map<uint64_t, uint64_t> snapshot_outbox_first_;
  uint64_t snapshot_position_ = 0;   // the one being written
  uint64_t snapshot_failed_at_ = 0;  // the position of the last that failed
  std::chrono::steady_clock::time_point snapshot_started_;
  /// Logged inputs not applied yet, in log order (Work).
  struct Unapplied {
    InputLog::Entry entry;
    std::optional<Record> record;  // profiles and events; none for a clock advance
    bool settle = false;           // not logged: move the clock 1 ns on (system clock)
    std::optional<Instant> target;  // where the clock goes first, once chosen
  };
  std::deque<Unapplied> unapplied_;
  std::optional<Instant> tick_to_;  // the system clock's time, not reached yet
  std::function<void()> on_backlog_;
  std::function<void()> on_staged_;
  std::function<void()> on_final_staged_;
  std::function<void()> on_deliveries_;
  std::vector<Staged> staged_;
  std::chrono::steady_clock::time_point delivered_at_;  // Work's last delivery
  Instant logged_now_ = INT64_MIN;  // the engine time of the last input logged

  // Routed deliveries in progress (delivery.cc).
  struct Attempts {
    std::string channel;
    uint32_t attempts = 0;  // made so far, this process and earlier ones
    bool in_flight = false;
  };
  std::map<uint64_t, Attempts> attempts_;  // outbox seq -> attempts, until final
  struct ChannelQueue {
    std::deque<uint64_t> ready;  // may start now, oldest first
    int in_flight = 0;
    std::chrono::steady_clock::time_point next_start;  // the rate limit's next slot
  };
  std::map<std::string, ChannelQueue> channels_;
  /// Retries waiting for their backoff: when -> seq.
  std::multimap<std::chrono::steady_clock::time_point, uint64_t> retries_;
  /// Resumed deliveries whose budget a restart found spent.
  std::vector<uint64_t> spent_;
  /// Final delivery states a failed commit did not write: staged again at
  /// the next tick, their outcome events stamped then (after the inputs
  /// logged since, as a replay will apply them).
  std::vector<Outcome> unwritten_;
  std::mt19937_64 jitter_{std::random_device{}()};
};

/// The reload reply's `warnings` for the journeys that changed but kept
/// their version number (VersionNotRaised); each is also logged.
nlohmann::json VersionWarnings(const std::vector<std::string>& not_raised, const std::vector<std::string>& others = {});

}  // namespace tutti::runtime
