// A line read straight into its record must be the record the document
// path makes of it, value for value and kind for kind; a line it cannot
// take must fall to the document path, whose refusal DecodeLine gives.
// Hand-picked lines for each rule, the reference scenario's files, and
// lines mangled at random hold the two paths to one answer.

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "runtime/records/decoder.h"
#include "runtime/records/direct_decoder.h"
#include "stdlib/stdlib.h"

namespace tutti::runtime {
namespace {

using compiler::eval::DebugString;

constexpr const char* kDirectSchemas = R"(
profile address { id: string key  city: string  zip: string? }
profile hcp {
  id: string key
  name: string
  decile: int
  score: double?
  visits: uint?
  consent: set<string>
  tags: map<string, int>?
  weights: map<int, double>?
  flags: map<bool, string>?
  counts: map<uint, list<int>>?
  last_seen: timestamp?
  cadence: duration?
  photo: bytes?
  active: bool?
  extra: dyn?
  anything: dyn
  home: address?
  offices: list<address>?
}
event email_opened keyed by hcp { hcp: string  template: string  opens: list<int>? }
)";

const SchemaTable& Table() {
  static const SchemaTable table = [] {
    compiler::BuiltinRegistry builtins;
    stdlib::RegisterStandardLibrary(builtins);
    compiler::DiagnosticSink sink;
    compiler::Program program = compiler::LoadProgramFromText({{"direct.tutti", kDirectSchemas}},
                                                              std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
    compiler::Check(program, builtins, sink);
    EXPECT_EQ(sink.error_count(), 0u);
    return SchemaTable::Build(program);
  }();
  return table;
}

/// What a decode came to, in full: the record with every value's kind,
/// or the refusal as its sender reads it.
std::string Outcome(const DecodeResult& r) {
  if (r.blank()) return "blank";
  if (!r.ok()) return "error: " + r.error().ToString();
  const Record& rec = r.record();
  std::string out = rec.type() + " line " + std::to_string(rec.line) + " key " + DebugString(rec.key);
  if (rec.at) out += " at " + std::to_string(rec.at->seconds) + "." + std::to_string(rec.at->nanos);
  for (const auto& v : rec.slots) out += " | " + DebugString(v);
  return out;
}

/// Decodes `line` both ways and expects one outcome; returns whether it
/// was read straight into its record.
bool Agree(const std::string& line, const DecodeOptions& options = {}) {
  std::string direct = Outcome(DecodeLine(Table(), line, 9, options));
  std::string document = Outcome(DecodeThroughDocument(Table(), line, 9, options));
  EXPECT_EQ(direct, document) << "line: " << line;
  std::string_view trimmed = line;
  if (!trimmed.empty() && trimmed.back() == '\r') trimmed.remove_suffix(1);
  return DecodeDirectly(Table(), trimmed, 9, options).has_value();
}

const std::string kBase = R"("type": "hcp", "id": "h1", "name": "Dr. A", "decile": 3, "consent": ["email"], "anything": 1)";
/// kBase but its decile, for lines that give one.
const std::string kNoDecile = R"("type": "hcp", "id": "h1", "name": "Dr. A", "consent": ["email"], "anything": 1)";

DecodeOptions WithDefaultTime() {
  DecodeOptions options;
  options.default_at = compiler::eval::Timestamp{1772355600, 0};
  return options;
}

TEST(DirectDecoder, TakesEveryFieldTypeAsTheDocumentPathDoes) {
  const std::vector<std::string> lines = {
      "{" + kBase + "}",
      "{" + kBase + "}\r",
      "  {" + kBase + "}  \t",
      R"({"id": "h1", "type": "hcp", "name": "n", "decile": -0, "consent": [], "anything": null})",
      R"({"name": "n", "decile": 9223372036854775807, "id": "h1", "consent": [], "anything": [], "type": "hcp"})",
      R"({"type": "hcp", "id": "h1", "name": "n", "decile": -9223372036854775808, "consent": [], "anything": 1})",
      "{" + kBase + R"(, "score": 7, "visits": 18446744073709551615, "active": false})",
      "{" + kBase + R"(, "score": -0, "visits": 0})",
      "{" + kBase + R"(, "score": -0.0})",
      "{" + kBase + R"(, "score": 1e308})",
      "{" + kBase + R"(, "score": 2.2250738585072014e-308})",
      "{" + kBase + R"(, "score": 0.1E+2})",
      "{" + kBase + R"(, "score": -12345678901234567})",
      "{" + kBase + R"(, "tags": {"b": 2, "a": 1, "B": 3, "": 0, "\u00e9": 4}})",
      "{" + kBase + R"(, "weights": {"10": 1, "9": 2.5, "-3": 0.5, "007": 7}})",
      "{" + kBase + R"(, "flags": {"true": "y", "false": "n"}, "counts": {"2": [1], "10": []}})",
      "{" + kBase + R"(, "last_seen": "2026-03-01T09:00:00.123456789+01:00", "cadence": "1h30m"})",
      "{" + kBase + R"(, "cadence": "7d"})",
      "{" + kBase + R"(, "cadence": "-2d"})",
      "{" + kBase + R"(, "photo": "aGk", "extra": {"x": [1, 18446744073709551615, -1, 1.5, "s", true, null, {}]}})",
      "{" + kBase + R"(, "photo": "a-_b"})",
      "{" + kBase + R"(, "extra": {"z": {"y": {"x": []}}, "a": -9223372036854775808}})",
      "{" + kBase + R"(, "home": {"id": "a1", "city": "Rome"}, "offices": [{"id": "a2", "city": "A", "zip": null}, {"zip": "1", "city": "B", "id": "a3"}]})",
      "{" + kBase + R"(, "home": null, "offices": null, "tags": null, "extra": null, "active": null})",
      R"({"type": "hcp", "id": "\"\\\/\b\f\n\r\t\u0000\u001f\u00e9\u4e2d\ud83d\ude00", "name": "Ünïcödé 中文 😀", "decile": 1, "consent": [], "anything": "x"})",
      R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "2026-03-01T09:00:00Z", "opens": [1, 2]})",
      R"({"at": "2026-03-01T09:00:00.5Z", "type": "email_opened", "template": "t", "hcp": "h1"})",
      R"({"type":"email_opened","hcp":"h1","template":"t","at":"2026-03-01T09:00:00Z","opens":[]})",
  };
  for (const std::string& line : lines) EXPECT_TRUE(Agree(line)) << "not read directly: " << line;
  // An event without `at` takes the default time when there is one.
  EXPECT_TRUE(Agree(R"({"type": "email_opened", "hcp": "h1", "template": "t"})", WithDefaultTime()));
  // `at` is not optional: null is refused, default time or not.
  EXPECT_FALSE(Agree(R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": null})", WithDefaultTime()));
}

TEST(DirectDecoder, LeavesEveryRefusalToTheDocumentPath) {
  const std::vector<std::string> lines = {
      "", "   ", "[]", "null", "{}", "{" + kBase + "} x", "{" + kBase + ",}", "{" + kBase,
      "\xEF\xBB\xBF{" + kBase + "}",  // a byte order mark: the document path takes it
      "{" + kBase + R"(, "id": "h2"})",
      R"({"type": "hcp", "type": "hcp"})",
      R"({"id": "a", "id": "b", "type": "hcp"})",
      "{" + kNoDecile + R"(, "decile": 1.0})",
      "{" + kNoDecile + R"(, "decile": 9223372036854775808})",
      "{" + kNoDecile + R"(, "decile": -9223372036854775809})",
      "{" + kNoDecile + R"(, "decile": 01})",
      "{" + kNoDecile + R"(, "decile": +1})",
      "{" + kNoDecile + R"(, "decile": -})",
      "{" + kNoDecile + R"(, "decile": 1.})",
      "{" + kNoDecile + R"(, "decile": .5})",
      "{" + kNoDecile + R"(, "decile": 1e})",
      "{" + kBase + R"(, "visits": -0})",
      "{" + kBase + R"(, "visits": -1})",
      "{" + kBase + R"(, "score": 1e400})",
      "{" + kBase + R"(, "score": 1e-400})",
      "{" + kBase + R"(, "score": "1"})",
      "{" + kBase + R"(, "active": tru})",
      "{" + kBase + R"(, "active": truex})",
      "{" + kBase + R"(, "tags": {"a": 1, "a": 2}})",
      "{" + kBase + R"(, "tags": {"a": null}})",
      "{" + kBase + R"(, "weights": {"x": 1}})",
      "{" + kBase + R"(, "weights": {"7": 1, "07": 2}})",  // one int key twice
      "{" + kBase + R"(, "score": 123456789012345678901234567890})",  // rounded: left to the document
      "{" + kBase + R"(, "extra": 99999999999999999999})",
      "{" + kBase + R"(, "extra": {"a": -9223372036854775809}})",
      "{" + kBase + R"(, "weights": {"99999999999999999999": 1}})",
      "{" + kBase + R"(, "flags": {"True": "y"}})",
      "{" + kBase + R"(, "extra": {"a": 1, "a": 1}})",
      "{" + kBase + R"(, "consent": ["a", null]})",
      "{" + kBase + R"(, "last_seen": "yesterday"})",
      "{" + kBase + R"(, "cadence": "7 days"})",
      "{" + kBase + R"(, "photo": "a"})",
      "{" + kBase + R"(, "home": {"id": "a1", "city": "Rome", "country": "IT"}})",
      "{" + kBase + R"(, "home": {"id": "a1", "zip": "1"}})",
      "{" + kBase + R"(, "home": {"id": "a1", "city": "Rome", "city": "Roma"}})",
      "{" + kBase + R"(, "home": "Rome"})",
      "{" + kBase + R"(, "decle": 4})",
      R"({"type": "hcp", "id": "h1"})",
      R"({"type": "nobody"})",
      R"({"type": 5})",
      R"({"type": "email_opened", "hcp": "h1", "template": "t"})",
      R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "2026-03-01 09:00"})",
      "{\"type\": \"hcp\", \"id\": \"h\xff\"}",
      "{\"type\": \"hcp\", \"id\": \"\xc0\xaf\"}",      // an overlong form
      "{\"type\": \"hcp\", \"id\": \"\xed\xa0\x80\"}",  // a surrogate written as UTF-8
      "{\"type\": \"hcp\", \"id\": \"\xf4\x90\x80\x80\"}",  // past U+10FFFF
      "{\"type\": \"hcp\", \"id\": \"\xe4\xb8\"}",      // cut short
      "{\"type\": \"hcp\", \"id\": \"a\tb\"}",          // a raw control character
      "{\"type\": \"hcp\", \"id\": \"a\0b\"}",
      R"({"type": "hcp", "id": "\ud83d"})",
      R"({"type": "hcp", "id": "\ude00"})",
      R"({"type": "hcp", "id": "\ud83d\u0041"})",
      R"({"type": "hcp", "id": "\x41"})",
      R"({"type": "hcp", "id": "\u12G4"})",
  };
  for (const std::string& line : lines) EXPECT_FALSE(Agree(line)) << "read directly: " << line;

  // Profiles only, events only.
  DecodeOptions profiles;
  profiles.accept = Accept::kProfiles;
  EXPECT_FALSE(Agree(R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "2026-03-01T09:00:00Z"})", profiles));
  EXPECT_TRUE(Agree("{" + kBase + "}", profiles));
  DecodeOptions events;
  events.accept = Accept::kEvents;
  EXPECT_FALSE(Agree("{" + kBase + "}", events));
}

TEST(DirectDecoder, KeepsToTheLimitsOfLengthAndDepth) {
  std::string nested = "1";
  for (int i = 0; i < 10; ++i) nested = "[" + nested + "]";
  const std::string line = "{" + kBase + R"(, "extra": )" + nested + "}";
  DecodeOptions options;
  options.max_depth = 11;  // the line's object, then ten lists
  EXPECT_TRUE(Agree(line, options));
  options.max_depth = 10;
  EXPECT_FALSE(Agree(line, options));
  // Before the type too, where values are passed over.
  EXPECT_FALSE(Agree(R"({"extra": )" + nested + ", " + kBase + "}", options));
  options.max_depth = 64;
  options.max_line_bytes = line.size();
  EXPECT_TRUE(Agree(line, options));
  options.max_line_bytes = line.size() - 1;
  EXPECT_FALSE(Agree(line, options));
  // A '\r' is taken off once, whichever path reads the line.
  const std::string exact = "{" + kBase + "}";
  options.max_line_bytes = exact.size();
  EXPECT_FALSE(Agree(exact + "\r\r", options));
  EXPECT_FALSE(Agree(exact + "\r\r\r", options));
  options.max_line_bytes = 64;
  // Many members before the type are left to the document path.
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"f" + std::to_string(i) + "\": 1, ";
  EXPECT_FALSE(Agree(many + kBase + "}"));
}

TEST(DirectDecoder, ALineOfManySmallObjectsIsReadInOnePassEitherWay) {
  // 1 MiB of empty objects in a dyn list. The document path once checked
  // keys with nlohmann's parser callback, which walks the enclosing array
  // each time an object ends: this line took 15 s. A byte order mark in
  // front sends it to the document path.
  std::string objects;
  const std::string head = "{" + kBase + R"(, "extra": [)";
  while (head.size() + objects.size() + 8 < (1u << 20)) objects += "{},";
  objects += "{}]}";
  for (const std::string& line : {head + objects, "\xEF\xBB\xBF" + head + objects}) {
    DecodeResult r = DecodeLine(Table(), line, 1);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r.record().slots[r.record().schema->Slot("extra").value()].AsList().size(), (objects.size() - 1) / 3);
  }
}

TEST(DirectDecoder, ReadsTheReferenceScenarioStraight) {
  // The reference scenario's schemas: the standard library's events.
  compiler::BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  compiler::DiagnosticSink sink;
  std::string dir = std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma";
  compiler::Program program = compiler::LoadProgram({std::string(TUTTI_SOURCE_DIR) + "/stdlib/events.tutti"},
                                                    std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  compiler::Check(program, builtins, sink);
  ASSERT_EQ(sink.error_count(), 0u);
  SchemaTable table = SchemaTable::Build(program);
  size_t lines = 0, direct = 0;
  for (const char* file : {"profiles.ndjson", "events.ndjson"}) {
    std::ifstream in(dir + "/" + file);
    ASSERT_TRUE(in) << file;
    std::string line;
    while (std::getline(in, line)) {
      DecodeResult a = DecodeLine(table, line, 1), b = DecodeThroughDocument(table, line, 1);
      if (!b.ok()) continue;  // a line for another schema than the standard library's
      ++lines;
      EXPECT_EQ(Outcome(a), Outcome(b)) << line;
      direct += DecodeDirectly(table, line, 1, {}).has_value();
    }
  }
  EXPECT_GT(lines, 100u);
  EXPECT_EQ(direct, lines);
}

TEST(DirectDecoder, AgreesOnLinesMangledAtRandom) {
  const std::vector<std::string> seeds = {
      "{" + kBase + R"(, "score": -1.5e3, "visits": 7, "tags": {"b": 2, "a": -1}, "weights": {"3": 0.5}})",
      "{" + kBase + R"(, "extra": {"x": [1, "\u00e9", null, {"y": true}]}, "home": {"id": "a", "city": "R\u00f6m"}})",
      R"({"at": "2026-03-01T09:00:00Z", "type": "email_opened", "hcp": "h\"1", "template": "t", "opens": [0, -0, 1]})",
      "{" + kBase + R"(, "flags": {"true": "\ud83d\ude00"}, "counts": {"1": [1, 2]}, "cadence": "90s", "photo": "aGk="})",
  };
  const std::string alphabet = "{}[]:,\"\\ -+.0123456789eEtrufalsn\xc3\xa9\xff\x01u";
  std::mt19937_64 random(20261207);
  size_t direct = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string line = seeds[random() % seeds.size()];
    int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      size_t at = random() % line.size();
      char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0: line[at] = c; break;
        case 1: line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        default: line.erase(at, 1 + random() % 4); break;
      }
    }
    direct += Agree(line, random() % 4 == 0 ? WithDefaultTime() : DecodeOptions{});
    if (HasFailure()) break;
  }
  // Some mangled lines still decode, and those are read directly.
  EXPECT_GT(direct, 500u);
}

}  // namespace
}  // namespace tutti::runtime
