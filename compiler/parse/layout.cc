#include <algorithm>
#include <unordered_map>

#include "compiler/parse/layout_builder.h"

namespace tutti::compiler::internal {
namespace {

using TP = tutti_grammar::TuttiParser;

// The rules whose text is one statement of the enclosing block, file or
// declaration: their lines after the first are continuations.
bool IsStatement(size_t rule) {
  switch (rule) {
    case TP::RuleImportDecl: case TP::RuleDecl: case TP::RuleFieldDecl: case TP::RuleChannelClause:
    case TP::RulePolicyClause: case TP::RuleJourneyItem: case TP::RuleStep: case TP::RuleWhenArm:
    case TP::RuleOptionArm: case TP::RuleSplitArm: case TP::RuleMigration: case TP::RuleVarInit:
    case TP::RuleMapEntry: case TP::RuleTemplateClause: case TP::RuleContentClause: case TP::RuleTestItem:
      return true;
    default:
      return false;
  }
}

Spacing SpacingOf(antlr4::Token* token, antlr4::ParserRuleContext* parent) {
  size_t rule = parent->getRuleIndex();
  switch (token->getType()) {
    case TP::COLON:
      return rule == TP::RuleTimeOfDay ? Spacing::kTight : rule == TP::RuleExpr ? Spacing::kBinary : Spacing::kPostfix;
    case TP::QUESTION: return rule == TP::RuleExpr ? Spacing::kBinary : Spacing::kPostfix;
    case TP::LT: return rule == TP::RuleTypeRef ? Spacing::kTight : Spacing::kBinary;
    case TP::GT: return rule == TP::RuleTypeRef ? Spacing::kPostfix : Spacing::kBinary;
    case TP::COMMA: case TP::SEMI: return Spacing::kPostfix;
    case TP::MINUS:
      return rule == TP::RuleCalc ? Spacing::kBinary : rule == TP::RulePolicyClause ? Spacing::kTight : Spacing::kPrefix;
    case TP::PERCENT: return rule == TP::RuleSplitArm ? Spacing::kPostfix : Spacing::kBinary;
    case TP::BANG: return Spacing::kPrefix;
    case TP::DOT: return rule == TP::RulePrimary ? Spacing::kPrefix : Spacing::kTight;
    case TP::LPAREN:
      return dynamic_cast<TP::ParensContext*>(parent) != nullptr ? Spacing::kOpen : Spacing::kCallOpen;
    case TP::LBRACKET: return rule == TP::RuleMember ? Spacing::kCallOpen : Spacing::kOpen;
    case TP::RPAREN: case TP::RBRACKET: return Spacing::kClose;
    // A map literal's braces hug their entries, as CEL writes {"a": 1}.
    case TP::LBRACE: return rule == TP::RulePrimary ? Spacing::kOpen : Spacing::kBraceOpen;
    case TP::RBRACE: return rule == TP::RulePrimary ? Spacing::kClose : Spacing::kBraceClose;
    case TP::EQ: case TP::NE: case TP::LE: case TP::GE: case TP::ASSIGN: case TP::ARROW:
    case TP::LOGICAL_AND: case TP::LOGICAL_OR: case TP::PLUS: case TP::STAR: case TP::SLASH:
      return Spacing::kBinary;
    default:
      return Spacing::kWord;
  }
}

class Collector {
 public:
  explicit Collector(const TokenRangeFn& range) : range_(range) {}

  void Walk(antlr4::tree::ParseTree* node) {
    auto* ctx = dynamic_cast<antlr4::ParserRuleContext*>(node);
    if (ctx == nullptr) return;
    bool statement = IsStatement(ctx->getRuleIndex()) && ctx->getStart() != nullptr;
    // A field's documentation string leads in: the field starts at its name.
    antlr4::Token* start = ctx->getStart();
    if (auto* field = dynamic_cast<TP::FieldDeclContext*>(ctx); field && field->name) start = field->name->getStart();
    if (statement) pushed_.push_back(Push(range_(start).begin));
    // `otherwise -> step` is an arm like `when ...`, though no rule of its own.
    bool otherwise_arm = false;
    for (antlr4::tree::ParseTree* child : ctx->children) {
      if (auto* leaf = dynamic_cast<antlr4::tree::TerminalNode*>(child)) {
        antlr4::Token* token = leaf->getSymbol();
        if (token->getType() == antlr4::Token::EOF) continue;
        if (token->getType() == TP::OTHERWISE && ctx->getRuleIndex() == TP::RulePlainStep) {
          otherwise_arm = Push(range_(token).begin);
        } else if (otherwise_arm && token->getType() == TP::RBRACE) {
          open_.pop_back();
          otherwise_arm = false;
        }
        index_[token] = static_cast<int>(tokens_.size());
        tokens_.push_back({range_(token), SpacingOf(token, ctx), open_});
        if (tokens_.back().spacing == Spacing::kBraceOpen) tokens_.back().anchor = Anchor(ctx, child);
      } else {
        Walk(child);
      }
    }
    if (otherwise_arm) open_.pop_back();
    if (statement && pushed_.back()) open_.pop_back();
    if (statement) pushed_.pop_back();
  }

  std::vector<LayoutToken> Take() { return std::move(tokens_); }

 private:
  // The last token before `child` among the terminals of its rule, or of
  // the rules enclosing it when it comes first (a `block` after `timeout`).
  int Anchor(antlr4::ParserRuleContext* ctx, antlr4::tree::ParseTree* child) {
    for (antlr4::tree::ParseTree* node = child; ctx != nullptr;
         node = ctx, ctx = dynamic_cast<antlr4::ParserRuleContext*>(ctx->parent)) {
      auto at = std::find(ctx->children.begin(), ctx->children.end(), node);
      while (at != ctx->children.begin()) {
        --at;
        if (auto* leaf = dynamic_cast<antlr4::tree::TerminalNode*>(*at)) {
          auto it = index_.find(leaf->getSymbol());
          return it == index_.end() ? -1 : it->second;
        }
      }
    }
    return -1;
  }

  // Opens a statement at `offset` unless one already starts there (a
  // journey item and its step); returns whether it did.
  bool Push(uint32_t offset) {
    bool fresh = open_.empty() || open_.back() != offset;
    if (fresh) open_.push_back(offset);
    return fresh;
  }

  const TokenRangeFn& range_;
  std::vector<uint32_t> open_;
  std::vector<bool> pushed_;
  std::vector<LayoutToken> tokens_;
  std::unordered_map<antlr4::Token*, int> index_;
};

}  // namespace

std::vector<LayoutToken> BuildLayout(TP::ProgramContext* tree, const TokenRangeFn& range) {
  Collector collector(range);
  collector.Walk(tree);
  return collector.Take();
}

}  // namespace tutti::compiler::internal
