// Service, answering GET /v1/decisions/{idempotency_key}/why: the chain
// behind one action, from what the engine kept when it decided (the inputs
// that caused it and started its instance, the instance's choices, the
// policy rules it passed) and from the input log (those inputs as logged).
// On a Kafka cluster the node delivering the action answers (WhyHere):
// the choices and rules came with it in tutti.actions (ActionWhy), and
// the inputs are read from tutti.inputs.

#include <string>

#include "compiler/ast/expr.h"
#include "compiler/ast/step.h"
#include "runtime/cluster/node.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/decision.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

namespace ir = compiler::ir;

/// "FILE:LINE" of byte `offset` in the journey's file.
std::string Where(const ir::Journey& j, uint32_t offset) {
  return j.source->path() + ":" + std::to_string(j.source->Locate(offset).line);
}

/// How the journey starts and whom it fans out to, as written; for one
/// without a trigger, the journeys of the running version (`running`)
/// whose `start` steps name it.
Json JourneyPart(const Decision& d, const ir::Journey* j, const std::vector<const ir::Journey*>& running) {
  Json out{{"name", d.journey}, {"version", d.version}, {"version_id", d.version_id}};
  if (j == nullptr) return out;  // a version no longer held (a restart since)
  out["declared_at"] = Where(*j, j->decl->range.begin);
  if (j->trigger) {
    std::string on = "on " + j->trigger->event;
    if (j->trigger->cond) on += " where " + compiler::ast::ToSource(*j->trigger->cond);
    out["trigger"] = on;
  }
  if (j->audience) out["audience"] = j->audience->profile + " where " + compiler::ast::ToSource(*j->audience->cond);
  if (!j->trigger) {
    Json by = Json::array();
    for (const ir::Journey* running_journey : running) {
      const ir::Journey& other = *running_journey;
      for (const ir::Step& s : other.steps)
        if (s.op == ir::StepOp::kStart && s.source->As<compiler::ast::StartStep>().journey.text == j->name) {
          by.push_back(other.name + " (" + Where(other, s.source->range.begin) + ")");
          break;
        }
    }
    out["started_by"] = std::move(by);
  }
  return out;
}

/// The step that decided, as written.
Json StepPart(const Decision& d, const ir::Journey* j) {
  Json out{{"step", d.step}};
  if (j == nullptr) return out;
  for (const ir::Step& s : j->steps) {
    if (s.id != d.step || s.source == nullptr) continue;
    out["at"] = Where(*j, s.source->range.begin);
    std::string_view text = j->source->text().substr(s.source->range.begin, s.source->range.end - s.source->range.begin);
    out["text"] = std::string(text.substr(0, std::min<size_t>(text.find('\n'), 200)));
    break;
  }
  return out;
}

/// The explanation of `e` (GET /v1/decisions/{key}/why), from the version
/// that decided (`journey`, null when no longer held), the running one's
/// journeys, the inputs as their log or topic holds them, and the choices
/// and contact rules as JSON.
Json WhyJson(const OutboxEntry& e, const ir::Journey* journey, const std::vector<const ir::Journey*>& running,
             Json entered_by, Json input, Json choices, Json policy) {
  const Decision& d = e.action;
  Json why = Json::object();
  why["action"] = Json::parse(ToJson(d));  // our own line: valid JSON
  why["seq"] = e.seq;
  why["journey"] = JourneyPart(d, journey, running);
  if (!entered_by.is_null()) why["entered_by"] = std::move(entered_by);
  why["input"] = std::move(input);
  why["choices"] = std::move(choices);
  why["step"] = StepPart(d, journey);
  why["policy"] = std::move(policy);
  return why;
}

}  // namespace

Json Service::LoggedInput(uint64_t seq) const {
  Json out{{"seq", seq}};
  auto entry = log_->Read(seq);
  if (!entry.ok()) {
    out["kept"] = false;
    out["why"] = entry.status().code() == StatusCode::kNotFound
                     ? "the input log no longer holds it: the log before the last snapshot is trimmed"
                     : entry.status().message();
    return out;
  }
  out["at"] = FormatInstant(entry->at);
  // Logged after it was decoded with limits: valid UTF-8, bounded depth.
  auto event = ParseJsonInput(entry->text);
  if (event.ok()) out["event"] = Json::parse(entry->text);  // in its keys' order
  else out["why"] = "the logged line cannot be read: " + event.status().message();
  return out;
}

Reply Service::GetWhy(std::string_view key) const {
  // The outbox holds the actions not yet trimmed (actions_retained), in
  // order; the newest are the likeliest to be asked about.
  const OutboxEntry* found = FindHeld(key);
  if (found == nullptr)
    return Problem(404, "no action with this idempotency key is held: the daemon keeps the last " +
                            std::to_string(options_.actions_retained) + " delivered actions and every pending one");
  const Decision& d = found->action;
  // The version that decided: the engine keeps every version it runs.
  const Engine& engine = shards_->shard(0);
  const ir::Journey* journey = nullptr;
  std::vector<const ir::Journey*> running;
  for (uint32_t i = 0; i < engine.journey_count(); ++i) {
    if (engine.version_id(i) == d.version_id && journey == nullptr) journey = &engine.journey(i);
    if (!engine.retired(i)) running.push_back(&engine.journey(i));
  }
  Json policy = Json::array();
  for (const PolicyCheck& c : d.checks) policy.push_back(CheckText(c));
  return JsonReply(200, WhyJson(*found, journey, running, d.entered_by ? LoggedInput(*d.entered_by) : Json(),
                                d.input ? LoggedInput(*d.input) : Json{{"timer", true}, {"at", FormatInstant(d.at)}},
                                journey ? ChoicesJson(d.choices, *journey) : Json::array(), std::move(policy)));
}

void Service::WhyHere(std::string_view key, std::function<void(Reply)> done) const {
  const OutboxEntry* found = FindHeld(key);
  if (found == nullptr) return done(NotHeldHere());
  const Decision& d = found->action;
  // Any version the cluster published, as this node knows them.
  const ir::Journey* journey = node_->FindJourney(d.journey, d.version_id);
  // The choices and rules, as the partition that decided wrote them.
  Json choices = Json::array(), policy = Json::array();
  int32_t p = -1;
  if (auto held = cluster_whys_.find(found->seq); held != cluster_whys_.end()) {
    p = held->second.partition;
    auto why = ParseJsonInput(held->second.why.empty() ? "{}" : held->second.why, {cluster::kMaxWhyBytes, 8});
    if (why.ok() && why->is_object()) {
      Json ordered = Json::parse(held->second.why.empty() ? "{}" : held->second.why);  // in its keys' order
      if (ordered["choices"].is_array()) choices = ordered["choices"];
      if (ordered["policy"].is_array()) policy = ordered["policy"];
    }
  }
  // The inputs, read from the inputs topic off this thread.
  std::vector<int64_t> offsets;
  for (const std::optional<uint64_t>& n : {d.entered_by, d.input})
    if (n) offsets.push_back(static_cast<int64_t>(std::min<uint64_t>(*n, INT64_MAX)));
  node_->InputsAt(p, offsets, [entry = *found, journey, running = node_->LatestJourneys(), choices, policy, p,
                               node = NodeName(), done = std::move(done)](std::vector<Result<cluster::Record>> inputs) {
    const Decision& d = entry.action;
    size_t next = 0;  // the inputs in the order asked for
    auto shown = [&](uint64_t offset) {
      const Result<cluster::Record>* read = next < inputs.size() ? &inputs[next] : nullptr;
      ++next;
      return ClusterInput(p, read, offset);
    };
    Json entered_by = d.entered_by ? shown(*d.entered_by) : Json();
    Json input = d.input ? shown(*d.input) : Json{{"timer", true}, {"at", FormatInstant(d.at)}};
    Json out = WhyJson(entry, journey, running, std::move(entered_by), std::move(input), choices, policy);
    out["node"] = node;
    done(JsonReply(200, out));
  });
}

Json Service::ClusterInput(int32_t p, const Result<cluster::Record>* record, uint64_t offset) {
  Json out{{"partition", p}, {"offset", offset}};
  if (record == nullptr || !record->ok()) {
    out["kept"] = false;
    out["why"] = record == nullptr ? "not read" : record->status().message();
    return out;
  }
  // Bytes from the topic: decoded with limits before they are shown.
  const cluster::Record& r = **record;
  auto event = ParseJsonInput(r.value, {1 << 20, 64});
  if (!event.ok() || !event->is_object()) {
    out["why"] = "the input cannot be read: " + (event.ok() ? std::string("not an object") : event.status().message());
    return out;
  }
  // Its time as applied: its own, else when Kafka took it.
  if (auto at = event->find("at"); at != event->end() && at->is_string()) out["at"] = *at;
  else if (r.timestamp_ms >= 0 && r.timestamp_ms <= INT64_MAX / 1000000) out["at"] = FormatInstant(r.timestamp_ms * 1000000);
  out["event"] = Json::parse(r.value);  // in its keys' order
  return out;
}

}  // namespace tutti::runtime
