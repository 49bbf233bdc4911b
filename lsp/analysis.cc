#include "lsp/analysis.h"

#include <algorithm>
#include <set>

#include "compiler/ast/steps.h"

namespace tutti::lsp {
namespace {

using compiler::Source;
using compiler::SourceRange;
using compiler::Type;
using compiler::TypeKind;
namespace ast = compiler::ast;

bool IsWordByte(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool Contains(const SourceRange& r, uint32_t offset) { return r.begin <= offset && offset <= r.end && r.end > r.begin; }

std::string TypeRefText(const ast::TypeRef& t) {
  std::string out = t.name.text;
  if (!t.args.empty()) {
    out += "<";
    for (size_t i = 0; i < t.args.size(); ++i) out += (i ? ", " : "") + TypeRefText(t.args[i]);
    out += ">";
  }
  return out;
}

std::string FieldText(const ast::FieldDecl& f) {
  return f.name.text + ": " + TypeRefText(f.type) + (f.optional ? "?" : "") + (f.key ? " key" : "");
}

// The word (a name) around `offset` in `text`.
std::pair<uint32_t, uint32_t> WordAt(std::string_view text, uint32_t offset) {
  uint32_t b = std::min<uint32_t>(offset, static_cast<uint32_t>(text.size())), e = b;
  while (b > 0 && IsWordByte(text[b - 1])) --b;
  while (e < text.size() && IsWordByte(text[e])) ++e;
  return {b, e};
}

// Every keyword of grammar/Tutti.g4 (tests/lsp/lsp_test.cc keeps it so).
const char* const kKeywords[] = {
    "import", "event", "keyed", "by", "via", "profile", "key", "channel", "kind", "to", "consent", "description",
    "policy", "quiet_hours", "local", "cap", "per", "any", "require", "arbitrate", "within", "dedupe", "journey",
    "for", "title", "owner", "priority", "version", "reentry", "after", "migrate", "template", "approved",
    "approval", "subject", "body", "html", "file", "locale", "test", "at", "expect", "suppressed", "reason",
    "nothing", "waiting", "never", "always", "on", "as",
    "where", "audience", "exit", "goal", "when", "send", "with", "task", "notify", "due", "wait", "until", "up",
    "timeout", "then", "if", "else", "choose", "otherwise", "best", "split", "start", "emit", "let", "set", "end",
    "and", "or", "not", "in", "true", "false", "null"};

bool OwnsField(const ast::File& file, const ast::FieldDecl* field) {
  for (const auto& e : file.events)
    for (const auto& f : e.fields)
      if (&f == field) return true;
  for (const auto& p : file.profiles)
    for (const auto& f : p.fields)
      if (&f == field) return true;
  return false;
}

// Whether `import "import_path"` names the file loaded as `loaded` (std/x
// is stdlib/x.tutti; other paths are relative and may omit .tutti).
bool ImportNames(const std::string& import_path, const std::string& loaded) {
  std::string tail = import_path.rfind("std/", 0) == 0 ? import_path.substr(4) : import_path;
  while (tail.rfind("./", 0) == 0) tail = tail.substr(2);
  if (tail.size() < 6 || tail.substr(tail.size() - 6) != ".tutti") tail += ".tutti";
  return loaded.size() >= tail.size() && loaded.compare(loaded.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

uint32_t OffsetAt(const Source& source, Position p) {
  if (source.LineCount() == 0) return 0;
  uint32_t line = std::min(p.line + 1, source.LineCount());
  std::string_view text = source.Line(line);
  uint32_t start = static_cast<uint32_t>(text.data() - source.text().data());
  uint32_t units = 0;
  size_t i = 0;
  while (i < text.size() && units < p.character) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    units += n == 4 ? 2 : 1;
    i = std::min(text.size(), i + n);
  }
  return start + static_cast<uint32_t>(i);
}

Position PositionAt(const Source& source, uint32_t offset) {
  compiler::LineColumn lc = source.Locate(offset);
  return {lc.line - 1, source.Utf16Column(offset)};
}

std::unique_ptr<Analysis> Analysis::Run(const std::string& path, const std::string& text,
                                        const std::map<std::string, std::string>& open,
                                        const std::string& stdlib_dir, const compiler::BuiltinRegistry& builtins) {
  std::unique_ptr<Analysis> a(new Analysis(builtins));
  compiler::DiagnosticSink sink;
  a->program_ = compiler::LoadProgramFromText({{path, text}}, stdlib_dir, sink, open);
  a->result_ = compiler::Check(a->program_, builtins, sink);
  for (const auto& f : a->program_.files)
    if (f->root) a->document_ = f.get();
  for (compiler::Diagnostic& d : sink.Sorted())
    if (d.location.source != nullptr && d.location.source == a->document_->source.get())
      a->diagnostics_.push_back(std::move(d));
  return a;
}

const ast::EventDecl* Analysis::FindEvent(const std::string& name) const {
  for (const auto& f : program_.files)
    if (f->ast)
      for (const auto& e : f->ast->events)
        if (e.name.text == name) return &e;
  return nullptr;
}

const ast::ProfileDecl* Analysis::FindProfile(const std::string& name) const {
  for (const auto& f : program_.files)
    if (f->ast)
      for (const auto& p : f->ast->profiles)
        if (p.name.text == name) return &p;
  return nullptr;
}

const ast::TemplateDecl* Analysis::FindTemplate(const std::string& id, const compiler::ProgramFile** file) const {
  for (const auto& f : program_.files)
    if (f->ast)
      for (const auto& t : f->ast->templates)
        if (t.name.text == id) {
          if (file) *file = f.get();
          return &t;
        }
  return nullptr;
}

const ast::TemplateDecl* Analysis::TemplateAt(uint32_t offset) const {
  if (document_ == nullptr || document_->ast == nullptr) return nullptr;
  const ast::TemplateDecl* found = nullptr;
  for (const auto& j : document_->ast->journeys)
    ast::ForEachStep(j.steps, [&](const ast::Step& s) {
      if (s.kind != ast::StepKind::kSend) return;
      const ast::Message& id = s.As<ast::SendStep>().message;
      if (Contains(id.range, offset) && id.parts.size() == 1 && !id.parts[0].expr) found = FindTemplate(id.parts[0].text);
    });
  return found;
}

const ast::FieldDecl* Analysis::FindField(const Type& record, const std::string& field) const {
  const std::vector<ast::FieldDecl>* fields = nullptr;
  if (record.is(TypeKind::kEvent)) {
    if (const auto* e = FindEvent(record.name())) fields = &e->fields;
  } else if (record.is(TypeKind::kProfile)) {
    if (const auto* p = FindProfile(record.name())) fields = &p->fields;
  }
  if (fields == nullptr) return nullptr;
  for (const auto& f : *fields)
    if (f.name.text == field) return &f;
  return nullptr;
}

const ast::Expr* Analysis::ExprAt(uint32_t offset) const {
  const ast::Expr* best = nullptr;
  auto mine = result_.exprs.find(document_->source.get());
  if (mine == result_.exprs.end()) return nullptr;
  for (const ast::Expr* expr : mine->second) {
    if (!Contains(expr->range, offset)) continue;
    if (best == nullptr || expr->range.end - expr->range.begin < best->range.end - best->range.begin) best = expr;
  }
  return best;
}

bool Analysis::Reads(const std::string& path) const {
  for (const auto& f : program_.files)
    if (!f->root && f->source && f->source->path() == path) return true;
  return false;
}

std::optional<Type> Analysis::TypeOfName(const std::string& name, uint32_t offset) const {
  if (FindProfile(name)) return Type::Profile(name);
  if (document_ == nullptr || document_->ast == nullptr) return std::nullopt;
  std::optional<Type> found;
  uint32_t found_at = 0;
  auto consider = [&](uint32_t at, std::optional<Type> type) {
    if (type && at <= offset && (!found || at >= found_at)) found = type, found_at = at;
  };
  auto pattern = [&](const ast::EventPattern& p) {
    if (p.BoundName().text == name) consider(p.range.begin, Type::Event(p.event.text));
  };
  for (const auto& j : document_->ast->journeys) {
    if (offset < j.range.begin || offset > j.range.end) continue;  // only the journey around the cursor
    for (const auto& t : j.triggers) pattern(t);
    for (const auto& x : j.exits) pattern(x.pattern);
    ast::ForEachStep(j.steps, [&](const ast::Step& s) {
      if (s.kind == ast::StepKind::kWaitEvent) pattern(s.As<ast::WaitEventStep>().pattern);
      if (s.kind == ast::StepKind::kLet) {
        const auto& let = s.As<ast::LetStep>();
        if (let.name.text != name || !let.value) return;
        auto it = result_.types.find(let.value.get());
        if (it != result_.types.end()) consider(s.range.begin, it->second);
      }
    });
  }
  return found;
}

std::optional<Place> Analysis::Definition(uint32_t offset) const {
  const Source* doc = document_->source.get();
  // A field after '.': the field's declaration.
  if (const ast::Expr* e = ExprAt(offset); e && e->kind == ast::ExprKind::kSelect && e->target &&
                                           Contains(e->name.range, offset)) {
    auto it = result_.types.find(e->target.get());
    const ast::FieldDecl* f = it == result_.types.end() ? nullptr : FindField(it->second, e->name.text);
    if (f != nullptr)
      for (const auto& file : program_.files)
        if (file->ast && OwnsField(*file->ast, f))
          return Place{file->source.get(), f->name.range};
  }
  // An import: the imported file.
  if (document_->ast)
    for (const auto& imp : document_->ast->imports)
      if (Contains(imp.range, offset))
        for (const compiler::ProgramFile* imported : document_->imports)
          if (imported->ast && ImportNames(imp.path, imported->source->path()))
            return Place{imported->source.get(), {0, 0}};
  // A send's template id: the template; a template's content file: the file.
  const compiler::ProgramFile* declaring = nullptr;
  if (const ast::TemplateDecl* t = TemplateAt(offset); t && FindTemplate(t->name.text, &declaring))
    return Place{declaring->source.get(), t->name.range};
  if (document_->ast)
    for (const auto& t : document_->ast->templates)
      for (const auto& c : t.contents)
        for (const auto* part : {&c.subject, &c.body, &c.html})
          if (*part && (*part)->file_source && Contains((*part)->message.range, offset))
            return Place{(*part)->file_source, {0, 0}};
  // A declared name.
  auto [b, e] = WordAt(doc->text(), offset);
  if (b == e) return std::nullopt;
  std::string word(doc->text().substr(b, e - b));
  for (const auto& file : program_.files) {
    if (!file->ast) continue;
    const Source* src = file->source.get();
    for (const auto& d : file->ast->events) if (d.name.text == word) return Place{src, d.name.range};
    for (const auto& d : file->ast->profiles) if (d.name.text == word) return Place{src, d.name.range};
    for (const auto& d : file->ast->channels) if (d.name.text == word) return Place{src, d.name.range};
    for (const auto& d : file->ast->journeys) if (d.name.text == word) return Place{src, d.name.range};
    for (const auto& d : file->ast->policies) if (d.name.text == word) return Place{src, d.name.range};
  }
  return std::nullopt;
}

std::optional<std::string> Analysis::Hover(uint32_t offset) const {
  const Source* doc = document_->source.get();
  if (const ast::TemplateDecl* t = TemplateAt(offset)) {
    std::string out = "```tutti\ntemplate \"" + t->name.text + "\" for " + t->channel.text + "\n```\n";
    out += t->approval ? "approved " + t->approval->text + (t->expires ? " until " + t->expires->text : "") : "not approved";
    const ast::TemplateContent& c = t->contents.front();
    if (c.subject) out += "\n\n**" + c.subject->message.Display() + "**";
    if (c.body) out += "\n\n" + c.body->message.Display().substr(0, 600);
    for (size_t i = 1; i < t->contents.size(); ++i) out += (i == 1 ? "\n\nlocales: " : ", ") + t->contents[i].locale;
    return out;
  }
  const ast::Expr* e = ExprAt(offset);
  if (e && e->kind == ast::ExprKind::kSelect && e->target && Contains(e->name.range, offset)) {
    auto target = result_.types.find(e->target.get());
    auto self = result_.types.find(e);
    std::string out = "```tutti\n" + e->name.text + ": " + (self != result_.types.end() ? self->second.ToString() : "?") +
                      "\n```";
    if (target != result_.types.end()) {
      out += "\nfield of " + target->second.ToString();
      if (const ast::FieldDecl* f = FindField(target->second, e->name.text); f && !f->doc.empty())
        out += "\n\n" + f->doc;
    }
    return out;
  }
  if (e && e->kind == ast::ExprKind::kCall && Contains(e->name.range, offset)) {
    std::string out;
    for (bool receiver : {false, true})
      for (const compiler::Overload* o : builtins_.Find(e->name.text, receiver)) {
        out += "```tutti\n" + o->id + " -> " + o->result.ToString() + "\n```\n";
        if (!o->doc.empty()) out += o->doc + "\n\n";
      }
    if (!out.empty()) return out;
  }
  auto [b, end] = WordAt(doc->text(), offset);
  std::string word(doc->text().substr(b, end - b));
  if (!word.empty()) {
    if (const auto* ev = FindEvent(word)) {
      std::string out = "```tutti\nevent " + ev->name.text + " keyed by " + ev->key_profile.text + " {\n";
      for (const auto& f : ev->fields) out += "  " + FieldText(f) + "\n";
      return out + "}\n```";
    }
    if (const auto* p = FindProfile(word)) {
      std::string out = "```tutti\nprofile " + p->name.text + " {\n";
      for (const auto& f : p->fields) out += "  " + FieldText(f) + "\n";
      return out + "}\n```";
    }
    for (const auto& file : program_.files) {
      if (!file->ast) continue;
      for (const auto& c : file->ast->channels)
        if (c.name.text == word)
          return "```tutti\nchannel " + c.name.text + (c.kind ? " { kind " + c.kind->text : " {") +
                 (c.recipient ? " to " + c.recipient->text : "") + (c.consent ? " consent \"" + c.consent->text + "\"" : "") +
                 " }\n```" + (c.description.empty() ? "" : "\n\n" + c.description);
      for (const auto& j : file->ast->journeys)
        if (j.name.text == word)
          return "```tutti\njourney " + j.name.text + (j.customer ? " for " + j.customer->text : "") + "\n```\n" +
                 (j.title.empty() ? "" : j.title + "\n\n") + "version " + std::to_string(j.version) + ", priority " +
                 std::to_string(j.priority);
    }
  }
  if (e) {
    auto it = result_.types.find(e);
    if (it != result_.types.end() && !it->second.is(TypeKind::kError))
      return "```tutti\n" + ast::ToSource(*e) + ": " + it->second.ToString() + "\n```";
  }
  return std::nullopt;
}

std::vector<Completion> Analysis::Complete(const std::string& text, uint32_t offset) const {
  std::vector<Completion> out;
  offset = std::min<uint32_t>(offset, static_cast<uint32_t>(text.size()));
  // Inside `send CHANNEL "...`: the templates declared for that channel.
  {
    uint32_t q = offset;
    while (q > 0 && text[q - 1] != '"' && text[q - 1] != '\n') --q;
    if (q > 0 && text[q - 1] == '"') {
      uint32_t e = q - 1;
      while (e > 0 && text[e - 1] == ' ') --e;
      uint32_t s = e;
      while (s > 0 && IsWordByte(text[s - 1])) --s;
      uint32_t k = s;
      while (k > 0 && text[k - 1] == ' ') --k;
      if (k >= 4 && text.compare(k - 4, 4, "send") == 0 && s < e) {
        std::string channel = text.substr(s, e - s);
        for (const auto& f : program_.files)
          if (f->ast)
            for (const auto& t : f->ast->templates)
              if (t.channel.text == channel)
                out.push_back({t.name.text, Completion::kTemplate,
                               t.approval ? "approved " + t.approval->text : std::string("not approved"),
                               t.contents.front().subject ? t.contents.front().subject->message.Display() : ""});
        return out;
      }
    }
  }
  uint32_t b = offset;
  while (b > 0 && IsWordByte(text[b - 1])) --b;
  // After 'name.': the fields of what the name holds, and its methods.
  if (b > 0 && text[b - 1] == '.') {
    uint32_t e = b - 1, s = e;
    while (s > 0 && IsWordByte(text[s - 1])) --s;
    std::optional<Type> type = TypeOfName(text.substr(s, e - s), s);
    if (!type) return out;
    const std::vector<ast::FieldDecl>* fields = nullptr;
    if (type->is(TypeKind::kEvent)) {
      if (const auto* ev = FindEvent(type->name())) fields = &ev->fields;
      out.push_back({"at", Completion::kField, "timestamp", "when the event happened"});
    } else if (type->is(TypeKind::kProfile)) {
      if (const auto* p = FindProfile(type->name())) fields = &p->fields;
    }
    if (fields)
      for (const auto& f : *fields)
        out.push_back({f.name.text, Completion::kField, TypeRefText(f.type) + (f.optional ? "?" : ""), f.doc});
    std::set<std::string> methods;
    for (const compiler::Overload& o : builtins_.overloads())
      if (o.receiver_style && !o.params.empty() &&
          (o.params[0].kind() == type->kind() || o.params[0].is(TypeKind::kParam) || o.params[0].is(TypeKind::kDyn)) &&
          methods.insert(o.name).second)
        out.push_back({o.name, Completion::kFunction, o.id + " -> " + o.result.ToString(), o.doc});
    return out;
  }
  for (const char* k : kKeywords) out.push_back({k, Completion::kKeyword, "", ""});
  std::set<std::string> seen;
  for (const auto& file : program_.files) {
    if (!file->ast) continue;
    for (const auto& d : file->ast->events)
      if (seen.insert(d.name.text).second) out.push_back({d.name.text, Completion::kEvent, "event keyed by " + d.key_profile.text, ""});
    for (const auto& d : file->ast->profiles)
      if (seen.insert(d.name.text).second) out.push_back({d.name.text, Completion::kProfile, "profile", ""});
    for (const auto& d : file->ast->channels)
      if (seen.insert(d.name.text).second)
        out.push_back({d.name.text, Completion::kChannel, "channel" + (d.kind ? " (" + d.kind->text + ")" : std::string()), d.description});
    for (const auto& d : file->ast->journeys)
      if (seen.insert(d.name.text).second) out.push_back({d.name.text, Completion::kJourney, "journey", d.title});
    for (const auto& d : file->ast->policies)
      if (seen.insert(d.name.text).second) out.push_back({d.name.text, Completion::kPolicy, "policy", ""});
  }
  for (const std::string& name : builtins_.Names()) {
    if (!seen.insert(name).second) continue;
    std::string detail;
    for (bool receiver : {false, true})
      for (const compiler::Overload* o : builtins_.Find(name, receiver))
        if (detail.empty()) detail = o->id + " -> " + o->result.ToString();
    out.push_back({name, Completion::kFunction, detail, ""});
  }
  if (document_->ast)
    for (const auto& j : document_->ast->journeys) {
      auto binding = [&](const ast::EventPattern& p) {
        if (p.binding && seen.insert(p.binding->text).second)
          out.push_back({p.binding->text, Completion::kVariable, "event " + p.event.text, ""});
      };
      for (const auto& t : j.triggers) binding(t);
      for (const auto& x : j.exits) binding(x.pattern);
      ast::ForEachStep(j.steps, [&](const ast::Step& s) {
        if (s.kind == ast::StepKind::kWaitEvent) binding(s.As<ast::WaitEventStep>().pattern);
        if (s.kind == ast::StepKind::kLet && seen.insert(s.As<ast::LetStep>().name.text).second)
          out.push_back({s.As<ast::LetStep>().name.text, Completion::kVariable, "let", ""});
      });
    }
  return out;
}

std::vector<Symbol> Analysis::Symbols() const {
  std::vector<Symbol> out;
  if (document_ == nullptr || document_->ast == nullptr) return out;
  const ast::File& f = *document_->ast;
  auto fields = [](const std::vector<ast::FieldDecl>& list) {
    std::vector<Symbol> children;
    for (const auto& field : list)
      children.push_back({field.name.text, Symbol::kField, TypeRefText(field.type) + (field.optional ? "?" : ""),
                          field.range, field.name.range, {}});
    return children;
  };
  for (const auto& d : f.events)
    out.push_back({d.name.text, Symbol::kEvent, "keyed by " + d.key_profile.text, d.range, d.name.range, fields(d.fields)});
  for (const auto& d : f.profiles) out.push_back({d.name.text, Symbol::kProfile, "", d.range, d.name.range, fields(d.fields)});
  for (const auto& d : f.channels)
    out.push_back({d.name.text, Symbol::kChannel, d.kind ? d.kind->text : "", d.range, d.name.range, {}});
  for (const auto& d : f.policies) out.push_back({d.name.text, Symbol::kPolicy, "", d.range, d.name.range, {}});
  for (const auto& d : f.templates)
    out.push_back({d.name.text, Symbol::kTemplate, "for " + d.channel.text, d.range, d.name.range, {}});
  for (const auto& d : f.journeys) {
    Symbol j{d.name.text, Symbol::kJourney, d.title, d.range, d.name.range, {}};
    ast::ForEachStep(d.steps, [&](const ast::Step& s) {
      if (s.label) j.children.push_back({s.label->text, Symbol::kStep, ast::StepKeyword(s.kind), s.range, s.label->range, {}});
    });
    out.push_back(std::move(j));
  }
  std::sort(out.begin(), out.end(), [](const Symbol& a, const Symbol& b) { return a.range.begin < b.range.begin; });
  return out;
}

}  // namespace tutti::lsp
