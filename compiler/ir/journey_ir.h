#pragma once
// The journey IR: what the engines run. Each journey becomes a flat state
// machine: its steps are numbered, every block is laid out in order, and
// each step names the step that follows it, so a journey instance is just
// (journey, step index, variable slots) and can stop at a wait and resume
// later from the index alone.
//
//   journey j { send email "a"      step 0  send          next 1
//               if c {              step 1  branch c -> 2  else -> 3
//                 wait 2d           step 2  wait 2d       next 3
//               }
//               send sms "b" }      step 3  send          next kEnd
//
// Expressions stay the checker's typed AST (the interpreter walks them; the
// JIT compiles them); names that live in an instance (the trigger event,
// wait bindings, `let` variables) are given slots, and every step lists the
// slots in scope at that point. Channels and contact policies are resolved
// to plain data.
//
// The IR borrows the AST: the Program it was lowered from must outlive it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/ast/decl.h"
#include "compiler/source/source.h"

namespace tutti::compiler::ir {

using StepIndex = uint32_t;
/// "No further step": the instance has completed.
inline constexpr StepIndex kDone = UINT32_MAX;

/// `EVENT [as NAME] [where COND]` with the slot the event is bound to.
struct Pattern {
  std::string event;
  std::string binding;  // the name the event is bound to
  uint32_t slot = 0;    // where an instance keeps it (triggers and waits)
  const ast::Expr* cond = nullptr;
  /// When the event is keyed by another profile than the customer's: the
  /// event field that holds the customer's key (from `e.F == hcp.id`).
  /// Empty when the event's own key names the customer.
  std::string customer_field;
  /// A trigger's condition that reads the customer's profile (`on ping
  /// where hcp.decile > 5`): tested against the profile of the customer the
  /// event is keyed by, as the engine holds it when the event arrives.
  bool reads_customer = false;
};

enum class StepOp {
  kSend, kTask, kWaitDuration, kWaitTimeOfDay, kWaitUntil, kWaitEvent,
  kBranch,      // if / choose: the first arm whose condition holds
  kChooseBest,  // the option with the highest score
  kSplit,       // a share of customers, by a hash of the customer
  kStart, kEmit,
  kAssign,      // let / set
  kEnd,
};

struct Arm {
  const ast::Expr* cond = nullptr;  // kBranch
  std::string label;                // kChooseBest option, kSplit label
  int64_t percent = 0;              // kSplit
  StepIndex target = kDone;
};

/// A slot still to be read: the whole value, or (for a record whose uses
/// are all `x.field` or `has(x.field)`) only some fields.
struct LiveSlot {
  uint32_t slot = 0;
  bool whole = false;
  std::vector<std::string> fields;  // sorted; when not whole
};

struct Template;

struct Step {
  StepOp op = StepOp::kEnd;
  const ast::Step* source = nullptr;  // the AST step (expressions, messages)
  /// Stable and readable: keyword and line, "send@38"; unique per journey
  /// (a column is added when two steps share a line).
  std::string id;
  /// `LABEL: step`, for a later version's `migrate`; empty when unlabelled.
  std::string label;
  StepIndex next = kDone;
  /// kBranch, kChooseBest, kSplit arms; kBranch falls through to `next`.
  std::vector<Arm> arms;
  /// kWaitEvent: the pattern; the event goes to `next` through the `then`
  /// block (if any), a timeout through `on_timeout`.
  std::optional<Pattern> pattern;
  StepIndex on_event = kDone;
  StepIndex on_timeout = kDone;
  /// kWaitDuration, kWaitEvent: the length in milliseconds.
  int64_t millis = 0;
  /// kAssign: the slot written.
  uint32_t slot = 0;
  /// kSplit: how many splits of the journey with the same labels come
  /// before this one, so that each draws on its own.
  uint32_t draw = 0;
  /// kStart: the index of the started journey in Program::journeys.
  uint32_t journey = 0;
  /// kSend of a declared template (a literal id): the template; null for
  /// an id no template has (the engine looks a computed id up by name).
  const Template* content = nullptr;
  /// Names bound to slots where this step runs (trigger, waits, lets).
  std::vector<std::pair<std::string, uint32_t>> scope;
  /// The slots this step or any step after it may read, by slot (exit and
  /// goal rules' reads included). An instance that stops here to wait
  /// keeps only these, and of a record only the fields read; the rest is
  /// released.
  std::vector<LiveSlot> live;
};

enum class Reentry { kAlways, kNever, kAfter };

struct Audience {
  std::string profile;
  const ast::Expr* cond = nullptr;
  /// The equality that ties the audience to the event: the profile field
  /// and the event field it must equal (`hcp.account == win.account`).
  /// Fan-out looks candidates up by it instead of scanning every profile.
  std::string profile_field;
  std::string event_field;
};

struct Exit {
  Pattern pattern;
  bool goal = false;
};

/// `migrate { FROM -> LABEL }`: instances of the running version resting at
/// its step FROM (a label, or a step id) move to step `to` of this version.
/// Engine::Reload checks the running version's side and moves them.
struct Migration {
  std::string from;
  bool from_step_id = false;
  StepIndex to = kDone;  // the labelled step
};

struct Journey {
  const ast::JourneyDecl* decl = nullptr;
  const Source* source = nullptr;  // the file declaring it
  /// The declaration as written, `journey` to its closing brace.
  std::string_view DeclarationText() const {
    return source->text().substr(decl->range.begin, decl->range.end - decl->range.begin);
  }
  std::string name;
  int64_t priority = 50;
  int64_t version = 1;
  Reentry reentry = Reentry::kAlways;
  int64_t reentry_after_millis = 0;
  /// The customer's profile; `customer` is also the name it is bound to.
  std::string customer;
  std::optional<Pattern> trigger;  // slot 0 when present
  std::optional<Audience> audience;
  std::vector<Exit> exits;
  std::vector<Step> steps;
  StepIndex entry = kDone;
  /// Slot number -> the name declared there, and its type as the checker
  /// writes it (a migration moves values between versions by name, and
  /// only between slots of the same type).
  std::vector<std::string> slot_names;
  std::vector<std::string> slot_types;
  std::vector<Migration> migrations;
};

enum class ChannelKind { kMessage, kTask, kCase, kWebhook };

struct Channel {
  std::string name;
  ChannelKind kind = ChannelKind::kMessage;
  std::string recipient;  // profile
  std::string consent;    // topic; empty: none
};

/// One clause of a contact policy. `any_channel`: it covers every channel
/// of kind message (`any`, or no channel list given); `channels`: the ones
/// it names besides ("task": every task step).
struct PolicyRule {
  ast::PolicyClauseKind kind;
  std::string policy;  // the policy's name
  std::string text;    // as written, on one line: "cap [email] 1 per 1w"
  std::string at;      // where: "std/policy.tutti:14:3"
  bool any_channel = true;
  std::vector<std::string> channels;
  int64_t count = 0;
  int64_t window_millis = 0;  // 0: none given
  int from_minute = 0, until_minute = 0;  // quiet hours, minutes after midnight
  bool local = false;

  /// Whether the clause may cover `channel`: it names it, or covers `any`
  /// (the caller knows the channel's kind).
  bool Covers(const std::string& channel) const;
  /// Whether the clause names `channel` ("task" included) in its list.
  bool Lists(std::string_view channel) const;
};

/// A declared template: what a send of it renders and whether it may go.
struct Template {
  const ast::TemplateDecl* decl = nullptr;
  std::string id, channel;
  std::string approval;               // empty: not approved
  std::optional<int64_t> last_day;    // days since 1970-01-01 (UTC); none: no expiry
  std::string approved_text;          // `approved "X" until "D"` as written
  std::string at;                     // where it is declared ("journeys/content.tutti:3:1")
};

/// Every hole of a template's contents, in order: subject, body, HTML of
/// the default, then of each locale.
std::vector<const ast::Expr*> TemplateHoles(const ast::TemplateDecl& t);

struct Program {
  std::vector<Journey> journeys;  // sorted by name
  /// Declared templates by id.
  std::map<std::string, Template, std::less<>> templates;
  std::map<std::string, Channel, std::less<>> channels;
  std::vector<PolicyRule> rules;  // in declaration order
  /// Event name -> the profile it is keyed by and the field holding the key.
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> event_keys;
  /// Profile name -> its key field.
  std::map<std::string, std::string, std::less<>> profile_keys;

  const Journey* Find(std::string_view name) const;
  int Index(std::string_view name) const;  // -1 when absent
};

/// Every expression step `s` evaluates, in a fixed order: arm conditions,
/// message interpolations, recipients, fields, routing, scores, values.
/// (A send's template holes are not among them: they are typed per send
/// and interpreted; StepReads adds them.)
std::vector<const ast::Expr*> StepExpressions(const Step& s);
/// Every expression journey `j` evaluates (trigger, audience, exit and
/// goal rules, steps), each once.
std::vector<const ast::Expr*> JourneyExpressions(const Journey& j);
/// Every expression the journeys of `p` evaluate at run time (triggers,
/// audiences, exit and goal rules, steps), each once: what a compiler of
/// the program compiles.
std::vector<const ast::Expr*> ProgramExpressions(const Program& p);

/// The journeys of `next` whose declaration differs from their namesake's
/// in `running` but whose written `version N` is the same: decisions of
/// the two would show one number (versions.cc).
std::vector<std::string> VersionNotRaised(const Program& running, const Program& next);

}  // namespace tutti::compiler::ir
