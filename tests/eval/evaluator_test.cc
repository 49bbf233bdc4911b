// The interpreter, table-driven: an expression, its bindings, and the
// result's debug string (or the start of an error's message).

#include "compiler/eval/evaluator.h"

#include <gtest/gtest.h>

#include "compiler/parse/parse.h"
#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace tutti::compiler::eval {
namespace {

class EvaluatorTest : public ::testing::Test {
 protected:
  EvaluatorTest() {
    stdlib::RegisterStandardLibrary(registry_);
    stdlib::RegisterStandardImplementations(table_);
    functions_ = std::make_unique<Functions>(registry_, table_);
  }

  Value Eval(const std::string& text, const Activation& act = Activation()) {
    Source source("<test>", text);
    DiagnosticSink sink;
    auto expr = ParseExpression(source, sink);
    EXPECT_NE(expr, nullptr) << text;
    if (!expr) return Value::Error("parse error");
    return Evaluate(*expr, act, *functions_);
  }

  BuiltinRegistry registry_;
  FunctionTable table_;
  std::unique_ptr<Functions> functions_;
};

struct Case {
  const char* expr;
  const char* want;  // DebugString of the result; "error:TEXT" for an error containing TEXT
};

void ExpectResult(const Case& c, const Value& got) {
  std::string want = c.want;
  if (want.rfind("error:", 0) == 0) {
    ASSERT_TRUE(got.IsError()) << c.expr << " gave " << DebugString(got);
    EXPECT_NE(got.ErrorMessage().find(want.substr(6)), std::string::npos)
        << c.expr << " gave " << got.ErrorMessage();
  } else {
    EXPECT_EQ(DebugString(got), want) << c.expr;
  }
}

TEST_F(EvaluatorTest, Arithmetic) {
  const Case cases[] = {
      {"1 + 2 * 3", "7"},
      {"7 / 2", "3"},
      {"-7 % 3", "-1"},
      {"7u / 2u", "3u"},
      {"1.5 * 2.0", "3.0"},
      {"9223372036854775807 + 1", "error:overflow"},
      {"-9223372036854775808 - 1", "error:overflow"},
      {"-9223372036854775808 / -1", "error:overflow"},
      {"-(-9223372036854775808)", "error:overflow"},
      {"0u - 1u", "error:overflow"},
      {"18446744073709551615u * 2u", "error:overflow"},
      {"1 / 0", "error:division by zero"},
      {"1 % 0", "error:modulus by zero"},
      {"1.0 / 0.0", "+Inf"},
      {"1 + 1u", "error:no matching overload"},
      {"'ab' + 'cd'", "\"abcd\""},
      {"b'a' + b'b'", "b\"ab\""},
      {"[1] + [2, 3]", "[1, 2, 3]"},
      {"5.5 % 2.0", "error:no matching overload"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, ComparisonAndMembership) {
  const Case cases[] = {
      {"1 == 1.0", "true"},
      {"1u == 1", "true"},
      {"1 == '1'", "false"},
      {"[1, 2] == [1.0, 2u]", "true"},
      {"{'a': 1} == {'a': 1.0}", "true"},
      {"1 < 2u", "true"},
      {"-1 < 0u", "true"},
      {"2.5 >= 2", "true"},
      {"'abc' < 'abd'", "true"},
      {"1 < 'a'", "error:no matching overload"},
      {"2 in [1, 2, 3]", "true"},
      {"2.0 in [1, 2, 3]", "true"},
      {"'b' in {'a': 1, 'b': 2}", "true"},
      {"3 in {'a': 1}", "false"},
      {"1 in 1", "error:no matching overload"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, LogicAbsorbsErrors) {
  const Case cases[] = {
      {"false && 1 / 0 == 1", "false"},
      {"1 / 0 == 1 && false", "false"},
      {"true || 1 / 0 == 1", "true"},
      {"1 / 0 == 1 || true", "true"},
      {"1 / 0 == 1 && true", "error:division by zero"},
      {"true && 1", "error:no matching overload"},
      {"!true", "false"},
      {"!1", "error:no matching overload"},
      {"true ? 1 : 1 / 0", "1"},
      {"false ? 1 / 0 : 2", "2"},
      {"1 ? 2 : 3", "error:no matching overload"},
      {"true and not false", "true"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, IndexingAndFields) {
  const Case cases[] = {
      {"[1, 2, 3][1]", "2"},
      {"[1, 2, 3][1u]", "2"},
      {"[1, 2, 3][3]", "error:index out of range"},
      {"[1, 2, 3][-1]", "error:index out of range"},
      {"{'a': 1}['a']", "1"},
      {"{'a': 1}['b']", "error:no such key"},
      {"{1: 'x'}[1.0]", "\"x\""},
      {"{'a': {'b': 2}}.a.b", "2"},
      {"{'a': 1}.b", "error:no such key"},
      {"has({'a': 1}.a)", "true"},
      {"has({'a': 1}.b)", "false"},
      {"has(1.a)", "error:"},
      {"{'a': 1, 'a': 2}", "error:repeated key"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, Macros) {
  const Case cases[] = {
      {"[1, 2, 3].all(x, x > 0)", "true"},
      {"[1, 2, 3].exists(x, x > 2)", "true"},
      {"[1, 2, 3].exists_one(x, x > 1)", "false"},
      {"[1, 2, 3].map(x, x * 2)", "[2, 4, 6]"},
      {"[1, 2, 3].map(x, x > 1, x * 2)", "[4, 6]"},
      {"[1, 2, 3].filter(x, x % 2 == 1)", "[1, 3]"},
      {"{'a': 1, 'b': 2}.all(k, k != 'c')", "true"},
      // all: a false wins over an error; exists: a true wins over an error.
      {"[0, 1].all(x, 1 / x > 5)", "false"},
      {"[0, 1].exists(x, 1 / x == 1)", "true"},
      {"[0, 1].all(x, 1 / x > 0)", "error:division by zero"},
      {"[0].exists_one(x, 1 / x == 1)", "error:division by zero"},
      {"1.all(x, true)", "error:no matching overload"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, Conversions) {
  const Case cases[] = {
      {"int('42')", "42"},
      {"int('4x')", "error:invalid int"},
      {"int(2.9)", "2"},
      {"int(-2.9)", "-2"},
      {"int(9223372036854775807.0)", "error:range"},
      {"int(18446744073709551615u)", "error:range"},
      {"uint(-1)", "error:range"},
      {"double('1e3')", "1000.0"},
      {"string(1.5)", "\"1.5\""},
      {"string(b'\\xff')", "error:UTF-8"},
      {"bool('TRUE')", "true"},
      {"bool('yes')", "error:invalid bool"},
      {"type(1) == int", "true"},
      {"type(type(1))", "type(type)"},
      {"dyn(1) + 2", "3"},
      {"size('héllo')", "5"},
      {"size(b'h\\xc3\\xa9')", "3"},
      {"[1, 2].size()", "2"},
      {"size({'a': 1})", "1"},
      {"nope", "error:undeclared reference"},
      {"nope(1)", "error:unknown function"},
      {"size(1)", "error:no matching overload"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, Strings) {
  const Case cases[] = {
      {"'hello'.contains('ell')", "true"},
      {"'hello'.startsWith('he')", "true"},
      {"'hello'.endsWith('lo')", "true"},
      {"'hello'.matches('^h.*o$')", "true"},
      {"matches('hello', 'l+')", "true"},
      {"'hello'.matches('(')", "error:invalid regular expression"},
      {"'HeLLo'.lowerAscii()", "\"hello\""},
      {"'HeLLo'.upperAscii()", "\"HELLO\""},
      {"'  hi \\n'.trim()", "\"hi\""},
      {"'a-b-c'.replace('-', '+')", "\"a+b+c\""},
      {"'a,b,,c'.split(',')", "[\"a\", \"b\", \"\", \"c\"]"},
      {"'héllo'.indexOf('l')", "2"},
      {"'héllo'.indexOf('z')", "-1"},
      {"'héllo'.substring(1, 3)", "\"él\""},
      {"'héllo'.substring(2)", "\"llo\""},
      {"'abc'.substring(2, 1)", "error:index out of range"},
      {"['a', 'b'].join('-')", "\"a-b\""},
      {"['a', 1].join()", "error:join"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, TimeAndZones) {
  const Case cases[] = {
      {"timestamp('2009-02-13T23:31:30Z') + duration('1h')",
       "timestamp(\"2009-02-14T00:31:30Z\")"},
      {"timestamp('2009-02-13T23:31:30Z') - timestamp('2009-02-13T23:00:00Z')",
       "duration(\"1890s\")"},
      {"timestamp('2009-02-13T23:31:30Z') + 7d", "timestamp(\"2009-02-20T23:31:30Z\")"},
      {"duration('1h') + 30m", "duration(\"5400s\")"},
      {"timestamp('9999-12-31T23:59:59Z') + duration('1s')", "error:range"},
      {"timestamp('2009-02-13T23:31:30Z').getHours()", "23"},
      {"timestamp('2009-02-13T23:31:30Z').getHours('America/New_York')", "18"},
      // New York in July is on daylight time (UTC-4).
      {"timestamp('2009-07-13T23:31:30Z').getHours('America/New_York')", "19"},
      {"timestamp('2009-02-13T23:31:30Z').getHours('+05:30')", "5"},
      {"timestamp('2009-02-13T23:31:30Z').getMinutes('+05:30')", "1"},
      {"timestamp('2009-02-13T23:31:30Z').getDate('Asia/Tokyo')", "14"},
      {"timestamp('2009-02-13T23:31:30Z').getDayOfWeek()", "5"},
      {"timestamp('2009-02-13T23:31:30Z').getMonth()", "1"},
      {"timestamp('2009-02-13T23:31:30Z').getHours('Mars/Olympus')", "error:unknown time zone"},
      {"duration('3730s').getMinutes()", "62"},
      {"duration('1.5s').getMilliseconds()", "500"},
      {"string(timestamp('2009-02-13T23:31:30.120Z'))", "\"2009-02-13T23:31:30.12Z\""},
      {"int(timestamp('2009-02-13T23:31:30Z'))", "1234567890"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr));
}

TEST_F(EvaluatorTest, VariablesQualifiedNamesAndRecords) {
  Activation act;
  act.Bind("x", Value(5));
  act.Bind("a.b", MakeMap({{Value("c"), Value(7)}}));
  static const RecordShape kHcp{"hcp", {"specialty", "phone"}};
  auto rec = std::make_shared<Record>();
  rec->shape = &kHcp;
  rec->values = {Value("cardiology"), Value()};
  act.Bind("hcp", Value(std::shared_ptr<const Record>(rec)));
  const Case cases[] = {
      {"x * 2", "10"},
      {"a.b.c", "7"},
      {"[1, 2].map(x, x + 1)", "[2, 3]"},  // the macro variable shadows x
      {"x", "5"},
      {"hcp.specialty == 'cardiology'", "true"},
      {"has(hcp.specialty)", "true"},
      {"has(hcp.phone)", "false"},
      {"hcp.phone == null", "true"},
      {"type(hcp) == type(hcp)", "true"},
  };
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr, act));
}

TEST_F(EvaluatorTest, NamesBoundByCopyOutliveTheTextTheyCameFrom) {
  Activation act;
  for (int i = 0; i < 10; ++i) {  // past the inline entries; v0 and v1 rebound to 8 and 9
    std::string name = "v" + std::to_string(i % 8);
    act.BindCopy(name, Value(int64_t{i}));
    name.assign(40, 'x');  // the caller's text changes; the binding does not
  }
  act.BindCopy(std::string("y"), Value(int64_t{1}));
  const Case cases[] = {{"v0 + v1 + v7 + y", "25"}, {"v2", "2"}};
  for (const auto& c : cases) ExpectResult(c, Eval(c.expr, act));
}

TEST_F(EvaluatorTest, EveryDeclaredCoreStringTimeOverloadIsImplemented) {
  for (const std::string& id : functions_->Unimplemented()) {
    const Overload* o = nullptr;
    for (const auto& ov : registry_.overloads())
      if (ov.id == id) o = &ov;
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->family, "engagement") << id << " has no implementation";
  }
}

}  // namespace
}  // namespace tutti::compiler::eval
