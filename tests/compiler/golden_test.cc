// Golden diagnostics: each folder under tests/golden/ (programs that check,
// possibly with warnings) and tests/errors/ (programs that must fail) holds
// .tutti files and `expected.txt`, the exact output of `tutti check .` run
// in that folder. A mismatch prints both texts.
//
// To accept new output after a deliberate change:
//   TUTTI_UPDATE_GOLDEN=1 ./build/tests/compiler_tests --gtest_filter='Golden*'

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "compiler/check/check.h"
#include "stdlib/stdlib.h"

namespace tutti::compiler {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Cases(const char* group) {
  std::vector<std::string> out;
  fs::path dir = fs::path(TUTTI_SOURCE_DIR) / "tests" / group;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Runs the checker in the case folder, as `tutti check .` would.
std::string CheckFolder(const fs::path& dir, size_t* errors) {
  fs::path saved = fs::current_path();
  fs::current_path(dir);
  BuiltinRegistry builtins;
  stdlib::RegisterStandardLibrary(builtins);
  DiagnosticSink sink;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator("."))
    if (e.path().extension() == ".tutti") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  Program program = LoadProgram(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  Check(program, builtins, sink);
  fs::current_path(saved);
  *errors = sink.error_count();
  // Notes in the stdlib name it as imports do, wherever the checkout is.
  std::string text = RenderText(sink.Sorted());
  const std::string stdlib = std::string(TUTTI_SOURCE_DIR) + "/stdlib/";
  for (size_t at = text.find(stdlib); at != std::string::npos; at = text.find(stdlib, at))
    text.replace(at, stdlib.size(), "std/");
  return text;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void RunCase(const char* group, const std::string& name, bool must_fail) {
  fs::path dir = fs::path(TUTTI_SOURCE_DIR) / "tests" / group / name;
  size_t errors = 0;
  std::string actual = CheckFolder(dir, &errors);
  if (must_fail) EXPECT_GT(errors, 0u) << name << " must fail to check";
  else EXPECT_EQ(errors, 0u) << name << " must check without errors:\n" << actual;
  fs::path expected_path = dir / "expected.txt";
  if (std::getenv("TUTTI_UPDATE_GOLDEN")) {
    std::ofstream(expected_path, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
  EXPECT_EQ(ReadFile(expected_path), actual) << "golden mismatch in " << dir;
}

// The corpora must be found: an empty or moved folder would otherwise make
// the parameterised suites below run nothing and pass.
TEST(GoldenCorpus, BothFoldersHoldCases) {
  EXPECT_GE(Cases("golden").size(), 5u);
  EXPECT_GE(Cases("errors").size(), 40u);
}

class GoldenChecks : public ::testing::TestWithParam<std::string> {};
TEST_P(GoldenChecks, MatchesExpectedDiagnostics) { RunCase("golden", GetParam(), false); }
INSTANTIATE_TEST_SUITE_P(Golden, GoldenChecks, ::testing::ValuesIn(Cases("golden")),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenChecks);

class MustFail : public ::testing::TestWithParam<std::string> {};
TEST_P(MustFail, ReportsTheExpectedError) { RunCase("errors", GetParam(), true); }
INSTANTIATE_TEST_SUITE_P(Errors, MustFail, ::testing::ValuesIn(Cases("errors")),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MustFail);

}  // namespace
}  // namespace tutti::compiler
