// Fuzzes the runtime's edge: any bytes, as one NDJSON line, against the
// standard library's schemas, must decode to a record or a located error
// without crashing, leaking or throwing.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "compiler/check/check.h"
#include "runtime/records/decoder.h"
#include "runtime/records/schema_table.h"
#include "stdlib/stdlib.h"

namespace {

// The schemas of stdlib/events.tutti (which imports the profiles).
const tutti::runtime::SchemaTable& Table() {
  static const auto* table = [] {
    using namespace tutti::compiler;
    static BuiltinRegistry builtins;
    tutti::stdlib::RegisterStandardLibrary(builtins);
    static DiagnosticSink sink;
    static Program program = LoadProgram({std::string(TUTTI_SOURCE_DIR) + "/stdlib/events.tutti"},
                                         std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    Check(program, builtins, sink);
    if (sink.has_errors()) std::abort();
    return new tutti::runtime::SchemaTable(tutti::runtime::SchemaTable::Build(program));
  }();
  return *table;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  tutti::runtime::DecodeLine(Table(), line, 1);
  return 0;
}
