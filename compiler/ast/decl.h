#pragma once
// Declarations and the file that holds them.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "compiler/ast/step.h"

namespace tutti::compiler {
class Source;
}

namespace tutti::compiler::ast {

/// `string`, `list<string>`, `map<string, int>`, `set<string>`.
struct TypeRef {
  Name name;
  std::vector<TypeRef> args;
  SourceRange range;
};

/// `name: type[?] [key]`
struct FieldDecl {
  Name name;
  TypeRef type;
  bool optional = false;
  bool key = false;
  std::string doc;
  SourceRange range;
};

/// import "path"
struct ImportDecl {
  std::string path;
  SourceRange range;
};

/// event NAME keyed by PROFILE [via FIELD] { fields }
struct EventDecl {
  Name name;
  Name key_profile;
  std::optional<Name> key_field;  // default: the field named like the profile
  std::vector<FieldDecl> fields;
  SourceRange range;
  /// The name of the field holding the key.
  const Name& KeyFieldName() const { return key_field ? *key_field : key_profile; }
};

/// profile NAME { fields }
struct ProfileDecl {
  Name name;
  std::vector<FieldDecl> fields;
  SourceRange range;
};

/// channel NAME { kind K  to PROFILE  consent "topic"  description "..." }
struct ChannelDecl {
  Name name;
  std::optional<Name> kind;
  std::optional<Name> recipient;
  std::optional<Name> consent;  // text is the topic, range the literal
  std::string description;
  SourceRange range;
};

/// A channel or a list `[a, b]`. `any` stands for every channel of kind
/// message, `task` for every task step whatever its channel.
struct ChannelSet {
  bool any = false;             // `any` given
  std::vector<Name> channels;   // the others ("task" for `task`)
  SourceRange range;
};

enum class PolicyClauseKind { kQuietHours, kCap, kRequireConsent, kArbitrate, kDedupe, kRequireApproval };

struct PolicyClause {
  PolicyClauseKind kind;
  SourceRange range;
  // quiet_hours
  TimeOfDay from, until;
  bool local = false;
  // quiet_hours, arbitrate, dedupe, require approval (optional), cap
  std::optional<ChannelSet> channels;
  // cap
  int64_t count = 0;
  SourceRange count_range;
  // cap, dedupe, arbitrate (optional)
  std::optional<DurationLiteral> window;
};

/// policy NAME { clauses }
struct PolicyDecl {
  Name name;
  std::vector<PolicyClause> clauses;
  SourceRange range;
};

/// A subject, body or HTML body: a message string written in the
/// declaration, or a file beside the declaring file (`file "path"`), whose
/// text the loader reads and parses into `message` (its holes then point
/// into `file_source`).
struct ContentText {
  Message message;
  std::string file;                   // the path as written; empty: inline
  const Source* file_source = nullptr;  // set by the loader
  SourceRange range;                  // the clause
};

/// The content of one locale (the default has an empty tag).
struct TemplateContent {
  std::string locale;
  SourceRange range;
  std::optional<ContentText> subject, body, html;
};

/// template "ID" for CHANNEL { approved "MLR-..." until "YYYY-MM-DD"
///   subject ...  body ...  html ...  locale "fr" { ... } }
struct TemplateDecl {
  Name name;     // the id, as a send names it (range: the string literal)
  Name channel;
  std::optional<Name> approval;  // the approval id (e.g. an MLR number)
  std::optional<Name> expires;   // "YYYY-MM-DD", the last day it may be sent
  SourceRange approval_range;
  /// [0] is the default content; then one per `locale` block, in order.
  std::vector<TemplateContent> contents;
  SourceRange range;
};

/// One line of a `test`, in order.
struct TestItem {
  enum Kind { kClock, kProfile, kEvent, kWait, kExpectSend, kExpectSuppressed, kExpectTask, kExpectNothing,
              kExpectWaiting };
  Kind kind = kClock;
  SourceRange range;
  Name name;                    // profile, event, channel or journey
  std::vector<FieldInit> fields;  // profile and event fields; a send's `with`
  std::string text;             // clock time; template id; task text
  SourceRange text_range;
  std::optional<Name> who;      // `to "h1"`, a task's assignee, `for "h1"`
  std::optional<Name> reason;   // suppressed: a part of the reason
  std::optional<Name> label;    // waiting: the step's label
  Duration wait;                // kWait
};

/// test "name" { at ..., profile ..., event ..., wait ..., expect ... }
struct TestDecl {
  Name name;  // the test's name (range: the string literal)
  std::vector<TestItem> items;
  SourceRange range;
};

enum class ReentryKind { kAlways, kNever, kAfter };

struct Audience {
  Name profile;
  ExprPtr cond;
  SourceRange range;
};

/// exit when PATTERN / goal when PATTERN
struct ExitCriterion {
  bool goal = false;
  EventPattern pattern;
  SourceRange range;
};

/// One line of `migrate { ... }`: instances of the running version resting
/// at step `from` (a label, or a step id such as "wait@31" when
/// `from_step_id`) move to this version's step labelled `to` (the same
/// label when `to` is absent).
struct Migration {
  Name from;
  bool from_step_id = false;
  std::optional<Name> to;
  SourceRange range;
  const Name& Target() const { return to ? *to : from; }
};

/// A metadata line, kept for "declared twice" diagnostics.
struct MetaItem {
  std::string keyword;
  SourceRange range;
};

/// journey NAME [for PROFILE] { metadata, trigger, audience, exits, steps }
struct JourneyDecl {
  Name name;
  std::optional<Name> customer;
  std::string title, owner;
  int64_t priority = 50;
  int64_t version = 1;
  ReentryKind reentry = ReentryKind::kAlways;
  std::optional<DurationLiteral> reentry_after;
  std::vector<MetaItem> meta;
  std::vector<EventPattern> triggers;  // the checker allows one
  std::vector<Audience> audiences;     // the checker allows one
  std::vector<ExitCriterion> exits;
  std::vector<Migration> migrations;
  Block steps;
  SourceRange range;
};

/// A parsed file. Declarations keep their order within each kind.
struct File {
  const Source* source = nullptr;
  std::vector<ImportDecl> imports;
  std::vector<EventDecl> events;
  std::vector<ProfileDecl> profiles;
  std::vector<ChannelDecl> channels;
  std::vector<PolicyDecl> policies;
  std::vector<TemplateDecl> templates;
  std::vector<JourneyDecl> journeys;
  std::vector<TestDecl> tests;
  /// The file had syntax errors: the declarations above are those that
  /// parsed cleanly, and `left_out` names those that did not (as far as
  /// their names could be read), so that references to them are not also
  /// reported unknown.
  bool partial = false;
  std::vector<std::string> left_out;
};

}  // namespace tutti::compiler::ast
