// Whole-program policy rules: the contact policy is company-wide (every
// policy of the program holds every journey's sends), so a program can lose
// it without any file being wrong: forget `import "std/policy"` and every
// cap, quiet hour and consent rule is gone. These are warnings at the sends
// sends they concern.

#include <set>

#include "compiler/check/file_checker.h"

namespace tutti::compiler::internal {

void CheckPolicyCoverage(const Program& program, const std::vector<JourneyFacts>& facts, DiagnosticSink& sink) {
  bool any_policy = false;
  bool requires_consent = false;
  for (const auto& file : program.files) {
    // A file with syntax errors may have lost its policy: nothing to judge.
    if (!file->ast || file->ast->partial) return;
    for (const ast::PolicyDecl& p : file->ast->policies) {
      any_policy = true;
      for (const ast::PolicyClause& c : p.clauses) requires_consent |= c.kind == ast::PolicyClauseKind::kRequireConsent;
    }
  }
  // No policy at all: one warning, at the first send on a message channel.
  const JourneyFacts::Send* first = nullptr;
  const JourneyFacts* first_in = nullptr;
  std::set<std::string> unguarded;
  for (const JourneyFacts& f : facts) {
    std::set<const ast::ChannelDecl*> told;
    for (const JourneyFacts::Send& send : f.sends) {
      const ast::ChannelDecl& channel = *send.channel;
      bool message = channel.kind && channel.kind->text == "message";
      if (!message) continue;
      if (!any_policy) {
        unguarded.insert(channel.name.text);
        if (first == nullptr) first = &send, first_in = &f;
      } else if (channel.consent && !requires_consent && told.insert(&channel).second) {
        sink.Warning(Code::kConsentNotRequired, {f.file->source.get(), send.at},
                     "channel '" + channel.name.text + "' has the consent topic \"" + channel.consent->text +
                         "\", but no policy requires consent: this sends to customers who have not given it; add "
                         "'require consent' to a policy");
      }
    }
  }
  if (first == nullptr) return;
  std::string channels;
  for (const std::string& c : unguarded) channels += (channels.empty() ? "'" : ", '") + c + "'";
  sink.Warning(Code::kNoPolicy, {first_in->file->source.get(), first->at},
               "no contact policy is in effect: sends on " + channels +
                   " are not capped, not held in quiet hours and not checked for consent; add: import "
                   "\"std/policy\" (or declare a policy)");
}

}  // namespace tutti::compiler::internal
