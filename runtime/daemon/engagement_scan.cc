#include "runtime/daemon/engagement_scan.h"

#include "runtime/daemon/forward.h"
#include "runtime/daemon/part_fields.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

using part_fields::Count;
using part_fields::Row;
using part_fields::Series;
using part_fields::Text;
using part_fields::Time;

/// A role's number: one of `roles`.
bool RoleOf(const Json& j, const std::vector<std::string>& roles, size_t* out) {
  return Count(j, out) && *out < roles.size();
}

/// An account's row after its key.
bool ReadAccount(const Json& j, EngagementScan::AccountFigures* a) {
  if (!Row(j, 10) || !Text(j[1], &a->name) || !Text(j[2], &a->kind) || !Text(j[3], &a->region) ||
      !Count(j[4], &a->prescribers) || !Count(j[5], &a->actions) || !Count(j[6], &a->responses) ||
      !Count(j[7], &a->engaged) || !Count(j[8], &a->formulary_wins) || !j[9].is_object())
    return false;
  const Json& more = j[9];
  if (!more.contains("specialties") || !more["specialties"].is_object() || !more.contains("campaigns") ||
      !more["campaigns"].is_array())
    return false;
  for (const auto& [specialty, n] : more["specialties"].items())
    if (!Count(n, &a->specialties[specialty])) return false;
  for (const Json& c : more["campaigns"]) {
    std::string journey;
    EngagementScan::AccountFigures::Campaign campaign;
    if (!Row(c, 4) || !Text(c[0], &journey) || !Count(c[1], &campaign.reached) || !Count(c[2], &campaign.responded) ||
        !Time(c[3], &campaign.first))
      return false;
    a->campaigns[journey] = campaign;
  }
  return true;
}

}  // namespace

size_t BucketsOf(const EngagementWindow& w) {
  if (w.from >= w.to || w.width <= 0) return 0;
  // The span may not fit a signed number (1678 to 2261): counted unsigned.
  uint64_t span = static_cast<uint64_t>(w.to) - static_cast<uint64_t>(w.from);
  uint64_t buckets = span / static_cast<uint64_t>(w.width) + (span % static_cast<uint64_t>(w.width) != 0);
  return buckets > static_cast<uint64_t>(kMaxEngagementBuckets) ? 0 : static_cast<size_t>(buckets);
}

std::string EncodeEngagementPart(const EngagementPart& part) {
  const EngagementScan& s = part.scan;
  Json channels = Json::array(), events = Json::array(), journeys = Json::array(), accounts = Json::array();
  for (const auto& [name, c] : s.channels) channels.push_back({name, c.role, c.actions});
  for (const auto& [name, e] : s.events) events.push_back({name, e.role, e.response, e.count});
  for (const auto& [name, j] : s.journeys) journeys.push_back({name, j.actions, j.customers, j.responded});
  for (const auto& [key, a] : s.accounts) {
    Json campaigns = Json::array();
    for (const auto& [journey, c] : a.campaigns) campaigns.push_back({journey, c.reached, c.responded, c.first});
    Json specialties = Json::object();
    for (const auto& [specialty, n] : a.specialties) specialties[specialty] = n;
    accounts.push_back({key, a.name, a.kind, a.region, a.prescribers, a.actions, a.responses, a.engaged,
                        a.formulary_wins, Json{{"specialties", std::move(specialties)}, {"campaigns", std::move(campaigns)}}});
  }
  Json out{{"partitions", part.partitions},
           {"window", {s.window.from, s.window.to, s.window.width}},
           {"table", s.table_digest},
           {"roles", s.roles},
           {"channels", std::move(channels)},
           {"events", std::move(events)},
           {"journeys", std::move(journeys)},
           {"role_actions", s.role_actions},
           {"role_responses", s.role_responses},
           {"engaged", s.engaged},
           {"engaged_total", s.engaged_total},
           {"accounts", std::move(accounts)}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<EngagementPart> DecodeEngagementPart(std::string_view text) {
  // Bounded as a node's answer is (an account's campaigns, the deepest, are six deep).
  if (!ParseJsonInput(text, JsonLimits{kMaxForwardedBytes, 6}).ok()) return std::nullopt;
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  for (const char* key : {"partitions", "window", "table", "roles", "channels", "events", "journeys", "role_actions",
                          "role_responses", "engaged", "engaged_total", "accounts"})
    if (!j.contains(key)) return std::nullopt;
  EngagementPart part;
  EngagementScan& s = part.scan;
  if (!part_fields::Partitions(j["partitions"], &part.partitions)) return std::nullopt;
  const Json& w = j["window"];
  if (!Row(w, 3) || !Time(w[0], &s.window.from) || !Time(w[1], &s.window.to) || !Time(w[2], &s.window.width))
    return std::nullopt;
  // The window bounds every series, so it is checked before any is read.
  s.buckets = BucketsOf(s.window);
  if (s.buckets == 0 || (s.window.width != kNanosPerDay && s.window.width != 7 * kNanosPerDay)) return std::nullopt;
  if (!Text(j["table"], &s.table_digest) || s.table_digest.size() > 64) return std::nullopt;
  if (!j["roles"].is_array() || j["roles"].empty() || j["roles"].size() > 1000) return std::nullopt;
  for (const Json& r : j["roles"]) {
    std::string role;
    if (!Text(r, &role)) return std::nullopt;
    s.roles.push_back(std::move(role));
  }
  for (const char* list : {"channels", "events", "journeys", "accounts"})
    if (!j[list].is_array()) return std::nullopt;
  for (const Json& c : j["channels"]) {
    std::string name;
    EngagementScan::Channel channel;
    if (!Row(c, 3) || !Text(c[0], &name) || !RoleOf(c[1], s.roles, &channel.role) ||
        !Series(c[2], s.buckets, &channel.actions))
      return std::nullopt;
    s.channels[name] = std::move(channel);
  }
  for (const Json& e : j["events"]) {
    std::string name;
    EngagementScan::Event event;
    if (!Row(e, 4) || !Text(e[0], &name) || !RoleOf(e[1], s.roles, &event.role) || !e[2].is_boolean() ||
        !Series(e[3], s.buckets, &event.count))
      return std::nullopt;
    event.response = e[2].get<bool>();
    s.events[name] = std::move(event);
  }
  for (const Json& jf : j["journeys"]) {
    std::string name;
    EngagementScan::JourneyFigures figures;
    if (!Row(jf, 4) || !Text(jf[0], &name) || !Series(jf[1], s.buckets, &figures.actions) ||
        !Count(jf[2], &figures.customers) || !Count(jf[3], &figures.responded))
      return std::nullopt;
    s.journeys[name] = std::move(figures);
  }
  for (const char* per_role : {"role_actions", "role_responses"}) {
    const Json& rows = j[per_role];
    if (!Row(rows, s.roles.size())) return std::nullopt;
    auto& into = per_role == std::string_view("role_actions") ? s.role_actions : s.role_responses;
    into.resize(s.roles.size());
    for (size_t r = 0; r < s.roles.size(); ++r)
      if (!Series(rows[r], s.buckets, &into[r])) return std::nullopt;
  }
  if (!Series(j["engaged"], s.buckets, &s.engaged) || !Count(j["engaged_total"], &s.engaged_total))
    return std::nullopt;
  for (const Json& a : j["accounts"]) {
    std::string key;
    if (!Row(a, 10) || !Text(a[0], &key)) return std::nullopt;
    if (!ReadAccount(a, &s.accounts[key])) return std::nullopt;
  }
  return part;
}

}  // namespace tutti::runtime
