// Journey tests (`test "name" { ... }`): what they give (profiles, events)
// must be records of the program, with values of the fields' types and
// their keys; what they expect must name channels, templates, journeys and
// labels the program has. Run by `tutti test` (runtime/journey_tests/).

#include <set>

#include "compiler/ast/steps.h"
#include "compiler/check/file_checker.h"
#include "compiler/check/suggest.h"
#include "compiler/eval/value.h"

namespace tutti::compiler::internal {

namespace {

const ast::FieldDecl* KeyOf(const std::vector<ast::FieldDecl>& fields) {
  for (const ast::FieldDecl& f : fields)
    if (f.key) return &f;
  return nullptr;
}

}  // namespace

/// The fields a test gives a record of type `record`: each declared, of
/// its type, given once; `key` (when the record has one) among them.
void FileChecker::CheckTestFields(const ast::TestItem& item, const Type& record, const std::string& key) {
  Scope none;
  std::set<std::string> given;
  for (const ast::FieldInit& f : item.fields) {
    if (!given.insert(f.name.text).second) {
      sink_.Error(Code::kGivenTwice, At(f.name.range), "'" + f.name.text + "' is given twice");
      continue;
    }
    Type want = exprs_.FieldType(record, f.name);
    if (!want.IsErrorOrDyn()) exprs_.Expect(*f.value, none, want, "field '" + f.name.text + "'");
  }
  if (!key.empty() && !given.count(key))
    sink_.Error(Code::kTestItem, At(item.name.range), record.ToString() + " needs its key '" + key +
                                                          "' here; the other fields may be left out (they take their type's "
                                                          "zero value, or none when optional)");
}

void FileChecker::CheckTest(const ast::TestDecl& t, std::set<std::string>& names) {
  if (!names.insert(t.name.text).second)
    sink_.Error(Code::kTestItem, At(t.name.range), "test \"" + t.name.text + "\" is declared twice in this file");
  for (const ast::TestItem& item : t.items) {
    switch (item.kind) {
      case ast::TestItem::kClock:
        if (eval::ParseTimestamp(item.text).IsError())
          sink_.Error(Code::kTestItem, At(item.text_range), "expected a time such as \"2026-03-02T09:00:00Z\" (RFC 3339)");
        break;
      case ast::TestItem::kProfile:
        if (const ast::ProfileDecl* p = FindProfile(item.name)) {
          const ast::FieldDecl* key = KeyOf(p->fields);
          CheckTestFields(item, Type::Profile(p->name.text), key ? key->name.text : "");
        }
        break;
      case ast::TestItem::kEvent:
        if (const ast::EventDecl* e = FindEvent(item.name)) CheckTestFields(item, Type::Event(e->name.text), e->KeyFieldName().text);
        break;
      case ast::TestItem::kWait:
        if (item.wait.millis <= 0) sink_.Error(Code::kNotPositive, At(item.range), "a test's wait must be longer than zero");
        break;
      case ast::TestItem::kExpectSend:
      case ast::TestItem::kExpectSuppressed: {
        if (FindChannel(item.name) == nullptr) break;
        std::vector<std::string> ids;
        for (const auto& [id, decl] : symbols_.templates)
          if (decl.decl->channel.text == item.name.text) ids.push_back(id);
        if (!ids.empty() && !symbols_.templates.count(item.text)) {
          Diagnostic& d = sink_.Error(Code::kTemplateChannel, At(item.text_range),
                                      "no template \"" + item.text + "\" is declared for channel '" + item.name.text + "'" +
                                          DidYouMean(item.text, ids));
          SuggestFix(d, item.text_range, item.text, ids, /*quoted=*/true);
        }
        Scope none;
        for (const ast::FieldInit& f : item.fields) exprs_.Check(*f.value, none);
        break;
      }
      case ast::TestItem::kExpectWaiting:
        if (const ast::JourneyDecl* j = FindJourney(item.name); j != nullptr && item.label) {
          bool found = false;
          std::vector<std::string> labels;
          ast::ForEachStep(j->steps, [&](const ast::Step& s) {
            if (!s.label) return;
            labels.push_back(s.label->text);
            found |= s.label->text == item.label->text;
          });
          if (!found)
            sink_.Error(Code::kUnknownDeclaration, At(item.label->range), "journey '" + j->name.text + "' has no step labelled '" +
                                                                              item.label->text + "'" + DidYouMean(item.label->text, labels));
        }
        break;
      case ast::TestItem::kExpectTask:
      case ast::TestItem::kExpectNothing:
        break;
    }
  }
}

}  // namespace tutti::compiler::internal
