#include "runtime/daemon/http_api.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

#include "base/text.h"
#include "console/assets.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The host part of a Host header or an origin's authority ("[::1]:8080"
/// -> "::1", "Example.com:80" -> "example.com"); a bare IPv6 address (as
/// allowed_hosts may name one) is all host.
std::string HostPart(std::string_view authority) {
  authority = Trim(authority);
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    return Lower(authority.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
  }
  size_t colon = authority.find(':');
  if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
    return Lower(authority);  // more than one colon: an IPv6 address without a port
  return Lower(authority.substr(0, colon));
}

/// An authority's host and port, the port `default_port` when none is
/// written: "localhost" -> "localhost:80", "[::1]:8080" -> "::1:8080".
std::string HostAndPort(std::string_view authority, std::string_view default_port) {
  authority = Trim(authority);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find("]:");
    if (close != std::string_view::npos) port = authority.substr(close + 2);
  } else if (size_t colon = authority.find(':');
             colon != std::string_view::npos && authority.find(':', colon + 1) == std::string_view::npos) {
    port = authority.substr(colon + 1);
  }
  return HostPart(authority) + ":" + std::string(port.empty() ? default_port : port);
}

/// Whether a host named by a request (or an origin) is one the daemon
/// serves.
bool HostAllowed(const std::string& host, const ApiAccess& access) {
  // A loopback name is no rebinding: only a page on this machine names it.
  if (host == "localhost" || host == "127.0.0.1" || host == "::1" ||
      (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0))
    return true;
  for (const std::string& h : access.allowed_hosts)
    if (HostPart(h) == host) return true;
  return access.allowed_hosts.empty() && !access.loopback;
}

bool StateChange(const std::string& method) { return method != "GET" && method != "HEAD"; }

Reply MethodNotAllowed(const char* allow) {
  Reply reply = Problem(405, std::string("use ") + allow);
  reply.headers.emplace_back("Allow", allow);
  return reply;
}


/// A whole number from 0 to `max`, or nullopt.
std::optional<uint64_t> Number(const std::optional<std::string>& text, uint64_t max) {
  if (!text || text->empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || p != text->data() + text->size() || v > max) return std::nullopt;
  return v;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> Digest(std::string_view s) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

Reply Unauthorised(const char* token) {
  Reply reply = Problem(401, std::string("this endpoint needs the ") + token + " token: Authorization: Bearer TOKEN");
  reply.headers.emplace_back("WWW-Authenticate", "Bearer");
  return reply;
}

}  // namespace

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(start, end - start);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      std::string value;
      std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '+') value += ' ';
        else if (raw[i] == '%' && i + 2 < raw.size() && HexDigit(raw[i + 1]) >= 0 && HexDigit(raw[i + 2]) >= 0) {
          value += static_cast<char>(HexDigit(raw[i + 1]) * 16 + HexDigit(raw[i + 2]));
          i += 2;
        } else {
          value += raw[i];
        }
      }
      return value;
    }
    start = end + 1;
  }
  return std::nullopt;
}

bool SameSecret(std::string_view given, const std::string& token) {
  // Digests of equal length compared in constant time: neither the place
  // of the first difference nor the token's length shows in the timing.
  auto a = Digest(given), b = Digest(token);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool TokenMatches(std::string_view authorization, const std::string& token) {
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view given = authorization.substr(0, kBearer.size()) == kBearer
                               ? authorization.substr(kBearer.size())
                               : std::string_view();
  bool same = SameSecret(given, token);
  return same && authorization.size() > kBearer.size();
}

std::optional<ApiTarget> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') return std::nullopt;
  ApiTarget out;
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  size_t fragment = out.query.find('#');
  if (fragment != std::string::npos) out.query.resize(fragment);
  // Segments are split first, then decoded: an escaped '/' stays inside
  // its segment (an id may hold one).
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view raw = path.substr(start, end - start);
    std::string segment;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        segment += raw[i];
        continue;
      }
      if (i + 2 >= raw.size() || HexDigit(raw[i + 1]) < 0 || HexDigit(raw[i + 2]) < 0) return std::nullopt;
      char c = static_cast<char>(HexDigit(raw[i + 1]) * 16 + HexDigit(raw[i + 2]));
      if (c == '\0') return std::nullopt;
      segment += c;
      i += 2;
    }
    if (!ValidUtf8(segment)) return std::nullopt;
    if (!(end == path.size() && segment.empty() && !out.segments.empty())) out.segments.push_back(std::move(segment));
    start = end + 1;
  }
  // The label for the metrics: fixed segments kept, ids replaced.
  const auto& s = out.segments;
  auto is = [&](size_t i, std::string_view v) { return s.size() > i && s[i] == v; };
  if (s.size() == 3 && is(0, "v1") && is(1, "customers")) out.route = "/v1/customers/{id}";
  else if (s.size() == 4 && is(0, "v1") && is(1, "customers") && is(3, "history")) out.route = "/v1/customers/{id}/history";
  else if (s.size() == 4 && is(0, "v1") && is(1, "accounts") && is(3, "history")) out.route = "/v1/accounts/{id}/history";
  else if (s.size() == 5 && is(0, "v1") && is(1, "cluster") && is(2, "accounts") && is(4, "history"))
    out.route = "/v1/cluster/accounts/{id}/history";
  else if (s.size() == 5 && is(0, "v1") && is(1, "cluster") && is(2, "actions") && is(4, "retry"))
    out.route = "/v1/cluster/actions/{key}/retry";
  else if (s.size() == 5 && is(0, "v1") && is(1, "cluster") && is(2, "decisions") && is(4, "why"))
    out.route = "/v1/cluster/decisions/{key}/why";
  else if (s.size() == 4 && is(0, "v1") && is(1, "cluster") && is(2, "actions") && is(3, "held"))
    out.route = "/v1/cluster/actions/held";
  else if (s.size() == 4 && is(0, "v1") && is(1, "decisions") && is(3, "why")) out.route = "/v1/decisions/{key}/why";
  else if (s.size() == 4 && is(0, "v1") && is(1, "actions") && is(3, "retry")) out.route = "/v1/actions/{key}/retry";
  else if (s.size() == 4 && is(0, "v1") && is(1, "journeys") && (is(3, "pause") || is(3, "resume")))
    out.route = "/v1/journeys/{name}/" + s[3];
  else if (s.size() == 4 && is(0, "v1") && is(1, "journeys") && is(3, "graph")) out.route = "/v1/journeys/{name}/graph";
  else if (!s.empty() && s[0] == "console") out.route = "/console";
  else if (s.size() <= 3) {
    static const char* const kFixed[] = {"/", "/healthz", "/readyz", "/metrics", "/v1/events", "/v1/profiles",
                                         "/v1/outcomes", "/v1/clock", "/v1/actions", "/v1/journeys",
                                         "/v1/journeys/reload", "/v1/engagement", "/v1/accounts",
                                         "/v1/tasks", "/v1/cluster/journeys", "/v1/cluster/tasks",
                                         "/v1/cluster/engagement", "/v1/cluster/actions"};
    std::string joined;
    for (const std::string& seg : s) joined += "/" + seg;
    out.route = "other";
    for (const char* fixed : kFixed)
      if (joined == fixed) out.route = fixed;
  } else {
    out.route = "other";
  }
  return out;
}

std::optional<Reply> CheckHead(const ApiRequest& r, const ApiAccess& access) {
  // Framing (RFC 9112 6.1, 6.3): a request with both Transfer-Encoding and
  // Content-Length, or any transfer coding but a lone "chunked", could be
  // read as two requests by one parser and one by another.
  auto refuse_framing = [](const std::string& why) {
    Reply reply = Problem(400, why);
    reply.close = true;
    return reply;
  };
  if (!r.transfer_encodings.empty()) {
    if (!r.content_lengths.empty())
      return refuse_framing("a request may not have both Transfer-Encoding and Content-Length");
    std::string codings;
    for (const std::string& te : r.transfer_encodings) codings += (codings.empty() ? "" : ",") + te;
    if (Lower(Trim(codings)) != "chunked")
      return refuse_framing("the only transfer coding taken is a lone \"chunked\"");
  }
  if (r.content_lengths.size() > 1) return refuse_framing("a request may have one Content-Length");
  if (r.host.empty()) return Problem(400, "a request needs a Host header");  // RFC 9112 3.2
  if (!HostAllowed(HostPart(r.host), access)) {
    Reply reply = Problem(421, "this daemon does not serve the host the request names (set 'allowed_hosts' to "
                               "serve it)");
    reply.close = true;
    return reply;
  }
  if (!StateChange(r.method)) return std::nullopt;
  // A state change from a page of another site: refused whatever the token
  // (a browser sends Origin, and Sec-Fetch-Site, with every such request).
  if (Lower(r.fetch_site) == "cross-site") return Problem(403, "a request from another site may not change state");
  if (!r.origin.empty()) {
    std::string origin = Lower(Trim(r.origin));
    bool allowed = std::find(access.allowed_origins.begin(), access.allowed_origins.end(), origin) !=
                   access.allowed_origins.end();
    // Same origin: the host and the port the request names (a page
    // served by another port of the same host is another origin).
    size_t scheme = origin.find("://");
    if (!allowed && origin != "null" && scheme != std::string::npos && !r.host.empty()) {
      std::string_view authority = std::string_view(origin).substr(scheme + 3);
      std::string_view default_port = origin.compare(0, scheme, "https") == 0 ? "443" : "80";
      allowed = HostAllowed(HostPart(authority), access) &&
                HostAndPort(authority, default_port) == HostAndPort(Lower(r.host), default_port);
    }
    if (!allowed)
      return Problem(403, "a request from a page of another origin may not change state (set 'allowed_origins' to "
                          "let one)");
  }
  if (r.method == "POST") {
    std::string type = Lower(Trim(std::string_view(r.content_type).substr(0, r.content_type.find(';'))));
    if (type != "application/json" && type != "application/x-ndjson" && type != "application/ndjson")
      return Problem(415, "a POST must say its body is JSON: Content-Type: application/json (or "
                          "application/x-ndjson for NDJSON lines)");
  }
  return std::nullopt;
}

Special SpecialRoute(const ApiRequest& r, const ApiTarget& t, const ApiAccess& access, std::optional<Reply>* refusal) {
  bool ingest = t.route == "/v1/events" || t.route == "/v1/profiles";
  bool reload = t.route == "/v1/journeys/reload";
  if (!ingest && !reload) return Special::kNone;
  if (r.method != "POST") {
    *refusal = MethodNotAllowed("POST");
    return Special::kNone;
  }
  const std::string& token = ingest ? access.ingest_token : access.admin_token;
  if (!token.empty() && !TokenMatches(r.authorization, token)) {
    *refusal = Unauthorised(ingest ? "ingest" : "admin");
    return Special::kNone;
  }
  if (reload) return Special::kReload;
  return t.route == "/v1/events" ? Special::kIngestEvents : Special::kIngestProfiles;
}

/// A window's `from` and `to` from the query: by default, `span` up to the
/// end of the engine's day. A refusal when either is not a time, or they
/// are in the wrong order.
static std::optional<Reply> WindowBounds(std::string_view query, Instant now, Instant span, Instant* from,
                                         Instant* to) {
  std::optional<Instant> given_from, given_to;
  for (auto [name, bound] : {std::pair{"from", &given_from}, std::pair{"to", &given_to}}) {
    auto text = QueryParam(query, name);
    if (text && !(*bound = ParseInstant(*text)))
      return Problem(400, std::string("'") + name + "' must be an RFC 3339 time between 1678 and 2261");
  }
  // The end of the engine's day (its last day ends at the end of its range).
  int64_t tomorrow = DayOf(now) + 1;
  *to = given_to.value_or(tomorrow > DayOf(INT64_MAX) ? INT64_MAX : tomorrow * kNanosPerDay);
  *from = given_from.value_or(*to < INT64_MIN + span ? INT64_MIN : *to - span);
  if (*from >= *to) return Problem(400, "'from' must be before 'to'");
  return std::nullopt;
}

std::optional<Reply> JourneyWindowOf(std::string_view query, Instant now, std::optional<JourneyWindow>* window) {
  if (!QueryParam(query, "from") && !QueryParam(query, "to") && !QueryParam(query, "days")) return std::nullopt;
  std::optional<uint64_t> days = 30;
  if (auto text = QueryParam(query, "days"); text && (!(days = Number(text, 400)) || *days == 0))
    return Problem(400, "'days' must be a number of days from 1 to 400");
  Instant from = 0, to = 0;
  if (auto refusal = WindowBounds(query, now, static_cast<Instant>(*days) * kNanosPerDay, &from, &to))
    return refusal;
  *window = JourneyWindow{from, to};
  return std::nullopt;
}

std::optional<Reply> EngagementWindowOf(std::string_view query, Instant now, EngagementWindow* w) {
  std::string bucket = QueryParam(query, "bucket").value_or("week");
  if (bucket != "day" && bucket != "week") return Problem(400, "'bucket' must be 'day' or 'week'");
  w->width = (bucket == "day" ? 1 : 7) * kNanosPerDay;
  if (auto refusal = WindowBounds(query, now, 12 * 7 * kNanosPerDay, &w->from, &w->to)) return refusal;
  if (BucketsOf(*w) == 0) return Problem(400, "at most 1,000 buckets: a longer bucket, or a shorter window");
  return std::nullopt;
}

std::optional<Reply> ActionsQueryOf(std::string_view query, ActionsQuery* out) {
  auto text = QueryParam(query, "limit");
  auto limit_n = text ? Number(text, 100000) : std::optional<uint64_t>(1000);
  if (!limit_n || *limit_n == 0) return Problem(400, "limit must be a number from 1 to 100000");
  out->limit = static_cast<size_t>(*limit_n);
  out->delivery = QueryParam(query, "delivery").value_or("");
  static const std::set<std::string> kStates = {"pending", "delivered", "failed", "dead_letter", "handed_over"};
  if (!out->delivery.empty() && !kStates.count(out->delivery))
    return Problem(400, "'delivery' must be 'pending', 'delivered', 'failed', 'dead_letter' or 'handed_over'");
  out->customer = QueryParam(query, "customer").value_or("");
  if (out->customer.size() > ActionsQuery::kMaxCustomerBytes)
    return Problem(400, "'customer' must be at most " + std::to_string(ActionsQuery::kMaxCustomerBytes) + " bytes");
  return std::nullopt;
}

std::optional<Reply> HistoryQueryOf(std::string_view query, size_t* limit, HistoryFilter* filter) {
  auto text = QueryParam(query, "limit");
  auto limit_n = text ? Number(text, 1000) : std::optional<uint64_t>(100);
  if (!limit_n || *limit_n == 0) return Problem(400, "limit must be a number from 1 to 1000");
  *limit = static_cast<size_t>(*limit_n);
  for (auto [name, bound] : {std::pair{"from", &filter->from}, std::pair{"to", &filter->to}}) {
    auto bound_text = QueryParam(query, name);
    if (!bound_text) continue;
    std::optional<Instant> instant = ParseInstant(*bound_text);
    if (!instant) return Problem(400, std::string("'") + name + "' must be an RFC 3339 time between 1678 and 2261");
    *bound = *instant;
  }
  filter->kind = QueryParam(query, "kind").value_or("");
  if (!filter->kind.empty() && filter->kind != "event" && filter->kind != "action" && filter->kind != "suppressed" &&
      filter->kind != "deferred")
    return Problem(400, "'kind' must be 'event', 'action', 'suppressed' or 'deferred'");
  filter->channel = QueryParam(query, "channel").value_or("");
  filter->journey = QueryParam(query, "journey").value_or("");
  return std::nullopt;
}

std::string PathSegment(std::string_view text) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

std::optional<Reply> TaskFilterOf(std::string_view query, bool on_cluster, TaskFilter* filter) {
  filter->assignee = QueryParam(query, "assignee").value_or("");
  filter->role = QueryParam(query, "role").value_or("");
  filter->customer = QueryParam(query, "customer").value_or("");
  filter->journey = QueryParam(query, "journey").value_or("");
  std::string state = QueryParam(query, "state").value_or("open");
  if (state != "open" && state != "overdue" && state != "closed")
    return Problem(400, "'state' must be 'open', 'overdue' or 'closed'");
  filter->overdue_only = state == "overdue";
  filter->closed = state == "closed";
  auto offset = QueryParam(query, "offset"), limit = QueryParam(query, "limit");
  auto offset_n = offset ? Number(offset, on_cluster ? kMaxClusterTaskOffset : 10000000) : std::optional<uint64_t>(0);
  auto limit_n = limit ? Number(limit, 1000) : std::optional<uint64_t>(200);
  if (!offset_n || !limit_n || *limit_n == 0)
    return Problem(400, on_cluster ? "'offset' must be a number up to 1,000 on a cluster and 'limit' one from 1 to 1,000"
                                   : "'offset' must be a number up to 10,000,000 and 'limit' one from 1 to 1,000");
  filter->offset = *offset_n;
  filter->limit = *limit_n;
  return std::nullopt;
}

std::optional<Reply> GraphVersionOf(std::string_view query, int64_t* version) {
  auto text = QueryParam(query, "version");
  auto n = text ? Number(text, INT32_MAX) : std::optional<uint64_t>(0);
  if (!n || (text && *n == 0)) return Problem(400, "version must be a whole number from 1");
  *version = static_cast<int64_t>(*n);
  return std::nullopt;
}

namespace {

/// GET /v1/customers/{id}/history or /v1/accounts/{id}/history, from the
/// engines of `view`.
Reply HistoryRead(const Service& service, const ApiTarget& t, const EngineView& view) {
  size_t limit = 0;
  HistoryFilter filter;
  if (auto refusal = HistoryQueryOf(t.query, &limit, &filter)) return *refusal;
  return service.GetHistory(view, t.segments[2], QueryParam(t.query, "profile").value_or(""),
                            QueryParam(t.query, "cursor").value_or(""), limit, t.route[4] == 'a', filter);
}

}  // namespace

Reply Route(Service& service, const ApiRequest& r, const ApiTarget& t, const ApiAccess& access) {
  const std::string& route = t.route;
  bool get = r.method == "GET" || r.method == "HEAD", post = r.method == "POST";
  if (route == "/healthz" || route == "/readyz") {
    if (!get) return MethodNotAllowed("GET");
    if (route == "/readyz") {
      if (auto why = service.NotReady()) {
        return TryAgain(*why, 5, Json{{"ready", false}, {"reason", *why}});
      }
      if (!service.data_loss().empty())
        return JsonReply(200, Json{{"status", "ok"}, {"data_loss", service.data_loss()}});
    }
    return JsonReply(200, Json{{"status", "ok"}});
  }
  if (route == "/metrics") {
    if (!get) return MethodNotAllowed("GET");
    return service.GetMetrics();
  }
  if (route == "/" || route == "/console") {
    // The console's pages: public files, no data (that comes from /v1, with
    // the admin token when one is set).
    if (!get) return MethodNotAllowed("GET");
    if (route == "/") return {302, "", "text/plain", {{"Location", "/console/"}}, false};
    std::string path;
    for (size_t i = 1; i < t.segments.size(); ++i) path += (i > 1 ? "/" : "") + t.segments[i];
    std::optional<console::Asset> asset = console::FindAsset(path);
    if (!asset) return Problem(404, "the console has no such page");
    return {200, std::string(asset->body), std::string(asset->content_type),
            {{"Content-Security-Policy", std::string(console::kContentSecurityPolicy)},
             {"X-Content-Type-Options", "nosniff"},
             {"Referrer-Policy", "no-referrer"},
             {"Cache-Control", "no-cache"}},
            false};
  }
  if (route == "/v1/events" || route == "/v1/profiles" || route == "/v1/journeys/reload") {
    // Authorised POSTs go to the server's own handling (SpecialRoute).
    std::optional<Reply> refusal;
    SpecialRoute(r, t, access, &refusal);
    return refusal ? *refusal : Problem(500, "a request the server handles itself reached the router");
  }
  if (route == "/v1/outcomes") {
    if (!post) return MethodNotAllowed("POST");
    if (!access.ingest_token.empty() && !TokenMatches(r.authorization, access.ingest_token))
      return Unauthorised("ingest");
    return service.PostOutcomes(r.body);
  }
  if (!t.segments.empty() && t.segments[0] == "v1" && !access.admin_token.empty() &&
      !TokenMatches(r.authorization, access.admin_token))
    return Unauthorised("admin");
  if (route == "/v1/clock") {
    if (!post) return MethodNotAllowed("POST");
    return service.PostClock(r.body);
  }
  if (route == "/v1/actions") {
    if (!get) return MethodNotAllowed("GET");
    auto since = QueryParam(t.query, "since");
    auto since_n = since ? Number(since, UINT64_MAX) : std::optional<uint64_t>(0);
    if (!since_n) return Problem(400, "since must be a cursor (a whole number)");
    ActionsQuery asked;
    if (auto refusal = ActionsQueryOf(t.query, &asked)) return *refusal;
    return service.GetActions(*since_n, asked);
  }
  if (route == "/v1/actions/{key}/retry") {
    if (!post) return MethodNotAllowed("POST");
    return service.PostRetry(t.segments[2]);
  }
  if (route == "/v1/journeys") {
    if (!get) return MethodNotAllowed("GET");
    // With a window, each journey's counts in it too.
    std::optional<JourneyWindow> window;
    if (auto refusal = JourneyWindowOf(t.query, service.EngineNow(), &window)) return *refusal;
    return service.GetJourneys(window);
  }
  if (route == "/v1/journeys/{name}/pause" || route == "/v1/journeys/{name}/resume") {
    if (!post) return MethodNotAllowed("POST");
    return service.PostPause(t.segments[2], t.segments[3] == "pause");
  }
  if (route == "/v1/journeys/{name}/graph") {
    if (!get) return MethodNotAllowed("GET");
    int64_t version = 0;
    if (auto refusal = GraphVersionOf(t.query, &version)) return *refusal;
    std::optional<JourneyWindow> window;
    if (auto refusal = JourneyWindowOf(t.query, service.EngineNow(), &window)) return *refusal;
    return service.GetJourneyGraph(t.segments[2], version, window);
  }
  if (IsCustomerRead(t)) {
    if (!get) return MethodNotAllowed("GET");
    return CustomerRead(service, t, service.Engines());
  }
  if (route == "/v1/accounts/{id}/history") {
    if (!get) return MethodNotAllowed("GET");
    return HistoryRead(service, t, service.Engines());
  }
  if (route == "/v1/engagement" || route == "/v1/accounts") {
    if (!get) return MethodNotAllowed("GET");
    EngagementWindow w;
    if (auto refusal = EngagementWindowOf(t.query, service.EngineNow(), &w)) return *refusal;
    if (route == "/v1/engagement") return service.GetEngagement(w);
    return service.GetAccounts(w, QueryParam(t.query, "similar_to").value_or(""),
                               QueryParam(t.query, "campaign").value_or(""));
  }
  if (route == "/v1/tasks") {
    if (!get) return MethodNotAllowed("GET");
    TaskFilter filter;
    if (auto refusal = TaskFilterOf(t.query, false, &filter)) return *refusal;
    return service.GetTasks(filter);
  }
  if (route == "/v1/decisions/{key}/why") {
    if (!get) return MethodNotAllowed("GET");
    return service.GetWhy(t.segments[2]);
  }
  return Problem(404, "no such endpoint; see docs/operations.md");
}

bool IsCustomerRead(const ApiTarget& t) {
  return t.route == "/v1/customers/{id}" || t.route == "/v1/customers/{id}/history";
}

std::optional<Reply> PostRefusal(const ApiRequest& r, const ApiAccess& access, bool ingest) {
  if (r.method != "POST") return MethodNotAllowed("POST");
  const std::string& token = ingest ? access.ingest_token : access.admin_token;
  if (!token.empty() && !TokenMatches(r.authorization, token)) return Unauthorised(ingest ? "ingest" : "admin");
  return std::nullopt;
}

std::optional<Reply> ReadRefusal(const ApiRequest& r, const ApiAccess& access) {
  if (r.method != "GET" && r.method != "HEAD") return MethodNotAllowed("GET");
  if (!access.admin_token.empty() && !TokenMatches(r.authorization, access.admin_token)) return Unauthorised("admin");
  return std::nullopt;
}

Reply CustomerRead(const Service& service, const ApiTarget& t, const EngineView& view) {
  if (t.route == "/v1/customers/{id}")
    return service.GetCustomer(view, t.segments[2], QueryParam(t.query, "profile").value_or(""));
  return HistoryRead(service, t, view);
}

}  // namespace tutti::runtime
