#pragma once
// What the engine decided: the engine's only output besides its state.
// Every action it requests, every send a contact policy held back or
// deferred, every task no one could be found for, and every error raised
// while a journey ran, each naming the journey, version, customer and step
// and what the engine was processing when it decided ("cause").
//
// As NDJSON (keys in this order; absent ones left out):
//   {"at", "decision", "journey", "version", "customer", "step", "cause",
//    "input", "entered_by",
//    "channel" | "kind", "template" | "text", "to" | "assignee", "vars",
//    "due", "until", "policy", "rule", "reason", "idempotency_key"}

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/eval/value.h"
#include "compiler/ir/journey_ir.h"
#include "runtime/engine/choice.h"
#include "runtime/engine/render.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

enum class DecisionKind {
  kAction,      // a send, task or notification goes out
  kSuppressed,  // a contact policy stopped a send
  kDeferred,    // quiet hours: the send waits until `until`
  kUnassigned,  // a routed task or notification matched no one
  kError,       // an expression failed while the journey ran
};

/// "action", "suppressed", "deferred", "unassigned", "error".
const char* DecisionKindName(DecisionKind kind);

/// A contact rule a send passed, and for a cap how much of it was used.
/// The rule is the program's (programs outlive the engine and what it
/// decided), or one the engine keeps for a decision restored from a
/// snapshot.
struct PolicyCheck {
  const compiler::ir::PolicyRule* rule = nullptr;
  int64_t used = 0;  // caps: the recipient's contacts in the window before this one
  bool operator==(const PolicyCheck&) const = default;
};

/// "RULE (WHERE): what was found": "cap email 2 per 7d
/// (std/policy.tutti:19:3): 1 of 2 used before this one".
std::string CheckText(const PolicyCheck& check);

struct Decision {
  DecisionKind kind = DecisionKind::kAction;
  Instant at = 0;
  std::string journey;
  int64_t version = 1;
  /// The version's identity from its content (VersionId): two versions
  /// that kept one written number still differ here.
  std::string version_id;
  std::string customer;
  /// Whose history it joins (a send's recipient, else the customer): its
  /// profile, key and account's key (empty when none); and for a send the
  /// contact policy held back, the idempotency key it would have had. For
  /// the daemon's history journal: neither in the NDJSON line nor in a
  /// snapshot (the engine sets them again when a restored send settles).
  std::string owner_profile, owner, owner_account, held_key;
  /// The instance's entry (its customer's n-th into any journey): tells
  /// apart the sends put off or held back at one step and instant.
  uint32_t entry = 0;
  std::string step;
  std::string cause;
  /// The input it came from (Record::input): the event being processed,
  /// or the one that emitted it; none when a timer woke the instance.
  std::optional<uint64_t> input;
  /// The input whose trigger started the instance (Record::input).
  std::optional<uint64_t> entered_by;
  /// The choices the instance made before this decision, oldest first (at
  /// most JourneyInstance::kMaxChoices), at steps of the version named by
  /// version_id: not in the NDJSON line, but in the daemon's explanation
  /// of an action (GET /v1/decisions/{key}/why; ChoicesJson).
  std::vector<Choice> choices;
  /// Actions judged by the contact policy: the rules they passed, in the
  /// order checked (CheckText words them).
  std::vector<PolicyCheck> checks;
  /// Sends: the channel. Tasks: the `via` channel, or empty; with
  /// `action` "task" or "notify".
  std::string channel;
  std::string action;                // "send", "task", "notify"
  std::string content;               // template id (send) or text
  std::string recipient;             // send: `to`; task/notify: `assignee`
  std::vector<std::pair<std::string, compiler::eval::Value>> vars;
  std::optional<Instant> due;        // tasks with `due`
  std::optional<Instant> until;      // deferred: when the send will be retried
  std::string policy, rule, reason;  // suppressed, deferred, unassigned, error
  std::string rule_at;  // where the rule is declared ("std/policy.tutti:14:3")
  std::string idempotency_key;       // actions (and the sends held back)
  /// Sends of a declared template: its approval id (empty when none), and
  /// the content rendered for the recipient.
  std::string approval;
  std::optional<RenderedMessage> message;
};

/// One NDJSON line (without the newline), keys in the documented order.
std::string ToJson(const Decision& d);


/// A run-time value as JSON: numbers, strings and booleans as themselves,
/// timestamps and durations as their CEL text, lists, maps and records
/// structurally.
nlohmann::ordered_json ToJsonValue(const compiler::eval::Value& v);

}  // namespace tutti::runtime
