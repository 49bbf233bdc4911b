// Service, an action named by its idempotency key on a Kafka cluster
// (docs/cluster.md, "Delivery"): each node holds the actions it read from
// its share of the actions topic, so the node asked finds a key by asking
// every node. POST /v1/outcomes asks which of its lines' keys each node
// holds (POST /v1/cluster/actions/held) and makes the outcome events
// itself from the first answer for each; POST /v1/actions/{key}/retry asks
// every node to retry it (POST /v1/cluster/actions/{key}/retry), and the
// one holding the dead letter writes it to the actions topic again; GET
// /v1/decisions/{key}/why asks every node (GET
// /v1/cluster/decisions/{key}/why), and the one holding it explains it
// (explain.cc).

#include <set>

#include "base/text.h"
#include "runtime/cluster/node.h"
#include "runtime/daemon/actions_part.h"
#include "runtime/daemon/forward.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/part_fields.h"
#include "runtime/daemon/service.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

Reply Service::NotHeldHere() {
  // Told apart from a 404 of a node that has no such endpoint (an older
  // build), which may hold the action.
  return Problem(404, "this node holds no action with this idempotency key", Json{{"held", false}});
}

Reply Service::HeldActionsHere(std::string_view body) const {
  auto parsed = ParseJsonInput(body, {kMaxForwardedBytes, 2});
  if (!parsed.ok() || !parsed->is_array())
    return Problem(400, "expected the idempotency keys asked for, as a JSON array of texts");
  if (parsed->size() > kMaxOutcomesAtOnce)
    return Problem(400, "at most " + std::to_string(kMaxOutcomesAtOnce) + " keys at a time");
  std::set<std::string> keys;
  for (const nlohmann::json& key : *parsed)
    if (key.is_string() && key.get_ref<const std::string&>().size() <= kMaxIdempotencyKeyBytes) keys.insert(key);
  // Newest first, each key once: a dead letter sent again is held twice.
  std::vector<std::string> lines;
  const Outbox& outbox = cluster_outbox_;
  for (uint64_t seq = outbox.last_seq(); seq >= outbox.first_seq() && seq > 0 && !keys.empty(); --seq) {
    const OutboxEntry* e = outbox.Find(seq);
    if (e == nullptr || keys.erase(e->action.idempotency_key) == 0) continue;
    // Only what an outcome event is made of: this answer needs only the
    // ingest token, never the admin's (no message, vars or customer).
    OutboxEntry outcome;
    outcome.seq = e->seq;
    outcome.state = e->state;
    outcome.action.journey = e->action.journey;
    outcome.action.channel = e->action.channel;
    outcome.action.action = e->action.action;
    outcome.action.content = e->action.content;
    outcome.action.recipient = e->action.recipient;
    outcome.action.idempotency_key = e->action.idempotency_key;
    lines.push_back(ActionLine(outcome));
  }
  std::string text = EncodeActionsPart(NodeName(), incarnation_, lines, 0, 0);
  if (text.size() > kMaxForwardedBytes - 65536)
    return Problem(400, "these actions do not fit in one node's answer on a cluster: fewer outcomes at a time");
  return {200, std::move(text), "application/json", {}, false};
}

Reply Service::OutcomesFromParts(const std::vector<Reply>& answers, const std::vector<OutcomeLine>& lines) {
  std::vector<ActionsPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = part_fields::ReadPart(answer, "application/json", &DecodeActionsPart, &parts)) return *refusal;
  // A peer's actions are bytes from outside: read as the actions topic's.
  std::map<std::string, Decision> held;
  for (const ActionsPart& part : parts)
    for (const Json& line : part.actions) {
      std::optional<Decision> action = cluster::ReadActionFields(line);
      if (action) held.emplace(action->idempotency_key, std::move(*action));
    }
  return TakeOutcomes(lines, [&](const std::string& key) -> const Decision* {
    auto it = held.find(key);
    return it == held.end() ? nullptr : &it->second;
  });
}

Reply Service::RetryHere(std::string_view key) {
  const OutboxEntry* e = FindHeld(key);
  if (e == nullptr) return NotHeldHere();
  if (e->state != DeliveryState::kDeadLetter)
    return Problem(409, "only a dead letter can be retried; this action is " +
                            std::string(e->state == DeliveryState::kDelivered    ? "delivered"
                                        : e->state == DeliveryState::kHandedOver ? "handed over to be delivered anew"
                                                                                 : "still being delivered"));
  const std::string& channel = ChannelOf(e->action);
  if (!options_.routes.count(channel))
    return Problem(409, "the channel '" + channel + "' is no longer delivered by a webhook or SMTP setting");
  uint64_t seq = e->seq;
  auto it = cluster_dead_letters_.find(seq);
  // Its failure's outcome event is written at the next tick, then it is kept.
  if (it == cluster_dead_letters_.end()) return TryAgain("this dead letter's outcome is being written", 1);
  const ClusterAction& a = it->second;
  auto why = cluster_whys_.find(seq);
  cluster::Record record{a.key,
                         cluster::ActionValueAgain(a.mark, a.address, a.json,
                                                   why == cluster_whys_.end() ? "" : why->second.why),
                         a.partition};
  // Answered once Kafka has it: the node delivering its partition (this
  // one or another, now or after a crash) delivers it anew.
  if (Status sent = node_->SendAgain(std::move(record)); !sent.ok()) {
    log_failures_->Add();
    return TryAgain("Kafka did not take the action again: " + sent.message(), 5);
  }
  cluster_outbox_.Report(seq, DeliveryState::kHandedOver);
  cluster_dead_letters_.erase(it);
  actions_total_->At({channel, "dead_letter_retried"}).Add();
  Log(LogLevel::kInfo, "delivery", "a dead letter is sent to be delivered again", {{"seq", seq}, {"channel", channel}});
  return JsonReply(202, Json{{"idempotency_key", std::string(key)}, {"node", NodeName()}, {"delivery", "pending"}});
}

Reply Service::FromHolder(const std::vector<Reply>& answers) {
  // The node that holds it answers for it (a node that retried it, before
  // one that holds a copy it handed over); the others hold no such action.
  auto not_held = [](const Reply& answer) {
    if (answer.status != 404) return false;
    auto body = nlohmann::json::parse(answer.body, nullptr, false);
    return body.is_object() && body.contains("held") && body["held"] == false;
  };
  const Reply* unanswered = nullptr;
  const Reply* holder = nullptr;
  for (const Reply& answer : answers) {
    if (answer.status == 200 || answer.status == 202) return answer;
    if (not_held(answer)) continue;
    if (answer.status < 500 && answer.status != 404) {
      if (holder == nullptr) holder = &answer;
    } else if (unanswered == nullptr) {
      unanswered = &answer;
    }
  }
  if (holder != nullptr) return *holder;
  // A node that could not answer (or has no such endpoint: an older build)
  // may be the one that holds it.
  if (unanswered != nullptr)
    return unanswered->status >= 500 ? *unanswered
                                     : part_fields::Moving("a node could not be asked for this action (an older build?)");
  return Problem(404, "no node holds an action with this idempotency key: each keeps its last actions_retained "
                      "delivered actions and every pending one");
}

}  // namespace tutti::runtime
