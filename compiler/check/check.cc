#include "compiler/check/check.h"

#include <functional>
#include <set>

#include "compiler/check/file_checker.h"

namespace tutti::compiler {

namespace internal {

void FileChecker::Run(std::vector<JourneyFacts>& facts) {
  for (const auto& e : file_.ast->events) CheckEvent(e);
  for (const auto& p : file_.ast->profiles) CheckProfile(p);
  for (const auto& c : file_.ast->channels) CheckChannel(c);
  for (const auto& p : file_.ast->policies) CheckPolicy(p);
  for (const auto& t : file_.ast->templates) CheckTemplate(t);
  std::set<std::string> tests;
  for (const auto& t : file_.ast->tests) CheckTest(t, tests);
  for (const auto& j : file_.ast->journeys) {
    CheckJourney(j, facts);
    ++result_.journeys_checked;
  }
}

}  // namespace internal

CheckResult Check(const Program& program, const BuiltinRegistry& builtins, DiagnosticSink& sink) {
  CheckResult result;
  std::vector<internal::JourneyFacts> facts;
  facts.reserve(1024);
  std::vector<internal::JourneyFacts> all;
  ApprovalRules approvals(program);
  for (const auto& file : program.files) {
    // Skip files that could not be read, or that see one that could not.
    // Files with syntax errors are checked as far as they parsed.
    std::set<const ProgramFile*> seen;
    std::function<bool(const ProgramFile*)> whole = [&](const ProgramFile* f) {
      if (!seen.insert(f).second) return true;
      if (!f->ast) return false;
      for (const ProgramFile* g : f->imports)
        if (!whole(g)) return false;
      return true;
    };
    if (!whole(file.get())) continue;
    internal::Symbols symbols = internal::CollectSymbols(*file, sink);
    std::vector<internal::JourneyFacts> file_facts;
    internal::FileChecker(program, *file, symbols, builtins, approvals, sink, result).Run(file_facts);
    for (auto& f : file_facts) all.push_back(f);
    ++result.files_checked;
  }
  internal::CheckFlows(all, sink);
  internal::CheckPolicyCoverage(program, all, sink);
  // Journeys share one namespace at run time, whoever imports whom.
  std::map<std::string, const internal::JourneyFacts*> journeys;
  for (const auto& f : all) {
    auto [it, inserted] = journeys.emplace(f.journey->name.text, &f);
    if (inserted) continue;
    const Source* first = it->second->file->source.get();
    Diagnostic& d = sink.Error(Code::kDeclaredTwice, {f.file->source.get(), f.journey->name.range},
                               "journey '" + f.journey->name.text + "' is declared twice");
    d.notes.push_back({{first, it->second->journey->name.range}, "first declared here"});
  }
  return result;
}

}  // namespace tutti::compiler
