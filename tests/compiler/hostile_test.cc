// Hostile input: text no person would write, fed to the parser and to the
// whole load-and-check pipeline. Every case must finish without crashing
// and, where the input is wrong, report at least one error located in a
// file. There are no timing asserts; a hang shows up as a test timeout.

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "compiler/check/program.h"
#include "compiler/parse/parse.h"
#include "stdlib/stdlib.h"

namespace tutti::compiler {
namespace {

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

// A file whose only journey binds `expr` with `let`.
std::string InJourney(const std::string& expr) {
  return "profile hcp { id: string key, name: string }\n"
         "journey j for hcp {\n"
         "  let x = " + expr + "\n"
         "}\n";
}

// Whether some error is located in a file, on one of its lines.
::testing::AssertionResult HasLocatedError(const DiagnosticSink& sink) {
  if (!sink.has_errors()) return ::testing::AssertionFailure() << "no error was reported";
  for (const Diagnostic& d : sink.Sorted()) {
    if (d.severity != Severity::kError || d.location.source == nullptr) continue;
    LineColumn at = d.location.source->Locate(d.location.range.begin);
    if (at.line >= 1 && at.line <= d.location.source->LineCount()) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error has a source and a line";
}

// The diagnostics of one run, with the sources they point into.
struct Run {
  std::unique_ptr<Source> source;  // for Parse
  Program program;                 // for LoadAndCheck
  DiagnosticSink sink;
};

// Parses `text` as one file.
std::unique_ptr<Run> Parse(const std::string& text) {
  auto run = std::make_unique<Run>();
  run->source = std::make_unique<Source>("hostile.tutti", text);
  std::unique_ptr<ast::File> file = ParseFile(*run->source, run->sink);
  if (!run->sink.has_errors()) EXPECT_NE(file, nullptr);
  return run;
}

// Loads and checks in-memory files, as `tutti check` would.
std::unique_ptr<Run> LoadAndCheck(const std::vector<std::pair<std::string, std::string>>& files) {
  auto run = std::make_unique<Run>();
  BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  run->program = LoadProgramFromText(files, "", run->sink);
  Check(run->program, builtins, run->sink);
  return run;
}

struct HostileCase {
  const char* name;
  std::string text;
};

// Test listings show the case's name, not its (megabyte) text.
void PrintTo(const HostileCase& c, std::ostream* os) { *os << c.name; }

std::vector<HostileCase> HostileCases() {
  std::vector<HostileCase> out;
  constexpr size_t kDeep = 100'000;
  out.push_back({"nested_parens", InJourney(Repeat("(", kDeep) + "1" + Repeat(")", kDeep))});
  out.push_back({"unclosed_parens", InJourney(Repeat("(", kDeep))});
  out.push_back({"nested_ifs", "profile hcp { id: string key }\njourney j for hcp {\n" + Repeat("if true {\n", kDeep) +
                                   "end\n" + Repeat("}\n", kDeep) + "}\n"});
  out.push_back({"nested_ifs_unclosed", "profile hcp { id: string key }\njourney j for hcp {\n" +
                                            Repeat("if x {\n", kDeep)});
  out.push_back({"many_nots", InJourney(Repeat("!", kDeep) + "1")});
  out.push_back({"many_minuses", InJourney(Repeat("-", kDeep) + "\"a\"")});
  out.push_back({"two_megabyte_line", InJourney(Repeat("a b ", 512 * 1024))});
  out.push_back({"million_term_sum", InJourney("1" + Repeat("+1", 1'000'000))});
  out.push_back({"ternary_chain", InJourney(Repeat("true ? 1 : ", kDeep) + "2")});
  out.push_back({"nested_lists", InJourney(Repeat("[", kDeep) + Repeat("]", kDeep))});
  out.push_back({"nested_maps", InJourney(Repeat("{1: ", kDeep) + "1" + Repeat("}", kDeep))});
  out.push_back({"nested_maps_unclosed", InJourney(Repeat("{", kDeep))});
  static const char kNul[] = "profile hcp {\0 id: string key }\0\0journey";
  out.push_back({"nul_bytes", std::string(kNul, sizeof kNul - 1)});
  out.push_back({"only_nul_bytes", std::string(4096, '\0')});
  std::mt19937 rng(20240611);
  std::string binary(64 * 1024, '\0');
  for (char& c : binary) c = static_cast<char>(rng() & 0xFF);
  out.push_back({"random_binary", binary});
  out.push_back({"invalid_utf8_inside", "profile hcp { id: string key }\njourney j for hcp {\n  send email \"caf\xC3\x28\"\n"
                                        "  let s = \"\xFF\xFE\xED\"\n}\n"});
  out.push_back({"unterminated_triple_quote", InJourney("\"\"\"never closed\n more text\n")});
  out.push_back({"unterminated_raw_triple_quote", InJourney("r'''never closed")});
  out.push_back({"lone_high_bytes", Repeat("\x80", 1000)});
  return out;
}

class HostileParse : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileParse, ReportsALocatedErrorWithoutCrashing) {
  auto sink = Parse(GetParam().text);
  EXPECT_TRUE(HasLocatedError(sink->sink));
}

TEST_P(HostileParse, LoadAndCheckReportsALocatedError) {
  auto sink = LoadAndCheck({{"hostile.tutti", GetParam().text}});
  EXPECT_TRUE(HasLocatedError(sink->sink));
}

INSTANTIATE_TEST_SUITE_P(Hostile, HostileParse, ::testing::ValuesIn(HostileCases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(HostileProgram, FileImportingItself) {
  auto sink = LoadAndCheck({{"a.tutti", "import \"a\"\n"}});
  EXPECT_TRUE(HasLocatedError(sink->sink));
}

TEST(HostileProgram, TwoFilesImportingEachOther) {
  auto sink = LoadAndCheck({{"a.tutti", "import \"b\"\n"}, {"b.tutti", "import \"a\"\n"}});
  EXPECT_TRUE(HasLocatedError(sink->sink));
}

TEST(HostileProgram, TenThousandInterpolationsInOneMessage) {
  std::string message = Repeat("{hcp.name} ", 10'000) + "{hcp.nmae}";
  std::string text = "profile hcp { id: string key, name: string }\n"
                     "channel note { kind message  to hcp }\n"
                     "journey j for hcp {\n  send note \"" + message + "\"\n}\n";
  auto parsed = Parse(text);
  EXPECT_FALSE(parsed->sink.has_errors()) << RenderText(parsed->sink.Sorted());
  auto sink = LoadAndCheck({{"m.tutti", text}});
  EXPECT_TRUE(HasLocatedError(sink->sink));  // only the misspelt field
  EXPECT_EQ(sink->sink.error_count(), 1u) << RenderText(sink->sink.Sorted());
}

TEST(HostileProgram, TenThousandInterpolationsCheckClean) {
  std::string text = "profile hcp { id: string key, name: string }\n"
                     "channel note { kind message  to hcp }\n"
                     "journey j for hcp {\n  send note \"" + Repeat("{hcp.name}", 10'000) + "\"\n}\n";
  auto sink = LoadAndCheck({{"m.tutti", text}});
  EXPECT_FALSE(sink->sink.has_errors()) << RenderText(sink->sink.Sorted());
}

TEST(HostileProgram, ManyDeclarations) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "profile p" + std::to_string(i) + " { id: string key }\n";
  text += "profile p0 { id: string key }\n";
  auto sink = LoadAndCheck({{"m.tutti", text}});
  EXPECT_TRUE(HasLocatedError(sink->sink));
  EXPECT_EQ(sink->sink.error_count(), 1u) << RenderText(sink->sink.Sorted());
}

TEST(HostileExpression, DeepParensInParseExpression) {
  Source source("expr", Repeat("(", 100'000) + "1" + Repeat(")", 100'000));
  DiagnosticSink sink;
  ast::ExprPtr e = ParseExpression(source, sink);
  EXPECT_EQ(e, nullptr);
  EXPECT_TRUE(HasLocatedError(sink));
}

TEST(HostileExpression, EmptyExpression) {
  Source source("expr", "");
  DiagnosticSink sink;
  ast::ExprPtr e = ParseExpression(source, sink);
  EXPECT_EQ(e, nullptr);
  EXPECT_TRUE(HasLocatedError(sink));
}

// Valid files parse with no diagnostic at all.
class ValidParse : public ::testing::TestWithParam<HostileCase> {};

TEST_P(ValidParse, HasNoDiagnostics) {
  Source source("valid.tutti", GetParam().text);
  DiagnosticSink sink;
  std::unique_ptr<ast::File> file = ParseFile(source, sink);
  EXPECT_NE(file, nullptr);
  EXPECT_TRUE(sink.Sorted().empty()) << RenderText(sink.Sorted());
}

std::vector<HostileCase> ValidCases() {
  return {
      {"empty_file", ""},
      {"only_comments", "// a comment\n/* a block\n comment */\n"},
      {"schemas", "profile hcp { id: string key, name: string, tags: set<string>, m: map<string, int>? }\n"
                  "event rx keyed by hcp via prescriber { prescriber: string; brand: string }\n"
                  "channel email { kind message to hcp consent \"email\" description \"E-mail\" }\n"
                  "policy p { quiet_hours 20:00-08:00 local for [email] cap any 3 per 7d require consent "
                  "arbitrate by priority within 1h dedupe within 1d }\n"},
      {"journey", "import \"std/events\"\n"
                  "journey j {\n  title \"t\" owner \"o\" priority 10 version 2 reentry after 30d\n"
                  "  on rx as r where r.brand == \"X\" && !(r.n in [1, 2])\n"
                  "  exit when stop as s where s.id == hcp.id\n"
                  "  send email \"hi {hcp.name}\" to hcp with { a: 1, b: {\"k\": -2.5e3}, }\n"
                  "  wait 1h30m\n  wait until 09:00 local\n  wait until r.at + 2d\n"
                  "  wait up to 3d for rx as r2 then { end } timeout { wait 1d }\n"
                  "  if a { end } else if b { wait 1d } else { end }\n"
                  "  choose { when x > 1 -> end otherwise -> { end } }\n"
                  "  choose best by score(option) { a -> end b -> end }\n"
                  "  split { 50% a -> end 50% b -> end }\n"
                  "  task staff where staff.role == \"msl\" best by -staff.load \"t\" due 2d\n"
                  "  notify hcp.rep \"n\"\n  start other\n  emit ev { a: 1u, b: b'xy', c: r\"raw\\q\" }\n"
                  "  let v = x ? 1 : 2\n  set v = v * 3 % 2\n  end\n}\n"},
      {"deep_but_allowed", InJourney(Repeat("(", 30) + "1" + Repeat(")", 30))},
      {"triple_quoted", InJourney("\"\"\"line one\nline two\"\"\"")},
  };
}

INSTANTIATE_TEST_SUITE_P(Valid, ValidParse, ::testing::ValuesIn(ValidCases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tutti::compiler
