// JSON from outside parsed with limits (runtime/records/json_input.h): a
// NUL byte anywhere refused with its column, a key given twice refused at
// any depth, nesting past the limit refused before parsing (100,000 levels
// do not crash), inputs over the size limit and trailing garbage refused,
// valid input taken; and no message ever quotes the input's bytes but key
// names.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/text.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {
namespace {

using namespace std::string_literals;

/// The refusal of `text` (with its column), failing when it is taken.
JsonError Refusal(const std::string& text, const JsonLimits& limits = {}) {
  JsonError error;
  Result<nlohmann::json> r = ParseJsonInput(text, limits, &error);
  EXPECT_FALSE(r.ok()) << Printable(text, 80) << " was taken";
  if (!r.ok()) {
    EXPECT_EQ(r.status().code(), StatusCode::kInvalid);
    EXPECT_EQ(r.status().message(), error.message);
  }
  EXPECT_TRUE(ValidUtf8(error.message)) << Printable(error.message);
  return error;
}

// --- Valid input -------------------------------------------------------------------

TEST(ParseJsonInput, TakesValidJson) {
  const std::string inputs[] = {
      R"({"a": 1, "b": [1, 2.5, {"c": null}], "d": "caf\u00e9", "e": true, "f": "tab\there"})",
      "{}",
      "[]",
      "1",
      "-0.5e3",
      "\"text\"",
      "null",
      " \t\r\n{\"a\": 1}\r\n \t",
      R"([{"a": 1}, {"a": 2}])",            // the same key in two objects
      R"({"a": {"a": {"a": 1}}})",          // and at each level
      R"({"a": {"b": 1}, "c": {"b": 2}})",  // siblings
      "{\"caf\xc3\xa9\": \"\xe2\x82\xac\"}",
      R"({"big": 18446744073709551615, "neg": -9223372036854775808})",
  };
  for (const std::string& text : inputs) {
    JsonError error;
    Result<nlohmann::json> r = ParseJsonInput(text, {}, &error);
    EXPECT_TRUE(r.ok()) << text << ": " << error.message;
  }
  Result<nlohmann::json> r = ParseJsonInput(R"({"a": [1, {"b": "c"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["a"][1]["b"], "c");
}

TEST(ParseJsonInput, TakesNestingUpToTheLimit) {
  std::string deep = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(ParseJsonInput(deep).ok());
  EXPECT_TRUE(ParseJsonInput("[[[]]]", {1 << 20, 3}).ok());
  // Brackets inside strings are not nesting.
  std::string in_string = "{\"a\": \"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  EXPECT_TRUE(ParseJsonInput(in_string, {1 << 20, 1}).ok());
}

TEST(ParseJsonInput, TakesInputOfExactlyTheSizeLimit) {
  EXPECT_TRUE(ParseJsonInput("[1,2,3,45]", {10, 64}).ok());
}

// --- NUL bytes -------------------------------------------------------------------------

TEST(ParseJsonInput, RefusesANulByteAnywhereWithItsColumn) {
  struct Case {
    std::string text;
    size_t column;
  };
  const Case cases[] = {
      {"\0{}"s, 1},
      {"{\"a\": \"x\0y\"}"s, 9},
      {"{\"a\0\": 1}"s, 4},
      {"{}\0"s, 3},
      {"{} \0 garbage"s, 4},
      {"[1, 2,\0 3]"s, 7},
      {"\0"s, 1},
      {"{\"a\": 1}\n\0\n"s, 10},
  };
  for (const Case& c : cases) {
    JsonError error = Refusal(c.text);
    EXPECT_EQ(error.column, c.column) << Printable(c.text);
    EXPECT_EQ(error.message, "a NUL byte is not allowed in JSON input");
  }
}

TEST(ParseJsonInput, TakesAnEscapedNul) {
  Result<nlohmann::json> r = ParseJsonInput(R"({"a": "x\u0000y"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["a"].get<std::string>(), "x\0y"s);
}

// --- Keys given twice ---------------------------------------------------------------

TEST(ParseJsonInput, RefusesAKeyGivenTwiceAtAnyDepth) {
  struct Case {
    std::string text, key;
  };
  const Case cases[] = {
      {R"({"a": 1, "a": 2})", "a"},
      {R"({"a": 1, "a": 1})", "a"},
      {R"({"id": 1, "x": 2, "id": 3})", "id"},
      {R"({"x": {"b": 1, "b": 2}})", "b"},
      {R"([{"k": 1, "k": 1}])", "k"},
      {R"({"a": [{"b": {"c": 1, "c": 2}}]})", "c"},
      {R"([{"a": 1}, {"b": 1, "b": 2}])", "b"},
      {R"({"a": 1, "\u0061": 2})", "a"},  // the same key, escaped
      {R"({"": 1, "": 2})", ""},
  };
  for (const Case& c : cases) {
    JsonError error = Refusal(c.text);
    EXPECT_EQ(error.message, "the key '" + c.key + "' appears twice in one object") << c.text;
  }
}

TEST(ParseJsonInput, PrintsARepeatedKeyPrintably) {
  JsonError error = Refusal(R"({"\u001b[2J\n\u00ff": 1, "\u001b[2J\n\u00ff": 2})");
  EXPECT_EQ(error.message, "the key '\\x1b[2J\\n\xc3\xbf' appears twice in one object");
  error = Refusal("{\"" + std::string(1000, 'k') + "\": 1, \"" + std::string(1000, 'k') + "\": 2}");
  EXPECT_LT(error.message.size(), 200u);
}

// --- Depth ----------------------------------------------------------------------------

TEST(ParseJsonInput, RefusesNestingPastTheLimitWithItsColumn) {
  JsonError error = Refusal(std::string(65, '[') + std::string(65, ']'));
  EXPECT_EQ(error.column, 65u);
  EXPECT_EQ(error.message, "the JSON is nested deeper than 64 levels");

  error = Refusal(R"({"a": {"b": [1]}})", {1 << 20, 2});
  EXPECT_EQ(error.column, 13u);
  EXPECT_EQ(error.message, "the JSON is nested deeper than 2 levels");
}

TEST(ParseJsonInput, Refuses100000LevelsOverSeveralLinesWithoutCrashing) {
  std::string open, object, closed;
  for (int i = 0; i < 100000; ++i) open += "[\n";
  for (int i = 0; i < 100000; ++i) object += "{\"a\":\n";
  closed = std::string(100000, '[') + "\n" + std::string(100000, ']');
  for (const std::string& text : {open, object, closed, open + "1" + std::string(100000, ']')}) {
    JsonError error = Refusal(text);
    EXPECT_EQ(error.message, "the JSON is nested deeper than 64 levels");
    EXPECT_GT(error.column, 64u);
    EXPECT_LT(error.column, 700u);
  }
  EXPECT_EQ(Refusal(open).column, 129u);  // the 65th '[', after 64 "[\n"
}

TEST(DeeperThan, CountsOnlyBracketsOutsideStrings) {
  EXPECT_EQ(DeeperThan("[[]]", 2), 0u);
  EXPECT_EQ(DeeperThan("[[]]", 1), 2u);
  EXPECT_EQ(DeeperThan("{}", 0), 1u);
  EXPECT_EQ(DeeperThan("", 0), 0u);
  EXPECT_EQ(DeeperThan("\"[[[\"", 0), 0u);
  EXPECT_EQ(DeeperThan(R"(["\"[[[["])", 1), 0u);      // an escaped quote does not end the string
  EXPECT_EQ(DeeperThan(R"(["\\"[[)", 2), 7u);          // an escaped backslash does not escape the quote
  EXPECT_EQ(DeeperThan("[][][][]", 1), 0u);
  EXPECT_EQ(DeeperThan("]]]][[", 1), 6u);               // closers never make room for more openers
}

// --- Size ------------------------------------------------------------------------------

TEST(ParseJsonInput, RefusesInputOverTheSizeLimit) {
  JsonError error = Refusal("[1,2,3,4,5]", {10, 64});
  EXPECT_EQ(error.message, "the JSON is 11 bytes long; the limit is 10");
  std::string big = "\"" + std::string(1 << 20, 'x') + "\"";
  error = Refusal(big);
  EXPECT_EQ(error.message, "the JSON is 1048578 bytes long; the limit is 1048576");
}

// --- Malformed input ---------------------------------------------------------------------

TEST(ParseJsonInput, RefusesTrailingGarbage) {
  for (const std::string& text : {R"({"a": 1} x)", R"({"a": 1}{"b": 2})", "1 2", R"({"a": 1}])", "[] []",
                                  "{}\n{}", "null,", "\"a\" \"b\""}) {
    JsonError error = Refusal(text);
    EXPECT_EQ(error.message.rfind("malformed JSON: ", 0), 0u) << text << ": " << error.message;
    EXPECT_GT(error.column, 0u) << text;
  }
}

TEST(ParseJsonInput, RefusesMalformedInput) {
  for (const std::string& text : {""s, " "s, "{"s, "}"s, "["s, "{\"a\"}"s, "{\"a\": }"s, "{'a': 1}"s, "[1,]"s,
                                  "{\"a\": 1,}"s, "tru"s, "01"s, "+1"s, ".5"s, "NaN"s, "Infinity"s, "\"\\x41\""s,
                                  "\"a\nb\""s, "\"\xff\""s, "\"\xc0\xaf\""s, "\"\xed\xa0\x80\""s, "\"\\ud800\""s,
                                  "/* c */ {}"s, "{\"a\": 1} // c"s}) {
    JsonError error = Refusal(text);
    EXPECT_EQ(error.message.rfind("malformed JSON: ", 0), 0u) << Printable(text) << ": " << error.message;
  }
}

TEST(ParseJsonInput, NeverQuotesTheInputInItsMessages) {
  // Values may hold personal data; only key names are ever quoted.
  const std::string secret = "SECRETVALUE";
  const std::string inputs[] = {
      R"({"a": "SECRETVALUE)",
      R"({"a": SECRETVALUE})",
      R"({"a": "SECRETVALUE\q"})",
      R"({"a": "SECRETVALUE\u12"})",
      "{\"a\": \"SECRETVALUE\x01\"}",
      "{\"a\": \"SECRETVALUE\xff\"}",
      "{\"a\": \"SECRETVALUE\xed\xa0\x80\"}",
      R"({"a": 1} SECRETVALUE)",
      R"({"a": 1} "SECRETVALUE")",
      R"({"a": "SECRETVALUE", "a": 2})",
      R"({"a": "SECRETVALUE" "b": 2})",
      R"(["SECRETVALUE" 1])",
      R"(SECRETVALUE)",
      R"("SECRETVALUE)",
      R"({SECRETVALUE: 1})",
      R"({"a": 1SECRETVALUE})",
      R"({"a": -SECRETVALUE})",
  };
  for (const std::string& text : inputs) {
    JsonError error = Refusal(text);
    EXPECT_EQ(error.message.find(secret), std::string::npos) << error.message;
  }
}

TEST(ParseJsonInput, NeverQuotesANumberTooLargeForADouble) {
  // A long run of digits (a card or phone number typed into a number field)
  // is input like any other.
  for (const std::string& number : {"1234567890e999"s, "-1234567890e999"s, "1234567890" + std::string(400, '0')}) {
    JsonError error = Refusal("{\"a\": " + number + "}");
    EXPECT_EQ(error.message.find("1234567890"), std::string::npos) << error.message;
  }
}

TEST(ParseJsonInput, WorksWithoutAnErrorToFill) {
  Result<nlohmann::json> r = ParseJsonInput("{\"a\": 1, \"a\": 2}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "the key 'a' appears twice in one object");
  EXPECT_FALSE(ParseJsonInput("\0"s).ok());
  EXPECT_FALSE(ParseJsonInput(std::string(100, '[')).ok());
}

TEST(ParseJsonInput, NeverThrowsOnMutatedInput) {
  const std::string valid = R"({"type": "email_opened", "hcp": "h1", "opens": [1, 2, {"x": null}], "n": -1.5e3})";
  for (size_t i = 0; i < valid.size(); ++i) {
    for (int b : {0x00, 0x01, 0x22, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x80, 0xc3, 0xff}) {
      std::string mutated = valid;
      mutated[i] = static_cast<char>(b);
      JsonError error;
      Result<nlohmann::json> r = ParseJsonInput(mutated, {}, &error);
      if (r.ok()) {
        EXPECT_TRUE(ValidUtf8(r->dump())) << Printable(mutated);
      } else {
        EXPECT_TRUE(ValidUtf8(error.message));
      }
    }
  }
}

}  // namespace
}  // namespace tutti::runtime
