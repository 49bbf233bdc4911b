#include "runtime/engine/journey_set.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "compiler/check/check.h"
#include "compiler/ir/lower.h"
#include "runtime/engine/stable_hash.h"
#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace tutti::runtime {

JourneySet::JourneySet() {
  stdlib::RegisterStandardLibrary(builtins_);
  stdlib::RegisterStandardImplementations(table_);
  functions_ = std::make_unique<compiler::eval::Functions>(builtins_, table_);
}

std::unique_ptr<JourneySet> JourneySet::Load(const std::vector<std::string>& paths, const std::string& stdlib_dir,
                                             compiler::DiagnosticSink& sink) {
  std::unique_ptr<JourneySet> set(new JourneySet());
  set->program_ = compiler::LoadProgram(paths, stdlib_dir, sink);
  if (!set->Build(sink)) return set->Failed(sink);
  return set;
}

std::unique_ptr<JourneySet> JourneySet::FromText(const std::vector<std::pair<std::string, std::string>>& files,
                                                 const std::string& stdlib_dir, compiler::DiagnosticSink& sink) {
  std::unique_ptr<JourneySet> set(new JourneySet());
  set->program_ = compiler::LoadProgramFromText(files, stdlib_dir, sink);
  if (!set->Build(sink)) return set->Failed(sink);
  return set;
}

std::unique_ptr<JourneySet> JourneySet::Failed(compiler::DiagnosticSink& sink) {
  // The diagnostics point into the program's sources: they must outlive
  // this set, which the caller never sees.
  sink.KeepAlive(std::make_shared<compiler::Program>(std::move(program_)));
  return nullptr;
}

bool JourneySet::Build(compiler::DiagnosticSink& sink) {
  compiler::CheckResult checked = compiler::Check(program_, builtins_, sink);
  if (sink.has_errors()) return false;
  ir_ = compiler::ir::Lower(program_, checked.types);
  schemas_ = SchemaTable::Build(program_);
  return true;
}

std::string JourneySet::Fingerprint() const {
  std::string all;
  for (const auto& file : program_.files) {
    all += file->source->text();
    all += '\x1e';
    for (const auto& content : file->content) {
      all += content->text();
      all += '\x1e';
    }
  }
  return HexDigits(StableHash(all), 16);
}

std::string VersionId(const compiler::ir::Journey& journey) {
  return HexDigits(StableHash(journey.DeclarationText()), 12);
}

std::vector<std::pair<std::string, std::string>> JourneySet::Sources() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path stdlib = fs::weakly_canonical(program_.stdlib_dir, ec);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& file : program_.files) {
    fs::path path = fs::weakly_canonical(file->source->path(), ec);
    auto [end, _] = std::mismatch(stdlib.begin(), stdlib.end(), path.begin(), path.end());
    if (!program_.stdlib_dir.empty() && end == stdlib.end()) continue;
    out.emplace_back(file->source->path(), std::string(file->source->text()));
    // The content files its templates read, under the paths they resolve to.
    for (const auto& content : file->content) out.emplace_back(content->path(), std::string(content->text()));
  }
  return out;
}

Status JourneySet::Compile(const compiler::jit::JitOptions& options) { return native_.Compile(CompileJob(options)); }

void JourneySet::CompileInBackground(const compiler::jit::JitOptions& options, NativeCode::Done done) {
  native_.CompileInBackground(CompileJob(options), std::move(done));
}

NativeCode::Job JourneySet::CompileJob(compiler::jit::JitOptions options) const {
  return [this, options](const std::atomic<bool>& stop, const compiler::jit::CompiledExprs::Early& early) mutable {
    options.stop = &stop;
    std::vector<compiler::jit::ExprSpec> specs;
    std::vector<compiler::jit::TriggerSpec> triggers;
    NativeSpecs(&specs, &triggers);
    return compiler::jit::CompiledExprs::Compile(specs, *functions_, options, triggers, early);
  };
}

void JourneySet::NativeSpecs(std::vector<compiler::jit::ExprSpec>* specs,
                             std::vector<compiler::jit::TriggerSpec>* triggers) const {
  for (size_t index = 0; index < ir_.journeys.size(); ++index) {
    const compiler::ir::Journey& j = ir_.journeys[index];
    // The records a journey binds to names: its customer's profile and the
    // events of its trigger, waits and exit rules. (A name bound twice to
    // different kinds keeps the first; the native code checks the shape.)
    std::map<std::string, const compiler::eval::RecordShape*, std::less<>> shapes;
    if (const Schema* p = schemas_.FindProfile(j.customer)) shapes.emplace(j.customer, &p->shape);
    auto add_event = [&](const compiler::ir::Pattern& pattern) {
      if (const Schema* e = schemas_.FindEvent(pattern.event)) shapes.emplace(pattern.binding, &e->shape);
    };
    if (j.trigger) add_event(*j.trigger);
    for (const auto& x : j.exits) add_event(x.pattern);
    for (const auto& s : j.steps)
      if (s.pattern) add_event(*s.pattern);
    // Conditions are only ever tested (compiled as tests alone).
    std::set<const compiler::ast::Expr*> conditions;
    if (j.trigger) conditions.insert(j.trigger->cond);
    if (j.audience) conditions.insert(j.audience->cond);
    for (const auto& x : j.exits) conditions.insert(x.pattern.cond);
    for (const auto& s : j.steps) {
      if (s.pattern) conditions.insert(s.pattern->cond);
      if (s.op == compiler::ir::StepOp::kBranch)
        for (const auto& arm : s.arms) conditions.insert(arm.cond);
      if (s.source->kind == compiler::ast::StepKind::kTask)
        conditions.insert(s.source->As<compiler::ast::TaskStep>().route_cond.get());
    }
    for (const compiler::ast::Expr* e : compiler::ir::JourneyExpressions(j)) {
      compiler::jit::ExprSpec spec{e, compiler::jit::FreeNames(*e), {}, index, conditions.count(e) > 0};
      for (const std::string& name : spec.env) {
        auto it = shapes.find(name);
        spec.shapes.push_back(it == shapes.end() ? nullptr : it->second);
      }
      specs->push_back(std::move(spec));
    }
  }
  for (size_t index = 0; index < ir_.journeys.size(); ++index) {
    const compiler::ir::Journey& j = ir_.journeys[index];
    if (!j.trigger) continue;
    const Schema* event = schemas_.FindEvent(j.trigger->event);
    triggers->push_back({static_cast<uint32_t>(index), j.trigger->event, j.trigger->binding, j.trigger->cond,
                        event ? &event->shape : nullptr, j.trigger->reads_customer});
  }
}

std::unique_ptr<Engine> JourneySet::NewEngine(EngineOptions options) const {
  if (options.interpret) options.native = nullptr;
  else if (options.native == nullptr) options.native = &native_;
  return std::make_unique<Engine>(ir_, schemas_, *functions_, options);
}

}  // namespace tutti::runtime
