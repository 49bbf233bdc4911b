// The value model: equality and ordering across kinds, map keys, and the
// text forms of timestamps, durations and doubles.

#include "compiler/eval/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tutti::compiler::eval {
namespace {

TEST(ValueTest, KindsAndDebugStrings) {
  struct Case {
    Value value;
    ValueKind kind;
    const char* text;
  } cases[] = {
      {Value(), ValueKind::kNull, "null"},
      {Value(true), ValueKind::kBool, "true"},
      {Value(int64_t{-3}), ValueKind::kInt, "-3"},
      {Value(uint64_t{3}), ValueKind::kUint, "3u"},
      {Value(2.5), ValueKind::kDouble, "2.5"},
      {Value(1.0), ValueKind::kDouble, "1.0"},
      {Value("a\"b"), ValueKind::kString, "\"a\\\"b\""},
      {Value(Bytes{std::string("\0x", 2)}), ValueKind::kBytes, "b\"\\x00x\""},
      {Value(List{Value(1), Value("x")}), ValueKind::kList, "[1, \"x\"]"},
      {MakeMap({{Value("k"), Value(1)}}), ValueKind::kMap, "{\"k\": 1}"},
      {Value(Timestamp{0, 0}), ValueKind::kTimestamp, "timestamp(\"1970-01-01T00:00:00Z\")"},
      {Value(Duration{-2, 500000000}), ValueKind::kDuration, "duration(\"-1.5s\")"},
      {Value::Type("int"), ValueKind::kType, "type(int)"},
      {Value::Error("boom"), ValueKind::kError, "error(\"boom\")"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.value.kind(), c.kind) << c.text;
    EXPECT_EQ(DebugString(c.value), c.text);
  }
}

TEST(ValueTest, HeterogeneousNumericEquality) {
  EXPECT_TRUE(Equal(Value(1), Value(uint64_t{1})));
  EXPECT_TRUE(Equal(Value(1), Value(1.0)));
  EXPECT_TRUE(Equal(Value(uint64_t{1}), Value(1.0)));
  EXPECT_FALSE(Equal(Value(-1), Value(std::numeric_limits<uint64_t>::max())));
  EXPECT_FALSE(Equal(Value(1), Value("1")));
  EXPECT_FALSE(Equal(Value(), Value(0)));
  double nan = std::nan("");
  EXPECT_FALSE(Equal(Value(nan), Value(nan)));
  EXPECT_TRUE(Equal(Value(List{Value(1), Value(2.0)}), Value(List{Value(1.0), Value(uint64_t{2})})));
  EXPECT_FALSE(Equal(Value(List{Value(1)}), Value(List{Value(1), Value(2)})));
}

TEST(ValueTest, MapsIgnoreOrderAndUnifyNumericKeys) {
  Value a = MakeMap({{Value(1), Value("one")}, {Value("two"), Value(2)}});
  Value b = MakeMap({{Value("two"), Value(2)}, {Value(uint64_t{1}), Value("one")}});
  EXPECT_TRUE(Equal(a, b));
  ASSERT_NE(a.AsMap().Find(Value(1.0)), nullptr);
  EXPECT_EQ(a.AsMap().Find(Value(1.5)), nullptr);
  EXPECT_EQ(a.AsMap().Find(Value(true)), nullptr);
  EXPECT_TRUE(MakeMap({{Value(1), Value(1)}, {Value(uint64_t{1}), Value(2)}}).IsError());
  EXPECT_TRUE(MakeMap({{Value(1.5), Value(1)}}).IsError());
}

TEST(ValueTest, Ordering) {
  EXPECT_EQ(*Compare(Value(1), Value(uint64_t{2})), std::partial_ordering::less);
  EXPECT_EQ(*Compare(Value(-1), Value(uint64_t{0})), std::partial_ordering::less);
  EXPECT_EQ(*Compare(Value(2.5), Value(2)), std::partial_ordering::greater);
  EXPECT_EQ(*Compare(Value("a"), Value("b")), std::partial_ordering::less);
  EXPECT_EQ(*Compare(Value(std::nan("")), Value(1)), std::partial_ordering::unordered);
  EXPECT_FALSE(Compare(Value(1), Value("1")).has_value());
  EXPECT_FALSE(Compare(Value(), Value()).has_value());
}

TEST(ValueTest, TimestampText) {
  Value t = ParseTimestamp("2009-02-13T23:31:30Z");
  ASSERT_FALSE(t.IsError());
  EXPECT_EQ(t.AsTimestamp().seconds, 1234567890);
  EXPECT_EQ(FormatTimestamp(ParseTimestamp("2009-02-14T00:31:30.5+01:00").AsTimestamp()),
            "2009-02-13T23:31:30.5Z");
  EXPECT_EQ(FormatTimestamp(ParseTimestamp("9999-12-31T23:59:59.999999999Z").AsTimestamp()),
            "9999-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatTimestamp(ParseTimestamp("0001-01-01T00:00:00Z").AsTimestamp()),
            "0001-01-01T00:00:00Z");
  EXPECT_TRUE(ParseTimestamp("0000-01-01T00:00:00Z").IsError());
  EXPECT_TRUE(ParseTimestamp("10000-01-01T00:00:00Z").IsError());
  EXPECT_TRUE(ParseTimestamp("2009-02-30T00:00:00Z").IsError());
  EXPECT_TRUE(ParseTimestamp("2009-02-13 23:31:30Z").IsError());
  EXPECT_TRUE(ParseTimestamp("2009-02-13T23:31:30").IsError());
}

TEST(ValueTest, DurationText) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"90s", "90s"},     {"1h30m", "5400s"},  {"-1.5s", "-1.5s"}, {"100ms", "0.1s"},
      {"3us", "0.000003s"}, {"5ns", "0.000000005s"}, {"0", "0s"}, {"1.5h", "5400s"},
  };
  for (const auto& c : cases) {
    Value d = ParseDuration(c.in);
    ASSERT_FALSE(d.IsError()) << c.in;
    EXPECT_EQ(FormatDuration(d.AsDuration()), c.out) << c.in;
  }
  for (const char* bad : {"", "1", "1x", "s", "-", "1.s.", "320000000000s"})
    EXPECT_TRUE(ParseDuration(bad).IsError()) << bad;
}

TEST(ValueTest, DoubleText) {
  EXPECT_EQ(FormatDouble(123.456), "123.456");
  EXPECT_EQ(FormatDouble(-4.5e-3), "-0.0045");
  EXPECT_EQ(FormatDouble(1e21), "1e+21");
  EXPECT_EQ(FormatDouble(1e20), "100000000000000000000");
  EXPECT_EQ(FormatDouble(1e-5), "1e-05");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(std::nan("")), "NaN");
  EXPECT_EQ(FormatDouble(-HUGE_VAL), "-Inf");
}

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(TypeName(Value()), "null_type");
  EXPECT_EQ(TypeName(Value(Timestamp{})), "google.protobuf.Timestamp");
  EXPECT_EQ(TypeName(Value(Duration{})), "google.protobuf.Duration");
  static const RecordShape kHcp{"hcp", {"id"}};
  auto rec = std::make_shared<Record>();
  rec->shape = &kHcp;
  rec->values = {Value("hcp-1")};
  EXPECT_EQ(TypeName(Value(std::shared_ptr<const Record>(rec))), "hcp");
}

TEST(ValueTest, RecordsCompareByFieldNameNotSlot) {
  static const RecordShape kFull{"hcp", {"id", "name"}};
  static const RecordShape kSwapped{"hcp", {"name", "id"}};
  auto a = std::make_shared<Record>(Record{&kFull, {Value("h1"), Value("Dr. A")}});
  auto b = std::make_shared<Record>(Record{&kSwapped, {Value("Dr. A"), Value("h1")}});
  auto c = std::make_shared<Record>(Record{&kSwapped, {Value("Dr. B"), Value("h1")}});
  EXPECT_TRUE(Equal(Value(std::shared_ptr<const Record>(a)), Value(std::shared_ptr<const Record>(b))));
  EXPECT_FALSE(Equal(Value(std::shared_ptr<const Record>(a)), Value(std::shared_ptr<const Record>(c))));
  EXPECT_EQ(DebugString(Value(std::shared_ptr<const Record>(a))), "hcp{id: \"h1\", name: \"Dr. A\"}");
}

}  // namespace
}  // namespace tutti::compiler::eval
