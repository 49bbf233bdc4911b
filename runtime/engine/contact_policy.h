#pragma once
// The company-wide contact policy applied to every send, whichever journey
// asks (policy clauses of stdlib/policy.tutti and docs/language.md §4):
//
//   quiet_hours   checked when the send step runs: inside quiet hours the
//                 instance sleeps until they end, then sends (a "deferred"
//                 decision records why). Only channels of kind message.
//   require consent, dedupe, arbitrate by priority, cap
//                 checked, in that order, when the engine settles the sends
//                 of one instant (Engine flushes them in order of the
//                 recipient, then journey priority, highest first): the
//                 first rule that fails suppresses the send.
//
// `any` (or no channel list) covers the channels of kind message; a named
// channel is covered whatever its kind, and `task` covers every task step
// (its channel's name, or "task" without `via`). Caps and dedupe count the
// actions in the recipient's history; arbitration suppresses a send when a
// journey of higher priority reached the recipient within the window (at
// the same instant when no window is given).
//
// A task is judged like a send when a rule covers it (Governs), with the
// journey's customer as the recipient: a rep's visit or an MSL's call is a
// contact with the prescriber. Quiet hours never hold a task.

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/status.h"
#include "compiler/ir/journey_ir.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/names.h"
#include "runtime/engine/state.h"

namespace tutti::runtime {

/// A send waiting for the policy's verdict.
struct SendRequest {
  Instant at = 0;
  uint32_t journey = 0;
  int64_t priority = 0;
  uint32_t channel = 0;  // interned
  uint32_t content = 0;  // ContentFingerprint of the template id
  uint32_t recipient = 0;  // customer id
  std::string_view content_text;  // the template id itself, for reasons
  uint8_t role = 0;  // a task's: its assignee's role (Interaction::role)
};

struct Verdict {
  const compiler::ir::PolicyRule* rule = nullptr;  // null: allowed
  std::string reason;
};

/// Quiet hours hold a send until `until`.
struct Hold {
  const compiler::ir::PolicyRule* rule = nullptr;
  Instant until = 0;
};

class ContactPolicy {
 public:
  /// `journeys` names every journey by engine index (Engine::journey), for
  /// arbitration's priorities; it may grow while the policy lives.
  ContactPolicy(const compiler::ir::Program& program, const std::vector<const compiler::ir::Journey*>& journeys,
                Names& names);

  /// Whether quiet hours hold a send on `channel` to a recipient in time
  /// zone `zone` at `t`: nullopt when it may go, a Hold when it must wait,
  /// or kInvalid (an unknown zone).
  Result<std::optional<Hold>> QuietHours(const std::string& channel, std::string_view zone, Instant t) const;

  /// Consent, dedupe, arbitration and caps for `send`, against the
  /// recipient's history of approved actions. With `passed`, the rules
  /// it passed are appended there, as Decision::checks says.
  Verdict Judge(const SendRequest& send, const Customer& recipient, std::vector<PolicyCheck>* passed = nullptr) const;

  /// Whether a task through `channel` (interned: its `via` channel, or
  /// "task") is judged: a cap, dedupe or arbitration rule covers it.
  bool Governs(uint32_t channel) const;
  /// The `require approval` rule that covers `channel`, or null.
  const compiler::ir::PolicyRule* ApprovalRule(const std::string& channel) const;

 private:
  /// Whether `rule`, one of the program's rules (program.rules), covers
  /// the channel named by interned id `channel`.
  bool Covers(const compiler::ir::PolicyRule& rule, uint32_t channel) const;
  bool IsMessage(uint32_t channel) const;
  bool IsTask(uint32_t channel) const;

  const compiler::ir::Program& program_;
  const std::vector<const compiler::ir::Journey*>& journeys_;
  Names& names_;
  uint32_t task_ = 0;  // "task", interned
  // What Covers asks at every send and for each send in the history it
  // reads, by interned name rather than through the program's tree of
  // channel names: each declared channel's kind by name id (none past the
  // end: a name interned later was never declared), and each rule's
  // channels (PolicyRule::channels) as name ids, by the rule's index.
  std::vector<std::optional<compiler::ir::ChannelKind>> kinds_;
  std::vector<std::vector<uint32_t>> rule_channels_;
  bool require_consent_ = false;
};

}  // namespace tutti::runtime
