#include "runtime/engine/journey_set.h"

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
  if (!set->Build(sink)) return nullptr;
  return set;
}

std::unique_ptr<JourneySet> JourneySet::FromText(const std::vector<std::pair<std::string, std::string>>& files,
                                                 const std::string& stdlib_dir, compiler::DiagnosticSink& sink) {
  std::unique_ptr<JourneySet> set(new JourneySet());
  set->program_ = compiler::LoadProgramFromText(files, stdlib_dir, sink);
  if (!set->Build(sink)) return nullptr;
  return set;
}

bool JourneySet::Build(compiler::DiagnosticSink& sink) {
  compiler::Check(program_, builtins_, sink);
  if (sink.has_errors()) return false;
  ir_ = compiler::ir::Lower(program_);
  schemas_ = SchemaTable::Build(program_);
  return true;
}

std::string JourneySet::Fingerprint() const {
  std::string all;
  for (const auto& file : program_.files) {
    all += file->source->text();
    all += '\x1e';
  }
  uint64_t h = StableHash(all);
  static const char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) out[i] = kDigits[h & 15];
  return out;
}

std::string JourneySet::Compile(const compiler::jit::JitOptions& options) {
  std::vector<compiler::jit::ExprSpec> specs;
  for (const compiler::ast::Expr* e : compiler::ir::ProgramExpressions(ir_))
    specs.push_back({e, compiler::jit::FreeNames(*e)});
  auto compiled = compiler::jit::CompiledExprs::Compile(specs, *functions_, options);
  if (auto* failure = std::get_if<std::string>(&compiled)) return *failure;
  compiled_ = std::move(std::get<std::unique_ptr<compiler::jit::CompiledExprs>>(compiled));
  return "";
}

std::unique_ptr<Engine> JourneySet::NewEngine(EngineOptions options) const {
  if (options.compiled == nullptr) options.compiled = compiled_.get();
  return std::make_unique<Engine>(ir_, schemas_, *functions_, options);
}

}  // namespace tutti::runtime
