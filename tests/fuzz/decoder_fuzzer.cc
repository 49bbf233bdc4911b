// Fuzzes the runtime's edge: any bytes, as one NDJSON line, against the
// standard library's schemas, must decode to a record or a located error
// without crashing, leaking or throwing, and to the same record or error
// whether it is read straight into its record or through a JSON document
// (records/direct_decoder.h). The same bytes as a file must decode in parts (tutti simulate's files, cut at line ends and decoded on
// several threads) exactly as in one go.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "compiler/check/check.h"
#include "runtime/records/decode_in_parts.h"
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

/// A file of this process's own for the bytes, removed when it exits.
const std::string& ScratchFile() {
  static const std::string path = "/tmp/tutti-decoder-fuzzer-" + std::to_string(::getpid()) + ".ndjson";
  static const bool removed_at_exit = std::atexit([] { std::remove(ScratchFile().c_str()); }) == 0;
  (void)removed_at_exit;
  return path;
}

/// A record with every value's kind, or the error as its sender reads it.
std::string Outcome(const tutti::runtime::DecodeResult& r) {
  using tutti::compiler::eval::DebugString;
  if (r.blank()) return "blank";
  if (!r.ok()) return r.error().ToString();
  std::string out = r.record().type() + " " + DebugString(r.record().key);
  if (r.record().at) out += " " + std::to_string(r.record().at->seconds) + "." + std::to_string(r.record().at->nanos);
  return out + " " + DebugString(RecordValue(r.record()));
}

/// `a` and `b` agree on every count, error, record and line number.
bool Same(const tutti::runtime::DecodedFile& a, const tutti::runtime::DecodedFile& b) {
  using tutti::compiler::eval::DebugString;
  if (a.read.ok() != b.read.ok() || a.lines != b.lines || a.blank != b.blank || a.events != b.events ||
      a.profiles != b.profiles || a.errors.size() != b.errors.size() || a.records.size() != b.records.size())
    return false;
  for (size_t i = 0; i < a.errors.size(); ++i)
    if (a.errors[i].ToString() != b.errors[i].ToString()) return false;
  for (size_t i = 0; i < a.records.size(); ++i)
    if (a.records[i].line != b.records[i].line || a.records[i].input != b.records[i].input ||
        DebugString(RecordValue(a.records[i])) != DebugString(RecordValue(b.records[i])))
      return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  if (Outcome(tutti::runtime::DecodeLine(Table(), line, 1)) !=
      Outcome(tutti::runtime::DecodeThroughDocument(Table(), line, 1)))
    std::abort();

  const std::string& path = ScratchFile();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  tutti::runtime::DecodeOptions options;
  options.max_line_bytes = 48;  // over-long lines at the cuts too
  tutti::runtime::DecodedFile whole = tutti::runtime::DecodeFile(Table(), path, options);
  for (size_t parts : {2, 5}) {
    if (!Same(whole, tutti::runtime::DecodeFileInParts(Table(), path, options, parts, /*smallest=*/1))) std::abort();
  }
  return 0;
}
