// tutti fmt's layout: what it decides (indentation, spacing), what it keeps
// (comments, line breaks, tokens), idempotence, and that every Tutti file
// in the repository is already in the canonical layout.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/format/format.h"

namespace tutti::compiler {
namespace {

namespace fs = std::filesystem;

std::string Fmt(const std::string& text) {
  Source source("test.tutti", text);
  DiagnosticSink sink;
  auto out = Format(source, sink);
  EXPECT_TRUE(out.has_value()) << RenderText(sink.Sorted());
  return out.value_or("");
}

TEST(Format, ReindentsBlocksAndNormalisesSpaces) {
  EXPECT_EQ(Fmt("journey  x   for hcp{\nwait 1d\n      send email \"a\"  with {a:1,b : 2}\n}\n"),
            "journey x for hcp {\n  wait 1d\n  send email \"a\" with { a: 1, b: 2 }\n}\n");
}

TEST(Format, SpacesOperatorsButNotMembersCallsOrIndexes) {
  EXPECT_EQ(Fmt("journey x for hcp {\n  let a=hcp.decile>5&&size( hcp.consent )>0\n  let b = - 1\n"
                "  let c = [ 1,2 ][0] + {\"k\" : 1}[\"k\"]\n  let d = a ? 1:2\n}\n"),
            "journey x for hcp {\n  let a = hcp.decile > 5 && size(hcp.consent) > 0\n  let b = -1\n"
            "  let c = [1, 2][0] + {\"k\": 1}[\"k\"]\n  let d = a ? 1 : 2\n}\n");
}

TEST(Format, TypesTimesAndShares) {
  EXPECT_EQ(Fmt("profile p { id : string key , tags : list < string > ?, m: map<string,int> }\n"
                "policy q { quiet_hours 20 : 00 - 08:00 local }\n"
                "journey x for p {\n  split {\n    50 % a -> end\n    50% b  ->  end\n  }\n}\n"),
            "profile p { id: string key, tags: list<string>?, m: map<string, int> }\n"
            "policy q { quiet_hours 20:00-08:00 local }\n"
            "journey x for p {\n  split {\n    50% a -> end\n    50% b -> end\n  }\n}\n");
}

TEST(Format, ContinuationLinesIndentOneLevelPerStatement) {
  EXPECT_EQ(Fmt("journey x {\non rx as r\nwhere r.brand == \"G\"\n"
                "wait up to 2d for opened as o\n timeout {\n end\n }\n"
                "choose {\nwhen r.brand == \"A\" ->\ntask hcp.rep\n\"call\" due 1d\notherwise ->\nend\n}\n}\n"),
            "journey x {\n  on rx as r\n    where r.brand == \"G\"\n"
            "  wait up to 2d for opened as o\n    timeout {\n      end\n    }\n"
            "  choose {\n    when r.brand == \"A\" ->\n      task hcp.rep\n        \"call\" due 1d\n"
            "    otherwise ->\n      end\n  }\n}\n");
}

TEST(Format, BlockAfterAMultiLineConditionIndentsFromItsKeyword) {
  EXPECT_EQ(Fmt("journey x for hcp {\n  if hcp.decile > 5\n      && hcp.decile < 9 {\n  end\n      }\n}\n"),
            "journey x for hcp {\n  if hcp.decile > 5\n    && hcp.decile < 9 {\n    end\n  }\n}\n");
}

TEST(Format, KeepsCommentsLineBreaksAndBlankLines) {
  std::string text =
      "// header\n\n\nimport \"std/schemas\"   // trailing   \n"
      "journey x for hcp { /* inline */\n\n  // before wait\n      wait 1d\n    // at the end\n}\n\n\n";
  EXPECT_EQ(Fmt(text),
            "// header\n\n\nimport \"std/schemas\" // trailing\n"
            "journey x for hcp { /* inline */\n\n  // before wait\n  wait 1d\n  // at the end\n}\n");
}

TEST(Format, StringsAndDocCommentsAreUntouched) {
  std::string text = "profile p {\n  \"The id,  as  given.\"\n  id: string key\n}\n"
                     "journey x for p {\n  send email \"\"\"two\n   lines  {p.id}\"\"\"\n}\n";
  EXPECT_EQ(Fmt(text), text);
}

TEST(Format, LoneCrAndCrlfLineEndingsBecomeLf) {
  EXPECT_EQ(Fmt("import \"std/events\"\r// c\rjourney j for hcp {\r  wait 1d\r}\r"),
            "import \"std/events\"\n// c\njourney j for hcp {\n  wait 1d\n}\n");
  EXPECT_EQ(Fmt("journey j for hcp { // c\r\n wait 1d\r\n}\r\n"), "journey j for hcp { // c\n  wait 1d\n}\n");
}

TEST(Format, RefusesAFileWithSyntaxErrors) {
  Source source("bad.tutti", "journey x {\n  wait 2 days\n}\n");
  DiagnosticSink sink;
  EXPECT_FALSE(Format(source, sink).has_value());
  EXPECT_TRUE(sink.has_errors());
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `tutti fmt --check journeys stdlib examples tests` passes: every file
// that parses is formatted, and formatting it again changes nothing.
TEST(Format, EveryTuttiFileInTheRepositoryIsFormatted) {
  size_t files = 0;
  for (const char* dir : {"journeys", "stdlib", "examples", "tests"}) {
    for (const auto& e : fs::recursive_directory_iterator(fs::path(TUTTI_SOURCE_DIR) / dir)) {
      if (e.path().extension() != ".tutti") continue;
      Source source(e.path().string(), Read(e.path()));
      DiagnosticSink sink;
      auto out = Format(source, sink);
      if (!out) continue;  // tests/errors holds files that must not parse
      ++files;
      EXPECT_EQ(*out, source.text()) << e.path() << " is not formatted: run tutti fmt " << e.path();
      Source again(e.path().string(), *out);
      EXPECT_EQ(Format(again, sink).value_or(""), *out) << e.path() << ": formatting is not idempotent";
    }
  }
  EXPECT_GT(files, 80u);
}

}  // namespace
}  // namespace tutti::compiler
