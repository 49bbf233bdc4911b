// tutti-cel-conformance [--engine interp|jit] [--compare-engines] [--min-pass-rate R]
//                       [--verbose] FILE.json...
//
// Runs the CEL conformance cases of the given JSON files (layout in
// shared/conformance/cel/README.md) through the parser and an engine, and
// prints each failure as `file/section/name: expected … got …`, a summary
// per file, and the closing line `N passed, M failed, K skipped`. Cases
// marked `unsupported` or `requires_proto` are skipped; nothing else is.
// --compare-engines also runs the interpreter on every case (skipped ones
// too) and fails when the engines' results differ in any way, error
// messages included.
// Exits 0 when passed / (passed + failed) reaches the minimum pass rate
// (default 0.98), 1 when it does not, 2 on a usage or input problem.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compiler/eval/evaluator.h"
#include "compiler/jit/jit.h"
#include "compiler/parse/parse.h"
#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace {

using nlohmann::json;
using tutti::compiler::eval::Bytes;
using tutti::compiler::eval::Value;
using tutti::compiler::eval::ValueKind;
namespace eval = tutti::compiler::eval;

std::string DecodeBase64(const std::string& in, bool* ok) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  *ok = true;
  for (char c : in) {
    if (c == '=') break;
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) {
      *ok = false;
      return out;
    }
    buf = (buf << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  return out;
}

/// A typed JSON value as a CEL value; an error value if the encoding is not
/// one this runner knows.
Value FromJson(const json& j) {
  if (!j.is_object() || j.size() != 1) return Value::Error("bad typed value: " + j.dump());
  auto it = j.begin();
  const std::string key = it.key();
  const json& v = it.value();
  if (key == "int") return Value(static_cast<int64_t>(std::stoll(v.get<std::string>())));
  if (key == "uint") return Value(static_cast<uint64_t>(std::stoull(v.get<std::string>())));
  if (key == "double") {
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      if (s == "NaN") return Value(std::nan(""));
      if (s == "Infinity") return Value(HUGE_VAL);
      if (s == "-Infinity") return Value(-HUGE_VAL);
      return Value(std::stod(s));
    }
    return Value(v.get<double>());
  }
  if (key == "string") return Value(v.get<std::string>());
  if (key == "bytes_b64") {
    bool ok;
    std::string data = DecodeBase64(v.get<std::string>(), &ok);
    return ok ? Value(Bytes{data}) : Value::Error("bad base64");
  }
  if (key == "bool") return Value(v.get<bool>());
  if (key == "null") return Value();
  if (key == "list") {
    eval::List out;
    for (const auto& e : v) out.push_back(FromJson(e));
    return Value(std::move(out));
  }
  if (key == "map") {
    std::vector<std::pair<Value, Value>> entries;
    for (const auto& e : v) entries.emplace_back(FromJson(e[0]), FromJson(e[1]));
    return eval::MakeMap(std::move(entries));
  }
  if (key == "type") return Value::Type(v.get<std::string>());
  if (key == "timestamp") return eval::ParseTimestamp(v.get<std::string>());
  if (key == "duration") return eval::ParseDuration(v.get<std::string>());
  return Value::Error("unknown typed value kind: " + key);
}

/// Structural equality per the README: kinds must match, maps ignore
/// order, NaN matches NaN, doubles compare numerically.
bool Matches(const Value& want, const Value& got) {
  if (want.kind() != got.kind()) return false;
  switch (want.kind()) {
    case ValueKind::kDouble:
      if (std::isnan(want.AsDouble())) return std::isnan(got.AsDouble());
      return want.AsDouble() == got.AsDouble();
    case ValueKind::kList: {
      const auto& a = want.AsList();
      const auto& b = got.AsList();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!Matches(a[i], b[i])) return false;
      return true;
    }
    case ValueKind::kMap: {
      const auto& a = want.AsMap();
      const auto& b = got.AsMap();
      if (a.size() != b.size()) return false;
      for (const auto& [k, v] : a.entries()) {
        bool found = false;
        for (const auto& [k2, v2] : b.entries())
          if (Matches(k, k2)) {
            found = Matches(v, v2);
            break;
          }
        if (!found) return false;
      }
      return true;
    }
    case ValueKind::kError: return true;
    default: return eval::Equal(want, got);
  }
}

struct Totals {
  int passed = 0, failed = 0, skipped = 0;
};

struct Runner {
  tutti::compiler::BuiltinRegistry registry;
  eval::FunctionTable table;
  std::unique_ptr<eval::Functions> functions;
  bool verbose = false;
  bool jit = false;
  /// Also evaluate with the interpreter and count every case whose result
  /// (value or error message) differs between the engines.
  bool compare = false;
  int disagreements = 0;

  Runner() {
    tutti::stdlib::RegisterStandardLibrary(registry);
    tutti::stdlib::RegisterStandardImplementations(table);
    functions = std::make_unique<eval::Functions>(registry, table);
  }

  /// Runs one case; returns an empty string when it passes, else the
  /// "expected … got …" text.
  std::string RunCase(const json& test) {
    const json& expect = test["expect"];
    std::string expr = test["expr"].get<std::string>();
    tutti::compiler::Source source("<expr>", expr);
    tutti::compiler::DiagnosticSink sink;
    auto ast = tutti::compiler::ParseExpression(source, sink);
    std::string expected = expect.contains("value") ? eval::DebugString(FromJson(expect["value"]))
                                                    : "error(" + expect["error"].dump() + ")";
    if (!ast) {
      std::string msg;
      for (const auto& d : sink.Sorted()) msg += (msg.empty() ? "" : "; ") + d.message;
      return "expected " + expected + " got parse error: " + msg;
    }
    eval::Activation activation;
    if (test.contains("bindings"))
      for (const auto& [name, v] : test["bindings"].items()) activation.Bind(name, FromJson(v));
    Value got = jit ? RunJit(*ast, test, activation) : eval::Evaluate(*ast, activation, *functions);
    if (compare) CompareEngines(expr, *ast, test, activation);
    if (expect.contains("value")) {
      Value want = FromJson(expect["value"]);
      if (!got.IsError() && Matches(want, got)) return "";
    } else if (got.IsError()) {
      return "";
    }
    return "expected " + expected + " got " + eval::DebugString(got);
  }

  /// Counts (and prints) a case where the engines' results differ.
  void CompareEngines(const std::string& text, const tutti::compiler::ast::Expr& ast, const json& test,
                      const eval::Activation& activation) {
    std::string reference = eval::DebugString(eval::Evaluate(ast, activation, *functions));
    std::string native = eval::DebugString(RunJit(ast, test, activation));
    if (reference == native) return;
    ++disagreements;
    std::cout << "engines disagree on " << text << ": interpreter " << reference << ", jit " << native << "\n";
  }

  /// A skipped case still has to give the same result in both engines.
  void CompareSkipped(const json& test) {
    std::string expr = test["expr"].get<std::string>();
    tutti::compiler::Source source("<expr>", expr);
    tutti::compiler::DiagnosticSink sink;
    auto ast = tutti::compiler::ParseExpression(source, sink);
    if (!ast) return;
    eval::Activation activation;
    if (test.contains("bindings"))
      for (const auto& [name, v] : test["bindings"].items()) activation.Bind(name, FromJson(v));
    CompareEngines(expr, *ast, test, activation);
  }

  /// Compiles the expression with the test's binding names as its
  /// environment and runs the native code.
  Value RunJit(const tutti::compiler::ast::Expr& ast, const json& test, const eval::Activation& activation) {
    namespace jit = tutti::compiler::jit;
    jit::ExprSpec spec{&ast, {}, {}, 0};
    if (test.contains("bindings"))
      for (const auto& [name, v] : test["bindings"].items()) spec.env.push_back(name);
    auto compiled = jit::CompiledExprs::Compile({spec}, *functions);
    if (!compiled.ok()) return Value::Error("JIT: " + compiled.status().message());
    const auto& code = **compiled;
    return code.Run(*code.Find(&ast), activation);
  }

  Totals RunFile(const std::string& path, const json& doc) {
    Totals t;
    std::string file = doc.value("file", path);
    for (const auto& section : doc["sections"]) {
      std::string sname = section["name"].get<std::string>();
      for (const auto& test : section["tests"]) {
        if (test["expect"].contains("unsupported") || test.value("requires_proto", false)) {
          ++t.skipped;
          if (compare) CompareSkipped(test);  // the engines must agree even here
          continue;
        }
        std::string id = file + "/" + sname + "/" + test["name"].get<std::string>();
        std::string failure = RunCase(test);
        if (failure.empty()) {
          ++t.passed;
          if (verbose) std::cout << id << ": ok\n";
        } else {
          ++t.failed;
          std::cout << id << ": " << failure << "\n";
        }
      }
    }
    return t;
  }
};

int Usage() {
  std::cerr << "usage: tutti-cel-conformance [--engine interp|jit] [--compare-engines] [--min-pass-rate R] "
               "[--verbose] FILE.json...\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string engine = "interp";
  double min_rate = 0.98;
  bool verbose = false, compare = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--engine" && i + 1 < argc) engine = argv[++i];
    else if (a.rfind("--engine=", 0) == 0) engine = a.substr(9);
    else if (a == "--min-pass-rate" && i + 1 < argc) min_rate = std::atof(argv[++i]);
    else if (a.rfind("--min-pass-rate=", 0) == 0) min_rate = std::atof(a.c_str() + 16);
    else if (a == "--verbose") verbose = true;
    else if (a == "--compare-engines") compare = true;
    else if (a == "--help" || a == "-h") return Usage();
    else if (!a.empty() && a[0] == '-') return Usage();
    else files.push_back(a);
  }
  if ((engine != "interp" && engine != "jit") || files.empty()) return Usage();

  Runner runner;
  runner.verbose = verbose;
  runner.jit = engine == "jit";
  runner.compare = compare;
  Totals all;
  std::vector<std::pair<std::string, Totals>> per_file;
  for (const auto& path : files) {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "tutti-cel-conformance: cannot read " << path << "\n";
      return 2;
    }
    json doc;
    try {
      doc = json::parse(in);
    } catch (const std::exception& e) {
      std::cerr << "tutti-cel-conformance: " << path << ": " << e.what() << "\n";
      return 2;
    }
    Totals t = runner.RunFile(path, doc);
    per_file.emplace_back(doc.value("file", path), t);
    all.passed += t.passed;
    all.failed += t.failed;
    all.skipped += t.skipped;
  }
  for (const auto& [name, t] : per_file)
    std::cout << name << ": " << t.passed << " passed, " << t.failed << " failed, " << t.skipped
              << " skipped\n";
  std::cout << all.passed << " passed, " << all.failed << " failed, " << all.skipped
            << " skipped\n";
  if (compare) std::cout << runner.disagreements << " cases where the engines disagree\n";
  if (runner.disagreements > 0) return 1;
  int run = all.passed + all.failed;
  double rate = run == 0 ? 1.0 : static_cast<double>(all.passed) / run;
  return rate >= min_rate ? 0 : 1;
}
