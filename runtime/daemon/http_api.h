#pragma once
// The HTTP API without the network: what a request must be before the
// daemon reads its body (its framing, the host it names, the page it
// comes from, its content type, its token), and where it goes. Plain C++
// on the request's parts, so that the fuzzers drive exactly what the
// server runs (http_server.cc reads the bytes with Beast and calls these).
//
// Browsers are kept from driving a daemon on the operator's machine: a
// request naming a host the daemon does not serve (DNS rebinding) is
// refused with 421, a state change from a page of another origin with 403,
// and a POST whose body is not JSON or NDJSON with 415 (a browser cannot
// send those across origins without asking first, which the daemon never
// allows). Framing that two parsers could read two ways (RFC 9112 6.1) is
// refused with 400 and the connection closed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/daemon/actions_query.h"
#include "runtime/daemon/reply.h"
#include "runtime/engine/instant.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {

class Service;
struct EngineView;
struct JourneyWindow;
struct TaskFilter;
struct EngagementWindow;
struct HistoryFilter;

/// Who may call the API, and from where (the server's settings).
struct ApiAccess {
  std::string ingest_token;  // POST /v1/events, /v1/profiles, /v1/outcomes; empty: none needed
  std::string admin_token;   // everything else under /v1/; empty: none needed
  /// Host names (or addresses) requests may name in their Host header,
  /// besides the loopback names (always served); empty: only those when
  /// listening on loopback, else any.
  std::vector<std::string> allowed_hosts;
  /// Origins ("https://console.example.com") pages may send state changes
  /// from, besides the hosts allowed.
  std::vector<std::string> allowed_origins;
  bool loopback = true;  // the API listens on a loopback address
};

/// A request's head and body, as read.
struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string host, origin, content_type, authorization, fetch_site;
  /// X-Tutti-Forwarded: the node of the cluster that sent this read on to
  /// the node that owns its customer (never sent on again).
  std::string forwarded;
  /// Every Transfer-Encoding and Content-Length header, as sent.
  std::vector<std::string> transfer_encodings, content_lengths;
  std::string body;
};

/// A target split into its path's segments (each percent-decoded) and its
/// query; a label for the metrics with ids left out.
struct ApiTarget {
  std::vector<std::string> segments;  // "/v1/customers/a%2Fb" -> {"v1", "customers", "a/b"}
  std::string query;
  std::string route;  // "/v1/customers/{id}"
};

/// Splits and decodes `target`; nullopt when it is not an origin-form
/// target or its escapes are malformed, decode to a NUL byte or to text
/// that is not UTF-8.
std::optional<ApiTarget> ParseTarget(std::string_view target);

/// What must hold before the body is read: the framing, the host named,
/// for a state change the origin and the content type. The refusal, or
/// nullopt.
std::optional<Reply> CheckHead(const ApiRequest& request, const ApiAccess& access);

/// Where an authorised POST that the server handles itself goes.
enum class Special { kNone, kIngestEvents, kIngestProfiles, kReload };
/// Which of them `request` is, once its head is checked: an ingest the
/// server stages for the group commit, or a reload it prepares off the
/// loop. `refusal` is set instead when it may not be made (method, token).
Special SpecialRoute(const ApiRequest& request, const ApiTarget& target, const ApiAccess& access,
                     std::optional<Reply>* refusal);

/// Routes any other request to the service.
Reply Route(Service& service, const ApiRequest& request, const ApiTarget& target, const ApiAccess& access);

/// A journey window from the query (`from`, `to`, or `days` back from the
/// end of the day of the engine's `now`; 30 days when only one bound is
/// given), left empty when none is asked for; a refusal when it is not a
/// window.
std::optional<Reply> JourneyWindowOf(std::string_view query, Instant now, std::optional<JourneyWindow>* window);

/// The query parameter `name` of `query` ("a=1&b=2"), percent-decoded, if
/// present.
std::optional<std::string> QueryParam(std::string_view query, std::string_view name);

/// GET /v1/actions's query (`limit`, `delivery`, `customer`), checked.
std::optional<Reply> ActionsQueryOf(std::string_view query, ActionsQuery* out);

/// A history page's `limit` (1 to 1,000, default 100) and filters (`from`,
/// `to`, `kind`, `channel`, `journey`).
std::optional<Reply> HistoryQueryOf(std::string_view query, size_t* limit, HistoryFilter* filter);

/// `text` percent-encoded as one segment of a path (all but the unreserved
/// characters escaped).
std::string PathSegment(std::string_view text);

/// The window GET /v1/engagement and /v1/accounts count over (`bucket`,
/// `from`, `to`): the last 12 weeks up to the end of `now`'s day, by week,
/// unless asked; at most kMaxEngagementBuckets buckets.
std::optional<Reply> EngagementWindowOf(std::string_view query, Instant now, EngagementWindow* window);

/// A graph's `version` from the query (0 when none is given: the newest
/// running); a refusal when it is not a whole number from 1.
std::optional<Reply> GraphVersionOf(std::string_view query, int64_t* version);
/// GET /v1/tasks's filter (`state`, `assignee`, `role`, `customer`,
/// `journey`, `offset`, `limit`) from `query`, or the 400 that says what is
/// wrong with it. On a cluster (`on_cluster`) a page starts at most
/// kMaxClusterTaskOffset tasks in: each node sends every task up to the
/// page's end (2,000 of at most some 6 KB each fit in a node's answer).
std::optional<Reply> TaskFilterOf(std::string_view query, bool on_cluster, TaskFilter* filter);
constexpr size_t kMaxClusterTaskOffset = 1000;

/// Whether `target` reads one customer's state (GET /v1/customers/{id},
/// and its history): on a cluster, the node that owns the customer's
/// partition answers it (Service::PlanCustomerRead).
bool IsCustomerRead(const ApiTarget& target);
/// A read's refusal before it goes anywhere on a cluster (method, admin
/// token).
std::optional<Reply> ReadRefusal(const ApiRequest& request, const ApiAccess& access);
/// A POST's refusal the same way (method, and the ingest token when
/// `ingest`, else the admin token).
std::optional<Reply> PostRefusal(const ApiRequest& request, const ApiAccess& access, bool ingest);
/// Answers such a read from the engines of `view` (its query checked).
Reply CustomerRead(const Service& service, const ApiTarget& target, const EngineView& view);

/// Whether `authorization` is "Bearer TOKEN" for `token`, in time that
/// does not depend on where they differ.
bool TokenMatches(std::string_view authorization, const std::string& token);
/// Whether `given` equals `token`, the same way.
bool SameSecret(std::string_view given, const std::string& token);

}  // namespace tutti::runtime
