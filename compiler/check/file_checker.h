#pragma once
// Checks the declarations of one file against what it can see. Schema,
// channel and policy rules are in decl_checker.cc; journeys and their steps
// in journey_checker.cc.

#include <set>

#include "compiler/check/check.h"
#include "compiler/check/expr_checker.h"
#include "compiler/check/symbols.h"
#include "compiler/check/templates.h"

namespace tutti::compiler::internal {

/// What the whole-program checks (start and emit cycles, policy coverage)
/// need to know of a journey.
struct JourneyFacts {
  const ast::JourneyDecl* journey = nullptr;
  const ProgramFile* file = nullptr;
  std::string trigger_event;  // empty: started only by `start`
  struct Edge {
    std::string target;  // a journey (start) or an event (emit)
    SourceRange at;
  };
  std::vector<Edge> starts;
  std::vector<Edge> emits;
  struct Send {
    const ast::ChannelDecl* channel;
    SourceRange at;
  };
  std::vector<Send> sends;  // in the order written
};

class FileChecker {
 public:
  FileChecker(const Program& program, const ProgramFile& file, const Symbols& symbols,
              const BuiltinRegistry& builtins, const ApprovalRules& approvals, DiagnosticSink& sink,
              CheckResult& result)
      : program_(program), file_(file), source_(*file.source), symbols_(symbols), builtins_(builtins),
        approvals_(approvals), sink_(sink), result_(result), exprs_(source_, symbols, builtins, sink, result) {}

  /// Checks every declaration of the file; appends facts about its journeys.
  void Run(std::vector<JourneyFacts>& facts);

 private:
  // decl_checker.cc
  void CheckFields(const std::vector<ast::FieldDecl>& fields, const std::string& what);
  void CheckEvent(const ast::EventDecl& e);
  void CheckProfile(const ast::ProfileDecl& p);
  void CheckChannel(const ast::ChannelDecl& c);
  void CheckPolicy(const ast::PolicyDecl& p);
  void CheckChannelSet(const ast::ChannelSet& set);
  bool CheckWindow(const std::optional<ast::DurationLiteral>& d, const char* what);

  // test_checker.cc
  /// `names`: the tests of the file so far.
  void CheckTest(const ast::TestDecl& t, std::set<std::string>& names);
  void CheckTestFields(const ast::TestItem& item, const Type& record, const std::string& key);

  // template_checker.cc
  void CheckTemplate(const ast::TemplateDecl& t);
  /// The template a send names: declared for its channel, holes that type
  /// in the step's scope, approved where a policy requires it.
  void CheckSendContent(const ast::SendStep& s, const Scope& scope);

  // journey_checker.cc
  struct JourneyContext;
  void CheckJourney(const ast::JourneyDecl& j, std::vector<JourneyFacts>& facts);
  /// Whom journey `j` is for is unknown because a name was (reported as)
  /// unknown: whichever profile its conditions and steps read stands for
  /// the customer (the trigger's binding aside), typed so that it reports
  /// nothing more.
  void DefineUnknownCustomer(Scope& scope, const ast::JourneyDecl& j, const ast::Audience* audience);
  /// Returns true when the block always ends the journey.
  bool CheckBlock(const ast::Block& block, Scope& scope, JourneyContext& ctx);
  bool CheckStep(const ast::Step& step, Scope& scope, JourneyContext& ctx);
  /// `migrate { ... }`: each line moves instances to a labelled step of
  /// this journey (the running version's side is checked at reload).
  void CheckMigrations(const ast::JourneyDecl& j, JourneyContext& ctx);
  void CheckSend(const ast::SendStep& s, Scope& scope, JourneyContext& ctx);
  void CheckTask(const ast::TaskStep& t, Scope& scope, JourneyContext& ctx);
  bool CheckWaitEvent(const ast::WaitEventStep& w, Scope& scope, JourneyContext& ctx);
  void CheckEmit(const ast::EmitStep& e, Scope& scope, JourneyContext& ctx);
  void CheckMessage(const ast::Message& m, const Scope& scope);
  bool CheckDuration(const ast::DurationLiteral& d, const char* what);
  /// Binds the pattern's event in `scope`; checks its condition and that it
  /// can be tied to the journey's customer.
  void CheckPattern(const ast::EventPattern& p, Scope& scope, JourneyContext& ctx,
                    bool needs_correlation, const char* where);

  // Lookups that report unknown names with "did you mean" and import hints.
  const ast::EventDecl* FindEvent(const ast::Name& name);
  const ast::ProfileDecl* FindProfile(const ast::Name& name);
  const ast::ChannelDecl* FindChannel(const ast::Name& name);
  const ast::JourneyDecl* FindJourney(const ast::Name& name);
  void Unknown(const std::string& kind, const ast::Name& name, std::vector<std::string> names);
  Location At(SourceRange r) const { return {&source_, r}; }
  template <typename Decl>
  Location DeclaredAt(const std::map<std::string, Declared<Decl>>& table, const std::string& name) const {
    auto it = table.find(name);
    if (it == table.end()) return {};
    return {it->second.file->source.get(), it->second.decl->name.range};
  }

  const Program& program_;
  const ProgramFile& file_;
  const Source& source_;
  const Symbols& symbols_;
  const BuiltinRegistry& builtins_;
  const ApprovalRules& approvals_;
  DiagnosticSink& sink_;
  CheckResult& result_;
  ExprChecker exprs_;
};

/// Reports journeys that start themselves through a chain of `start`s, and
/// emits that can trigger their own journey again.
void CheckFlows(const std::vector<JourneyFacts>& facts, DiagnosticSink& sink);

/// Warns about sends that no contact policy holds back: a program with no
/// policy at all, and sends on a channel with a consent topic when no
/// policy requires consent.
void CheckPolicyCoverage(const Program& program, const std::vector<JourneyFacts>& facts, DiagnosticSink& sink);

}  // namespace tutti::compiler::internal
