// What every stage shares (base/): outside bytes made printable (always
// valid UTF-8, control characters and stray bytes escaped, bounded at a
// character boundary), the UTF-8 check (no overlong forms, surrogates or
// code points past U+10FFFF), Status and Result with the TUTTI_TRY and
// TUTTI_ASSIGN_OR_RETURN macros, and TUTTI_CHECK aborting with its message.

#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "base/check.h"
#include "base/status.h"
#include "base/text.h"

namespace tutti {
namespace {

using namespace std::string_literals;

// --- Printable ----------------------------------------------------------

struct PrintableCase {
  std::string name;
  std::string input;
  std::string printed;
};

TEST(Printable, EscapesControlCharactersAndBytesThatAreNotUtf8) {
  const PrintableCase cases[] = {
      {"plain text is kept", "hello, world", "hello, world"},
      {"valid multi-byte UTF-8 is kept", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"},
      {"newline", "a\nb", "a\\nb"},
      {"carriage return", "a\rb", "a\\rb"},
      {"tab", "a\tb", "a\\tb"},
      {"NUL", "a\0b"s, "a\\x00b"},
      {"escape (a terminal sequence)", "\x1b[31mred", "\\x1b[31mred"},
      {"bell", "\x07", "\\x07"},
      {"DEL", "\x7f", "\\x7f"},
      {"a C1 control (U+0085)", "a\xc2\x85" "b", "a\\xc2\\x85b"},
      {"a C1 control (U+009B, CSI)", "\xc2\x9b" "31m", "\\xc2\\x9b31m"},
      {"U+00A0 is not a control", "\xc2\xa0", "\xc2\xa0"},
      {"a lone continuation byte", "a\x80" "b", "a\\x80b"},
      {"a byte that never starts UTF-8", "\xff\xfe", "\\xff\\xfe"},
      {"a sequence cut short", "a\xe2\x82", "a\\xe2\\x82"},
      {"an overlong '/'", "\xc0\xaf", "\\xc0\\xaf"},
      {"a surrogate", "\xed\xa0\x80", "\\xed\\xa0\\x80"},
      {"past U+10FFFF", "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},
      {"empty", "", ""},
  };
  for (const PrintableCase& c : cases) {
    std::string printed = Printable(c.input);
    EXPECT_EQ(printed, c.printed) << c.name;
    EXPECT_TRUE(ValidUtf8(printed)) << c.name;
  }
}

TEST(Printable, KeepsTextUpToTheLimitWhole) {
  std::string exactly(200, 'a');
  EXPECT_EQ(Printable(exactly), exactly);
  EXPECT_EQ(Printable("abc", 3), "abc");
}

TEST(Printable, CutsTextPastTheLimitAndMarksIt) {
  EXPECT_EQ(Printable(std::string(300, 'a')), std::string(200, 'a') + "...");
  EXPECT_EQ(Printable("abcdef", 4), "abcd...");
  EXPECT_EQ(Printable("abc", 0), "...");
}

TEST(Printable, CutsAtACharacterBoundary) {
  // 150 two-byte characters: a cut at 201 bytes would split the 101st.
  std::string e_acute;
  for (int i = 0; i < 150; ++i) e_acute += "\xc3\xa9";
  std::string printed = Printable(e_acute, 201);
  EXPECT_EQ(printed.size(), 200u + 3u);
  EXPECT_EQ(printed.substr(200), "...");
  EXPECT_TRUE(ValidUtf8(printed));

  // A four-byte character is never split either.
  std::string clefs;
  for (int i = 0; i < 10; ++i) clefs += "\xf0\x9d\x84\x9e";
  for (size_t limit = 0; limit < 40; ++limit) {
    std::string p = Printable(clefs, limit);
    EXPECT_TRUE(ValidUtf8(p)) << limit;
    EXPECT_EQ(p, clefs.substr(0, limit / 4 * 4) + "...") << limit;
  }
  EXPECT_EQ(Printable(clefs, 40), clefs);
}

TEST(Printable, NeverSplitsAnEscape) {
  // Each \x01 becomes four bytes; a limit of 10 holds two of them whole.
  EXPECT_EQ(Printable("\x01\x01\x01\x01", 10), "\\x01\\x01...");
}

TEST(Printable, IsValidUtf8ForEveryByteAndEveryPairOfBytes) {
  for (int a = 0; a < 256; ++a) {
    std::string one(1, static_cast<char>(a));
    std::string p = Printable(one);
    EXPECT_TRUE(ValidUtf8(p)) << a;
    for (unsigned char c : p) EXPECT_TRUE(c >= 0x20 && c != 0x7f) << "byte " << a << " printed as " << p;
    for (int b = 0; b < 256; b += 7) {
      std::string two = one + static_cast<char>(b) + "\xbf\x80";
      EXPECT_TRUE(ValidUtf8(Printable(two, 5))) << a << " " << b;
    }
  }
}

// --- ValidUtf8, Utf8SequenceLength ---------------------------------------

TEST(ValidUtf8, TakesWellFormedText) {
  const std::string valid[] = {
      "",
      "ascii",
      "a\0b"s,               // NUL is a code point
      "\xc2\x80",            // U+0080, the first two-byte one
      "\xdf\xbf",            // U+07FF
      "\xe0\xa0\x80",        // U+0800, the first three-byte one
      "\xed\x9f\xbf",        // U+D7FF, just before the surrogates
      "\xee\x80\x80",        // U+E000, just after them
      "\xef\xbf\xbf",        // U+FFFF
      "\xf0\x90\x80\x80",    // U+10000, the first four-byte one
      "\xf4\x8f\xbf\xbf",    // U+10FFFF, the last
      "caf\xc3\xa9 \xe2\x82\xac",
  };
  for (const std::string& s : valid) EXPECT_TRUE(ValidUtf8(s)) << Printable(s);
}

TEST(ValidUtf8, RefusesOverlongFormsSurrogatesAndCodePointsPastTheLast) {
  const std::string invalid[] = {
      "\xc0\x80",                // overlong NUL
      "\xc0\xaf",                // overlong '/'
      "\xc1\xbf",                // overlong U+007F
      "\xe0\x80\xaf",            // overlong '/' in three bytes
      "\xe0\x9f\xbf",            // overlong U+07FF
      "\xf0\x80\x80\xaf",        // overlong '/' in four bytes
      "\xf0\x8f\xbf\xbf",        // overlong U+FFFF
      "\xed\xa0\x80",            // U+D800, a high surrogate
      "\xed\xbf\xbf",            // U+DFFF, a low surrogate
      "\xed\xa0\xbd\xed\xb2\xa9",  // a surrogate pair written as CESU-8
      "\xf4\x90\x80\x80",        // U+110000
      "\xf7\xbf\xbf\xbf",        // U+1FFFFF
      "\xf8\x88\x80\x80\x80",    // a five-byte form
      "\xfc\x84\x80\x80\x80\x80",  // a six-byte form
      "\xfe",
      "\xff",
      "\x80",                    // a continuation byte alone
      "a\xbf" "b",
      "\xc3",                    // cut short
      "\xe2\x82",
      "\xf0\x9d\x84",
      "\xe2\x28\xa1",            // a continuation byte missing in the middle
      "ok\xc3\x28",
  };
  for (const std::string& s : invalid) EXPECT_FALSE(ValidUtf8(s)) << Printable(s);
}

TEST(Utf8SequenceLength, GivesTheLengthOfTheFirstSequenceOrZero) {
  EXPECT_EQ(Utf8SequenceLength(""), 0u);
  EXPECT_EQ(Utf8SequenceLength("a"), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xc3\xa9z"), 2u);
  EXPECT_EQ(Utf8SequenceLength("\xe2\x82\xac"), 3u);
  EXPECT_EQ(Utf8SequenceLength("\xf0\x9d\x84\x9e!"), 4u);
  EXPECT_EQ(Utf8SequenceLength("\x80"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xc0\xaf"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xed\xa0\x80"), 0u);
  EXPECT_EQ(Utf8SequenceLength("\xe2\x82"), 0u);
}

// --- Status ---------------------------------------------------------------

TEST(Status, DefaultsToSuccessWithNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, KeepsItsCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* name;
  };
  const Case cases[] = {
      {Status::Invalid("m"), StatusCode::kInvalid, "invalid"},
      {Status::NotFound("m"), StatusCode::kNotFound, "not found"},
      {Status::Conflict("m"), StatusCode::kConflict, "conflict"},
      {Status::Unavailable("m"), StatusCode::kUnavailable, "unavailable"},
      {Status::Corruption("m"), StatusCode::kCorruption, "corruption"},
      {Status::Internal("m"), StatusCode::kInternal, "internal"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.name;
    EXPECT_EQ(c.status.code(), c.code) << c.name;
    EXPECT_EQ(c.status.message(), "m") << c.name;
    EXPECT_STREQ(StatusCodeName(c.code), c.name);
  }
  EXPECT_STREQ(StatusCodeName(StatusCode::kOk), "ok");
}

TEST(Status, WithPutsContextBeforeTheMessageAndKeepsTheCode) {
  Status s = Status::NotFound("no such file").With("reading x.json");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "reading x.json: no such file");
  EXPECT_TRUE(Status::Ok().With("reading x.json").ok());
  EXPECT_EQ(Status::Ok().With("reading x.json").message(), "");
}

TEST(StatusDeathTest, AFailureWithTheSuccessCodeAborts) {
  EXPECT_DEATH(Status(StatusCode::kOk, "but it failed").IgnoreError(), "a failure needs a code other than kOk");
}

// --- Result ---------------------------------------------------------------

TEST(Result, HoldsAValue) {
  Result<int> r = 42;
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 42);
  EXPECT_EQ(*r, 42);
  EXPECT_TRUE(r.status().ok());
  *r = 43;
  EXPECT_EQ(r.value(), 43);

  Result<std::string> s = std::string("text");
  EXPECT_EQ(s->size(), 4u);
}

TEST(Result, HoldsAFailure) {
  Result<int> r = Status::Unavailable("disk full");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "disk full");
}

TEST(Result, MovesAValueThatCannotBeCopiedOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(ResultDeathTest, TheValueOfAFailureAborts) {
  Result<int> r = Status::Invalid("bad");
  EXPECT_DEATH((void)r.value(), "the value of a failed Result");
  const Result<int>& c = r;
  EXPECT_DEATH((void)c.value(), "the value of a failed Result");
  EXPECT_DEATH((void)*r, "the value of a failed Result");
}

TEST(ResultDeathTest, AResultOfSuccessWithoutAValueAborts) {
  EXPECT_DEATH((void)Result<int>(Status::Ok()).ok(), "a Result holds a value or a failure, not success");
}

// --- TUTTI_TRY, TUTTI_ASSIGN_OR_RETURN ------------------------------------

int evaluations = 0;

Status Counted(Status s) {
  ++evaluations;
  return s;
}

Result<int> Half(int n) {
  ++evaluations;
  if (n % 2 != 0) return Status::Invalid(std::to_string(n) + " is odd");
  return n / 2;
}

Status TryBoth(Status first, Status second, int* reached) {
  *reached = 0;
  TUTTI_TRY(Counted(first));
  *reached = 1;
  TUTTI_TRY(Counted(second));
  *reached = 2;
  return Status::Ok();
}

Status TryResult(int n, int* reached) {
  *reached = 0;
  TUTTI_TRY(Half(n));
  *reached = 1;
  return Status::Ok();
}

Result<int> Quarter(int n) {
  TUTTI_ASSIGN_OR_RETURN(int half, Half(n));
  TUTTI_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status QuarterInto(int n, int* out) {
  int value = -1;
  TUTTI_ASSIGN_OR_RETURN(value, Quarter(n));  // assigns an existing variable
  *out = value;
  return Status::Ok();
}

Result<std::unique_ptr<int>> Boxed(int n) {
  if (n < 0) return Status::Invalid("negative");
  return std::make_unique<int>(n);
}

Result<int> Unboxed(int n) {
  TUTTI_ASSIGN_OR_RETURN(std::unique_ptr<int> box, Boxed(n));
  return *box + 1;
}

TEST(TuttiTry, GoesOnWhenItWorkedAndReturnsTheFailureWhenNot) {
  int reached = -1;
  evaluations = 0;
  EXPECT_TRUE(TryBoth(Status::Ok(), Status::Ok(), &reached).ok());
  EXPECT_EQ(reached, 2);
  EXPECT_EQ(evaluations, 2);  // each expression evaluated once

  evaluations = 0;
  Status s = TryBoth(Status::Conflict("first"), Status::Ok(), &reached);
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(s.message(), "first");
  EXPECT_EQ(reached, 0);
  EXPECT_EQ(evaluations, 1);

  s = TryBoth(Status::Ok(), Status::Corruption("second"), &reached);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_EQ(s.message(), "second");
  EXPECT_EQ(reached, 1);
}

TEST(TuttiTry, TakesAResultAndReturnsItsStatus) {
  int reached = -1;
  EXPECT_TRUE(TryResult(4, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = TryResult(3, &reached);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(s.message(), "3 is odd");
  EXPECT_EQ(reached, 0);
}

TEST(TuttiAssignOrReturn, DeclaresTheValueOrReturnsTheFailure) {
  evaluations = 0;
  Result<int> q = Quarter(12);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, 3);
  EXPECT_EQ(evaluations, 2);

  Result<int> odd = Quarter(6);  // 6 / 2 = 3, which is odd
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().message(), "3 is odd");

  Result<int> first = Quarter(5);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().message(), "5 is odd");
}

TEST(TuttiAssignOrReturn, AssignsAnExistingVariable) {
  int out = 0;
  EXPECT_TRUE(QuarterInto(8, &out).ok());
  EXPECT_EQ(out, 2);
  out = 0;
  Status s = QuarterInto(7, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalid);
  EXPECT_EQ(out, 0);
}

TEST(TuttiAssignOrReturn, MovesAValueThatCannotBeCopied) {
  Result<int> r = Unboxed(4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 5);
  EXPECT_EQ(Unboxed(-1).status().message(), "negative");
}

// --- TUTTI_CHECK ----------------------------------------------------------

TEST(TuttiCheck, DoesNothingWhenItsConditionHolds) {
  int n = 1;
  TUTTI_CHECK(n == 1, "n is one");
  SUCCEED();
}

TEST(TuttiCheckDeathTest, AbortsWithTheFileTheLineTheConditionAndTheContract) {
  int n = 1;
  EXPECT_DEATH(TUTTI_CHECK(n == 2, "n must be two"),
               "tutti: internal error at .*base_test\\.cc:[0-9]+: n == 2: n must be two");
  EXPECT_DEATH(TUTTI_UNREACHABLE("a place the code never reaches"),
               "internal error at .*: unreachable: a place the code never reaches");
}

}  // namespace
}  // namespace tutti
