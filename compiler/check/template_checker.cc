// Templates: their declarations, and each send of one, whose holes are
// checked in the sending step's scope (with the send's `with` fields), and
// whose approval is weighed against the policies that require one.

#include <set>

#include "compiler/check/file_checker.h"
#include "compiler/check/suggest.h"

namespace tutti::compiler::internal {

namespace {

/// A BCP 47 tag of the simple kind content uses: "en", "fr-CA", "es-419".
bool IsLocaleTag(const std::string& tag) {
  size_t dash = tag.find('-');
  std::string lang = tag.substr(0, dash);
  if (lang.size() < 2 || lang.size() > 3) return false;
  for (char c : lang)
    if (c < 'a' || c > 'z') return false;
  if (dash == std::string::npos) return true;
  std::string region = tag.substr(dash + 1);
  if (region.size() == 2) return region[0] >= 'A' && region[0] <= 'Z' && region[1] >= 'A' && region[1] <= 'Z';
  if (region.size() == 3) {
    for (char c : region)
      if (c < '0' || c > '9') return false;
    return true;
  }
  return false;
}

const Source& SourceOf(const ast::ContentText& text, const Source& declaring) {
  return text.file_source != nullptr ? *text.file_source : declaring;
}

}  // namespace

/// template "ID" for CHANNEL { approved ... until ...  subject/body/html  locale ... }
void FileChecker::CheckTemplate(const ast::TemplateDecl& t) {
  if (t.name.text.empty()) sink_.Error(Code::kTemplate, At(t.name.range), "a template id cannot be empty");
  if (const ast::ChannelDecl* channel = FindChannel(t.channel);
      channel != nullptr && channel->kind && channel->kind->text == "task")
    sink_.Error(Code::kTemplate, At(t.channel.range), "'" + t.channel.text + "' is a task channel: a task's text is written in "
                "its step; templates are content sent to customers");
  if (t.approval && t.approval->text.empty())
    sink_.Error(Code::kTemplate, At(t.approval->range), "an approval id (such as the MLR number) cannot be empty");
  if (t.expires && !ParseApprovalDate(t.expires->text))
    sink_.Error(Code::kTemplate, At(t.expires->range), "expected the approval's last day as \"YYYY-MM-DD\", such as \"2027-06-30\"");
  std::set<std::string> locales;
  for (const ast::TemplateContent& c : t.contents) {
    bool is_default = &c == &t.contents.front();
    if (!is_default) {
      if (!IsLocaleTag(c.locale))
        sink_.Error(Code::kTemplate, At(c.range), "\"" + c.locale + "\" is not a locale tag such as \"en\", \"fr-CA\" or \"es-419\"");
      else if (!locales.insert(c.locale).second)
        sink_.Error(Code::kTemplate, At(c.range), "locale \"" + c.locale + "\" is given twice");
      if (!c.subject && !c.body && !c.html)
        sink_.Error(Code::kTemplate, At(c.range), "locale \"" + c.locale + "\" gives no subject or body");
    }
  }
  if (!t.contents.front().body)
    sink_.Error(Code::kTemplate, At(t.name.range), "template \"" + t.name.text + "\" needs a body: 'body \"...\"' or "
                "'body file \"x.txt\"' (the text every recipient can read; 'html' adds an HTML version)");
}

/// `send CHANNEL "ID"`: the template the id names, checked for this send.
void FileChecker::CheckSendContent(const ast::SendStep& s, const Scope& scope) {
  const ast::Message& id = s.message;
  bool literal = id.parts.size() <= 1 && (id.parts.empty() || !id.parts[0].expr);
  std::string text = id.parts.empty() ? "" : id.parts[0].text;
  std::vector<std::string> for_channel;
  for (const auto& [name, t] : symbols_.templates)
    if (t.decl->channel.text == s.channel.text) for_channel.push_back(name);
  const ApprovalRule* rule = approvals_.For(s.channel.text);
  auto it = literal ? symbols_.templates.find(text) : symbols_.templates.end();
  if (it == symbols_.templates.end()) {
    if (!for_channel.empty()) {
      Diagnostic& d = sink_.Error(Code::kTemplateChannel, At(id.range),
                                  (literal ? "no template \"" + text + "\" is declared" : std::string("this template id is computed"))
                                  + " for channel '" + s.channel.text + "', which sends declared templates only" +
                                      (literal ? DidYouMean(text, for_channel) : ""));
      if (literal) SuggestFix(d, id.range, text, for_channel, /*quoted=*/true);
    } else if (rule != nullptr) {
      Diagnostic& d = sink_.Warning(Code::kNotApproved, At(id.range),
                                    "\"" + id.Display() + "\" is not a declared template, and policy '" + rule->policy +
                                        "' requires approved content on '" + s.channel.text + "': the engine will suppress this send");
      d.notes.push_back({rule->at, "approval required here"});
    }
    return;
  }
  const ast::TemplateDecl& t = *it->second.decl;
  const Source& declaring = *it->second.file->source;
  if (t.channel.text != s.channel.text) {
    Diagnostic& d = sink_.Error(Code::kTemplateChannel, At(id.range), "template \"" + t.name.text + "\" is declared for '" +
                                                                          t.channel.text + "', not '" + s.channel.text + "'");
    d.notes.push_back({{&declaring, t.channel.range}, "declared for '" + t.channel.text + "' here"});
    return;
  }
  if (rule != nullptr && !t.approval) {
    Diagnostic& d = sink_.Warning(Code::kNotApproved, At(id.range),
                                  "template \"" + t.name.text + "\" has no approval, and policy '" + rule->policy +
                                      "' requires approved content on '" + s.channel.text + "': the engine will suppress this send");
    d.notes.push_back({{&declaring, t.name.range}, "add 'approved \"MLR-...\" until \"YYYY-MM-DD\"' here"});
    d.notes.push_back({rule->at, "approval required here"});
  }

  // The holes see what the step sees, and the send's `with` fields by name.
  Scope holes(&scope);
  for (const ast::FieldInit& v : s.vars) {
    auto type = result_.types.find(v.value.get());
    holes.Define(v.name.text, {type == result_.types.end() ? Type::Dyn() : type->second, v.name.range});
  }
  for (const ast::TemplateContent& c : t.contents)
    for (const auto* part : {&c.subject, &c.body, &c.html}) {
      if (!*part) continue;
      const Source& source = SourceOf(**part, declaring);
      // A scratch side table: the hole is typed anew at every send.
      CheckResult scratch;
      DiagnosticSink found;
      ExprChecker checker(source, symbols_, builtins_, found, scratch);
      for (const ast::MessagePart& p : (*part)->message.parts) {
        if (!p.expr) continue;
        Type type = checker.Check(*p.expr, holes);
        if (type.IsRecord() || type.is(TypeKind::kMap))
          found.Error(Code::kNotShowable, {&source, p.expr->range},
                      "a " + type.ToString() + " cannot be shown in a template; pick a field, such as " +
                          (type.IsRecord() ? std::string(".name") : std::string("[key]")));
      }
      for (Diagnostic d : found.Sorted()) {
        d.notes.push_back({At(id.range), "in this send of template \"" + t.name.text + "\" (its holes see the step's names "
                                         "and the 'with' fields)"});
        sink_.Report(std::move(d));
      }
    }
}

}  // namespace tutti::compiler::internal
