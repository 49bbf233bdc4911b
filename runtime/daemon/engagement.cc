// Service::GetEngagement and Service::GetAccounts: the director's figures,
// gathered in one pass over the interaction histories the engine keeps
// (every shard's own customers), never from logs. docs/console.md,
// "The director's figures", defines every number:
//
//   outreach    an action in a customer's history (a send that passed the
//               contact policy, a task), by channel, journey and role
//   response    an event a prescriber does in answer to the company
//               (EngagementRoles::responses); its role is whose work it
//               answers
//   responded   a customer with a response within the response window
//               after an action (of a journey, or of the account's last
//               campaign)
//
// Roles are the `engagement` setting's, by default the stdlib's
// (EngagementRoles::Stdlib); channels the table does not name count under
// "other", and events it does not name are shown by type but are not
// responses. A task counts under its assignee's role (the colleague's
// `role` when the task was given, through the table's staff roles), as
// the work queues list it; under its channel's when that is not known.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "base/text.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/stable_hash.h"

namespace tutti::runtime {
namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;

/// The role of what no table names.
constexpr const char* kOther = "other";

/// The roles a table names, sorted, then "other".
std::vector<std::string> RolesOf(const EngagementRoles& table) {
  std::set<std::string> named;
  for (const auto& [channel, role] : table.channels) named.insert(role);
  for (const auto& [event, role] : table.responses) named.insert(role);
  for (const auto& [colleague, role] : table.staff) named.insert(role);
  named.erase(kOther);
  std::vector<std::string> roles(named.begin(), named.end());
  roles.push_back(kOther);
  return roles;
}

/// What one shard's interned name stands for, looked up once per name.
struct NameInfo {
  bool known = false;
  size_t role = 0;        // an action's channel, or a response's
  bool response = false;  // an event that is a response
};

class NameTable {
 public:
  NameTable(const Names& names, const EngagementRoles& table, const std::vector<std::string>& roles)
      : names_(names), table_(table), roles_(roles), info_(names.size()) {}
  const NameInfo& operator()(uint32_t id, bool action) {
    NameInfo& i = info_[id];
    if (i.known) return i;
    i.known = true;
    i.role = roles_.size() - 1;
    const std::string& name = names_.Get(id);
    const auto& names = action ? table_.channels : table_.responses;
    if (auto it = names.find(name); it != names.end()) {
      i.role = static_cast<size_t>(std::find(roles_.begin(), roles_.end(), it->second) - roles_.begin());
      i.response = !action;
    }
    return i;
  }
  const std::string& name(uint32_t id) const { return names_.Get(id); }

 private:
  const Names& names_;
  const EngagementRoles& table_;
  const std::vector<std::string>& roles_;
  std::vector<NameInfo> info_;
};

/// A digest of everything in `table` the figures depend on.
std::string DigestOf(const EngagementRoles& table) {
  Json all{table.channels, table.responses, table.staff, table.response_window_days};
  return HexDigits(StableHash(all.dump()), 16);
}

std::string TextField(const Value& record, std::string_view name) {
  if (!record.is(ValueKind::kRecord)) return "";
  const Value* v = record.AsRecord().Find(name);
  return v && v->is(ValueKind::kString) ? std::string(v->AsString()) : "";
}

/// Per bucket counts, as a JSON array.
Json Series(const std::vector<uint64_t>& v) { return Json(v); }

}  // namespace

EngagementRoles EngagementRoles::Stdlib() {
  EngagementRoles t;
  // Who does the work each stdlib channel carries.
  t.channels = {{"email", "marketing"},    {"sms", "marketing"},        {"webhook", "marketing"},
                {"remote_detail", "field"}, {"rep_task", "field"},      {"msl_request", "medical"},
                {"call_center_case", "call_center"}, {"service_email", "call_center"}};
  // The stdlib's events that are a prescriber's answer to the company, and
  // whose work each answers. Not among them: what the company or its
  // systems report (email_sent, email_bounced, case_created, which a
  // journey may emit), prescribing (rx_written: an outcome, not an
  // interaction) and opting out (email_unsubscribed).
  t.responses = {{"email_opened", "marketing"},         {"email_clicked", "marketing"},
                 {"email_replied", "marketing"},        {"webinar_registered", "marketing"},
                 {"speaker_program_rsvp", "marketing"}, {"speaker_program_attended", "marketing"},
                 {"visit_completed", "field"},          {"visit_request", "field"},
                 {"sample_request", "field"},           {"medical_question", "medical"}};
  // The stdlib's staff roles (profile staff), each with the team it is in.
  t.staff = {{"field_rep", "field"},        {"key_account_manager", "field"}, {"district_manager", "field"},
             {"msl", "medical"},            {"medical_director", "medical"},   {"call_center", "call_center"},
             {"call_center_lead", "call_center"}, {"marketing", "marketing"},  {"marketing_director", "marketing"}};
  return t;
}

EngagementScan Service::EmptyScan(const EngagementWindow& w, const EngagementRoles& table) {
  EngagementScan scan;
  scan.window = w;
  scan.table = &table;
  scan.table_digest = DigestOf(table);
  scan.roles = RolesOf(table);
  scan.buckets = BucketsOf(w);
  scan.role_actions.assign(scan.roles.size(), std::vector<uint64_t>(scan.buckets));
  scan.role_responses.assign(scan.roles.size(), std::vector<uint64_t>(scan.buckets));
  scan.engaged.assign(scan.buckets, 0);
  return scan;
}

void Service::ScanProfiles(const Engine& any, EngagementScan& scan) {
  const StateStore& profiles = any.store();
  if (std::optional<uint32_t> account_profile = any.ProfileId("account")) {
    for (const auto& [key, id] : profiles.CustomersOf(*account_profile)) {
      const Customer& a = profiles.customer(id);
      auto& f = scan.accounts[key];
      f.name = TextField(a.record, "name");
      f.kind = TextField(a.record, "kind");
      f.region = TextField(a.record, "region");
    }
  }
  for (size_t c = 0; c < profiles.customer_count(); ++c) {
    const Customer& p = profiles.customer(static_cast<uint32_t>(c));
    if (p.account == UINT32_MAX) continue;
    auto& f = scan.accounts[profiles.customer(p.account).key];
    ++f.prescribers;
    ++f.specialties[TextField(p.record, "specialty")];
  }
}

void Service::ScanHistories(const Engine& engine, EngagementScan& scan) {
  const EngagementWindow& w = scan.window;
  auto bucket = [&](Instant at) { return static_cast<size_t>((at - w.from) / w.width); };
  auto in_window = [&](Instant at) { return at >= w.from && at < w.to; };
  std::optional<uint32_t> account_profile = engine.ProfileId("account");
  const Instant response_window = scan.table->response_window_days * kNanosPerDay;
  // The histories: each customer's own entries, on the shard that owns it.
  // Every map entry an entry counts in is looked up once per shard, by id.
  using Events = EngagementScan::Event;
  using Channels = EngagementScan::Channel;
  using JourneyFigures = EngagementScan::JourneyFigures;
  using AccountFigures = EngagementScan::AccountFigures;
  std::vector<Instant> responses;  // one customer's, in time order
  struct Reached {
    JourneyFigures* journey;
    AccountFigures::Campaign* campaign;
    bool responded;
    Instant first;
  };
  std::vector<Reached> reached;  // one customer's journeys
  std::vector<const Interaction*> actions;  // one customer's own, in the window
  const StateStore& store = engine.store();
  NameTable names(engine.names(), *scan.table, scan.roles);
  std::vector<Events*> event_slot(engine.names().size());
  std::vector<Channels*> channel_slot(engine.names().size());
  std::vector<JourneyFigures*> journey_slot(engine.journey_count() + 1);
  std::vector<const std::string*> journey_name(engine.journey_count() + 1);
  static const std::string kNoJourney;
  for (uint32_t j = 0; j <= engine.journey_count(); ++j)
    journey_name[j] = j == 0 ? &kNoJourney : &engine.journey(j - 1).name;
  std::unordered_map<uint32_t, AccountFigures*> account_slot;
  std::optional<uint32_t> formulary_win = engine.names().Find("formulary_win");
  // A task's role is its assignee's (Interaction::role, then the table's
  // staff roles) when known, else its channel's; by role byte.
  std::vector<std::optional<size_t>> assignee_role(engine.roles().size() + 1);
  for (size_t r = 0; r < engine.roles().size(); ++r)
    if (auto it = scan.table->staff.find(engine.names().Get(engine.roles()[r])); it != scan.table->staff.end())
      assignee_role[r + 1] = static_cast<size_t>(std::find(scan.roles.begin(), scan.roles.end(), it->second) -
                                                 scan.roles.begin());
  // Each customer's history is an allocation of its own: the scan waits
  // on memory more than it computes, so the histories a few customers
  // ahead are asked for while this one is counted.
  constexpr size_t kAhead = 4;
  for (size_t c = 0; c < store.customer_count(); ++c) {
    if (c + kAhead < store.customer_count()) {
      const std::vector<Interaction>& ahead = store.customer(static_cast<uint32_t>(c + kAhead)).history;
      if (!ahead.empty()) __builtin_prefetch(ahead.data());
      if (ahead.size() * sizeof(Interaction) > 64) __builtin_prefetch(ahead.data() + 64 / sizeof(Interaction));
    }
    const Customer& customer = store.customer(static_cast<uint32_t>(c));
    if (customer.history.empty()) continue;
    AccountFigures* account = nullptr;
    if (customer.account != UINT32_MAX) {
      auto [it, added] = account_slot.try_emplace(customer.account, nullptr);
      if (added) it->second = &scan.accounts[store.customer(customer.account).key];
      account = it->second;
    }
    bool is_account = account_profile && customer.profile == *account_profile;
    responses.clear();
    size_t last_bucket = SIZE_MAX;  // the last bucket with a response of the customer
    actions.clear();
    for (const Interaction& e : customer.history) {
      if (e.about != c || !in_window(e.at)) continue;  // not an account's copy of a prescriber's entry
      if (e.action) {
        actions.push_back(&e);
        continue;
      }
      size_t b = bucket(e.at);
      Events*& ev = event_slot[e.name];
      if (ev == nullptr) {
        ev = &scan.events[names.name(e.name)];
        const NameInfo& info = names(e.name, false);
        ev->role = info.role;
        ev->response = info.response;
        ev->count.resize(scan.buckets);
      }
      ++ev->count[b];
      if (is_account && e.name == formulary_win) ++scan.accounts[customer.key].formulary_wins;
      if (!ev->response) continue;
      responses.push_back(e.at);
      ++scan.role_responses[ev->role][b];
      if (b != last_bucket) ++scan.engaged[b], last_bucket = b;  // in time order: buckets only grow
    }
    scan.engaged_total += !responses.empty();
    if (account) {
      account->responses += responses.size();
      account->engaged += !responses.empty();
    }
    // Responded: a response after the action, within the response window.
    auto answered = [&](Instant at) {
      auto it = std::upper_bound(responses.begin(), responses.end(), at);
      return it != responses.end() && *it <= at + response_window;
    };
    reached.clear();
    for (const Interaction* action : actions) {
      const Interaction& e = *action;
      size_t b = bucket(e.at);
      Channels*& ch = channel_slot[e.name];
      if (ch == nullptr) {
        ch = &scan.channels[names.name(e.name)];
        ch->role = names(e.name, true).role;
        ch->actions.resize(scan.buckets);
      }
      ++ch->actions[b];
      std::optional<size_t> by_assignee = e.role < assignee_role.size() ? assignee_role[e.role] : std::nullopt;
      ++scan.role_actions[by_assignee.value_or(ch->role)][b];
      uint32_t jn = e.journey <= engine.journey_count() ? e.journey : 0;
      JourneyFigures*& j = journey_slot[jn];
      if (j == nullptr) {
        j = &scan.journeys[*journey_name[jn]];
        if (j->actions.empty()) j->actions.resize(scan.buckets);
      }
      ++j->actions[b];
      auto r = std::find_if(reached.begin(), reached.end(), [&](const Reached& x) { return x.journey == j; });
      if (r == reached.end())
        r = reached.insert(r, {j, account ? &account->campaigns[*journey_name[jn]] : nullptr, false, e.at});
      r->responded = r->responded || answered(e.at);
      if (account) ++account->actions;
    }
    for (const Reached& r : reached) {
      ++r.journey->customers;
      r.journey->responded += r.responded;
      if (r.campaign) {
        ++r.campaign->reached;
        r.campaign->responded += r.responded;
        r.campaign->first = std::min(r.campaign->first, r.first);
      }
    }
  }
}

void Service::MergeScan(EngagementScan& into, const EngagementScan& part) {
  auto add = [](std::vector<uint64_t>& to, const std::vector<uint64_t>& from) {
    for (size_t i = 0; i < from.size(); ++i) to[i] += from[i];
  };
  for (const auto& [name, f] : part.channels) {
    auto [it, added] = into.channels.try_emplace(name, f);
    if (!added) add(it->second.actions, f.actions);
  }
  for (const auto& [name, f] : part.events) {
    auto [it, added] = into.events.try_emplace(name, f);
    if (!added) add(it->second.count, f.count);
  }
  for (const auto& [name, f] : part.journeys) {
    auto& j = into.journeys[name];
    if (j.actions.empty()) j.actions.resize(into.buckets);
    add(j.actions, f.actions);
    j.customers += f.customers;
    j.responded += f.responded;
  }
  for (size_t r = 0; r < into.roles.size(); ++r) {
    add(into.role_actions[r], part.role_actions[r]);
    add(into.role_responses[r], part.role_responses[r]);
  }
  add(into.engaged, part.engaged);
  into.engaged_total += part.engaged_total;
  for (const auto& [key, a] : part.accounts) {
    auto& to = into.accounts[key];
    // The profiles' fields, from the one part that read the profiles.
    for (auto [field, from] : {std::pair{&to.name, &a.name}, {&to.kind, &a.kind}, {&to.region, &a.region}})
      if (!from->empty()) *field = *from;
    to.prescribers += a.prescribers;
    to.actions += a.actions;
    to.responses += a.responses;
    to.engaged += a.engaged;
    to.formulary_wins += a.formulary_wins;
    for (const auto& [specialty, n] : a.specialties) to.specialties[specialty] += n;
    for (const auto& [journey, c] : a.campaigns) {
      auto& t = to.campaigns[journey];
      t.reached += c.reached;
      t.responded += c.responded;
      t.first = std::min(t.first, c.first);
    }
  }
}

EngagementScan Service::ScanEngines(const std::vector<const Engine*>& engines, const Engine* profiles,
                                    const EngagementWindow& w, const EngagementRoles& table) {
  // The engines' histories on up to a thread per core (the caller waits,
  // so nothing changes them meanwhile), the profiles on this one first;
  // then the parts added up.
  std::vector<EngagementScan> parts;
  for (size_t s = 0; s < engines.size(); ++s) parts.push_back(EmptyScan(w, table));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t s; (s = next.fetch_add(1)) < engines.size();) ScanHistories(*engines[s], parts[s]);
  };
  std::vector<std::thread> threads;
  size_t helpers = std::min<size_t>(engines.size(), std::max(1u, std::thread::hardware_concurrency())) - (engines.empty() ? 0 : 1);
  for (size_t t = 0; t < helpers; ++t) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // no thread to be had: this one does the rest
    }
  }
  EngagementScan scan = EmptyScan(w, table);
  if (profiles) ScanProfiles(*profiles, scan);
  work();
  for (std::thread& t : threads) t.join();
  for (const EngagementScan& part : parts) MergeScan(scan, part);
  return scan;
}

std::shared_ptr<const EngagementScan> Service::Engagement(const EngagementWindow& w) const {
  // Inputs logged, applied or not, and time moved: all that changes what a
  // scan reads (reloads and pauses are logged too).
  std::array<int64_t, 5> of{w.from, w.to, w.width, static_cast<int64_t>(log_ ? log_->size() : 0),
                            shards_->now()};
  // While inputs wait to be applied the state moves without the log
  // growing: such a scan is not kept.
  bool settled = !HasWork();
  if (settled && engagement_ != nullptr && of == engagement_of_) return engagement_;
  std::vector<const Engine*> engines;
  for (uint32_t s = 0; s < shards_->count(); ++s) engines.push_back(&shards_->shard(s));
  // Every shard holds every profile: shard 0's are read.
  auto scan = std::make_shared<const EngagementScan>(ScanEngines(engines, engines[0], w, options_.engagement));
  engagement_ = settled ? scan : nullptr;
  engagement_of_ = of;
  return scan;
}

Json Service::WindowJson(const EngagementWindow& w, size_t buckets) const {
  Json starts = Json::array();
  for (size_t b = 0; b < buckets; ++b) starts.push_back(FormatInstant(w.from + static_cast<Instant>(b) * w.width));
  return Json{{"from", FormatInstant(w.from)}, {"to", FormatInstant(w.to)},
              {"bucket_days", w.width / kNanosPerDay}, {"starts", starts},
              {"response_window_days", options_.engagement.response_window_days}};
}

Reply Service::GetEngagement(const EngagementWindow& w) const { return EngagementReply(*Engagement(w)); }

Reply Service::EngagementReply(const EngagementScan& scan) const {
  Json out = WindowJson(scan.window, scan.buckets);
  Json channels = Json::array();
  for (const auto& [name, f] : scan.channels)
    channels.push_back({{"channel", name}, {"role", scan.roles[f.role]}, {"actions", Series(f.actions)}});
  Json events = Json::array();
  for (const auto& [name, f] : scan.events) {
    Json e{{"event", name}, {"response", f.response}, {"count", Series(f.count)}};
    if (f.response) e["role"] = scan.roles[f.role];
    events.push_back(std::move(e));
  }
  Json journeys = Json::array();
  for (const auto& [name, f] : scan.journeys)
    journeys.push_back({{"journey", name}, {"actions", Series(f.actions)}, {"customers", f.customers},
                        {"responded", f.responded}});
  Json roles = Json::array();
  for (size_t r = 0; r < scan.roles.size(); ++r)
    roles.push_back({{"role", scan.roles[r]}, {"actions", Series(scan.role_actions[r])},
                     {"responses", Series(scan.role_responses[r])}});
  out["channels"] = std::move(channels);
  out["events"] = std::move(events);
  out["journeys"] = std::move(journeys);
  out["roles"] = std::move(roles);
  out["engaged"] = Series(scan.engaged);
  out["engaged_total"] = scan.engaged_total;
  return JsonReply(200, out);
}

Reply Service::GetAccounts(const EngagementWindow& w, std::string_view similar_to, std::string_view campaign) const {
  return AccountsReply(*Engagement(w), similar_to, campaign);
}

Reply Service::AccountsReply(const EngagementScan& scan, std::string_view similar_to, std::string_view campaign) const {
  const EngagementScan::AccountFigures* chosen = nullptr;
  if (!similar_to.empty()) {
    auto it = scan.accounts.find(std::string(similar_to));
    if (it == scan.accounts.end()) return Problem(404, "no account '" + Printable(similar_to, 100) + "'");
    chosen = &it->second;
  }
  // The likeness of two accounts, each part from 0 to 1 and the score
  // their mean: the same kind of account (a managed-care plan, an IDN, a
  // health system); the mix of their prescribers' specialties (the cosine
  // of the shares); and their prescribers' response to the chosen
  // account's last campaign (1 minus the difference of the response rates;
  // 0 when the campaign did not reach the other account).
  //
  // The share of an account's prescribers reached by `journey` who
  // responded; -1 when it reached none.
  auto rate = [](const EngagementScan::AccountFigures& a, const std::string& journey) {
    auto it = a.campaigns.find(journey);
    if (journey.empty() || it == a.campaigns.end() || it->second.reached == 0) return -1.0;
    return static_cast<double>(it->second.responded) / static_cast<double>(it->second.reached);
  };
  auto cosine = [](const std::map<std::string, uint64_t>& x, const std::map<std::string, uint64_t>& y) {
    double dot = 0, nx = 0, ny = 0;
    for (const auto& [k, v] : x) {
      nx += double(v) * double(v);
      if (auto it = y.find(k); it != y.end()) dot += double(v) * double(it->second);
    }
    for (const auto& [k, v] : y) ny += double(v) * double(v);
    return nx == 0 || ny == 0 ? 0.0 : dot / std::sqrt(nx * ny);
  };
  // The chosen account's last campaign: of the journeys that reached at
  // least a tenth of its prescribers in the window, the one that began
  // last with them (`campaign` names another).
  std::string last_campaign(campaign);
  if (chosen && last_campaign.empty()) {
    Instant began = INT64_MIN;
    for (const auto& [journey, c] : chosen->campaigns)
      if (c.reached * 10 >= chosen->prescribers && c.first >= began) began = c.first, last_campaign = journey;
  }
  double chosen_rate = chosen ? rate(*chosen, last_campaign) : -1;
  struct Ranked {
    double key;
    Json json;
  };
  std::vector<Ranked> ranked;
  for (const auto& [id, a] : scan.accounts) {
    if ((a.prescribers == 0 && a.name.empty()) || &a == chosen) continue;
    double engagement = a.prescribers ? static_cast<double>(a.responses) / static_cast<double>(a.prescribers) : 0;
    Json j{{"id", id},          {"name", a.name},       {"kind", a.kind},
           {"region", a.region}, {"prescribers", a.prescribers}, {"actions", a.actions},
           {"responses", a.responses}, {"engaged", a.engaged}, {"engagement", engagement},
           {"formulary_wins", a.formulary_wins}};
    double key = engagement;
    if (chosen) {
      double kind = !a.kind.empty() && a.kind == chosen->kind ? 1 : 0;
      double mix = cosine(a.specialties, chosen->specialties);
      double r = rate(a, last_campaign);
      double campaign = r >= 0 && chosen_rate >= 0 ? 1 - std::abs(r - chosen_rate) : 0;
      key = (kind + mix + campaign) / 3;
      j["similarity"] = {{"score", key}, {"kind", kind}, {"specialties", mix}, {"last_campaign", campaign}};
      if (r >= 0) j["similarity"]["response_rate"] = r;
    }
    ranked.push_back({key, std::move(j)});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const Ranked& x, const Ranked& y) { return x.key > y.key; });
  Json out = WindowJson(scan.window, scan.buckets);
  out["ranked_by"] = chosen ? "similarity" : "engagement";
  if (chosen) {
    out["similar_to"] = std::string(similar_to);
    Json campaign{{"journey", last_campaign}};
    if (chosen_rate >= 0) campaign["response_rate"] = chosen_rate;
    out["last_campaign"] = std::move(campaign);
  }
  Json accounts = Json::array();
  for (Ranked& r : ranked) accounts.push_back(std::move(r.json));
  out["accounts"] = std::move(accounts);
  return JsonReply(200, out);
}

}  // namespace tutti::runtime
