// The NDJSON edge: every way a line can be wrong has one exact message, the
// real example data decodes clean, and no bytes make the decoder throw or
// crash.

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "runtime/records/decode_in_parts.h"
#include "runtime/records/decoder.h"
#include "stdlib/stdlib.h"

namespace tutti::runtime {
namespace {

using compiler::eval::DebugString;

constexpr const char* kSchemas = R"(
profile hcp {
  id: string key
  name: string
  email: string?
  decile: int
  score: double?
  visits: uint?
  consent: set<string>
  tags: map<string, int>?
  weights: map<int, double>?
  last_seen: timestamp?
  cadence: duration?
  photo: bytes?
  active: bool?
  extra: dyn?
}
profile account { id: string key  name: string }
event email_opened keyed by hcp { hcp: string  template: string  opens: list<int>? }
event account keyed by account { account: string }
)";

compiler::Program Load(const std::vector<std::pair<std::string, std::string>>& files,
                       const std::vector<std::string>& paths) {
  compiler::BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  compiler::DiagnosticSink sink;
  compiler::Program program =
      paths.empty() ? compiler::LoadProgramFromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink)
                    : compiler::LoadProgram(paths, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  compiler::Check(program, builtins, sink);
  EXPECT_EQ(sink.error_count(), 0u);
  return program;
}

const SchemaTable& TestTable() {
  static const SchemaTable table = SchemaTable::Build(Load({{"test.tutti", kSchemas}}, {}));
  return table;
}

std::string ErrorOf(std::string_view line, Accept accept = Accept::kEither) {
  DecodeOptions options;
  options.accept = accept;
  DecodeResult r = DecodeLine(TestTable(), line, 17, options);
  if (!r.ok() && !r.blank()) return r.error().ToString();
  return r.blank() ? "blank" : "ok";
}

const std::string kHcp =
    R"("type": "hcp", "id": "h1", "name": "Dr. A", "decile": 3, "consent": ["email"])";

/// kHcp without `field`, so that a case can give it another value (a key
/// given twice is an error of its own).
std::string HcpWithout(const std::string& field) {
  std::string out = kHcp;
  size_t at = out.find(", \"" + field + "\": ");
  size_t end = out.find(", \"", at + 2);
  return out.erase(at, end - at);
}

TEST(SchemaTable, LaysOutFieldsInDeclarationOrder) {
  const Schema* hcp = TestTable().FindProfile("hcp");
  ASSERT_NE(hcp, nullptr);
  EXPECT_EQ(hcp->fields.size(), 14u);
  EXPECT_EQ(hcp->Slot("id"), 0u);
  EXPECT_EQ(hcp->Slot("decile"), 3u);
  EXPECT_EQ(hcp->key_slot, 0u);
  EXPECT_TRUE(hcp->fields[2].optional);
  EXPECT_EQ(hcp->fields[6].type.ToString(), "set<string>");
  EXPECT_EQ(hcp->fields[7].type.ToString(), "map<string, int>");

  const Schema* opened = TestTable().FindEvent("email_opened");
  ASSERT_NE(opened, nullptr);
  EXPECT_EQ(opened->key_profile, "hcp");
  EXPECT_EQ(opened->key_slot, 0u);
  EXPECT_EQ(opened->at_slot, 3u);
  EXPECT_TRUE(opened->fields[3].implicit);
  EXPECT_EQ(opened->fields[3].type.ToString(), "timestamp");
  // Events and profiles have separate namespaces.
  EXPECT_NE(TestTable().FindEvent("account"), TestTable().FindProfile("account"));
}

TEST(Decoder, DecodesAProfileIntoSlots) {
  std::string line = "{" + kHcp +
                     R"(, "score": 7, "visits": 2, "tags": {"a": 1}, "weights": {"-3": 0.5},)"
                     R"( "last_seen": "2026-03-01T09:00:00+01:00", "cadence": "7d", "photo": "aGk=",)"
                     R"( "active": true, "email": null, "extra": {"x": [1, 18446744073709551615]}})";
  DecodeResult r = DecodeLine(TestTable(), line, 1);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Record& rec = r.record();
  EXPECT_EQ(rec.type(), "hcp");
  EXPECT_EQ(rec.kind(), RecordKind::kProfile);
  EXPECT_EQ(DebugString(rec.key), "\"h1\"");
  EXPECT_FALSE(rec.at.has_value());
  std::vector<std::string> got;
  for (const auto& v : rec.slots) got.push_back(DebugString(v));
  EXPECT_EQ(got, (std::vector<std::string>{
                     "\"h1\"", "\"Dr. A\"", "null", "3", "7.0", "2u", "[\"email\"]", "{\"a\": 1}",
                     "{-3: 0.5}", "timestamp(\"2026-03-01T08:00:00Z\")", "duration(\"604800s\")",
                     "b\"hi\"", "true", "{\"x\": [1, 18446744073709551615u]}"}));
}

TEST(Decoder, DecodesAnEventWithItsTime) {
  DecodeResult r = DecodeLine(
      TestTable(),
      R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "2026-03-01T09:00:00.5Z"})", 4);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.record().kind(), RecordKind::kEvent);
  EXPECT_EQ(DebugString(r.record().key), "\"h1\"");
  EXPECT_EQ(DebugString(*r.record().Get("at")), "timestamp(\"2026-03-01T09:00:00.5Z\")");
  EXPECT_EQ(r.record().at->nanos, 500000000);
  EXPECT_EQ(DebugString(*r.record().Get("opens")), "null");
  EXPECT_EQ(r.record().line, 4u);
}

TEST(Decoder, BlankLinesAreNeitherRecordsNorErrors) {
  EXPECT_EQ(ErrorOf(""), "blank");
  EXPECT_EQ(ErrorOf("  \t\r"), "blank");
  EXPECT_EQ(ErrorOf("{" + kHcp + "}\r"), "ok");
}

struct ErrorCase {
  const char* name;
  std::string line;
  std::string error;
  Accept accept = Accept::kEither;
};

TEST(Decoder, EveryErrorHasItsMessage) {
  const std::string at = R"(, "at": "2026-03-01T09:00:00Z")";
  const std::vector<ErrorCase> cases = {
      {"wrong scalar type", "{" + HcpWithout("decile") + R"(, "decile": "ten"})",
       R"(line 17: field 'decile' of profile 'hcp' must be an int, got "ten")"},
      {"string wanted", R"({"type": "hcp", "id": 5})",
       R"(line 17: field 'id' of profile 'hcp' must be a string, got 5)"},
      {"null for a required field", "{" + HcpWithout("name") + R"(, "name": null})",
       R"(line 17: field 'name' of profile 'hcp' must be a string, got null)"},
      {"missing required field", R"({"type": "hcp", "id": "h1", "decile": 1, "consent": []})",
       R"(line 17: profile 'hcp' is missing required field 'name' (string))"},
      {"unknown field", "{" + kHcp + R"(, "decle": 4})",
       R"(line 17: profile 'hcp' has no field 'decle' (did you mean 'decile'?))"},
      {"unknown type", R"({"type": "email_openned"})",
       R"(line 17: unknown event or profile type 'email_openned' (did you mean 'email_opened'?))"},
      {"profile in an events file", "{" + kHcp + "}",
       R"(line 17: unknown event type 'hcp': 'hcp' is a profile, and this input holds events)",
       Accept::kEvents},
      {"event in a profiles file", R"({"type": "email_opened"})",
       R"(line 17: unknown profile type 'email_opened': 'email_opened' is an event, and this input holds profiles)",
       Accept::kProfiles},
      {"no type", R"({"id": "h1"})",
       R"(line 17: missing field 'type', which names the event or profile this line holds)"},
      {"type not a string", R"({"type": ["hcp"]})",
       R"(line 17: field 'type' must be a string naming an event or profile, got a list)"},
      {"not an object", R"([1, 2])", R"(line 17: expected a JSON object with a "type", got a list)"},
      {"malformed JSON", R"({"type": "hcp", "id": tru})",
       "line 17, column 26: malformed JSON: syntax error while parsing value - invalid literal"},
      {"truncated JSON", R"({"type": "hcp")",
       "line 17, column 15: malformed JSON: syntax error while parsing object - unexpected "
       "end of input; expected '}'"},
      {"invalid UTF-8", "{\"type\": \"h\xff\"}",
       "line 17, column 12: malformed JSON: syntax error while parsing value - invalid string: "
       "ill-formed UTF-8 byte"},
      {"event without at", R"({"type": "email_opened", "hcp": "h1", "template": "t"})",
       "line 17: event 'email_opened' has no 'at': every event needs the time it happened, as "
       "RFC 3339 text such as \"2026-03-01T09:00:00Z\""},
      {"bad at", R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "2026-03-01 09:00"})",
       "line 17: field 'at' of event 'email_opened' must be a timestamp (RFC 3339 text such as "
       "\"2026-03-01T09:00:00Z\"), got \"2026-03-01 09:00\""},
      {"at as a number", R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": 1700000000})",
       "line 17: field 'at' of event 'email_opened' must be a timestamp (RFC 3339 text such as "
       "\"2026-03-01T09:00:00Z\"), got 1700000000"},
      {"at out of range", R"({"type": "email_opened", "hcp": "h1", "template": "t", "at": "10000-01-01T00:00:00Z"})",
       "line 17: field 'at' of event 'email_opened' must be a timestamp (RFC 3339 text such as "
       "\"2026-03-01T09:00:00Z\"), got \"10000-01-01T00:00:00Z\""},
      {"list element", R"({"type": "email_opened", "hcp": "h1", "template": "t", "opens": [1, "2"])" + at + "}",
       R"(line 17: element 1 of field 'opens' of event 'email_opened' must be an int, got "2")"},
      {"null list element", R"({"type": "email_opened", "hcp": "h1", "template": "t", "opens": [null])" + at + "}",
       R"(line 17: element 0 of field 'opens' of event 'email_opened' must be an int, got null)"},
      {"set element", R"({"type": "hcp", "id": "h1", "name": "n", "decile": 1, "consent": ["email", 3]})",
       R"(line 17: element 1 of field 'consent' of profile 'hcp' must be a string, got 3)"},
      {"set not a list", R"({"type": "hcp", "id": "h1", "name": "n", "decile": 1, "consent": "email"})",
       R"(line 17: field 'consent' of profile 'hcp' must be a set<string>, got "email")"},
      {"map value", "{" + kHcp + R"(, "tags": {"a": 1.5}})",
       R"(line 17: the value under key #1 of field 'tags' of profile 'hcp' must be an int, got 1.5)"},
      {"map key", "{" + kHcp + R"(, "weights": {"one": 1}})",
       R"(line 17: key #1 of field 'weights' of profile 'hcp' must be an int, got "one")"},
      {"map key out of range", "{" + kHcp + R"(, "weights": {"99999999999999999999": 1}})",
       R"(line 17: key #1 of field 'weights' of profile 'hcp' is out of range for an int, got "99999999999999999999")"},
      {"duplicate map key", "{" + kHcp + R"(, "weights": {"1": 1, "01": 2}})",
       R"(line 17: key #2 of field 'weights' of profile 'hcp' repeats an earlier key, got "1")"},
      {"int too large", "{" + HcpWithout("decile") + R"(, "decile": 9223372036854775808})",
       R"(line 17: field 'decile' of profile 'hcp' is out of range for an int, got 9223372036854775808)"},
      {"int far too large", "{" + HcpWithout("decile") + R"(, "decile": 123456789012345678901234567890})",
       R"(line 17: field 'decile' of profile 'hcp' is out of range for an int, got 1.2345678901234568e+29)"},
      {"int too small", "{" + HcpWithout("decile") + R"(, "decile": -9223372036854775809})",
       R"(line 17: field 'decile' of profile 'hcp' is out of range for an int, got -9.223372036854776e+18)"},
      {"int from a fraction", "{" + HcpWithout("decile") + R"(, "decile": 3.5})",
       R"(line 17: field 'decile' of profile 'hcp' must be an int, got 3.5)"},
      {"negative uint", "{" + kHcp + R"(, "visits": -1})",
       R"(line 17: field 'visits' of profile 'hcp' must be a uint, which cannot be negative, got -1)"},
      {"uint too large", "{" + kHcp + R"(, "visits": 18446744073709551616})",
       R"(line 17: field 'visits' of profile 'hcp' is out of range for a uint, got 1.8446744073709552e+19)"},
      {"double from a string", "{" + kHcp + R"(, "score": "high"})",
       R"(line 17: field 'score' of profile 'hcp' must be a double, got "high")"},
      {"bool from a number", "{" + kHcp + R"(, "active": 1})",
       R"(line 17: field 'active' of profile 'hcp' must be a bool, got 1)"},
      {"bad timestamp field", "{" + kHcp + R"(, "last_seen": "March 1st"})",
       "line 17: field 'last_seen' of profile 'hcp' must be a timestamp (RFC 3339 text such as "
       "\"2026-03-01T09:00:00Z\"), got \"March 1st\""},
      {"bad duration field", "{" + kHcp + R"(, "cadence": "a week"})",
       "line 17: field 'cadence' of profile 'hcp' must be a duration (text such as \"90s\", "
       "\"1h30m\" or \"7d\"), got \"a week\""},
      {"duration as a number", "{" + kHcp + R"(, "cadence": 60})",
       "line 17: field 'cadence' of profile 'hcp' must be a duration (text such as \"90s\", "
       "\"1h30m\" or \"7d\"), got 60"},
      {"bad base64", "{" + kHcp + R"(, "photo": "a!"})",
       R"(line 17: field 'photo' of profile 'hcp' must be bytes (base64 text), got "a!")"},
      {"long value shortened", "{" + HcpWithout("decile") + R"(, "decile": ")" + std::string(100, 'x') + "\"}",
       R"(line 17: field 'decile' of profile 'hcp' must be an int, got ")" + std::string(59, 'x') +
           "..."},
      {"too deep", R"({"type": "hcp", "extra": )" + std::string(70, '[') + std::string(70, ']') + "}",
       "line 17, column 89: the JSON is nested deeper than 64 levels"},
      {"too long", "{" + HcpWithout("name") + R"(, "name": ")" + std::string(1 << 20, 'n') + "\"}",
       "line 17: the line is 1048650 bytes long; the limit is 1048576"},
  };
  for (const ErrorCase& c : cases) EXPECT_EQ(ErrorOf(c.line, c.accept), c.error) << c.name;
}

TEST(Decoder, ErrorsNameTheField) {
  DecodeResult r = DecodeLine(TestTable(), "{" + HcpWithout("decile") + R"(, "decile": "ten"})", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "decile");
  EXPECT_EQ(r.error().line, 2u);
  EXPECT_EQ(r.error().column, 0u);
}

TEST(Decoder, EitherPrefersTheEventWhenANameIsBoth) {
  DecodeResult r = DecodeLine(TestTable(), R"({"type": "account", "account": "a", "at": "2026-01-01T00:00:00Z"})", 1);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.record().kind(), RecordKind::kEvent);
  DecodeOptions profiles;
  profiles.accept = Accept::kProfiles;
  r = DecodeLine(TestTable(), R"({"type": "account", "id": "a", "name": "A"})", 1, profiles);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r.record().kind(), RecordKind::kProfile);
}

TEST(DecodeFile, SkipsBadLinesAndKeepsTheRest) {
  std::istringstream in("{" + kHcp + "}\n\n{\"type\": \"hcp\"\n" + "{" + kHcp + "}");
  DecodedFile f = DecodeFile(TestTable(), in);
  EXPECT_EQ(f.lines, 4u);
  EXPECT_EQ(f.blank, 1u);
  EXPECT_EQ(f.profiles, 2u);
  EXPECT_EQ(f.records.size(), 2u);
  EXPECT_EQ(f.records[1].line, 4u);
  ASSERT_EQ(f.rejected(), 1u);
  EXPECT_EQ(f.errors[0].line, 3u);
}

TEST(DecodeFile, SkipsAnOverlongLineWithoutHoldingIt) {
  DecodeOptions options;
  options.max_line_bytes = 100;
  std::string ok = "{" + kHcp + "}";
  std::istringstream in(ok + "\n" + std::string(5000, ' ') + "\n" + ok + "\r\n");
  DecodedFile f = DecodeFile(TestTable(), in, options);
  EXPECT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].ToString(), "line 2: the line is 5000 bytes long; the limit is 100");
}

TEST(DecodeFile, ReportsAMissingFile) {
  DecodedFile f = DecodeFile(TestTable(), std::string("/nonexistent/x.ndjson"));
  ASSERT_FALSE(f.read.ok());
  EXPECT_EQ(f.read.message(), "cannot open /nonexistent/x.ndjson");
}

TEST(DecodeFile, TheAbcPharmaExampleDecodesClean) {
  const std::string root = TUTTI_SOURCE_DIR;
  SchemaTable table = SchemaTable::Build(
      Load({}, {root + "/stdlib/schemas.tutti", root + "/stdlib/events.tutti"}));
  DecodeOptions profiles_only;
  profiles_only.accept = Accept::kProfiles;
  DecodedFile profiles = DecodeFile(table, root + "/examples/abc-pharma/profiles.ndjson", profiles_only);
  ASSERT_TRUE(profiles.read.ok());
  for (const DecodeError& e : profiles.errors) ADD_FAILURE() << e.ToString();
  EXPECT_EQ(profiles.events, 0u);
  size_t empire_hcps = 0;
  for (const Record& r : profiles.records)
    if (r.type() == "hcp" && r.Get("account")->AsString() == "empire-health") ++empire_hcps;
  EXPECT_EQ(empire_hcps, 3091u);

  DecodeOptions events_only;
  events_only.accept = Accept::kEvents;
  DecodedFile events = DecodeFile(table, root + "/examples/abc-pharma/events.ndjson", events_only);
  ASSERT_TRUE(events.read.ok());
  for (const DecodeError& e : events.errors) ADD_FAILURE() << e.ToString();
  EXPECT_GT(events.events, 0u);
  EXPECT_EQ(events.events + events.blank, events.lines);
  for (const Record& r : events.records) EXPECT_TRUE(r.at.has_value());
}

// Garbage must come back as an error (or, rarely, a record), never as an
// exception or a crash.
TEST(Decoder, SurvivesGarbage) {
  std::vector<std::string> lines = {
      std::string(1, '\0'), "{", "}", "[", "\"", "\\", "{\"type\"", "{\"type\":}", "nul",
      "1e999999", "-", "{\"type\": \"hcp\", \"extra\": " + std::string(64, '{'),
      std::string(100000, '['), std::string(100000, '{'), "{\"a\":\"\\ud800\"}", "\xef\xbb\xbf{}",
      "{\"type\": \"hcp\", \"extra\": \"" + std::string(10, '\x01') + "\"}",
      "{" + kHcp + ", \"decile\": 1e400}", "{" + kHcp + ", \"score\": -0}",
  };
  std::mt19937 rng(42);
  const std::string seed = "{" + kHcp + R"(, "tags": {"a": [1, {"b": null}]}, "extra": [true, 1.5e3]})";
  for (int i = 0; i < 5000; ++i) {
    std::string s = seed;
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (s.size() + 1);
      switch (rng() % 3) {
        case 0: s.insert(pos, 1, static_cast<char>(rng() % 256)); break;
        case 1: if (pos < s.size()) s.erase(pos, 1); break;
        default: if (pos < s.size()) s[pos] = "{}[]\":,0-e\\ \x80"[rng() % 13];
      }
    }
    lines.push_back(s);
  }
  size_t decoded = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    DecodeResult r = DecodeLine(TestTable(), lines[i], i + 1);
    if (r.ok()) {
      ++decoded;
    } else if (!r.blank()) {
      EXPECT_FALSE(r.error().message.empty());
    }
  }
  EXPECT_LT(decoded, lines.size());
}

/// Fails the test where `split` is not what `whole` is.
void ExpectTheSame(const DecodedFile& split, const DecodedFile& whole) {
  ASSERT_TRUE(split.read.ok()) << split.read.message();
  EXPECT_EQ(split.lines, whole.lines);
  EXPECT_EQ(split.blank, whole.blank);
  EXPECT_EQ(split.events, whole.events);
  EXPECT_EQ(split.profiles, whole.profiles);
  ASSERT_EQ(split.errors.size(), whole.errors.size());
  for (size_t i = 0; i < whole.errors.size(); ++i)
    ASSERT_EQ(split.errors[i].ToString(), whole.errors[i].ToString()) << i;
  ASSERT_EQ(split.records.size(), whole.records.size());
  for (size_t i = 0; i < whole.records.size(); ++i) {
    const Record &a = whole.records[i], &b = split.records[i];
    ASSERT_EQ(b.line, a.line) << i;
    ASSERT_EQ(b.input, a.input) << i;
    ASSERT_EQ(DebugString(RecordValue(b)), DebugString(RecordValue(a))) << i;
  }
}

// A file decoded in parts (`tutti simulate` on every core) is the file
// decoded in one go: the same records, errors, counts and line numbers,
// whatever falls at the cuts (an over-long line, a bad one, a blank one,
// a last line without its newline).
TEST(DecodeFileInParts, GivesWhatDecodingInOneGoGives) {
  std::string path = ::testing::TempDir() + "/parts.ndjson";
  {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(5);
    for (int i = 0; out.tellp() < (12 << 20); ++i) {
      switch (rng() % 20) {
        case 0: out << "\n"; break;
        case 1: out << "{\"type\": \"hcp\"\n"; break;
        case 2: out << std::string(3000 + rng() % 3000, ' ') << "\n"; break;
        case 3: out << "  \r\n"; break;
        default:
          if (rng() % 2)
            out << "{\"type\": \"hcp\", \"id\": \"h" << i << "\", \"name\": \"n\", \"decile\": " << rng() % 10
                << ", \"consent\": []}\n";
          else
            out << "{\"type\": \"email_opened\", \"hcp\": \"h" << i << "\", \"template\": \"t\", \"at\": "
                << "\"2026-03-02T10:00:00Z\"}\n";
      }
    }
    out << "{\"type\": \"hcp\", \"id\": \"last\", \"name\": \"n\", \"decile\": 1, \"consent\": []}";
  }
  DecodeOptions options;
  options.max_line_bytes = 2000;
  DecodedFile whole = DecodeFile(TestTable(), path, options);
  ASSERT_TRUE(whole.read.ok());
  ASSERT_GT(whole.errors.size(), 100u);
  for (size_t parts : {2u, 3u, 7u}) {
    SCOPED_TRACE(std::to_string(parts) + " parts");
    ExpectTheSame(DecodeFileInParts(TestTable(), path, options, parts), whole);
  }
  EXPECT_FALSE(DecodeFileInParts(TestTable(), path + ".missing", options, 2).read.ok());
  std::remove(path.c_str());
}

// Cut anywhere in a small file: at every line of it, lines of every kind.
TEST(DecodeFileInParts, CutsASmallFileAtEveryLine) {
  std::string path = ::testing::TempDir() + "/small-parts.ndjson";
  const std::string hcp = "{" + kHcp + "}";
  {
    std::ofstream out(path, std::ios::binary);
    out << hcp << "\n\n" << std::string(300, 'x') << "\r\n{\"type\": \"hcp\"\n" << hcp << "\r\n\n\n"
        << std::string(150, ' ') << "\n" << hcp;
  }
  DecodeOptions options;
  options.max_line_bytes = 100;
  DecodedFile whole = DecodeFile(TestTable(), path, options);
  ASSERT_EQ(whole.records.size(), 3u);
  for (size_t parts = 2; parts <= 12; ++parts) {
    SCOPED_TRACE(std::to_string(parts) + " parts");
    ExpectTheSame(DecodeFileInParts(TestTable(), path, options, parts, /*smallest=*/1), whole);
  }
  std::remove(path.c_str());
}

// A pipe has no size to cut: it is read as it comes, as DecodeFile reads it.
TEST(DecodeFileInParts, ReadsAPipeAsItComes) {
  std::string path = ::testing::TempDir() + "/parts.fifo";
  std::remove(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < 1000; ++i) out << "{" << kHcp << "}\n";
  });
  DecodedFile read = DecodeFileInParts(TestTable(), path, DecodeOptions{}, 4, /*smallest=*/1);
  writer.join();
  ASSERT_TRUE(read.read.ok()) << read.read.message();
  EXPECT_EQ(read.records.size(), 1000u);
  EXPECT_EQ(read.records.back().line, 1000u);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace tutti::runtime
