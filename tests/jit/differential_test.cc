// The JIT against the interpreter on random expressions and random inputs.
//
// A seeded generator writes expressions over a record `e` (fields of every
// kind), `now` and `x`: literals, field reads, comparisons with literals
// either way round (the JIT's inline paths), arithmetic, `&&`, `||`, `!`,
// `?:`, `in`, built-in calls, macros and ill-typed mixtures. They are
// compiled with `e` expected to have the record's shape; the inputs are
// records of that shape with values of the declared kinds and of others
// (null, NaN, wrong kinds), and records of another shape. Both engines
// must give the same result, error messages included, as values and as
// condition tests.
//
// Expressions that once disagreed are kept, one per line, in
// tests/jit/regressions.txt and run on every input every time.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/eval/evaluator.h"
#include "compiler/jit/jit.h"
#include "compiler/jit/layout.h"
#include "compiler/parse/parse.h"
#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace tutti::compiler::jit {
namespace {

using eval::Value;

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  std::string Expr(int depth) {
    if (depth <= 0) return Leaf();
    switch (Pick(13)) {
      case 0: return Leaf();
      case 1: return Field() + " " + Compare() + " " + Literal();
      case 2: return Literal() + " " + Compare() + " " + Field();
      case 3: return "(" + Expr(depth - 1) + " && " + Expr(depth - 1) + ")";
      case 4: return "(" + Expr(depth - 1) + " || " + Expr(depth - 1) + ")";
      case 5: return "!" + Atom(depth - 1);
      case 6: return "(" + Expr(depth - 1) + " ? " + Expr(depth - 1) + " : " + Expr(depth - 1) + ")";
      case 7: return "(" + Expr(depth - 1) + " " + Arith() + " " + Expr(depth - 1) + ")";
      case 8: return Atom(depth - 1) + " in " + List(depth - 1);
      case 9: return Call(depth - 1);
      case 10: return Macro(depth - 1);
      case 11: return "(" + Expr(depth - 1) + " " + Compare() + " " + Expr(depth - 1) + ")";
      default: return "has(e." + FieldName() + ")";
    }
  }

  /// A record of `shape` with values of the declared kinds or others.
  Value Record(const eval::RecordShape* shape) {
    auto r = std::make_shared<eval::Record>();
    r->shape = shape;
    for (const std::string& f : shape->fields) r->values.push_back(FieldValue(f));
    return Value(std::shared_ptr<const eval::Record>(std::move(r)));
  }

 private:
  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  std::string Compare() {
    static const char* kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    return kOps[Pick(6)];
  }
  std::string Arith() {
    static const char* kOps[] = {"+", "-", "*", "/", "%"};
    return kOps[Pick(5)];
  }
  std::string FieldName() {
    static const char* kFields[] = {"s", "i", "d", "b", "l", "u", "t", "missing"};
    return kFields[Pick(8)];
  }
  std::string Field() { return "e." + FieldName(); }
  std::string Literal() {
    static const char* kLiterals[] = {"0",     "1",    "-3",  "42",     "2u",    "0.0",  "1.5",  "-2.25",
                                      "\"\"",  "\"a\"", "\"ab\"", "\"hello\"", "true", "false", "null",
                                      "9223372036854775807", "[]", "[1, 2]", "{\"k\": 1}", "b\"x\""};
    return kLiterals[Pick(std::size(kLiterals))];
  }
  std::string Leaf() {
    switch (Pick(6)) {
      case 0: case 1: return Literal();
      case 2: case 3: return Field();
      case 4: return Pick(2) ? "x" : "now";
      default: return Pick(2) ? "e" : "undeclared_name";
    }
  }
  std::string Atom(int depth) { return "(" + Expr(depth) + ")"; }
  std::string List(int depth) {
    switch (Pick(4)) {
      case 0: return "[\"a\", \"ab\", \"hello\"]";
      case 1: return "[1, 2.5, \"a\"]";
      case 2: return "e.l";
      default: return "[" + Expr(depth) + ", " + Leaf() + "]";
    }
  }
  std::string Call(int depth) {
    switch (Pick(9)) {
      case 0: return "size(" + Expr(depth) + ")";
      case 1: return Atom(depth) + ".startsWith(\"a\")";
      case 2: return Atom(depth) + ".contains(" + Leaf() + ")";
      case 3: return "int(" + Expr(depth) + ")";
      case 4: return "double(" + Expr(depth) + ")";
      case 5: return "string(" + Expr(depth) + ")";
      case 6: return "type(" + Expr(depth) + ") == " + (Pick(2) ? "int" : "string");
      case 7: return "no_such_function(" + Leaf() + ")";
      default: return "e.s.size()";
    }
  }
  std::string Macro(int depth) {
    std::string range = Pick(3) ? "e.l" : List(depth);
    switch (Pick(6)) {
      case 0: return range + ".all(v, " + MacroBody(depth) + ")";
      case 1: return range + ".exists(v, " + MacroBody(depth) + ")";
      case 2: return range + ".exists_one(v, " + MacroBody(depth) + ")";
      case 3: return range + ".filter(v, " + MacroBody(depth) + ")";
      case 4: return range + ".map(v, " + (Pick(2) ? "v" : Expr(depth)) + ")";
      default: return range + ".map(v, " + MacroBody(depth) + ", v)";
    }
  }
  std::string MacroBody(int depth) {
    switch (Pick(4)) {
      case 0: return "v == \"a\"";
      case 1: return "v.startsWith(\"h\")";
      case 2: return "v " + Compare() + " " + Literal();
      default: return Expr(depth);
    }
  }
  Value FieldValue(const std::string& f) {
    // Mostly the declared kind; sometimes null or another kind.
    switch (Pick(10)) {
      case 0: return Value();
      case 1: return Value(int64_t{7});
      case 2: return Value(std::nan(""));
      case 3: return Value("a");
      default: break;
    }
    if (f == "s") {
      static const char* kStrings[] = {"", "a", "ab", "hello", "abc"};
      return Value(kStrings[Pick(5)]);
    }
    if (f == "i") return Value(static_cast<int64_t>(Pick(7)) - 3);
    if (f == "d") return Value(static_cast<double>(Pick(9)) * 0.75 - 3);
    if (f == "b") return Value(Pick(2) == 0);
    if (f == "u") return Value(static_cast<uint64_t>(Pick(4)));
    if (f == "t") return Value(eval::Timestamp{1772409600 + static_cast<int64_t>(Pick(100)), 0});
    eval::List l;
    for (size_t n = Pick(4); n > 0; --n) l.push_back(Pick(5) ? Value(Pick(2) ? "a" : "hello") : Value(int64_t{1}));
    return Value(std::move(l));
  }

  std::mt19937_64 rng_;
};

class Differential : public ::testing::Test {
 protected:
  Differential() {
    stdlib::RegisterStandardLibrary(registry_);
    stdlib::RegisterStandardImplementations(table_);
    functions_ = std::make_unique<eval::Functions>(registry_, table_);
  }

  /// Compiles `texts`, runs both engines on `inputs` records; every
  /// disagreement is a test failure naming the expression and the input.
  void Compare(const std::vector<std::string>& texts, Generator& gen, int inputs) {
    std::vector<ast::ExprPtr> asts;
    std::vector<ExprSpec> specs;
    for (size_t k = 0; k < texts.size(); ++k) {
      Source source("<generated>", texts[k]);
      DiagnosticSink sink;
      ast::ExprPtr e = ParseExpression(source, sink);
      if (!e) continue;  // the generator may write what does not parse
      // Every other one is compiled as a condition alone, whose value
      // CompiledExprs::Run derives from the test.
      specs.push_back(ExprSpec{e.get(), {"e", "now", "x"}, {&shape_, nullptr, nullptr}, k / 25, k % 2 == 1});
      asts.push_back(std::move(e));
    }
    auto compiled = CompiledExprs::Compile(specs, *functions_);
    ASSERT_TRUE(compiled.ok()) << compiled.status().message();
    const CompiledExprs& code = **compiled;
    for (int n = 0; n < inputs; ++n) {
      eval::Activation act;
      Value record = gen.Record(n % 5 == 4 ? &other_shape_ : &shape_);
      act.Bind("e", record);
      act.Bind("now", Value(eval::Timestamp{1772409650, 0}));
      act.Bind("x", Value(int64_t{n - 2}));
      for (const auto& e : asts) {
        const CompiledExprs::Entry* entry = code.Find(e.get());
        ASSERT_NE(entry, nullptr);
        std::string want = eval::DebugString(eval::Evaluate(*e, act, *functions_));
        std::string got = eval::DebugString(code.Run(*entry, act));
        ++compared_;
        EXPECT_EQ(want, got) << "expression: " << ast::ToSource(*e) << "\ninput: " << eval::DebugString(record);
        Value tested;
        int32_t truth = code.Test(*entry, act, &tested);
        std::string as_test = truth == kTrue    ? "true"
                              : truth == kFalse ? "false"
                                                : eval::DebugString(tested);
        EXPECT_EQ(want, as_test) << "as a condition: " << ast::ToSource(*e)
                                 << "\ninput: " << eval::DebugString(record);
        if (HasFailure()) return;
      }
    }
  }

  BuiltinRegistry registry_;
  eval::FunctionTable table_;
  std::unique_ptr<eval::Functions> functions_;
  eval::RecordShape shape_{"rec", {"s", "i", "d", "b", "l", "u", "t"}};
  eval::RecordShape other_shape_{"other", {"t", "s", "d", "i"}};
  size_t compared_ = 0;
};

TEST_F(Differential, RandomExpressionsAgree) {
  // Bounded for CI: 8 seeds x 250 expressions x 12 inputs.
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Generator gen(seed);
    std::vector<std::string> texts;
    for (int k = 0; k < 250; ++k) texts.push_back(gen.Expr(1 + k % 4));
    Compare(texts, gen, 12);
    if (HasFailure()) return;
  }
  EXPECT_GT(compared_, 20000u);
}

TEST_F(Differential, RegressionCasesAgree) {
  std::ifstream in(std::string(TUTTI_SOURCE_DIR) + "/tests/jit/regressions.txt");
  ASSERT_TRUE(in) << "tests/jit/regressions.txt is missing";
  std::vector<std::string> texts;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') texts.push_back(line);
  ASSERT_FALSE(texts.empty());
  Generator gen(99);
  Compare(texts, gen, 60);
}

TEST_F(Differential, CodeHandedOutEarlyTakesEachJourneyUpAsItIsCompiled) {
  // Two journeys (groups 0 and 1), the second's condition a trigger: the
  // code is handed out laid out, then each journey's expressions are found
  // once its module is compiled, and the dispatch once every journey's is.
  Source a_text("<a>", "x * 2"), b_text("<b>", "e.s == \"a\"");
  DiagnosticSink sink;
  ast::ExprPtr a = ParseExpression(a_text, sink), b = ParseExpression(b_text, sink);
  ASSERT_TRUE(a && b);
  std::vector<ExprSpec> specs = {{a.get(), {"x"}, {nullptr}, 0, false}, {b.get(), {"e"}, {&shape_}, 1, true}};
  std::vector<TriggerSpec> triggers = {{1, "ev", "e", b.get(), &shape_, false}};
  Generator gen(7);
  Value event = gen.Record(&shape_), now(eval::Timestamp{1772409600, 0});
  std::unique_ptr<CompiledExprs> code;
  auto state = [&] {
    TriggerHits hits;
    return std::string(code->Find(a.get()) ? "a" : "-") + (code->Find(b.get()) ? "b" : "-") +
           (code->Dispatch("ev", event, now, &hits) ? "d" : "-") + (code->complete() ? "!" : "");
  };
  std::vector<std::string> seen;
  JitOptions options;
  options.progress = [&](size_t done, size_t modules) {
    EXPECT_EQ(modules, 3u);
    seen.push_back(std::to_string(done) + ":" + state());
  };
  auto compiled = CompiledExprs::Compile(specs, *functions_, options, triggers, [&](std::unique_ptr<CompiledExprs> c) {
    code = std::move(c);
    seen.push_back("0:" + state());
  });
  ASSERT_TRUE(compiled.ok()) << compiled.status().message();
  EXPECT_EQ(*compiled, nullptr) << "handed out early";
  ASSERT_NE(code, nullptr);
  seen.push_back("end:" + state());
  EXPECT_EQ(seen, (std::vector<std::string>{"0:---", "1:a--", "2:ab-", "3:abd", "end:abd!"}));
  eval::Activation act;
  act.Bind("e", event);
  act.Bind("x", Value(int64_t{21}));
  for (const ast::Expr* e : {a.get(), b.get()})
    EXPECT_EQ(eval::DebugString(eval::Evaluate(*e, act, *functions_)), eval::DebugString(code->Run(*code->Find(e), act)));
}

TEST_F(Differential, DiskCacheServesUnchangedCodeAndSurvivesDamage) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("tutti-jit-cache-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Source source("<cache>", "e.s == \"a\" ? x * 2 : size(e.l)");
  DiagnosticSink sink;
  ast::ExprPtr e = ParseExpression(source, sink);
  ASSERT_NE(e, nullptr);
  std::vector<ExprSpec> specs = {{e.get(), {"e", "now", "x"}, {&shape_, nullptr, nullptr}, 0, false}};
  JitOptions options;
  options.cache_dir = dir.string();
  auto run = [&](bool expect_cached) {
    auto compiled = CompiledExprs::Compile(specs, *functions_, options);
    ASSERT_TRUE(compiled.ok()) << compiled.status().message();
    const CompiledExprs& code = **compiled;
    EXPECT_EQ(code.report().from_cache, expect_cached);
    eval::Activation act;
    Generator gen(5);
    act.Bind("e", gen.Record(&shape_));
    act.Bind("x", Value(int64_t{21}));
    EXPECT_EQ(eval::DebugString(eval::Evaluate(*e, act, *functions_)),
              eval::DebugString(code.Run(*code.Find(e.get()), act)));
  };
  run(false);  // cold: compiles and stores
  run(true);   // unchanged: loads
  // A damaged object reads as a miss and is compiled again.
  for (const auto& f : fs::directory_iterator(dir)) {
    std::fstream file(f.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(64);
    file.write("garbage!", 8);
  }
  run(false);
  run(true);
  fs::remove_all(dir);
}

TEST(JitLayout, ProbeSucceedsOnThisBuild) {
  // The inline fast paths are on only when the probe succeeds; on this
  // toolchain it must, or the benchmarks measure the helpers alone.
  EXPECT_TRUE(Layout().ok);
}

}  // namespace
}  // namespace tutti::compiler::jit
