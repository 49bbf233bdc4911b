#include "compiler/parse/message.h"

#include "compiler/parse/literals.h"

namespace tutti::compiler::internal {

ast::Message ScanMessage(std::string_view body, uint32_t body_start, bool raw, const MessageErrorFn& error,
                         const HoleParserFn& parse_hole) {
  ast::Message m;
  auto at = [&](size_t from, size_t to) {
    return SourceRange{body_start + static_cast<uint32_t>(from), body_start + static_cast<uint32_t>(to)};
  };
  std::string literal;
  size_t literal_begin = 0;
  auto flush = [&] {
    if (literal.empty()) return;
    std::string decoded;
    size_t bad = 0;
    std::string err = raw ? (decoded = literal, "") : DecodeEscapes(literal, false, &decoded, &bad);
    if (!err.empty()) error(Code::kBadLiteral, at(literal_begin + bad, literal_begin + bad + 2), err);
    ast::MessagePart part;
    part.text = std::move(decoded);
    m.parts.push_back(std::move(part));
    literal.clear();
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if ((c == '{' || c == '}') && i + 1 < body.size() && body[i + 1] == c) {
      if (literal.empty()) literal_begin = i;
      literal += c;
      ++i;
      continue;
    }
    if (c == '}') {
      error(Code::kBadLiteral, at(i, i + 1), "a '}' without a matching '{' in a message; write '}}' for a literal brace");
      continue;
    }
    if (c != '{') {
      if (literal.empty()) literal_begin = i;
      literal += c;
      if (!raw && c == '\\' && i + 1 < body.size()) literal += body[++i];
      continue;
    }
    // A hole: find the matching '}', skipping quoted strings.
    size_t depth = 1, j = i + 1;
    char quote = 0;
    for (; j < body.size() && depth > 0; ++j) {
      char d = body[j];
      if (quote) {
        if (d == '\\') ++j;
        else if (d == quote) quote = 0;
      } else if (d == '"' || d == '\'') {
        quote = d;
      } else if (d == '{') {
        ++depth;
      } else if (d == '}') {
        --depth;
      }
    }
    if (depth > 0) {
      error(Code::kBadLiteral, at(i, i + 1),
            "this '{' starts an interpolation that is never closed; add '}' or write '{{' for a literal brace");
      break;
    }
    flush();
    std::string_view inner = body.substr(i + 1, j - i - 2);
    if (inner.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      error(Code::kBadLiteral, at(i, j), "empty interpolation '{}' in a message; write '{{}}' for literal braces");
    } else if (auto e = parse_hole(body_start + static_cast<uint32_t>(i + 1), inner)) {
      ast::MessagePart part;
      part.expr = std::move(e);
      m.parts.push_back(std::move(part));
    }
    i = j - 1;
  }
  flush();
  return m;
}

}  // namespace tutti::compiler::internal
