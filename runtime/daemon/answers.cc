// Service, answering the read side of the API: the action log, the
// journeys, a customer, an account's history, readiness and the metrics,
// each gathered from every shard.

#include <algorithm>
#include <map>
#include <sstream>

#include "runtime/daemon/replies.h"
#include "runtime/engine/decision.h"

namespace tutti::runtime {
namespace {
/// The latency buckets of tutti_http_request_seconds, in seconds.
constexpr double kBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

const char* StateName(DeliveryState s) {
  switch (s) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kFailed: return "failed";
    case DeliveryState::kDeadLetter: return "dead_letter";
  }
  return "?";
}

const char* InstanceStateName(InstanceState s) {
  switch (s) {
    case InstanceState::kFree: return "free";
    case InstanceState::kRunning: return "running";
    case InstanceState::kSleeping: return "sleeping";
    case InstanceState::kWaitingEvent: return "waiting_for_event";
  }
  return "?";
}

}  // namespace

Reply Service::GetActions(uint64_t since, size_t limit) const {
  // Each action's NDJSON line with its place and delivery state spliced in
  // before the closing brace (no parse and dump per action).
  const Outbox& outbox = shards_->outbox();
  std::string body = "{\"actions\":[";
  uint64_t last = since;
  for (const OutboxEntry* e : outbox.Since(since, limit)) {
    std::string line = ToJson(e->action);
    line.pop_back();
    if (last != since) body += ',';
    body += line;
    body += ",\"seq\":" + std::to_string(e->seq) + ",\"delivery\":\"" + StateName(e->state) + "\"}";
    last = e->seq;
  }
  body += "],\"next\":" + std::to_string(last);
  // Actions after the cursor that are no longer held: delivered long ago.
  if (since + 1 < outbox.first_seq()) body += ",\"trimmed\":" + std::to_string(outbox.first_seq() - since - 1);
  body += "}\n";
  return {200, std::move(body), "application/json"};
}

Reply Service::GetJourneys() const {
  // Every shard runs the same journeys, each for its own customers.
  const Engine& engine = shards_->shard(0);
  std::vector<int64_t> active(engine.journey_count());
  for (uint32_t s = 0; s < shards_->count(); ++s) {
    const StateStore& store = shards_->shard(s).store();
    for (size_t c = 0; c < store.customer_count(); ++c)
      for (uint32_t h : store.customer(static_cast<uint32_t>(c)).instances) ++active[store.instance(h).journey];
  }
  std::vector<JourneyStats> stats = shards_->stats();
  Json out = Json::array();
  for (uint32_t i = 0; i < engine.journey_count(); ++i) {
    // A retired version is shown while instances finish on it.
    if (engine.retired(i) && active[i] == 0) continue;
    const auto& j = engine.journey(i);
    const JourneyStats& st = stats[i];
    Json steps = Json::object();
    for (size_t k = 0; k < j.steps.size(); ++k) steps[j.steps[k].id] = st.step_visits[k];
    const char* status = engine.retired(i) ? "retired" : engine.paused(i) ? "paused" : "running";
    out.push_back({{"name", j.name}, {"version", j.version}, {"priority", j.priority}, {"status", status},
                   {"entered", st.entered}, {"active", active[i]}, {"completed", st.completed},
                   {"exited", st.exited}, {"goals", st.goals}, {"steps", steps}});
  }
  return JsonReply(200, Json{{"journeys", out}, {"fingerprint", set().Fingerprint()}, {"shards", shards_->count()}});
}

Reply Service::GetCustomer(std::string_view id, std::string_view profile) const {
  std::vector<std::string> profiles = set().schemas().ProfileNames();
  for (uint32_t p = 0; p < profiles.size(); ++p) {
    if (!profile.empty() && profiles[p] != profile) continue;
    // The shard that owns the customer holds their instances and history.
    const Engine& engine = shards_->owner(profiles[p], id);
    const StateStore& store = engine.store();
    auto c = store.FindCustomer(p, id);
    if (!c) continue;
    const Customer& customer = store.customer(*c);
    Json instances = Json::array();
    for (uint32_t h : customer.instances) {
      const JourneyInstance& inst = store.instance(h);
      const auto& j = engine.journey(inst.journey);
      Json i{{"journey", j.name}, {"version", j.version},
             {"step", inst.pc < j.steps.size() ? j.steps[inst.pc].id : "end"},
             {"state", InstanceStateName(inst.state)}, {"entered", FormatInstant(inst.entered)}};
      if (auto wake = engine.NextWake(h)) i["next_timer"] = FormatInstant(*wake);
      instances.push_back(std::move(i));
    }
    return JsonReply(200, Json{{"profile", profiles[p]}, {"id", customer.key},
                               {"record", customer.record.is(compiler::eval::ValueKind::kNull) ? Json() : ToJsonValue(customer.record)},
                               {"instances", instances}, {"history", *History(p, id, /*who=*/false)}});
  }
  return Problem(404, "no customer '" + std::string(id) + "'" + (profile.empty() ? "" : " of profile '" + std::string(profile) + "'"));
}

std::optional<Json> Service::History(uint32_t profile, std::string_view id, bool who) const {
  // Each shard holds the part about its own customers (an account's own
  // events in the account's shard, each prescriber's in theirs): merged in
  // time order.
  std::vector<std::pair<Instant, Json>> entries;
  bool known = false;
  for (uint32_t s = 0; s < shards_->count(); ++s) {
    const Engine& engine = shards_->shard(s);
    const StateStore& store = engine.store();
    auto c = store.FindCustomer(profile, id);
    if (!c) continue;
    known = true;
    for (const Interaction& i : store.customer(*c).history) {
      Json h{{"at", FormatInstant(i.at)}, {"kind", i.action ? "action" : "event"}, {"name", engine.names().Get(i.name)}};
      if (who) h["customer"] = store.customer(i.about).key;
      if (i.journey) h["journey"] = engine.journey(i.journey - 1u).name;
      entries.emplace_back(i.at, std::move(h));
    }
  }
  if (!known) return std::nullopt;
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  Json history = Json::array();
  for (auto& [at, h] : entries) history.push_back(std::move(h));
  return history;
}

Reply Service::GetAccountHistory(std::string_view id) const {
  std::vector<std::string> profiles = set().schemas().ProfileNames();
  auto p = std::find(profiles.begin(), profiles.end(), "account");
  if (p == profiles.end()) return Problem(404, "the journeys declare no 'account' profile");
  auto history = History(static_cast<uint32_t>(p - profiles.begin()), id, /*who=*/true);
  if (!history) return Problem(404, "no account '" + std::string(id) + "'");
  return JsonReply(200, Json{{"account", std::string(id)}, {"history", *history}});
}

void Service::Histogram::Add(double seconds) {
  buckets.resize(std::size(kBuckets) + 1);
  size_t i = 0;
  while (i < std::size(kBuckets) && seconds > kBuckets[i]) ++i;
  buckets[i] += 1;
  sum += seconds;
}

void Service::CountRequest(std::string_view route, int status, double seconds) {
  counters_["tutti_http_requests_total{route=\"" + std::string(route) + "\",status=\"" + std::to_string(status) + "\"}"] += 1;
  latencies_["tutti_http_request_seconds{route=\"" + std::string(route) + "\"}"].Add(seconds);
}

std::optional<std::string> Service::NotReady() const {
  if (log_->failing())
    return "the input log's last write failed (is the disk full?): inputs are refused until a write succeeds";
  return std::nullopt;
}

Reply Service::GetMetrics() const {
  std::ostringstream out;
  // Counts exact far past a million (the default shows 6 digits: 1.23457e+06).
  out.precision(15);
  out << "# TYPE tutti_shards gauge\ntutti_shards " << shards_->count() << "\n";
  out << "# TYPE tutti_instances_active gauge\ntutti_instances_active " << shards_->active_instances() << "\n";
  out << "# TYPE tutti_timers_pending gauge\ntutti_timers_pending " << shards_->pending_timers() << "\n";
  out << "# TYPE tutti_outbox_pending gauge\ntutti_outbox_pending " << shards_->outbox().pending() << "\n";
  out << "# TYPE tutti_outbox_entries gauge\ntutti_outbox_entries " << shards_->outbox().size() << "\n";
  out << "# TYPE tutti_input_log_entries gauge\ntutti_input_log_entries " << log_->size() << "\n";
  out << "# TYPE tutti_input_log_first gauge\ntutti_input_log_first " << log_->first() << "\n";
  out << "# TYPE tutti_inputs_unapplied gauge\ntutti_inputs_unapplied " << unapplied_.size() << "\n";
  std::string last_name;
  for (const auto& [series, value] : counters_) {
    std::string name = series.substr(0, series.find('{'));
    if (name != last_name) out << "# TYPE " << name << " counter\n";
    last_name = name;
    out << series << " " << value << "\n";
  }
  // Trigger matches per journey.
  out << "# TYPE tutti_journey_entered_total counter\n";
  std::map<std::string_view, uint64_t> entered;  // every version of a journey together
  std::vector<JourneyStats> stats = shards_->stats();
  for (uint32_t i = 0; i < stats.size(); ++i) entered[shards_->shard(0).journey(i).name] += stats[i].entered;
  for (const auto& [journey, n] : entered) out << "tutti_journey_entered_total{journey=\"" << journey << "\"} " << n << "\n";
  // Histograms: each series name (with its labels, if any) -> buckets and sum.
  std::string last_histogram;
  for (const auto& [series, h] : latencies_) {
    size_t brace = series.find('{');
    std::string name = series.substr(0, brace);
    std::string labels = brace == std::string::npos ? "" : series.substr(brace + 1, series.size() - brace - 2);
    std::string with = labels.empty() ? "" : "{" + labels + "}";
    if (name != last_histogram) out << "# TYPE " << name << " histogram\n";
    last_histogram = name;
    double cumulative = 0;
    for (size_t i = 0; i < h.buckets.size(); ++i) {
      cumulative += h.buckets[i];
      out << name << "_bucket{" << labels << (labels.empty() ? "" : ",") << "le=\"";
      if (i < std::size(kBuckets)) out << kBuckets[i];
      else out << "+Inf";
      out << "\"} " << cumulative << "\n";
    }
    out << name << "_sum" << with << " " << h.sum << "\n";
    out << name << "_count" << with << " " << cumulative << "\n";
  }
  return {200, out.str(), "text/plain; version=0.0.4"};
}

}  // namespace tutti::runtime
