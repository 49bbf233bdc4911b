// The expression half of AstBuilder: CEL's grammar rules, loosest first.

#include <cmath>
#include <cstdlib>
#include <limits>

#include "compiler/parse/ast_builder.h"
#include "compiler/parse/literals.h"

namespace tutti::compiler::internal {

using TP = tutti_grammar::TuttiParser;

namespace {

ast::ExprPtr MakeExpr(ast::ExprKind kind, SourceRange range) {
  auto e = std::make_unique<ast::Expr>();
  e->kind = kind;
  e->range = range;
  return e;
}

bool IsMacroName(const std::string& name) {
  return name == "all" || name == "exists" || name == "exists_one" || name == "map" ||
         name == "filter";
}

ast::Op RelationOp(size_t type) {
  switch (type) {
    case TP::LT: return ast::Op::kLt;
    case TP::LE: return ast::Op::kLe;
    case TP::GT: return ast::Op::kGt;
    case TP::GE: return ast::Op::kGe;
    case TP::EQ: return ast::Op::kEq;
    case TP::NE: return ast::Op::kNe;
    case TP::IN: return ast::Op::kIn;
    case TP::STAR: return ast::Op::kMul;
    case TP::SLASH: return ast::Op::kDiv;
    case TP::PERCENT: return ast::Op::kMod;
    case TP::PLUS: return ast::Op::kAdd;
    case TP::MINUS: return ast::Op::kSub;
    default: return ast::Op::kNone;
  }
}

}  // namespace

ast::ExprPtr AstBuilder::Binary(ast::Op op, ast::ExprPtr lhs, ast::ExprPtr rhs,
                                SourceRange range) {
  auto e = MakeExpr(ast::ExprKind::kBinary, range);
  e->op = op;
  e->args.push_back(std::move(lhs));
  e->args.push_back(std::move(rhs));
  return e;
}

/// expr : cond=conditionalOr ('?' then=conditionalOr ':' otherwise=expr)?
ast::ExprPtr AstBuilder::BuildExpr(TP::ExprContext* ctx) {
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  auto cond = BuildOr(ctx->cond);
  if (ctx->then == nullptr) return cond;
  auto e = MakeExpr(ast::ExprKind::kConditional, range);
  e->args.push_back(std::move(cond));
  e->args.push_back(BuildOr(ctx->then));
  e->args.push_back(BuildExpr(ctx->otherwise));
  return e;
}

/// conditionalOr : conditionalAnd (('||' | OR) conditionalAnd)*
/// A chain `a || b || c` becomes a balanced tree, so that a long chain does
/// not become a deep one.
ast::ExprPtr AstBuilder::BuildOr(TP::ConditionalOrContext* ctx) {
  std::vector<ast::ExprPtr> terms;
  for (auto* and_ctx : ctx->conditionalAnd()) terms.push_back(BuildAnd(and_ctx));
  while (terms.size() > 1) {
    std::vector<ast::ExprPtr> next;
    for (size_t i = 0; i + 1 < terms.size(); i += 2) {
      SourceRange r{terms[i]->range.begin, terms[i + 1]->range.end};
      next.push_back(Binary(ast::Op::kOr, std::move(terms[i]), std::move(terms[i + 1]), r));
    }
    if (terms.size() % 2) next.push_back(std::move(terms.back()));
    terms = std::move(next);
  }
  return std::move(terms[0]);
}

/// conditionalAnd : relation (('&&' | AND) relation)*
ast::ExprPtr AstBuilder::BuildAnd(TP::ConditionalAndContext* ctx) {
  std::vector<ast::ExprPtr> terms;
  for (auto* rel : ctx->relation()) terms.push_back(BuildRelation(rel));
  while (terms.size() > 1) {
    std::vector<ast::ExprPtr> next;
    for (size_t i = 0; i + 1 < terms.size(); i += 2) {
      SourceRange r{terms[i]->range.begin, terms[i + 1]->range.end};
      next.push_back(Binary(ast::Op::kAnd, std::move(terms[i]), std::move(terms[i + 1]), r));
    }
    if (terms.size() % 2) next.push_back(std::move(terms.back()));
    terms = std::move(next);
  }
  return std::move(terms[0]);
}

/// relation : calc | relation op relation
ast::ExprPtr AstBuilder::BuildRelation(TP::RelationContext* ctx) {
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  if (ctx->calc()) return BuildCalc(ctx->calc());
  auto operands = ctx->relation();
  return Binary(RelationOp(ctx->op->getType()), BuildRelation(operands[0]),
                BuildRelation(operands[1]), range);
}

/// calc : unary | calc ('*' | '/' | '%') calc | calc ('+' | '-') calc
ast::ExprPtr AstBuilder::BuildCalc(TP::CalcContext* ctx) {
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  if (ctx->unary()) return BuildUnary(ctx->unary());
  auto operands = ctx->calc();
  return Binary(RelationOp(ctx->op->getType()), BuildCalc(operands[0]), BuildCalc(operands[1]),
                range);
}

/// unary : member | ('!' | NOT)+ member | '-'+ member
ast::ExprPtr AstBuilder::BuildUnary(TP::UnaryContext* ctx) {
  SourceRange range = Range(ctx);
  if (auto* m = dynamic_cast<TP::MemberExprContext*>(ctx)) return BuildMember(m->member());
  std::vector<antlr4::Token*> ops;
  TP::MemberContext* operand = nullptr;
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  ast::Op op = ast::Op::kNot;
  if (auto* n = dynamic_cast<TP::LogicalNotContext*>(ctx)) {
    ops = n->ops;
    operand = n->member();
    if (ops.size() > limits_.max_expr_depth) throw TooDeep{range};
  } else if (auto* n = dynamic_cast<TP::NegateContext*>(ctx)) {
    ops = n->ops;
    operand = n->member();
    op = ast::Op::kNegate;
    if (ops.size() > limits_.max_expr_depth) throw TooDeep{range};
    // `-9223372036854775808` and `-1.5` are literals, as in CEL.
    auto* primary = dynamic_cast<TP::PrimaryExprContext*>(operand);
    auto* lit = primary ? dynamic_cast<TP::LiteralExprContext*>(primary->primary()) : nullptr;
    if (lit && (lit->literal()->INT() || lit->literal()->DOUBLE() ||
                lit->literal()->DURATION())) {
      auto inner = BuildLiteral(lit->literal(), true);
      inner->range.begin = Range(ops.back()).begin;
      for (size_t i = 1; i < ops.size(); ++i) {
        auto e = MakeExpr(ast::ExprKind::kUnary, {Range(ops[ops.size() - 1 - i]).begin, range.end});
        e->op = op;
        e->target = std::move(inner);
        inner = std::move(e);
      }
      return inner;
    }
  }
  auto inner = BuildMember(operand);
  for (size_t i = 0; i < ops.size(); ++i) {
    auto e = MakeExpr(ast::ExprKind::kUnary, {Range(ops[ops.size() - 1 - i]).begin, range.end});
    e->op = op;
    e->target = std::move(inner);
    inner = std::move(e);
  }
  return inner;
}

/// member : primary | member '.' field | member '.' method '(' args ')' | member '[' index ']'
ast::ExprPtr AstBuilder::BuildMember(TP::MemberContext* ctx) {
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  if (auto* p = dynamic_cast<TP::PrimaryExprContext*>(ctx)) return BuildPrimary(p->primary());
  if (auto* s = dynamic_cast<TP::SelectContext*>(ctx)) {
    auto e = MakeExpr(ast::ExprKind::kSelect, range);
    e->target = BuildMember(s->member());
    e->name = BuildName(s->field);
    if (s->field->ESCAPED_IDENT()) e->name.text = e->name.text.substr(1, e->name.text.size() - 2);
    return e;
  }
  if (auto* m = dynamic_cast<TP::MethodCallContext*>(ctx)) {
    return BuildCall(range, BuildMember(m->member()), BuildName(m->method), m->args);
  }
  auto* i = dynamic_cast<TP::IndexExprContext*>(ctx);
  auto e = MakeExpr(ast::ExprKind::kIndex, range);
  e->target = BuildMember(i->member());
  e->args.push_back(BuildExpr(i->index));
  return e;
}

std::vector<ast::ExprPtr> AstBuilder::BuildList(TP::ExprListContext* ctx) {
  std::vector<ast::ExprPtr> out;
  if (ctx == nullptr) return out;
  for (auto* e : ctx->expr()) out.push_back(BuildExpr(e));
  return out;
}

/// A call, with CEL's macros recognised: `has(a.b)`, and the receiver-style
/// `all`, `exists`, `exists_one`, `map` and `filter` whose first argument is
/// a plain name.
ast::ExprPtr AstBuilder::BuildCall(SourceRange range, ast::ExprPtr target, ast::Name name,
                                   TP::ExprListContext* args_ctx) {
  auto args = BuildList(args_ctx);
  if (!target && name.text == "has" && args.size() == 1 &&
      args[0]->kind == ast::ExprKind::kSelect) {
    auto e = MakeExpr(ast::ExprKind::kHas, range);
    e->name = std::move(name);
    e->args = std::move(args);
    return e;
  }
  if (target && IsMacroName(name.text) && !args.empty() &&
      args[0]->kind == ast::ExprKind::kIdent && !args[0]->leading_dot) {
    if (args.size() == 2 || (name.text == "map" && args.size() == 3)) {
      auto e = MakeExpr(ast::ExprKind::kMacro, range);
      e->name = std::move(name);
      e->var = args[0]->name;
      e->target = std::move(target);
      for (size_t i = 1; i < args.size(); ++i) e->args.push_back(std::move(args[i]));
      return e;
    }
  }
  auto e = MakeExpr(ast::ExprKind::kCall, range);
  e->name = std::move(name);
  e->target = std::move(target);
  e->args = std::move(args);
  return e;
}

/// primary : '.'? ident | '.'? ident '(' args ')' | '(' expr ')' | list | map | literal
ast::ExprPtr AstBuilder::BuildPrimary(TP::PrimaryContext* ctx) {
  SourceRange range = Range(ctx);
  DepthGuard guard(depth_, limits_.max_expr_depth, range);
  if (auto* id = dynamic_cast<TP::IdentExprContext*>(ctx)) {
    auto e = MakeExpr(ast::ExprKind::kIdent, range);
    e->name = BuildName(id->name);
    e->leading_dot = id->leadingDot != nullptr;
    return e;
  }
  if (auto* call = dynamic_cast<TP::CallExprContext*>(ctx)) {
    auto e = BuildCall(range, nullptr, BuildName(call->name), call->args);
    e->leading_dot = call->leadingDot != nullptr;
    return e;
  }
  if (auto* p = dynamic_cast<TP::ParensContext*>(ctx)) {
    auto e = BuildExpr(p->inner);
    return e;
  }
  if (auto* l = dynamic_cast<TP::ListLiteralContext*>(ctx)) {
    auto e = MakeExpr(ast::ExprKind::kList, range);
    e->args = BuildList(l->elems);
    return e;
  }
  if (auto* m = dynamic_cast<TP::MapLiteralContext*>(ctx)) {
    auto e = MakeExpr(ast::ExprKind::kMap, range);
    if (m->entries) {
      for (auto* entry : m->entries->mapEntry()) {
        e->args.push_back(BuildExpr(entry->key));
        e->args.push_back(BuildExpr(entry->value));
      }
    }
    return e;
  }
  auto* lit = dynamic_cast<TP::LiteralExprContext*>(ctx);
  return BuildLiteral(lit->literal(), false);
}

/// literal : INT | UINT | DOUBLE | STRING | BYTES | DURATION | TRUE | FALSE | NUL
ast::ExprPtr AstBuilder::BuildLiteral(TP::LiteralContext* ctx, bool negated) {
  SourceRange range = Range(ctx);
  auto e = MakeExpr(ast::ExprKind::kLiteral, range);
  std::string text = ctx->getText();
  if (ctx->INT()) {
    uint64_t v = 0;
    std::string err = internal::ParseUnsigned(text, &v);
    uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + (negated ? 1 : 0);
    if (!err.empty() || v > limit) {
      Error(Code::kBadLiteral, range, "integer literal is out of the 64-bit range; add a 'u' for an unsigned number or use a decimal");
      v = 0;
    }
    e->literal = negated ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  } else if (ctx->UINT()) {
    uint64_t v = 0;
    std::string err = internal::ParseUnsigned(text.substr(0, text.size() - 1), &v);
    if (!err.empty()) Error(Code::kBadLiteral, range, "unsigned literal is out of the 64-bit range");
    e->literal = v;
  } else if (ctx->DOUBLE()) {
    double d = std::strtod(text.c_str(), nullptr);
    e->literal = negated ? -d : d;
  } else if (ctx->STRING() || ctx->BYTES()) {
    std::string out;
    bool bytes = false;
    size_t at = 0;
    std::string err = internal::DecodeQuoted(text, &out, &bytes, &at);
    if (!err.empty()) {
      uint32_t b = range.begin + static_cast<uint32_t>(at);
      Error(Code::kBadLiteral, {b, std::min(range.end, b + 2)}, err);
    }
    if (bytes) e->literal = ast::Bytes{std::move(out)};
    else e->literal = std::move(out);
  } else if (ctx->DURATION()) {
    int64_t ms = 0;
    std::string err = internal::ParseDuration(text, &ms);
    if (!err.empty()) Error(Code::kBadLiteral, range, err);
    e->literal = ast::Duration{negated ? -ms : ms};
  } else if (ctx->TRUE()) {
    e->literal = true;
  } else if (ctx->FALSE()) {
    e->literal = false;
  } else {
    e->literal = ast::NullValue{};
  }
  return e;
}

}  // namespace tutti::compiler::internal
