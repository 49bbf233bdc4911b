#pragma once
// Journey steps. One struct per step kind, all deriving from Step; `kind`
// says which, and As<T>() casts after checking it.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/check.h"
#include "compiler/ast/expr.h"

namespace tutti::compiler::ast {

/// A duration as written in a step or clause. `valid` is false when the
/// parser already reported it (e.g. a bare number).
struct DurationLiteral {
  Duration value;
  SourceRange range;
  bool valid = true;
};

/// A time of day, `20:00`.
struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  SourceRange range;
};

/// A message string with `{expr}` interpolations. `parts` alternate between
/// literal text (decoded) and expressions, in order.
struct MessagePart {
  std::string text;  // when expr is null
  ExprPtr expr;
};
struct Message {
  std::vector<MessagePart> parts;
  SourceRange range;
  /// The literal text with each interpolation shown as `{...}` source.
  std::string Display() const;
};

/// `EVENT [as binding] [where cond]`, in triggers, exits, goals and waits.
struct EventPattern {
  Name event;
  std::optional<Name> binding;
  ExprPtr cond;
  SourceRange range;
  /// The name the event is bound to: the binding, else the event name.
  const Name& BoundName() const { return binding ? *binding : event; }
};

struct Step;
struct Block {
  std::vector<std::unique_ptr<Step>> steps;
  SourceRange range;
};

enum class StepKind {
  kSend, kTask, kWaitDuration, kWaitTimeOfDay, kWaitUntil, kWaitEvent,
  kIf, kChoose, kChooseBest, kSplit, kStart, kEmit, kLet, kSet, kEnd,
};

/// The keyword a user would recognise a step by ("send", "wait", ...).
const char* StepKeyword(StepKind kind);

struct Step {
  explicit Step(StepKind k) : kind(k) {}
  virtual ~Step() = default;
  StepKind kind;
  SourceRange range;
  /// `LABEL: step`: names the step for a later version's `migrate`.
  std::optional<Name> label;

  template <typename T>
  const T& As() const {
    TUTTI_CHECK(kind == T::kKind, "a step is cast to its own kind");
    return static_cast<const T&>(*this);
  }
};

template <StepKind K>
struct StepOf : Step {
  static constexpr StepKind kKind = K;
  StepOf() : Step(K) {}
};

struct FieldInit {
  Name name;
  ExprPtr value;
};

/// send CHANNEL "template" [to EXPR] [with { k: v, ... }]
struct SendStep : StepOf<StepKind::kSend> {
  Name channel;
  Message message;
  ExprPtr recipient;  // null: the journey's customer
  std::vector<FieldInit> vars;
};

/// task|notify ASSIGNEE "text" [via CHANNEL] [due D]
/// ASSIGNEE: `PROFILE where COND [best by SCORE]` (routing) or an expression
/// naming a staff member.
struct TaskStep : StepOf<StepKind::kTask> {
  bool notify = false;  // notify: every match; task: one
  std::optional<Name> route_profile;
  ExprPtr route_cond;
  ExprPtr route_score;
  ExprPtr assignee;
  Message message;
  /// `via CHANNEL`: a task channel; the task is then a contact with the
  /// journey's customer under the contact policy (docs/semantics.md).
  std::optional<Name> channel;
  std::optional<DurationLiteral> due;
};

/// wait D
struct WaitDurationStep : StepOf<StepKind::kWaitDuration> {
  DurationLiteral duration;
};

/// wait until HH:MM [local]
struct WaitTimeOfDayStep : StepOf<StepKind::kWaitTimeOfDay> {
  TimeOfDay time;
  bool local = false;
};

/// wait until EXPR
struct WaitUntilStep : StepOf<StepKind::kWaitUntil> {
  ExprPtr at;
};

/// wait up to D for PATTERN [then {...}] [timeout {...}]
struct WaitEventStep : StepOf<StepKind::kWaitEvent> {
  DurationLiteral limit;
  EventPattern pattern;
  std::optional<Block> then;
  std::optional<Block> timeout;
};

struct Branch {
  ExprPtr cond;
  Block body;
};

/// if C {...} else if C {...} else {...}
struct IfStep : StepOf<StepKind::kIf> {
  std::vector<Branch> branches;
  std::optional<Block> otherwise;
};

/// choose { when C -> ... otherwise -> ... }
struct ChooseStep : StepOf<StepKind::kChoose> {
  std::vector<Branch> arms;
  std::optional<Block> otherwise;
};

struct OptionArm {
  Name option;
  Block body;
};

/// choose best by SCORE { option -> ... }
/// choose best by SCORE { option -> ... otherwise -> ... }: the option
/// with the highest score; with `otherwise`, that arm when no option
/// scores 0 or more (none is acceptable).
struct ChooseBestStep : StepOf<StepKind::kChooseBest> {
  ExprPtr score;
  std::vector<OptionArm> arms;
  std::optional<Block> otherwise;
};

struct SplitArm {
  int64_t percent = 0;
  SourceRange percent_range;
  Name label;
  Block body;
};

/// split { 50% a -> ... 50% b -> ... }
struct SplitStep : StepOf<StepKind::kSplit> {
  std::vector<SplitArm> arms;
};

/// start JOURNEY
struct StartStep : StepOf<StepKind::kStart> {
  Name journey;
};

/// emit EVENT { field: value, ... }
struct EmitStep : StepOf<StepKind::kEmit> {
  Name event;
  std::vector<FieldInit> fields;
};

/// let NAME = EXPR
struct LetStep : StepOf<StepKind::kLet> {
  Name name;
  ExprPtr value;
};

/// set NAME = EXPR
struct SetStep : StepOf<StepKind::kSet> {
  Name name;
  ExprPtr value;
};

/// end
struct EndStep : StepOf<StepKind::kEnd> {};

}  // namespace tutti::compiler::ast
