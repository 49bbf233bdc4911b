// Schema, channel and policy rules.

#include <algorithm>
#include <cstdint>

#include "compiler/check/file_checker.h"
#include "compiler/check/suggest.h"

namespace tutti::compiler::internal {

namespace {
const char* const kChannelKinds[] = {"message", "task", "case", "webhook"};
}

void FileChecker::Unknown(const std::string& kind, const ast::Name& name,
                          std::vector<std::string> names) {
  // A declaration left out for its syntax errors was reported there.
  for (const ProgramFile* f : symbols_.visible)
    if (f->ast && std::find(f->ast->left_out.begin(), f->ast->left_out.end(), name.text) != f->ast->left_out.end())
      return;
  Diagnostic& d = sink_.Error(Code::kUnknownDeclaration, At(name.range), "unknown " + kind + " '" + name.text + "'" +
                                                  DidYouMean(name.text, names));
  SuggestFix(d, name.range, name.text, names);
  std::string hint = ImportHint(program_, symbols_, file_, kind, name.text);
  if (!hint.empty()) d.notes.push_back({At(name.range), hint});
}

const ast::EventDecl* FileChecker::FindEvent(const ast::Name& name) {
  auto it = symbols_.events.find(name.text);
  if (it != symbols_.events.end()) return it->second.decl;
  Unknown("event", name, Symbols::Names(symbols_.events));
  return nullptr;
}

const ast::ProfileDecl* FileChecker::FindProfile(const ast::Name& name) {
  auto it = symbols_.profiles.find(name.text);
  if (it != symbols_.profiles.end()) return it->second.decl;
  Unknown("profile", name, Symbols::Names(symbols_.profiles));
  return nullptr;
}

const ast::ChannelDecl* FileChecker::FindChannel(const ast::Name& name) {
  auto it = symbols_.channels.find(name.text);
  if (it != symbols_.channels.end()) return it->second.decl;
  Unknown("channel", name, Symbols::Names(symbols_.channels));
  return nullptr;
}

const ast::JourneyDecl* FileChecker::FindJourney(const ast::Name& name) {
  auto it = symbols_.journeys.find(name.text);
  if (it != symbols_.journeys.end()) return it->second.decl;
  Unknown("journey", name, Symbols::Names(symbols_.journeys));
  return nullptr;
}

bool FileChecker::CheckDuration(const ast::DurationLiteral& d, const char* what) {
  if (!d.valid) return false;
  if (d.value.millis <= 0) {
    sink_.Error(Code::kNotPositive, At(d.range), std::string(what) + " must be longer than zero, such as 1d");
    return false;
  }
  // The engine keeps time in nanoseconds in 64 bits (1677 to 2262): no
  // wait, window or due time can be longer than that span.
  constexpr int64_t kLongestMillis = INT64_MAX / 1'000'000;
  if (d.value.millis > kLongestMillis) {
    sink_.Error(Code::kTooLong, At(d.range),
                std::string(what) + " cannot be longer than 106751d (about 292 years), the engine's time range");
    return false;
  }
  return true;
}

bool FileChecker::CheckWindow(const std::optional<ast::DurationLiteral>& d, const char* what) {
  return !d || CheckDuration(*d, what);
}

void FileChecker::CheckFields(const std::vector<ast::FieldDecl>& fields, const std::string& what) {
  std::map<std::string, const ast::FieldDecl*> seen;
  for (const ast::FieldDecl& f : fields) {
    auto [it, inserted] = seen.emplace(f.name.text, &f);
    if (!inserted) {
      Diagnostic& d = sink_.Error(Code::kGivenTwice, At(f.name.range), "field '" + f.name.text + "' appears twice in " + what);
      d.notes.push_back({At(it->second->name.range), "first declared here"});
    }
    exprs_.Resolve(f.type);
  }
}

/// event NAME keyed by PROFILE [via FIELD] { fields }
void FileChecker::CheckEvent(const ast::EventDecl& e) {
  CheckFields(e.fields, "event '" + e.name.text + "'");
  for (const ast::FieldDecl& f : e.fields) {
    if (f.key) sink_.Error(Code::kEventKey, At(f.range), "events are keyed with 'keyed by', not a 'key' field");
    if (f.name.text == "at")
      sink_.Error(Code::kReservedField, At(f.name.range), "'at' is every event's time and cannot be declared as a field");
  }
  const ast::ProfileDecl* profile = FindProfile(e.key_profile);
  const ast::Name& key = e.KeyFieldName();
  const ast::FieldDecl* key_field = nullptr;
  for (const ast::FieldDecl& f : e.fields)
    if (f.name.text == key.text) key_field = &f;
  if (key_field == nullptr) {
    Diagnostic& d = sink_.Error(Code::kEventKey, At(key.range), "event '" + e.name.text + "' is keyed by '" + key.text +
                                                   "' but has no field '" + key.text + "'");
    d.notes.push_back({At(e.name.range), e.key_field ? "add the field" :
                                         "add a field such as '" + key.text + ": string', or name the key field with 'via'"});
    return;
  }
  if (key_field->optional)
    sink_.Error(Code::kEventKey, At(key_field->range), "the key field '" + key.text + "' cannot be optional: every event needs its key");
  if (profile != nullptr) {
    for (const ast::FieldDecl& pf : profile->fields) {
      if (!pf.key) continue;
      Type want = exprs_.ResolveQuietly(pf.type), got = exprs_.ResolveQuietly(key_field->type);
      if (!(want == got)) {
        Diagnostic& d = sink_.Error(Code::kEventKey, At(key_field->type.range), "the key field '" + key.text + "' is " + got.ToString() +
                                                                   ", but profile '" + profile->name.text + "' is keyed by " + want.ToString());
        d.notes.push_back({DeclaredAt(symbols_.profiles, profile->name.text), "profile declared here"});
      }
    }
  }
}

/// profile NAME { fields }, with exactly one `key` field
void FileChecker::CheckProfile(const ast::ProfileDecl& p) {
  CheckFields(p.fields, "profile '" + p.name.text + "'");
  std::vector<const ast::FieldDecl*> keys;
  for (const ast::FieldDecl& f : p.fields)
    if (f.key) keys.push_back(&f);
  if (keys.empty()) {
    sink_.Error(Code::kProfileKey, At(p.name.range), "profile '" + p.name.text + "' needs a key field, such as 'id: string key'");
  } else if (keys.size() > 1) {
    Diagnostic& d = sink_.Error(Code::kProfileKey, At(keys[1]->range), "profile '" + p.name.text + "' has more than one key field");
    d.notes.push_back({At(keys[0]->range), "the first key field"});
  } else {
    Type t = exprs_.Resolve(keys[0]->type);
    if (!t.is(TypeKind::kString) && !t.is(TypeKind::kInt) && !t.is(TypeKind::kError))
      sink_.Error(Code::kProfileKey, At(keys[0]->type.range), "a key must be a string or an int");
    if (keys[0]->optional) sink_.Error(Code::kProfileKey, At(keys[0]->range), "a key field cannot be optional");
  }
}

/// channel NAME { kind K  to PROFILE  consent "topic" }
void FileChecker::CheckChannel(const ast::ChannelDecl& c) {
  if (!c.kind) {
    sink_.Error(Code::kChannelIncomplete, At(c.name.range), "channel '" + c.name.text + "' needs a kind: message, task, case or webhook");
  } else {
    bool known = false;
    for (const char* k : kChannelKinds) known |= c.kind->text == k;
    std::vector<std::string> kinds(std::begin(kChannelKinds), std::end(kChannelKinds));
    if (!known)
      SuggestFix(sink_.Error(Code::kChannelIncomplete, At(c.kind->range), "unknown channel kind '" + c.kind->text + "'" +
                                                    DidYouMean(c.kind->text, kinds) +
                                                    "; kinds are message, task, case and webhook"),
                 c.kind->range, c.kind->text, kinds);
  }
  const ast::ProfileDecl* to = nullptr;
  if (!c.recipient) sink_.Error(Code::kChannelIncomplete, At(c.name.range), "channel '" + c.name.text + "' needs a recipient profile, such as 'to hcp'");
  else to = FindProfile(*c.recipient);
  if (c.consent && c.consent->text.empty())
    sink_.Error(Code::kChannelIncomplete, At(c.consent->range), "a consent topic cannot be empty");
  (void)to;
}

void FileChecker::CheckChannelSet(const ast::ChannelSet& set) {
  std::set<std::string> seen;
  for (const ast::Name& n : set.channels) {
    if (n.text != "task") FindChannel(n);  // `task`: every task step
    if (!seen.insert(n.text).second) sink_.Warning(Code::kRepeatedRule, At(n.range), "channel '" + n.text + "' is listed twice");
  }
}

/// policy NAME { quiet_hours, cap, require consent, arbitrate, dedupe }
void FileChecker::CheckPolicy(const ast::PolicyDecl& p) {
  std::map<ast::PolicyClauseKind, const ast::PolicyClause*> once;
  for (const ast::PolicyClause& c : p.clauses) {
    if (c.channels) CheckChannelSet(*c.channels);
    switch (c.kind) {
      case ast::PolicyClauseKind::kQuietHours: {
        if (c.channels)
          for (const ast::Name& n : c.channels->channels) {
            auto ch = symbols_.channels.find(n.text);
            bool task = n.text == "task" || (ch != symbols_.channels.end() && ch->second.decl->kind &&
                                             ch->second.decl->kind->text == "task");
            if (task)
              sink_.Error(Code::kPolicyRule, At(n.range), "quiet hours hold messages to customers; a task is work for a "
                                                          "colleague and is never held");
          }
        if (c.from.hour == c.until.hour && c.from.minute == c.until.minute)
          sink_.Error(Code::kPolicyRule, At(c.range), "quiet hours that start and end at the same time are empty");
        if (c.local) {
          // Every profile that receives a covered message channel needs a
          // time zone.
          for (const auto& [name, ch] : symbols_.channels) {
            if (c.channels && !c.channels->any) {
              bool covered = false;
              for (const ast::Name& n : c.channels->channels) covered |= n.text == name;
              if (!covered) continue;
            }
            // Quiet hours protect customers from messages; staff work is not held.
            if (!ch.decl->recipient || !ch.decl->kind || ch.decl->kind->text != "message") continue;
            auto prof = symbols_.profiles.find(ch.decl->recipient->text);
            if (prof == symbols_.profiles.end()) continue;
            bool has_tz = false;
            for (const auto& f : prof->second.decl->fields) has_tz |= f.name.text == "timezone";
            if (!has_tz) {
              Diagnostic& d = sink_.Error(Code::kNeedsTimezone, At(c.range), "quiet hours in local time need the recipient's time zone, but profile '" +
                                                           prof->first + "' (reached by channel '" + name + "') has no 'timezone' field");
              d.notes.push_back({DeclaredAt(symbols_.profiles, prof->first), "add 'timezone: string' here"});
            }
          }
        }
        break;
      }
      case ast::PolicyClauseKind::kCap:
        if (c.count <= 0) sink_.Error(Code::kPolicyRule, At(c.count_range), "a cap must allow at least 1 contact");
        CheckWindow(c.window, "a cap's window");
        break;
      case ast::PolicyClauseKind::kDedupe:
        CheckWindow(c.window, "a dedupe window");
        break;
      case ast::PolicyClauseKind::kRequireApproval:
        if (c.channels)
          for (const ast::Name& n : c.channels->channels)
            if (n.text == "task")
              sink_.Error(Code::kPolicyRule, At(n.range), "a task's text is written in its step, not approved content; "
                          "'require approval' names message, case or webhook channels");
        break;
      case ast::PolicyClauseKind::kArbitrate:
        CheckWindow(c.window, "an arbitration window");
        [[fallthrough]];
      case ast::PolicyClauseKind::kRequireConsent: {
        auto [it, inserted] = once.emplace(c.kind, &c);
        if (!inserted) {
          Diagnostic& d = sink_.Warning(Code::kRepeatedRule, At(c.range), "this rule is already stated in this policy");
          d.notes.push_back({At(it->second->range), "first stated here"});
        }
        break;
      }
    }
  }
}

}  // namespace tutti::compiler::internal
