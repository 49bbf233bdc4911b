#include "compiler/format/format.h"

#include <algorithm>

#include "compiler/parse/layout.h"

namespace tutti::compiler {
namespace {

bool IsCloser(Spacing s) { return s == Spacing::kClose || s == Spacing::kBraceClose; }
bool IsOpener(Spacing s) { return s == Spacing::kOpen || s == Spacing::kCallOpen || s == Spacing::kBraceOpen; }

bool SpaceBetween(Spacing prev, Spacing next) {
  if (next == Spacing::kClose || next == Spacing::kPostfix || next == Spacing::kTight || next == Spacing::kCallOpen)
    return false;
  if (prev == Spacing::kTight || prev == Spacing::kPrefix || prev == Spacing::kOpen || prev == Spacing::kCallOpen)
    return false;
  return !(prev == Spacing::kBraceOpen && next == Spacing::kBraceClose);
}

class Formatter {
 public:
  Formatter(std::string_view text, const std::vector<LayoutToken>& tokens) : text_(text), tokens_(tokens) {}

  /// Whether the scan met something it cannot place (then Run's text is
  /// not to be used).
  bool broken() const { return broken_; }

  std::string Run() {
    uint32_t pos = 0;
    for (const LayoutToken& t : tokens_) {
      int newlines = Gap(pos, t.range.begin, &t);
      Token(t, newlines);
      indents_.push_back(line_indent_);
      pos = t.range.end;
    }
    Gap(pos, static_cast<uint32_t>(text_.size()), nullptr);
    if (started_) out_ += '\n';
    return std::move(out_);
  }

 private:
  struct Opener {
    uint32_t offset;
    int indent;  // of the line the opener is on
    bool brace;
  };

  // Emits the comments between two tokens (or after the last, when `next`
  // is null); returns the newlines between the last comment (or token) and
  // `next`.
  int Gap(uint32_t begin, uint32_t end, const LayoutToken* next) {
    int newlines = 0;
    for (uint32_t k = begin; k < end;) {
      char c = text_[k];
      if (c == '\n' || (c == '\r' && (k + 1 >= end || text_[k + 1] != '\n'))) {
        ++newlines;  // LF, CRLF (counted at its LF) or a lone CR, as the lexer reads them
        ++k;
      } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f') {
        ++k;
      } else {
        if (text_.substr(k, 2) != "//" && text_.substr(k, 2) != "/*") {
          broken_ = true;  // the lexer and this scan disagree: Format refuses
          return newlines;
        }
        // A line comment ends at CR or LF, as the lexer's LINE_COMMENT does.
        size_t stop = text_[k + 1] == '/' ? text_.find_first_of("\r\n", k) : text_.find("*/", k + 2);
        stop = stop == std::string_view::npos ? end : text_[k + 1] == '/' ? stop : stop + 2;
        std::string_view comment = text_.substr(k, std::min<size_t>(stop, end) - k);
        while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\t' || comment.back() == '\r'))
          comment.remove_suffix(1);
        Comment(comment, newlines, next);
        newlines = 0;
        k = static_cast<uint32_t>(std::min<size_t>(stop, end));
      }
    }
    return newlines;
  }

  void Comment(std::string_view comment, int newlines, const LayoutToken* next) {
    if (started_ && newlines == 0) {
      out_ += ' ';
    } else {
      int indent = next == nullptr ? 0 : IsCloser(next->spacing) ? ContentIndent() : IndentFor(*next);
      NewLine(newlines, indent);
    }
    out_.append(comment);
    prev_ = Spacing::kWord;
  }

  void Token(const LayoutToken& t, int newlines) {
    bool closer = IsCloser(t.spacing);
    if (!started_ || newlines > 0) {
      NewLine(newlines, closer ? openers_.back().indent : IndentFor(t));
    } else if (SpaceBetween(prev_, t.spacing)) {
      out_ += ' ';
    }
    if (closer && !openers_.empty()) openers_.pop_back();
    out_.append(text_.substr(t.range.begin, t.range.end - t.range.begin));
    if (IsOpener(t.spacing)) {
      // A block is indented from the line of the keyword introducing it.
      int indent = t.anchor >= 0 && static_cast<size_t>(t.anchor) < indents_.size() ? indents_[t.anchor] : line_indent_;
      openers_.push_back({t.range.begin, indent, t.spacing == Spacing::kBraceOpen});
    }
    prev_ = t.spacing;
  }

  // Starts a line after `newlines` line breaks: every line break is the
  // author's, so a line keeps its number (and a step its id, `wait@31`).
  void NewLine(int newlines, int indent) {
    out_.append(static_cast<size_t>(newlines), '\n');
    out_.append(static_cast<size_t>(indent), ' ');
    line_indent_ = indent;
    started_ = true;
  }

  int ContentIndent() const { return openers_.empty() ? 0 : openers_.back().indent + 2; }

  // The indent of a line starting with `t`: the level of the innermost
  // opener, plus one level per statement that `t` continues (inside braces
  // or at the top of the file; inside brackets every line is an element).
  int IndentFor(const LayoutToken& t) const {
    int indent = ContentIndent();
    if (!openers_.empty() && !openers_.back().brace) return indent;
    uint32_t after = openers_.empty() ? 0 : openers_.back().offset + 1;
    int continued = 0;
    for (uint32_t s : t.statements) continued += s >= after && s < t.range.begin;
    // `else` lines up with its `if`, whose statement it belongs to.
    if (continued > 0 && text_.substr(t.range.begin, t.range.end - t.range.begin) == "else") --continued;
    return indent + 2 * continued;
  }

  std::string_view text_;
  const std::vector<LayoutToken>& tokens_;
  std::string out_;
  std::vector<Opener> openers_;
  int line_indent_ = 0;
  std::vector<int> indents_;  // per token: the indent of its line
  Spacing prev_ = Spacing::kWord;
  bool started_ = false;
  bool broken_ = false;
};

}  // namespace

std::optional<std::string> Format(const Source& source, DiagnosticSink& sink) {
  auto tokens = ParseLayout(source, sink);
  if (!tokens) return std::nullopt;
  Formatter formatter(source.text(), *tokens);
  std::string out = formatter.Run();
  // A formatter that changed a token would corrupt the file: compare, and
  // refuse (leaving the file as it is) rather than write a different program.
  Source formatted(source.path(), out);
  DiagnosticSink again;
  auto check = ParseLayout(formatted, again);
  bool same = check && check->size() == tokens->size();
  for (size_t i = 0; same && i < tokens->size(); ++i) {
    const SourceRange& a = (*tokens)[i].range;
    const SourceRange& b = (*check)[i].range;
    same = source.text().substr(a.begin, a.end - a.begin) == formatted.text().substr(b.begin, b.end - b.begin);
  }
  if (!same || formatter.broken()) {
    sink.Error(Code::kCannotFormat, {&source, {0, 0}},
               "tutti fmt could not lay this file out without changing it (a bug in the formatter; "
               "please report it); the file is left as it is");
    return std::nullopt;
  }
  return out;
}

}  // namespace tutti::compiler
