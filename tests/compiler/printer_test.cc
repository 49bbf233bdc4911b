// The AST printers: DebugString (fully parenthesised), ToSource (minimal
// parentheses by CEL precedence), Message::Display and StepKeyword. Most
// cases parse an expression and print it back; literals the parser cannot
// produce (NaN, the extremes) are built by hand.

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "compiler/ast/decl.h"
#include "compiler/parse/parse.h"

namespace tutti::compiler {
namespace {

ast::ExprPtr ParseOrFail(const std::string& text) {
  Source source("expr", text);
  DiagnosticSink sink;
  ast::ExprPtr e = ParseExpression(source, sink);
  EXPECT_NE(e, nullptr) << text << "\n" << RenderText(sink.Sorted());
  return e;
}

std::string Debug(const std::string& text) {
  ast::ExprPtr e = ParseOrFail(text);
  return e ? ast::DebugString(*e) : "<syntax error>";
}

std::string Readable(const std::string& text) {
  ast::ExprPtr e = ParseOrFail(text);
  return e ? ast::ToSource(*e) : "<syntax error>";
}

ast::ExprPtr Literal(ast::Literal value) {
  auto e = std::make_unique<ast::Expr>();
  e->kind = ast::ExprKind::kLiteral;
  e->literal = std::move(value);
  return e;
}

struct Case {
  const char* input;
  const char* expected;
};

TEST(DebugStringTest, ParenthesisesEveryOperator) {
  const Case kCases[] = {
      {"a.b == \"x\"", "(a.b == \"x\")"},
      {"1 + 2 * 3", "(1 + (2 * 3))"},
      {"(1 + 2) * 3", "((1 + 2) * 3)"},
      {"a - b - c", "((a - b) - c)"},
      {"a || b || c", "((a || b) || c)"},
      {"a and b or not c", "((a && b) || (!c))"},
      {"a ? b : c ? d : e", "(a ? b : (c ? d : e))"},
      {"x in [1, 2]", "(x in [1, 2])"},
      {"!a", "(!a)"},
      {"!!a", "(!(!a))"},
      {"-a", "(-a)"},
      {"-(a + b)", "(-(a + b))"},
      {"(a + b).size()", "(a + b).size()"},
  };
  for (const Case& c : kCases) EXPECT_EQ(Debug(c.input), c.expected) << c.input;
}

TEST(DebugStringTest, CallsSelectsAndMacros) {
  const Case kCases[] = {
      {"f(a, b)", "f(a, b)"},
      {"f()", "f()"},
      {".f(a)", ".f(a)"},
      {".a.b", ".a.b"},
      {"x.f(a)", "x.f(a)"},
      {"a.b.c[0][\"k\"]", "a.b.c[0][\"k\"]"},
      {"has(a.b)", "has(a.b)"},
      {"x.all(v, v > 1)", "x.all(v, (v > 1))"},
      {"x.exists_one(v, v)", "x.exists_one(v, v)"},
      {"x.map(v, v * 2)", "x.map(v, (v * 2))"},
      {"x.map(v, v > 0, v * 2)", "x.map(v, (v > 0), (v * 2))"},
      {"[]", "[]"},
      {"{}", "{}"},
      {"{\"a\": 1, 2: [b]}", "{\"a\": 1, 2: [b]}"},
  };
  for (const Case& c : kCases) EXPECT_EQ(Debug(c.input), c.expected) << c.input;
}

TEST(DebugStringTest, LiteralsInCelForm) {
  const Case kCases[] = {
      {"null", "null"},
      {"true", "true"},
      {"false", "false"},
      {"42", "42"},
      {"0x1F", "31"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"7u", "7u"},
      {"18446744073709551615u", "18446744073709551615u"},
      {"1.0", "1.0"},
      {"2.5", "2.5"},
      {"-1.5", "-1.5"},
      {"1e3", "1000.0"},
      {"1.5e300", "1.5e+300"},
      {"0.1", "0.1"},
      {"'single'", "\"single\""},
      {R"("quote \" backslash \\ newline \n tab \t")",
       R"("quote \" backslash \\ newline \n tab \t")"},
      {R"(r"raw \n")", R"("raw \\n")"},
      {R"("\u0001 é")", R"("\x01 é")"},
      {R"(b"\xff\x00a")", R"(b"\xFF\x00a")"},
      {R"(b"é")", R"(b"\xC3\xA9")"},
      {"7d", "7d"},
      {"2w", "14d"},
      {"90m", "1h30m"},
      {"1h30m", "1h30m"},
      {"500ms", "500ms"},
      {"1d2h3m4s5ms", "1d2h3m4s5ms"},
      {"0s", "0s"},
      {"-7d", "-7d"},
  };
  for (const Case& c : kCases) EXPECT_EQ(Debug(c.input), c.expected) << c.input;
}

TEST(DebugStringTest, LiteralsTheParserCannotWrite) {
  EXPECT_EQ(ast::DebugString(*Literal(100.0)), "100.0");
  EXPECT_EQ(ast::DebugString(*Literal(-0.0)), "-0.0");
  EXPECT_EQ(ast::DebugString(*Literal(std::nan(""))), "double(\"NaN\")");
  EXPECT_EQ(ast::DebugString(*Literal(std::numeric_limits<double>::infinity())),
            "double(\"Infinity\")");
  EXPECT_EQ(ast::DebugString(*Literal(-std::numeric_limits<double>::infinity())),
            "double(\"-Infinity\")");
  EXPECT_EQ(ast::DebugString(*Literal(std::string("del \x7f bell \a"))),
            "\"del \\x7F bell \\a\"");
  EXPECT_EQ(ast::DebugString(*Literal(ast::Bytes{std::string("\0\"", 2)})), "b\"\\x00\\\"\"");
  EXPECT_EQ(ast::DebugString(*Literal(ast::Duration{std::numeric_limits<int64_t>::min()})),
            "-106751991167d7h12m55s808ms");
  EXPECT_EQ(ast::DebugString(*Literal(ast::NullValue{})), "null");
}

TEST(DebugStringTest, NegativeLiteralAsReceiverIsParenthesised) {
  EXPECT_EQ(Debug("(-1).abs()"), "(-1).abs()");
  EXPECT_EQ(Debug("-(1.abs())"), "(-1.abs())");
}

TEST(ToSourceTest, MinimalParenthesesByPrecedence) {
  const Case kCases[] = {
      {"a.b == \"x\"", "a.b == \"x\""},
      {"(a + b) * c", "(a + b) * c"},
      {"a + (b * c)", "a + b * c"},
      {"a - (b - c)", "a - (b - c)"},
      {"(a - b) - c", "a - b - c"},
      {"a / (b * c)", "a / (b * c)"},
      {"(a < b) == true", "a < b == true"},
      {"a == (b < c)", "a == (b < c)"},
      {"a || (b || c)", "a || b || c"},
      {"(a && b) || c", "a && b || c"},
      {"a && (b || c)", "a && (b || c)"},
      {"hcp.specialty in [\"a\", \"b\"] and x", "hcp.specialty in [\"a\", \"b\"] && x"},
      {"not a.b", "!a.b"},
      {"!(a && b)", "!(a && b)"},
      {"!(!a)", "!!a"},
      {"-(-a)", "--a"},
      {"!(-a)", "!(-a)"},
      {"-(!a)", "-(!a)"},
      {"-(a + 1)", "-(a + 1)"},
      {"--1", "--1"},
      {"!(-1)", "!(-1)"},
      {"(a ? b : c) ? d : e", "(a ? b : c) ? d : e"},
      {"a ? b : (c ? d : e)", "a ? b : c ? d : e"},
      {"a ? (b ? c : d) : e", "a ? (b ? c : d) : e"},
      {"(a || b) ? c : d", "a || b ? c : d"},
      {"f(a ? b : c, (d))", "f(a ? b : c, d)"},
      {"(a + b).size()", "(a + b).size()"},
      {"(-1).abs()", "(-1).abs()"},
      {"(-a)[0]", "(-a)[0]"},
      {"(x).all(v, (v > 1) && v < 5)", "x.all(v, v > 1 && v < 5)"},
      {"{\"a\": (1 + 2)}[\"a\"]", "{\"a\": 1 + 2}[\"a\"]"},
      {"now() + (7d)", "now() + 7d"},
      {"1.0 - -2.5", "1.0 - -2.5"},
  };
  for (const Case& c : kCases) EXPECT_EQ(Readable(c.input), c.expected) << c.input;
}

// ToSource is read back by the parser as the same tree (|| and && chains
// here are flat, so the parser balances them the same way both times).
TEST(ToSourceTest, ParsesBackToTheSameTree) {
  const char* kInputs[] = {
      "a.b == \"x\" && (c || d) && !e",
      "(a + b) * -c % 3 - f(g, h.i(j))",
      "a ? (b ? c : d) : e ? f : g",
      "(a ? b : c) ? [1, 2u, 3.0] : {\"k\": b\"v\", 'x': null}",
      "x.exists(v, v.tags.all(t, t in [\"a\", \"b\"])) || has(y.z)",
      "-(1.5).floor() + --2 - (-3)",
      "now() - timestamp(\"2024-01-01T00:00:00Z\") > 1h30m",
      "a < b == (c != d)",
      "!(a in b) && !!c",
  };
  for (const char* input : kInputs) {
    ast::ExprPtr original = ParseOrFail(input);
    ASSERT_NE(original, nullptr);
    std::string printed = ast::ToSource(*original);
    ast::ExprPtr reparsed = ParseOrFail(printed);
    ASSERT_NE(reparsed, nullptr) << printed;
    EXPECT_EQ(ast::DebugString(*reparsed), ast::DebugString(*original))
        << input << "\nprinted as " << printed;
  }
}

TEST(ToSourceTest, DebugStringParsesBackToo) {
  const char* kInputs[] = {"a + b * c - d", "!a || -b < c", "x.all(v, v > 1) ? 2.0 : 3e10",
                           "(-1).abs() + -2"};
  for (const char* input : kInputs) {
    ast::ExprPtr original = ParseOrFail(input);
    ASSERT_NE(original, nullptr);
    ast::ExprPtr reparsed = ParseOrFail(ast::DebugString(*original));
    ASSERT_NE(reparsed, nullptr);
    EXPECT_EQ(ast::DebugString(*reparsed), ast::DebugString(*original)) << input;
  }
}

TEST(MessageTest, DisplayShowsInterpolationsAsSource) {
  ast::Message m;
  m.parts.push_back({"Hi ", nullptr});
  m.parts.push_back({"", ParseOrFail("hcp.name")});
  m.parts.push_back({", GLIDIM is on ", nullptr});
  m.parts.push_back({"", ParseOrFail("(win.plan + \"!\")")});
  EXPECT_EQ(m.Display(), "Hi {hcp.name}, GLIDIM is on {win.plan + \"!\"}");
  EXPECT_EQ(ast::Message{}.Display(), "");
}

TEST(MessageTest, DisplayOfAParsedMessage) {
  Source source("m.tutti",
                "journey j { task hcp.rep \"{hcp.name} asked about {{dosing}} \\\"now\\\"\" }");
  DiagnosticSink sink;
  auto file = ParseFile(source, sink);
  ASSERT_NE(file, nullptr) << RenderText(sink.Sorted());
  const auto& task = file->journeys.at(0).steps.steps.at(0)->As<ast::TaskStep>();
  EXPECT_EQ(task.message.Display(), "{hcp.name} asked about {dosing} \"now\"");
}

TEST(StepKeywordTest, NamesEachKind) {
  using K = ast::StepKind;
  const std::pair<K, const char*> kCases[] = {
      {K::kSend, "send"},        {K::kTask, "task"},       {K::kWaitDuration, "wait"},
      {K::kWaitTimeOfDay, "wait"}, {K::kWaitUntil, "wait"}, {K::kWaitEvent, "wait"},
      {K::kIf, "if"},            {K::kChoose, "choose"},   {K::kChooseBest, "choose"},
      {K::kSplit, "split"},      {K::kStart, "start"},     {K::kEmit, "emit"},
      {K::kLet, "let"},          {K::kSet, "set"},         {K::kEnd, "end"},
  };
  for (const auto& [kind, keyword] : kCases) EXPECT_STREQ(ast::StepKeyword(kind), keyword);
}

TEST(OpSpellingTest, SpellsOperatorsAsCel) {
  EXPECT_STREQ(ast::OpSpelling(ast::Op::kAnd), "&&");
  EXPECT_STREQ(ast::OpSpelling(ast::Op::kOr), "||");
  EXPECT_STREQ(ast::OpSpelling(ast::Op::kNot), "!");
  EXPECT_STREQ(ast::OpSpelling(ast::Op::kIn), "in");
  EXPECT_STREQ(ast::OpSpelling(ast::Op::kMod), "%");
}

}  // namespace
}  // namespace tutti::compiler
