// Scenario scripts: each folder under tests/scenarios/ holds journeys
// (*.tutti), `profiles.ndjson`, `events.ndjson`, optionally `args` (more
// `tutti simulate` options, such as `--until 2026-03-10T00:00:00Z`), a
// README.md saying in plain words what must happen, and the golden output
// of `tutti simulate` run in that folder: `expected.ndjson` (the decisions,
// stdout) and `expected-summary.txt` (the summary, stderr).
// examples/abc-pharma is run the same way over journeys/.
//
// To accept new output after a deliberate change, after reading the diff:
//   TUTTI_UPDATE_GOLDEN=1 ./build/tests/runtime_tests --gtest_filter='*Scenario*'

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Output {
  std::string out, err;
  int status = -1;
};

/// Runs `command` in `dir` through the shell; stdout and stderr captured.
Output Run(const fs::path& dir, const std::string& command) {
  fs::path err_file = fs::temp_directory_path() / ("tutti-scenario-" + std::to_string(::getpid()) + ".err");
  std::string full = "cd '" + dir.string() + "' && " + command + " 2>'" + err_file.string() + "'";
  Output o;
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return o;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  o.status = ::pclose(p);
  o.err = ReadFile(err_file);
  fs::remove(err_file);
  return o;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// The first line where two texts differ, for a readable failure.
std::string FirstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    bool ea = !std::getline(a, la), eb = !std::getline(b, lb);
    if (ea && eb) return "(no difference)";
    if (ea || eb || la != lb)
      return "first difference at line " + std::to_string(line) + ":\n  expected: " + (ea ? "<end>" : la) +
             "\n  actual:   " + (eb ? "<end>" : lb);
  }
}

void Compare(const fs::path& dir, const std::string& command) {
  Output o = Run(dir, command);
  ASSERT_EQ(o.status, 0) << command << " failed in " << dir << ":\n" << o.err;
  fs::path want_out = dir / "expected.ndjson", want_err = dir / "expected-summary.txt";
  if (std::getenv("TUTTI_UPDATE_GOLDEN")) {
    std::ofstream(want_out, std::ios::binary) << o.out;
    std::ofstream(want_err, std::ios::binary) << o.err;
    return;
  }
  ASSERT_TRUE(fs::exists(want_out)) << "missing " << want_out;
  std::string expected = ReadFile(want_out);
  EXPECT_TRUE(expected == o.out) << "decisions differ from " << want_out << "\n"
                                 << FirstDifference(expected, o.out);
  EXPECT_EQ(ReadFile(want_err), o.err) << "summary differs from " << want_err;
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  fs::path dir = fs::path(TUTTI_SOURCE_DIR) / "tests" / "scenarios";
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ScenarioCorpus, IsFound) { EXPECT_GE(Cases().size(), 10u); }

/// Both engines must print the golden bytes: the interpreter (the
/// reference) and the JIT (without a disk cache, so every run compiles).
const std::vector<std::string> kEngines = {"interp", "jit"};

std::string EngineFlags(const std::string& engine) {
  return " --engine " + engine + (engine == "jit" ? " --jit-cache none" : "");
}

class Scenario : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(Scenario, MatchesGoldenDecisions) {
  const auto& [name, engine] = GetParam();
  fs::path dir = fs::path(TUTTI_SOURCE_DIR) / "tests" / "scenarios" / name;
  std::string args = fs::exists(dir / "args") ? Trim(ReadFile(dir / "args")) : "";
  Compare(dir, std::string(TUTTI_BINARY) + " simulate --journeys . --profiles profiles.ndjson --events events.ndjson " +
                   args + EngineFlags(engine));
}

INSTANTIATE_TEST_SUITE_P(Cases, Scenario, ::testing::Combine(::testing::ValuesIn(Cases()), ::testing::ValuesIn(kEngines)),
                         [](const auto& info) { return std::get<0>(info.param) + "_" + std::get<1>(info.param); });

class ScenarioAbcPharma : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioAbcPharma, MatchesGoldenDecisions) {
  fs::path dir = fs::path(TUTTI_SOURCE_DIR) / "examples" / "abc-pharma";
  Compare(dir, std::string(TUTTI_BINARY) +
                   " simulate --journeys ../../journeys --profiles profiles.ndjson --events events.ndjson"
                   " --until 2026-04-30T00:00:00Z" + EngineFlags(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Engines, ScenarioAbcPharma, ::testing::ValuesIn(kEngines),
                         [](const auto& info) { return info.param; });

}  // namespace
