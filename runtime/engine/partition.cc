#include "runtime/engine/partition.h"

#include <algorithm>

#include "base/check.h"
#include "runtime/engine/stable_hash.h"
#include "runtime/engine/work_queue.h"
#include "stdlib/history_view.h"

namespace tutti::runtime {

namespace ast = compiler::ast;
namespace ir = compiler::ir;

uint32_t ShardOf(std::string_view profile, std::string_view key, uint32_t shards) {
  if (shards <= 1) return 0;
  return static_cast<uint32_t>(StableHash(profile, key) % shards);
}

uint32_t KafkaPartitionOf(std::string_view key, uint32_t partitions) {
  TUTTI_CHECK(partitions > 0, "a topic has at least one partition");
  // Murmur2 (32 bits) with Kafka's seed, over the bytes as unsigned, in
  // wrapping unsigned arithmetic as Java's int does.
  constexpr uint32_t m = 0x5bd1e995;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const uint32_t length = static_cast<uint32_t>(key.size());
  uint32_t h = 0x9747b28c ^ length;
  uint32_t whole = length / 4 * 4;
  for (uint32_t i = 0; i < whole; i += 4) {
    uint32_t k = data[i] | uint32_t{data[i + 1]} << 8 | uint32_t{data[i + 2]} << 16 | uint32_t{data[i + 3]} << 24;
    k *= m;
    k ^= k >> 24;
    k *= m;
    h *= m;
    h ^= k;
  }
  switch (length % 4) {
    case 3: h ^= uint32_t{data[whole + 2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{data[whole + 1]} << 8; [[fallthrough]];
    case 1:
      h ^= data[whole];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return (h & 0x7fffffff) % partitions;
}

namespace {

bool IsIdent(const ast::Expr* e, std::string_view name) {
  return e != nullptr && e->kind == ast::ExprKind::kIdent && !e->leading_dot && e->name.text == name;
}

bool ReadsHistory(const ast::Expr& call) {
  return call.kind == ast::ExprKind::kCall && call.target == nullptr &&
         std::find(std::begin(stdlib::kHistoryFunctions), std::end(stdlib::kHistoryFunctions), call.name.text) !=
             std::end(stdlib::kHistoryFunctions);
}

/// The first call in `e` of a history built-in whose first argument is not
/// `allowed` (any call, when `allowed` is empty).
const ast::Expr* ForeignHistoryRead(const ast::Expr* e, std::string_view allowed) {
  if (e == nullptr) return nullptr;
  if (ReadsHistory(*e) && (allowed.empty() || e->args.empty() || !IsIdent(e->args[0].get(), allowed))) return e;
  if (auto* found = ForeignHistoryRead(e->target.get(), allowed)) return found;
  // A macro's variable named like the customer hides it in the macro's body.
  if (e->kind == ast::ExprKind::kMacro && e->var.text == allowed) allowed = "";
  for (const auto& a : e->args)
    if (auto* found = ForeignHistoryRead(a.get(), allowed)) return found;
  return nullptr;
}

/// The history rules of the policy (caps, dedupe, arbitration) that may
/// cover `channel`.
const ir::PolicyRule* HistoryRuleFor(const ir::Program& program, const std::string& channel) {
  for (const ir::PolicyRule& r : program.rules) {
    bool reads_history = r.kind == ast::PolicyClauseKind::kCap || r.kind == ast::PolicyClauseKind::kDedupe ||
                         r.kind == ast::PolicyClauseKind::kArbitrate;
    if (reads_history && r.Covers(channel)) return &r;
  }
  return nullptr;
}

std::optional<std::string> WhyNot(const ir::Program& program, const ir::Journey& j,
                                  const std::vector<const ir::Journey*>& all) {
  std::string where = "journey " + j.name;
  bool account = j.customer == "account";
  std::string_view own = account ? std::string_view() : std::string_view(j.customer);
  auto history = [&](const ast::Expr* e, std::string_view allowed) -> std::optional<std::string> {
    const ast::Expr* call = ForeignHistoryRead(e, allowed);
    if (call == nullptr) return std::nullopt;
    return call->name.text + "() reads " +
           (account ? "an account's history, which gathers its prescribers' from every shard"
                    : "the history of someone other than the journey's customer '" + j.customer + "'");
  };
  for (const ast::Expr* e : {j.trigger ? j.trigger->cond : nullptr, j.audience ? j.audience->cond : nullptr})
    if (auto why = history(e, own)) return where + ": " + *why;
  for (const ir::Exit& x : j.exits)
    if (auto why = history(x.pattern.cond, own)) return where + ", exit on " + x.pattern.event + ": " + *why;
  for (const ir::Step& s : j.steps) {
    std::string at = where + ", " + s.id + ": ";
    const ast::Step& src = *s.source;
    std::string_view allowed = own;
    if (src.kind == ast::StepKind::kTask) {
      // Routing binds each candidate: none of their histories is at hand.
      const auto& task = src.As<ast::TaskStep>();
      for (const ast::Expr* e : {task.route_cond.get(), task.route_score.get()})
        if (const ast::Expr* call = ForeignHistoryRead(e, ""))
          return at + "routing reads a candidate's history (" + call->name.text +
                 "()), which the candidate's own shard keeps";
      // The message of a routed task binds the candidate under the profile's name.
      if (task.route_profile && task.route_profile->text == j.customer) allowed = "";
    }
    for (const ast::Expr* e : ir::StepExpressions(s))  // a wait's condition among them
      if (auto why = history(e, allowed)) return at + *why;
    if (src.kind == ast::StepKind::kSend) {
      const auto& send = src.As<ast::SendStep>();
      if (send.recipient && !IsIdent(send.recipient.get(), j.customer))
        return at + "sends to '" + ast::ToSource(*send.recipient) + "', not to the journey's customer '" + j.customer +
               "': that recipient's history and caps may be kept by another shard";
      if (account)
        if (const ir::PolicyRule* r = HistoryRuleFor(program, send.channel.text))
          return at + "sends to an account on " + send.channel.text + ", which '" + r->text +
                 "' judges by the account's history, gathered from every shard";
    }
    if (src.kind == ast::StepKind::kEmit) {
      const auto& emit = src.As<ast::EmitStep>();
      const std::string& event = emit.event.text;
      auto keyed = program.event_keys.find(event);
      auto key_field = program.profile_keys.find(j.customer);
      if (keyed == program.event_keys.end() || key_field == program.profile_keys.end()) return at + "emits " + event;
      const auto& [profile, field] = keyed->second;
      if (profile != j.customer)
        return at + "emits " + event + ", keyed by a customer of profile '" + profile +
               "', from a journey whose customers are of profile '" + j.customer + "': another shard may own them";
      const ast::Expr* key = nullptr;
      for (const ast::FieldInit& f : emit.fields)
        if (f.name.text == field) key = f.value.get();
      bool own = key != nullptr && key->kind == ast::ExprKind::kSelect && key->name.text == key_field->second &&
                 IsIdent(key->target.get(), j.customer);
      if (!own)
        return at + "emits " + event + " with " + field + ": " + (key ? ast::ToSource(*key) : "?") +
               ", which may name another " + profile + " than the journey's own (" + field + ": " + j.customer + "." +
               key_field->second + " keeps it in the customer's shard)";
      if (auto why = ReachesOthers(all, event)) return at + "emits " + event + ", and " + *why;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ReachesOthers(const std::vector<const ir::Journey*>& journeys, const std::string& event) {
  // Every shard's work queue hears these, for the tasks it holds.
  if (event == kTaskCompleted || event == kTaskReassigned)
    return "it closes or hands on a task, which the shard of the customer whose journey opened it holds";
  for (const ir::Journey* journey : journeys) {
    const ir::Journey& j = *journey;
    if (j.trigger && j.trigger->event == event && j.audience) return "journey " + j.name + " fans it out over an audience";
    for (const ir::Exit& x : j.exits)
      if (x.pattern.event == event && !x.pattern.customer_field.empty())
        return "journey " + j.name + " routes it by '" + x.pattern.customer_field + "' in an exit rule";
    for (const ir::Step& s : j.steps)
      if (s.pattern && s.pattern->event == event && !s.pattern->customer_field.empty())
        return "journey " + j.name + " routes it by '" + s.pattern->customer_field + "' at " + s.id;
  }
  return std::nullopt;
}

std::optional<std::string> WhyOneShard(const ir::Program& program, const std::vector<const ir::Journey*>& running) {
  // Events emitted by a running version (retired instances, events
  // emitted for later) meet the new version's journeys, and the other way
  // round.
  std::vector<const ir::Journey*> all = running;
  for (const ir::Journey& j : program.journeys) all.push_back(&j);
  for (const ir::Journey& j : program.journeys)
    if (auto why = WhyNot(program, j, all)) return why;
  for (const ir::Journey* j : running)
    for (const ir::Step& s : j->steps)
      if (s.source->kind == ast::StepKind::kEmit) {
        const std::string& event = s.source->As<ast::EmitStep>().event.text;
        if (auto why = ReachesOthers(all, event))
          return "journey " + j->name + " (version " + std::to_string(j->version) + ", running), " + s.id + ": emits " +
                 event + ", and " + *why;
      }
  return std::nullopt;
}

}  // namespace tutti::runtime
