#include "runtime/engine/render.h"


namespace tutti::runtime {

namespace ast = compiler::ast;
using compiler::eval::Value;
using compiler::eval::ValueKind;

std::string MessageText(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kString: return v.AsString();
    case ValueKind::kInt: return std::to_string(v.AsInt());
    case ValueKind::kUint: return std::to_string(v.AsUint());
    case ValueKind::kDouble: return compiler::eval::FormatDouble(v.AsDouble());
    case ValueKind::kBool: return v.AsBool() ? "true" : "false";
    case ValueKind::kNull: return "null";
    case ValueKind::kTimestamp: return compiler::eval::FormatTimestamp(v.AsTimestamp());
    case ValueKind::kDuration: return compiler::eval::FormatDuration(v.AsDuration());
    default: return compiler::eval::DebugString(v);
  }
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

const ast::TemplateContent& ContentFor(const ast::TemplateDecl& t, std::string_view locale) {
  std::string want = Lower(locale);
  std::string language = want.substr(0, want.find_first_of("-_"));
  const ast::TemplateContent* by_language = nullptr;
  for (size_t i = 1; i < t.contents.size(); ++i) {
    std::string tag = Lower(t.contents[i].locale);
    if (tag == want) return t.contents[i];
    if (by_language == nullptr && !language.empty() && tag == language) by_language = &t.contents[i];
  }
  return by_language != nullptr ? *by_language : t.contents.front();
}

Result<RenderedMessage> RenderTemplate(const ast::TemplateDecl& t, std::string_view locale,
                                       const std::function<Value(const ast::Expr&)>& eval,
                                       std::vector<RenderedHole>* holes) {
  const ast::TemplateContent& content = ContentFor(t, locale);
  const ast::TemplateContent& fallback = t.contents.front();
  RenderedMessage out;
  out.locale = content.locale;
  auto render = [&](const std::optional<ast::ContentText>& part, const char* name, bool html,
                    std::string& into) -> Status {
    if (!part) return Status::Ok();
    for (const ast::MessagePart& p : part->message.parts) {
      if (!p.expr) {
        into += p.text;
        continue;
      }
      Value v = eval(*p.expr);
      if (v.IsError())
        return Status::Invalid(std::string("in {") + ast::ToSource(*p.expr) + "} of the " + name + " of template \"" +
                               t.name.text + "\": " + v.ErrorMessage());
      std::string text = MessageText(v);
      if (holes) holes->push_back({name, ast::ToSource(*p.expr), text});
      into += html ? EscapeHtml(text) : text;
    }
    return Status::Ok();
  };
  // A locale without its own subject takes the default's; its body and
  // HTML are its own (never a mix of languages).
  TUTTI_TRY(render(content.subject ? content.subject : fallback.subject, "subject", false, out.subject));
  TUTTI_TRY(render(content.body, "body", false, out.text));
  TUTTI_TRY(render(content.html, "html", true, out.html));
  return out;
}

}  // namespace tutti::runtime
