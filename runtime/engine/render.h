#pragma once
// Template rendering: a declared template (compiler/ast/decl.h), for one
// recipient, becomes the subject, text and HTML that go out. The engine
// renders at the send, so an action carries exactly the content that was
// approved and decided; `tutti preview` renders the same way.
//
// Holes show values as message text does (MessageText); in HTML they are
// escaped. The locale is the recipient's `locale` field: its exact tag,
// else its language ("fr" for "fr-CA"), else the default content.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "compiler/ast/decl.h"
#include "compiler/eval/value.h"

namespace tutti::runtime {

struct RenderedMessage {
  std::string locale;  // the tag of the content used; empty: the default
  std::string subject, text, html;
};

/// What one hole became, for a preview.
struct RenderedHole {
  std::string part;    // "subject", "body" or "html"
  std::string source;  // the hole as written
  std::string value;   // its text, before any HTML escaping
};

/// A value as message text: strings as they are, numbers and booleans as
/// CEL's string() writes them, timestamps in RFC 3339.
std::string MessageText(const compiler::eval::Value& v);

/// `text` with & < > " ' as HTML character references.
std::string EscapeHtml(std::string_view text);

/// The content for `locale` (see above).
const compiler::ast::TemplateContent& ContentFor(const compiler::ast::TemplateDecl& t, std::string_view locale);

/// Renders `t` for a recipient whose locale is `locale`, evaluating each
/// hole with `eval`. A hole that evaluates to an error fails the render,
/// naming the hole. `holes`, when given, receives every hole's value.
Result<RenderedMessage> RenderTemplate(const compiler::ast::TemplateDecl& t, std::string_view locale,
                                       const std::function<compiler::eval::Value(const compiler::ast::Expr&)>& eval,
                                       std::vector<RenderedHole>* holes = nullptr);

}  // namespace tutti::runtime
