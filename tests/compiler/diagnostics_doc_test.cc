// docs/diagnostics.md, which `tutti explain` prints, against the code
// catalogue (compiler/source/codes.def): one section per code, in order,
// headed with the catalogue's summary; each section's first `tutti` example
// reports its code, and its second (the fix) checks without errors and
// without that code.

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "stdlib/stdlib.h"

namespace tutti::compiler {
namespace {

struct Section {
  std::string code, summary;
  std::vector<std::string> examples;  // ```tutti blocks, in order
};

std::vector<Section> ReadSections() {
  std::ifstream in(std::filesystem::path(TUTTI_SOURCE_DIR) / "docs" / "diagnostics.md");
  std::vector<Section> out;
  std::string line, block;
  bool in_block = false, tutti_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("```", 0) == 0) {
      if (!in_block) {
        in_block = true;
        tutti_block = line == "```tutti";
        block.clear();
      } else {
        in_block = false;
        if (tutti_block && !out.empty()) out.back().examples.push_back(block);
      }
      continue;
    }
    if (in_block) {
      block += line + "\n";
    } else if (line.rfind("## ", 0) == 0) {
      size_t colon = line.find(": ");
      Section s;
      s.code = line.substr(3, colon == std::string::npos ? std::string::npos : colon - 3);
      if (colon != std::string::npos) s.summary = line.substr(colon + 2);
      out.push_back(s);
    }
  }
  return out;
}

struct Checked {
  size_t errors = 0;
  std::set<std::string> codes;
  std::string text;
};

Checked CheckExample(const std::string& text) {
  BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  DiagnosticSink sink;
  Program program = LoadProgramFromText({{"example.tutti", text}}, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  Check(program, builtins, sink);
  Checked c;
  c.errors = sink.error_count();
  for (const Diagnostic& d : sink.Sorted()) c.codes.insert(std::string(CodeText(d.code)));
  c.text = RenderText(sink.Sorted());
  return c;
}

TEST(DiagnosticsDoc, OneSectionPerCodeInCatalogueOrder) {
  std::vector<Section> sections = ReadSections();
  ASSERT_EQ(sections.size(), AllCodes().size()) << "docs/diagnostics.md needs one '## Tnnnn: summary' per code";
  for (size_t i = 0; i < sections.size(); ++i) {
    Code code = AllCodes()[i];
    EXPECT_EQ(sections[i].code, CodeText(code)) << "section " << i;
    EXPECT_EQ(sections[i].summary, CodeSummary(code)) << sections[i].code;
  }
}

TEST(DiagnosticsDoc, ExamplesReportTheirCodeAndFixesCheck) {
  size_t examples = 0;
  for (const Section& s : ReadSections()) {
    if (s.examples.empty()) continue;
    ++examples;
    Checked wrong = CheckExample(s.examples[0]);
    EXPECT_TRUE(wrong.codes.count(s.code)) << s.code << "'s example does not report it; it reports:\n" << wrong.text;
    if (s.examples.size() < 2) continue;
    Checked fixed = CheckExample(s.examples[1]);
    EXPECT_EQ(fixed.errors, 0u) << s.code << "'s fixed example has errors:\n" << fixed.text;
    EXPECT_FALSE(fixed.codes.count(s.code)) << s.code << "'s fixed example still reports it:\n" << fixed.text;
  }
  EXPECT_GE(examples, AllCodes().size() - 5) << "most codes should have an example";
}

}  // namespace
}  // namespace tutti::compiler
