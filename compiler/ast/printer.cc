// Printing the AST back as text: DebugString (fully parenthesised, for
// tests), ToSource (CEL's precedence, minimal parentheses, for diagrams and
// messages), Message::Display and StepKeyword. OpSpelling lives in op.cc.
//
// Both expression renderings write literals in a form the parser reads back
// to the same value: strings quoted with escapes, `5u`, `b"\x00"`, doubles
// always with a `.` or an exponent, durations largest unit first (`1h30m`).

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <type_traits>

#include "compiler/ast/decl.h"
#include "compiler/ast/expr.h"
#include "compiler/ast/step.h"

namespace tutti::compiler::ast {
namespace {

// A selected field as written: plain when it is a name, else in CEL's
// backtick form (`content-type`).
std::string FieldName(const std::string& name) {
  bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) plain &= std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  return plain ? name : "`" + name + "`";
}

// CEL's precedence levels, loosest first.
enum Precedence {
  kConditionalLevel = 1,  // c ? a : b   (right-associative)
  kOrLevel,               // ||
  kAndLevel,              // &&
  kRelationLevel,         // < <= > >= == != in
  kAdditiveLevel,         // + -
  kMultiplicativeLevel,   // * / %
  kUnaryLevel,            // ! -   (and negative number literals)
  kMemberLevel,           // a.b a.f() a[i], primaries
};

int BinaryLevel(Op op) {
  switch (op) {
    case Op::kOr: return kOrLevel;
    case Op::kAnd: return kAndLevel;
    case Op::kEq: case Op::kNe: case Op::kLt: case Op::kLe: case Op::kGt: case Op::kGe:
    case Op::kIn: return kRelationLevel;
    case Op::kAdd: case Op::kSub: return kAdditiveLevel;
    case Op::kMul: case Op::kDiv: case Op::kMod: return kMultiplicativeLevel;
    case Op::kNone: case Op::kNot: case Op::kNegate: break;
  }
  return kMemberLevel;
}

// A literal that prints with a leading '-' binds like a unary operator:
// `(-1).f()` needs its parentheses.
bool IsNegativeNumber(const Literal& lit) {
  if (auto* i = std::get_if<int64_t>(&lit)) return *i < 0;
  if (auto* d = std::get_if<double>(&lit)) return std::isfinite(*d) && std::signbit(*d);
  if (auto* dur = std::get_if<Duration>(&lit)) return dur->millis < 0;
  return false;
}

int LevelOf(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kConditional: return kConditionalLevel;
    case ExprKind::kBinary: return BinaryLevel(e.op);
    case ExprKind::kUnary: return kUnaryLevel;
    case ExprKind::kLiteral: return IsNegativeNumber(e.literal) ? kUnaryLevel : kMemberLevel;
    default: return kMemberLevel;
  }
}

void AppendHex(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02X", c);
  out += buf;
}

// A quoted CEL string or bytes body. Strings keep UTF-8 as is; bytes write
// every non-ASCII byte as \xHH (in a bytes literal that is one byte).
std::string Quote(const std::string& text, bool bytes) {
  std::string out = bytes ? "b\"" : "\"";
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) AppendHex(out, c);
        else out += ch;
    }
  }
  out += '"';
  return out;
}

// The shortest text that reads back as the same double, always with a '.'
// or an exponent so that it stays a double. CEL has no literal for the
// non-finite values; they print as the conversion that produces them.
std::string DoubleText(double d) {
  if (std::isnan(d)) return "double(\"NaN\")";
  if (std::isinf(d)) return d > 0 ? "double(\"Infinity\")" : "double(\"-Infinity\")";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string out(buf, end);
  if (out.find_first_of(".e") == std::string::npos) out += ".0";
  return out;
}

// `7d`, `1h30m`, `500ms`, `0s`: days, hours, minutes, seconds and
// milliseconds, largest first, zero units left out.
std::string DurationText(Duration d) {
  if (d.millis == 0) return "0s";
  std::string out = d.millis < 0 ? "-" : "";
  // The magnitude as unsigned, so that INT64_MIN does not overflow.
  uint64_t rest = d.millis < 0 ? 0 - static_cast<uint64_t>(d.millis)
                               : static_cast<uint64_t>(d.millis);
  struct Unit {
    uint64_t millis;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  for (const Unit& unit : kUnits) {
    if (rest < unit.millis) continue;
    out += std::to_string(rest / unit.millis) + unit.suffix;
    rest %= unit.millis;
  }
  return out;
}

std::string LiteralText(const Literal& lit) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, NullValue>) return "null";
        else if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(v);
        else if constexpr (std::is_same_v<T, uint64_t>) return std::to_string(v) + "u";
        else if constexpr (std::is_same_v<T, double>) return DoubleText(v);
        else if constexpr (std::is_same_v<T, std::string>) return Quote(v, false);
        else if constexpr (std::is_same_v<T, Bytes>) return Quote(v.data, true);
        else return DurationText(v);
      },
      lit);
}

// One printer for both renderings. With `full`, every unary, binary and
// conditional expression is parenthesised; without, only those whose
// precedence requires it.
class ExprPrinter {
 public:
  explicit ExprPrinter(bool full) : full_(full) {}

  std::string Print(const Expr& e) {
    out_.clear();
    Visit(e);
    return std::move(out_);
  }

 private:
  void Visit(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        out_ += LiteralText(e.literal);
        return;
      case ExprKind::kIdent:
        if (e.leading_dot) out_ += '.';
        out_ += e.name.text;
        return;
      case ExprKind::kSelect:
        Target(e);
        out_ += FieldName(e.name.text);
        return;
      case ExprKind::kHas:
        out_ += "has(";
        List(e.args);
        out_ += ')';
        return;
      case ExprKind::kCall:
        if (e.target) Target(e);
        else if (e.leading_dot) out_ += '.';
        out_ += e.name.text;
        out_ += '(';
        List(e.args);
        out_ += ')';
        return;
      case ExprKind::kMacro:
        Target(e);
        out_ += e.name.text;
        out_ += '(';
        out_ += e.var.text;
        for (const auto& arg : e.args) {
          out_ += ", ";
          Visit(*arg);
        }
        out_ += ')';
        return;
      case ExprKind::kIndex:
        Operand(*e.target, kMemberLevel);
        out_ += '[';
        List(e.args);
        out_ += ']';
        return;
      case ExprKind::kList:
        out_ += '[';
        List(e.args);
        out_ += ']';
        return;
      case ExprKind::kMap:
        out_ += '{';
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          if (i > 0) out_ += ", ";
          Visit(*e.args[i]);
          out_ += ": ";
          Visit(*e.args[i + 1]);
        }
        out_ += '}';
        return;
      case ExprKind::kUnary:
        Unary(e);
        return;
      case ExprKind::kBinary:
        Binary(e);
        return;
      case ExprKind::kConditional:
        Conditional(e);
        return;
    }
  }

  // `target.` for selects, receiver calls and macros.
  void Target(const Expr& e) {
    Operand(*e.target, kMemberLevel);
    out_ += '.';
  }

  void List(const std::vector<ExprPtr>& items) {
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += ", ";
      Visit(*items[i]);
    }
  }

  // Whether `e` prints its own parentheses (in the full rendering).
  bool SelfParenthesised(const Expr& e) const {
    return full_ && (e.kind == ExprKind::kUnary || e.kind == ExprKind::kBinary ||
                     e.kind == ExprKind::kConditional);
  }

  // Prints `e`, in parentheses when it binds looser than `min_level`.
  void Operand(const Expr& e, int min_level) {
    bool parens = !SelfParenthesised(e) && LevelOf(e) < min_level;
    if (parens) out_ += '(';
    Visit(e);
    if (parens) out_ += ')';
  }

  // The grammar puts a member after `!` or `-`; besides that, only a run of
  // the same operator (`!!a`, `--a`) and a negative number after `-`
  // (`--1`) go without parentheses.
  void Unary(const Expr& e) {
    if (full_) out_ += '(';
    out_ += OpSpelling(e.op);
    const Expr& operand = *e.target;
    bool bare = LevelOf(operand) == kMemberLevel || SelfParenthesised(operand) ||
                (operand.kind == ExprKind::kUnary && operand.op == e.op) ||
                (operand.kind == ExprKind::kLiteral && e.op == Op::kNegate);
    if (!bare) out_ += '(';
    Visit(operand);
    if (!bare) out_ += ')';
    if (full_) out_ += ')';
  }

  // Relations and arithmetic are left-associative: the right operand needs
  // parentheses at the same level. `&&` and `||` are associative, so a
  // chain prints flat however the parser balanced it.
  void Binary(const Expr& e) {
    int level = BinaryLevel(e.op);
    bool associative = e.op == Op::kAnd || e.op == Op::kOr;
    if (full_) out_ += '(';
    Operand(*e.args[0], full_ ? 0 : level);
    out_ += ' ';
    out_ += OpSpelling(e.op);
    out_ += ' ';
    Operand(*e.args[1], full_ ? 0 : (associative ? level : level + 1));
    if (full_) out_ += ')';
  }

  // cond=conditionalOr '?' then=conditionalOr ':' otherwise=expr
  void Conditional(const Expr& e) {
    if (full_) out_ += '(';
    Operand(*e.args[0], full_ ? 0 : kOrLevel);
    out_ += " ? ";
    Operand(*e.args[1], full_ ? 0 : kOrLevel);
    out_ += " : ";
    Visit(*e.args[2]);
    if (full_) out_ += ')';
  }

  bool full_;
  std::string out_;
};

}  // namespace

std::string DebugString(const Expr& e) { return ExprPrinter(/*full=*/true).Print(e); }

std::string ToSource(const Expr& e) { return ExprPrinter(/*full=*/false).Print(e); }

std::string Message::Display() const {
  std::string out;
  for (const MessagePart& part : parts) {
    if (part.expr) out += "{" + ToSource(*part.expr) + "}";
    else out += part.text;
  }
  return out;
}

const char* StepKeyword(StepKind kind) {
  switch (kind) {
    case StepKind::kSend: return "send";
    case StepKind::kTask: return "task";
    case StepKind::kWaitDuration:
    case StepKind::kWaitTimeOfDay:
    case StepKind::kWaitUntil:
    case StepKind::kWaitEvent: return "wait";
    case StepKind::kIf: return "if";
    case StepKind::kChoose:
    case StepKind::kChooseBest: return "choose";
    case StepKind::kSplit: return "split";
    case StepKind::kStart: return "start";
    case StepKind::kEmit: return "emit";
    case StepKind::kLet: return "let";
    case StepKind::kSet: return "set";
    case StepKind::kEnd: return "end";
  }
  return "step";
}

}  // namespace tutti::compiler::ast
