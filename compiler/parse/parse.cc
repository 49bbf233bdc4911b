#include "compiler/parse/parse.h"

#include <BailErrorStrategy.h>
#include <CommonTokenStream.h>
#include <DefaultErrorStrategy.h>
#include <ANTLRInputStream.h>
#include <Parser.h>
#include <atn/ParserATNSimulator.h>
#include <atn/PredictionMode.h>
#include <Exceptions.h>
#include <tree/ParseTreeListener.h>

#include "TuttiLexer.h"
#include "base/check.h"
#include "TuttiParser.h"
#include "compiler/parse/ast_builder.h"
#include "compiler/parse/layout_builder.h"
#include "compiler/parse/message.h"
#include "compiler/parse/syntax_errors.h"

namespace tutti::compiler {
namespace {

using internal::AstBuilder;
using tutti_grammar::TuttiLexer;
using tutti_grammar::TuttiParser;

// Thrown by the depth listener when the parser's recursion gets too deep.
struct ParserTooDeep {
  antlr4::Token* at;
};

// Bounds the parser's own recursion: ANTLR descends one C++ frame per rule,
// so deeply nested input would otherwise overflow the stack.
class DepthListener : public antlr4::tree::ParseTreeListener {
 public:
  explicit DepthListener(size_t limit) : limit_(limit) {}
  void enterEveryRule(antlr4::ParserRuleContext* ctx) override {
    size_t depth = 0;
    for (antlr4::tree::ParseTree* p = ctx; p != nullptr && depth <= limit_; p = p->parent) ++depth;
    if (depth > limit_) throw ParserTooDeep{ctx->getStart()};
  }
  void exitEveryRule(antlr4::ParserRuleContext*) override {}
  void visitTerminal(antlr4::tree::TerminalNode*) override {}
  void visitErrorNode(antlr4::tree::ErrorNode*) override {}

 private:
  size_t limit_;
};

// Returns the offset of the first byte that is not valid UTF-8, or npos.
size_t FindInvalidUtf8(std::string_view s, size_t from) {
  size_t i = from;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += n;
  }
  return std::string_view::npos;
}

// One run of the lexer and parser over a slice of a Source (the whole file,
// or the text of an interpolation), mapping ANTLR's code-point indexes back
// to byte offsets in the Source.
class ParseSession {
 public:
  ParseSession(const Source& source, DiagnosticSink& sink, const ParseLimits& limits,
               uint32_t base, std::string_view text)
      : source_(source), sink_(sink), limits_(limits), base_(base), text_(text) {}

  std::unique_ptr<ast::File> File() {
    std::unique_ptr<ast::File> out;
    Run([&](TuttiParser& parser, AstBuilder& builder) {
      auto* tree = parser.program();
      out = builder.BuildFile(tree, /*partial=*/listener_->error_count() > 0);
    });
    return out;
  }

  std::optional<std::vector<LayoutToken>> Layout() {
    std::optional<std::vector<LayoutToken>> out;
    Run([&](TuttiParser& parser, AstBuilder&) {
      auto* tree = parser.program();
      if (listener_->error_count() > 0) return;
      out = internal::BuildLayout(tree, [this](antlr4::Token* t) { return TokenRange(t); });
    });
    return out;
  }

  /// The text as a message: literal text and `{...}` holes.
  ast::Message Content() {
    ast::Message m;
    m.range = {base_, base_ + static_cast<uint32_t>(text_.size())};
    if (!Validate()) return m;
    ast::Message scanned = internal::ScanMessage(
        text_, base_, /*raw=*/true,
        [this](Code code, SourceRange at, std::string message) { sink_.Error(code, {&source_, at}, std::move(message)); },
        [this](uint32_t offset, std::string_view text) {
          return ParseSession(source_, sink_, limits_, offset, text).Expression();
        });
    scanned.range = m.range;
    return scanned;
  }

  ast::ExprPtr Expression() {
    ast::ExprPtr out;
    Run([&](TuttiParser& parser, AstBuilder& builder) {
      auto* tree = parser.standaloneExpr();
      if (listener_->error_count() == 0) out = builder.BuildExpr(tree->expr());
    });
    return out;
  }

 private:
  SourceRange TokenRange(antlr4::Token* token) const {
    if (token->getType() == antlr4::Token::EOF) {
      uint32_t end = base_ + static_cast<uint32_t>(text_.size());
      return {end, end};
    }
    size_t start = token->getStartIndex(), stop = token->getStopIndex();
    auto byte = [&](size_t cp) -> uint32_t {
      if (cp_to_byte_.empty()) return static_cast<uint32_t>(std::min(cp, text_.size()));
      return cp_to_byte_[std::min(cp, cp_to_byte_.size() - 1)];
    };
    return {base_ + byte(start), base_ + byte(stop + 1)};
  }

  Location At(uint32_t offset) const { return {&source_, {offset, offset + 1}}; }

  bool Validate() {
    if (text_.size() > limits_.max_file_bytes) {
      sink_.Error(Code::kFileLimit, At(base_), "file is larger than " + std::to_string(limits_.max_file_bytes >> 20) +
                                 " MiB; journey files are expected to be small");
      return false;
    }
    size_t bad = FindInvalidUtf8(text_, 0);
    if (bad != std::string_view::npos) {
      for (int shown = 0; bad != std::string_view::npos && shown < 5; ++shown) {
        char hex[8];
        snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(text_[bad]));
        sink_.Error(Code::kInvalidUtf8, At(base_ + static_cast<uint32_t>(bad)),
                    std::string("invalid UTF-8 byte ") + hex +
                        ": source files must be UTF-8 text");
        bad = FindInvalidUtf8(text_, bad + 1);
      }
      return false;
    }
    // Code point index -> byte offset, needed only for non-ASCII text.
    bool ascii = true;
    for (char c : text_) ascii &= static_cast<unsigned char>(c) < 0x80;
    if (!ascii) {
      for (uint32_t i = 0; i < text_.size(); ++i)
        if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) cp_to_byte_.push_back(i);
      cp_to_byte_.push_back(static_cast<uint32_t>(text_.size()));
    }
    return true;
  }

  bool CountTokens(antlr4::ANTLRInputStream& input) {
    TuttiLexer lexer(&input);
    lexer.removeErrorListeners();
    size_t count = 0;
    for (auto t = lexer.nextToken(); t->getType() != antlr4::Token::EOF; t = lexer.nextToken()) {
      if (++count > limits_.max_tokens) {
        sink_.Error(Code::kFileLimit, {&source_, TokenRange(t.get())},
                    "file has more than " + std::to_string(limits_.max_tokens) +
                        " tokens; split it into smaller files");
        return false;
      }
    }
    input.reset();
    return true;
  }

  template <typename Body>
  void Run(Body body) {
    if (!Validate()) return;
    antlr4::ANTLRInputStream input{std::string(text_)};
    if (!CountTokens(input)) return;
    TuttiLexer lexer(&input);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    TuttiParser parser(&tokens);
    parser.removeErrorListeners();
    auto range = [this](antlr4::Token* t) { return TokenRange(t); };
    listener_ = std::make_unique<internal::SyntaxErrorListener>(source_, sink_, range,
                                                               limits_.max_syntax_errors);
    DepthListener depth(limits_.max_rule_depth);
    parser.addParseListener(&depth);
    AstBuilder builder(
        source_, sink_, range,
        [this](uint32_t offset, std::string_view text) {
          return ParseSession(source_, sink_, limits_, offset, text).Expression();
        },
        limits_);
    try {
      // Fast path: SLL prediction, giving up at the first error; most files
      // are correct. On failure, reparse with full LL and error recovery.
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
          antlr4::atn::PredictionMode::SLL);
      parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
      try {
        body(parser, builder);
        return;
      } catch (antlr4::ParseCancellationException&) {
        tokens.seek(0);
        parser.reset();
        parser.addParseListener(&depth);
        parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
            antlr4::atn::PredictionMode::LL);
        parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
        parser.addErrorListener(listener_.get());
        body(parser, builder);
      }
    } catch (ParserTooDeep& e) {
      sink_.Error(Code::kFileLimit, {&source_, TokenRange(e.at)},
                  "nesting is too deep here (blocks, brackets or operators more than a few "
                  "hundred levels deep); simplify this part");
    } catch (internal::TooDeep& e) {
      sink_.Error(Code::kFileLimit, {&source_, {e.range.begin, e.range.begin + 1}},
                  "this expression or block is nested too deeply; simplify it or split it into "
                  "steps with 'let'");
    } catch (internal::TooManySyntaxErrors&) {
      sink_.Error(Code::kFileLimit, At(base_ + static_cast<uint32_t>(text_.size())),
                  "too many syntax errors; stopped reading this file");
    }
  }

  const Source& source_;
  DiagnosticSink& sink_;
  const ParseLimits& limits_;
  uint32_t base_;
  std::string_view text_;
  std::vector<uint32_t> cp_to_byte_;
  std::unique_ptr<internal::SyntaxErrorListener> listener_;
};

}  // namespace

std::unique_ptr<ast::File> ParseFile(const Source& source, DiagnosticSink& sink,
                                     const ParseLimits& limits) {
  size_t mark = sink.mark();
  auto file = ParseSession(source, sink, limits, 0, source.text()).File();
  TUTTI_CHECK(file == nullptr || file->partial || !sink.ErrorsSince(mark),
              "a file with syntax errors is partial");
  return file;
}

std::optional<std::vector<LayoutToken>> ParseLayout(const Source& source, DiagnosticSink& sink,
                                                    const ParseLimits& limits) {
  size_t mark = sink.mark();
  auto tokens = ParseSession(source, sink, limits, 0, source.text()).Layout();
  if (sink.ErrorsSince(mark)) return std::nullopt;
  return tokens;
}

ast::Message ParseContent(const Source& source, DiagnosticSink& sink, const ParseLimits& limits) {
  return ParseSession(source, sink, limits, 0, source.text()).Content();
}

ast::ExprPtr ParseExpression(const Source& source, DiagnosticSink& sink,
                             const ParseLimits& limits) {
  size_t mark = sink.mark();
  auto e = ParseSession(source, sink, limits, 0, source.text()).Expression();
  if (sink.ErrorsSince(mark)) return nullptr;
  return e;
}

}  // namespace tutti::compiler
