// Service, answering GET /v1/decisions/{idempotency_key}/why: the chain
// behind one action, from what the engine kept when it decided (the inputs
// that caused it and started its instance, the instance's choices, the
// policy rules it passed) and from the input log (those inputs as logged).

#include <string>

#include "compiler/ast/expr.h"
#include "compiler/ast/step.h"
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
/// without a trigger, the journeys of the running version whose `start`
/// steps name it.
Json JourneyPart(const Decision& d, const ir::Journey* j, const Engine& engine) {
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
    for (uint32_t i = 0; i < engine.journey_count(); ++i) {
      if (engine.retired(i)) continue;
      const ir::Journey& other = engine.journey(i);
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
  for (uint32_t i = 0; i < engine.journey_count() && !journey; ++i)
    if (engine.version_id(i) == d.version_id) journey = &engine.journey(i);

  Json why = Json::object();
  why["action"] = Json::parse(ToJson(d));  // our own line: valid JSON
  why["seq"] = found->seq;
  why["journey"] = JourneyPart(d, journey, engine);
  if (d.entered_by) why["entered_by"] = LoggedInput(*d.entered_by);
  if (d.input) why["input"] = LoggedInput(*d.input);
  else why["input"] = Json{{"timer", true}, {"at", FormatInstant(d.at)}};
  why["choices"] = journey ? ChoicesJson(d.choices, *journey) : Json::array();
  why["step"] = StepPart(d, journey);
  Json checks = Json::array();
  for (const PolicyCheck& c : d.checks) checks.push_back(CheckText(c));
  why["policy"] = std::move(checks);
  return JsonReply(200, why);
}

}  // namespace tutti::runtime
