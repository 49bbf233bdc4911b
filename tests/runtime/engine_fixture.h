#pragma once
// A whole engine built from journey source text, for tests: check, lower,
// lay out the schemas, and run NDJSON profiles and events through
// runtime::Simulate. Fails the test on any diagnostic or bad line.

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "compiler/eval/functions.h"
#include "compiler/ir/lower.h"
#include "runtime/records/decoder.h"
#include "runtime/simulate/simulation.h"
#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace tutti::runtime::testing {

class EngineFixture {
 public:
  /// `sources` are (file name, text) pairs; `import "std/..."` reads the
  /// source tree's stdlib.
  explicit EngineFixture(const std::vector<std::pair<std::string, std::string>>& sources) {
    stdlib::RegisterStandardLibrary(builtins_);
    compiler::DiagnosticSink sink;
    program_ = compiler::LoadProgramFromText(sources, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    compiler::Check(program_, builtins_, sink);
    EXPECT_EQ(sink.error_count(), 0u) << compiler::RenderText(sink.Sorted());
    ir_ = compiler::ir::Lower(program_);
    schemas_ = SchemaTable::Build(program_);
    stdlib::RegisterStandardImplementations(table_);
    functions_ = std::make_unique<compiler::eval::Functions>(builtins_, table_);
  }

  /// Decodes NDJSON text; bad lines fail the test.
  std::vector<Record> Decode(const std::string& ndjson, Accept accept) {
    std::istringstream in(ndjson);
    DecodeOptions options;
    options.accept = accept;
    DecodedFile f = DecodeFile(schemas_, in, options);
    for (const auto& e : f.errors) ADD_FAILURE() << e.ToString();
    return std::move(f.records);
  }

  /// A fresh engine over the program.
  std::unique_ptr<Engine> NewEngine() const { return std::make_unique<Engine>(ir_, schemas_, *functions_); }

  /// Simulates `events` over `profiles` on a fresh engine; the decisions
  /// as NDJSON text.
  std::string Run(const std::vector<Record>& profiles, const std::vector<Record>& events,
                  std::optional<Instant> until = std::nullopt) {
    auto engine = NewEngine();
    SimulationResult r = Simulate(*engine, profiles, events, until);
    std::string out;
    for (const auto& d : r.decisions) out += ToJson(d) + "\n";
    return out;
  }

  const compiler::ir::Program& ir() const { return ir_; }
  const SchemaTable& schemas() const { return schemas_; }

 private:
  compiler::BuiltinRegistry builtins_;
  compiler::Program program_;
  compiler::ir::Program ir_;
  SchemaTable schemas_;
  compiler::eval::FunctionTable table_;
  std::unique_ptr<compiler::eval::Functions> functions_;
};

}  // namespace tutti::runtime::testing
