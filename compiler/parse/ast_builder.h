#pragma once
// Builds our AST from an ANTLR parse tree that has no syntax errors. Checks
// the things the grammar cannot (literal ranges, escapes, a duration written
// as a bare number) and reports them as diagnostics.

#include <functional>
#include <memory>
#include <string_view>

#include "TuttiParser.h"
#include "compiler/ast/decl.h"
#include "compiler/parse/parse.h"
#include "compiler/parse/syntax_errors.h"

namespace tutti::compiler::internal {

/// Parses the text of an interpolation `{...}` that starts at byte `offset`
/// of the source. Returns null after reporting an error.
using SubExpressionFn = std::function<ast::ExprPtr(uint32_t offset, std::string_view text)>;

/// Thrown inside the builder when an expression nests deeper than the
/// limit; the parse pass reports it and drops the file's AST.
struct TooDeep {
  SourceRange range;
};

/// Counts nesting while building, so that pathological input ends with a
/// diagnostic instead of a stack overflow here or in a later pass.
class DepthGuard {
 public:
  DepthGuard(size_t& depth, size_t limit, SourceRange range) : depth_(depth) {
    if (++depth_ > limit) {
      --depth_;
      throw TooDeep{range};
    }
  }
  ~DepthGuard() { --depth_; }

 private:
  size_t& depth_;
};

class AstBuilder {
 public:
  AstBuilder(const Source& source, DiagnosticSink& sink, TokenRangeFn token_range,
             SubExpressionFn sub_expression, const ParseLimits& limits)
      : source_(source), sink_(sink), token_range_(std::move(token_range)),
        sub_expression_(std::move(sub_expression)), limits_(limits) {}

  /// The file's AST. `partial`: the tree holds syntax errors, recovered
  /// from; only the declarations without any are built (and no expression
  /// of theirs reports an error), the others are named in `left_out`.
  std::unique_ptr<ast::File> BuildFile(tutti_grammar::TuttiParser::ProgramContext* ctx, bool partial = false);
  ast::ExprPtr BuildExpr(tutti_grammar::TuttiParser::ExprContext* ctx);

 private:
  using TP = tutti_grammar::TuttiParser;

  SourceRange Range(antlr4::ParserRuleContext* ctx) const;
  SourceRange Range(antlr4::Token* token) const { return token_range_(token); }
  SourceRange Range(antlr4::tree::TerminalNode* node) const;
  ast::Name BuildName(antlr4::ParserRuleContext* ctx) const;
  void Error(Code code, SourceRange at, std::string message);

  // Declarations.
  ast::EventDecl BuildEvent(TP::EventDeclContext* ctx);
  ast::ProfileDecl BuildProfile(TP::ProfileDeclContext* ctx);
  std::vector<ast::FieldDecl> BuildFields(TP::FieldDeclsContext* ctx);
  ast::TypeRef BuildType(TP::TypeRefContext* ctx);
  ast::ChannelDecl BuildChannel(TP::ChannelDeclContext* ctx);
  ast::PolicyDecl BuildPolicy(TP::PolicyDeclContext* ctx);
  ast::ChannelSet BuildChannelSet(TP::ChannelSetContext* ctx);
  ast::TemplateDecl BuildTemplate(TP::TemplateDeclContext* ctx);
  void BuildContent(TP::ContentClauseContext* ctx, ast::TemplateContent& into);
  ast::TestDecl BuildTest(TP::TestDeclContext* ctx);
  ast::JourneyDecl BuildJourney(TP::JourneyDeclContext* ctx);
  ast::EventPattern BuildPattern(TP::EventPatternContext* ctx);

  // Steps.
  ast::Block BuildBlock(TP::BlockContext* ctx);
  ast::Block BuildBody(TP::BodyContext* ctx);
  /// `LABEL: step` or a plain step.
  std::unique_ptr<ast::Step> BuildStep(TP::StepContext* ctx);
  std::unique_ptr<ast::Step> BuildPlainStep(TP::PlainStepContext* ctx);
  std::unique_ptr<ast::Step> BuildIf(TP::IfChainContext* ctx);
  std::vector<ast::FieldInit> BuildInits(TP::VarInitsContext* ctx);
  ast::DurationLiteral BuildDuration(TP::DurationExprContext* ctx, const char* after);
  ast::DurationLiteral BuildDurationToken(antlr4::Token* token);
  ast::TimeOfDay BuildTimeOfDay(TP::TimeOfDayContext* ctx);
  ast::Message BuildMessage(antlr4::Token* token);
  int64_t BuildInt(antlr4::Token* token);
  std::string BuildString(antlr4::Token* token);

  // Expressions.
  ast::ExprPtr BuildOr(TP::ConditionalOrContext* ctx);
  ast::ExprPtr BuildAnd(TP::ConditionalAndContext* ctx);
  ast::ExprPtr BuildRelation(TP::RelationContext* ctx);
  ast::ExprPtr BuildCalc(TP::CalcContext* ctx);
  ast::ExprPtr BuildUnary(TP::UnaryContext* ctx);
  ast::ExprPtr BuildMember(TP::MemberContext* ctx);
  ast::ExprPtr BuildPrimary(TP::PrimaryContext* ctx);
  ast::ExprPtr BuildLiteral(TP::LiteralContext* ctx, bool negated);
  ast::ExprPtr BuildCall(SourceRange range, ast::ExprPtr target, ast::Name name,
                         TP::ExprListContext* args);
  std::vector<ast::ExprPtr> BuildList(TP::ExprListContext* ctx);
  ast::ExprPtr Binary(ast::Op op, ast::ExprPtr lhs, ast::ExprPtr rhs, SourceRange range);

  const Source& source_;
  DiagnosticSink& sink_;
  TokenRangeFn token_range_;
  SubExpressionFn sub_expression_;
  const ParseLimits& limits_;
  size_t depth_ = 0;
};

}  // namespace tutti::compiler::internal
