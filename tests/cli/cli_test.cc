// The `tutti` executable as a user runs it: exit codes, output formats and
// the rendering of diagnostics.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string out;
};

// Runs `tutti ARGS` with stderr discarded; returns exit status and stdout.
Result Tutti(const std::string& args) {
  std::string cmd = std::string(TUTTI_BINARY) + " " + args + " 2>/dev/null";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

fs::path Write(const std::string& name, const std::string& text) {
  fs::path dir = fs::temp_directory_path() / "tutti_cli_test";
  fs::create_directories(dir);
  fs::path p = dir / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

constexpr const char* kValid = R"(
profile hcp { id: string key, name: string, rep: string, timezone: string, consent: set<string> }
event email_opened keyed by hcp { hcp: string, template: string }
channel email { kind message to hcp consent "email" }
policy contact { require consent }
journey hello {
  on email_opened as e where e.template == "intro"
  send email "thanks" to hcp
  end
}
)";

TEST(Cli, NoCommandIsAUsageError) { EXPECT_EQ(Tutti("").status, 2); }
TEST(Cli, UnknownCommandIsAUsageError) { EXPECT_EQ(Tutti("frobnicate").status, 2); }
TEST(Cli, CheckWithoutPathsIsAUsageError) { EXPECT_EQ(Tutti("check").status, 2); }
TEST(Cli, UnknownFormatIsAUsageError) {
  EXPECT_EQ(Tutti("check --format xml " + Write("ok.tutti", kValid).string()).status, 2);
}

TEST(Cli, CleanFileExitsZeroAndPrintsNothing) {
  Result r = Tutti("check " + Write("ok.tutti", kValid).string());
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out, "");
}

TEST(Cli, ErrorsExitOneWithLocationSourceLineAndCaret) {
  fs::path p = Write("bad.tutti", "journey x {\n  wait 0d\n}\n");
  Result r = Tutti("check " + p.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(p.string() + ":2:8: error: a wait must be longer than zero, such as 1d [T0208]\n"),
            std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 2 |   wait 0d\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("   |        ^~\n"), std::string::npos) << r.out;
}

TEST(Cli, WarningsAloneExitZero) {
  std::string text = std::string(kValid) + "journey later for hcp { end\n send email \"x\" to hcp }\n";
  Result r = Tutti("check " + Write("warn.tutti", text).string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("warning: this step is never reached"), std::string::npos) << r.out;
}

TEST(Cli, JsonFormatIsValidJsonWithRanges) {
  Result r = Tutti("check --format json " + Write("bad2.tutti", "journey x {\n  wait 0d\n}\n").string());
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["errors"], 2);  // also: the journey does not say whom it is for
  const auto& d = j["diagnostics"][1];
  EXPECT_EQ(d["severity"], "error");
  EXPECT_EQ(d["message"], "a wait must be longer than zero, such as 1d");
  EXPECT_EQ(d["code"], "T0208");
  EXPECT_EQ(d["range"]["start"]["line"], 2);
  EXPECT_EQ(d["range"]["start"]["column"], 8);
  EXPECT_EQ(d["range"]["end"]["column"], 10);
}

TEST(Cli, JsonFormatCarriesFixesAndUtf16Characters) {
  // "é" is 2 bytes and 1 UTF-16 unit, "😀" 4 bytes and 2 units: an editor
  // places the squiggle by `character`, the terminal by `column`.
  std::string text = std::string(kValid) +
                     "journey typo for hcp {\n  on email_opend as e\n"
                     "  if \"é😀\" == e.template && hcp.nme == \"x\" { end }\n}\n"
                     "journey assign for hcp {\n  on email_opened as e where e.template = \"x\"\n}\n";
  Result r = Tutti("check --format json " + Write("fixes.tutti", text).string());
  EXPECT_EQ(r.status, 1);
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> by_start;
  for (const auto& d : j["diagnostics"]) by_start[d["message"].get<std::string>().substr(0, 20)] = d;
  const nlohmann::json& event = by_start.at("unknown event 'email");
  ASSERT_EQ(event["fixes"].size(), 1u) << event.dump();
  EXPECT_EQ(event["fixes"][0]["text"], "email_opened");
  EXPECT_EQ(event["fixes"][0]["range"], event["range"]);
  const nlohmann::json& field = by_start.at("profile 'hcp' has no");
  EXPECT_EQ(field["range"]["start"]["column"], 36) << field.dump();
  EXPECT_EQ(field["range"]["start"]["character"], 32) << field.dump();
  EXPECT_EQ(field["fixes"][0]["text"], "name");
  const nlohmann::json& assign = by_start.at("'=' does not compare");
  EXPECT_EQ(assign["fixes"][0]["text"], "==");
  EXPECT_EQ(assign["fixes"][0]["range"]["start"]["character"].get<int>() + 1,
            assign["fixes"][0]["range"]["end"]["character"].get<int>());
}

TEST(Cli, ExplainPrintsTheCodesSection) {
  Result r = Tutti("explain T0208");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("## T0208: a duration that must be longer than zero\n", 0), 0u) << r.out;
  EXPECT_EQ(r.out.find("\n## "), std::string::npos) << "one section only:\n" << r.out;
  EXPECT_EQ(Tutti("explain t0208").out, r.out) << "codes are case-insensitive";
}

TEST(Cli, ExplainListsEveryCodeAndRefusesUnknownOnes) {
  Result list = Tutti("explain --list");
  EXPECT_EQ(list.status, 0);
  EXPECT_NE(list.out.find("T0101  the text does not follow the language's grammar\n"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("T0502  "), std::string::npos) << list.out;
  EXPECT_EQ(Tutti("explain T9999").status, 2);
  EXPECT_EQ(Tutti("explain").status, 2);
  EXPECT_EQ(Tutti("explain --list T0101").status, 2);
}

TEST(Cli, FmtRewritesChecksAndRefusesSyntaxErrors) {
  fs::path messy = Write("messy.tutti", std::string(kValid) + "journey later  for hcp{\nwait 1d\n}\n");
  Result check = Tutti("fmt --check " + messy.string());
  EXPECT_EQ(check.status, 1);
  EXPECT_EQ(check.out, messy.string() + "\n");
  Result print = Tutti("fmt --stdout " + messy.string());
  EXPECT_EQ(print.status, 0);
  EXPECT_NE(print.out.find("journey later for hcp {\n  wait 1d\n}\n"), std::string::npos) << print.out;
  EXPECT_EQ(Tutti("fmt " + messy.string()).status, 0);
  std::ifstream in(messy);
  std::string rewritten((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rewritten, print.out);
  EXPECT_EQ(Tutti("fmt --check " + messy.string()).status, 0);
  fs::path broken = Write("broken.tutti", "journey x {\n  wait 2 days\n}\n");
  EXPECT_EQ(Tutti("fmt " + broken.string()).status, 1);
  std::ifstream again(broken);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>()),
            "journey x {\n  wait 2 days\n}\n") << "a file that does not parse is left alone";
  EXPECT_EQ(Tutti("fmt").status, 2);
}

TEST(Cli, FmtWritesThroughASymlink) {
  fs::path real = Write("real.tutti", "journey j for hcp {\nwait 1d\n}\n");
  fs::path link = real.parent_path() / "link.tutti";
  fs::remove(link);
  fs::create_symlink(real.filename(), link);
  EXPECT_EQ(Tutti("fmt " + link.string()).status, 0);
  EXPECT_TRUE(fs::is_symlink(link));
  std::ifstream in(real);
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
            "journey j for hcp {\n  wait 1d\n}\n");
}

TEST(Cli, FoldersAreSearchedRecursivelyAndOutputIsSorted) {
  fs::path dir = fs::temp_directory_path() / "tutti_cli_tree";
  fs::remove_all(dir);
  fs::create_directories(dir / "b");
  std::ofstream(dir / "z.tutti") << "journey z {\n  wait 0d\n}\n";
  std::ofstream(dir / "b" / "a.tutti") << "journey a {\n  wait 0d\n}\n";
  Result r = Tutti("check " + dir.string());
  EXPECT_EQ(r.status, 1);
  size_t a = r.out.find("a.tutti:2:8"), z = r.out.find("z.tutti:2:8");
  ASSERT_NE(a, std::string::npos) << r.out;
  ASSERT_NE(z, std::string::npos) << r.out;
  EXPECT_LT(a, z);
  EXPECT_EQ(Tutti("check " + dir.string()).out, r.out) << "output must be deterministic";
}

TEST(Cli, MissingPathIsReportedNotCrashed) {
  Result r = Tutti("check /nonexistent/path.tutti");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no such file or folder"), std::string::npos);
}

TEST(Cli, GraphDrawsDotAndMermaid) {
  fs::path p = Write("graph.tutti", kValid);
  Result dot = Tutti("graph " + p.string());
  EXPECT_EQ(dot.status, 0);
  EXPECT_EQ(dot.out.rfind("digraph", 0), 0u) << dot.out;
  Result mermaid = Tutti("graph " + p.string() + " --format mermaid");
  EXPECT_EQ(mermaid.status, 0);
  EXPECT_EQ(mermaid.out.rfind("flowchart TD", 0), 0u) << mermaid.out;
  EXPECT_EQ(Tutti("graph " + p.string() + " --journey nope").status, 1);
  EXPECT_EQ(Tutti("graph " + p.string() + " --format png").status, 2);
}

TEST(Cli, GraphOfAFileWithErrorsFails) {
  EXPECT_EQ(Tutti("graph " + Write("bad3.tutti", "journey x {\n  wait 0d\n}\n").string()).status, 1);
}

}  // namespace

namespace {

// `tutti preview` over the reference journeys: the content the engine
// would send, hole by hole.
std::string Journeys() { return std::string(TUTTI_SOURCE_DIR) + "/journeys"; }
std::string Profiles() { return std::string(TUTTI_SOURCE_DIR) + "/examples/abc-pharma/profiles.ndjson"; }

TEST(Preview, RendersATemplateForOneCustomerAndShowsEachHole) {
  Result r = Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --customer hcp-empire-00001 --profiles " +
                   Profiles());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("approval: approved \"MLR-GLD-2026-014\" until \"2027-12-31\"\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Subject: GLIDIM is now covered for your patients at empire-health\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nDear Dr. Tariq Ahmed,\n"), std::string::npos) << r.out;
  // A `with` field the send computes from the customer is computed.
  EXPECT_NE(r.out.find("{account} = empire-health   (with account: hcp.account)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("{hcp.name} = Dr. Tariq Ahmed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("no value for"), std::string::npos) << r.out;
}

TEST(Preview, TheLocaleAndHtmlAndMissingValuesAreShown) {
  Result es = Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --locale es-MX --customer hcp-empire-00001 --profiles " +
                    Profiles());
  ASSERT_EQ(es.status, 0) << es.out;
  EXPECT_NE(es.out.find("locale: es (for \"es-MX\")"), std::string::npos) << es.out;
  EXPECT_NE(es.out.find("Subject: GLIDIM ya está cubierto para sus pacientes de empire-health"), std::string::npos) << es.out;
  fs::path profile = Write("naomi.json", R"({"id": "h1", "name": "Dr. <Naomi> & Co", "account": "acme", "specialty": "x",
    "preferred_channel": "email", "timezone": "UTC", "consent": [], "rep": "r", "territory": "t", "segment": "s",
    "decile": 5, "city": "c", "state": "NY", "sample_eligible": false})");
  Result html = Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --format html --profile " + profile.string());
  ASSERT_EQ(html.status, 0) << html.out;
  EXPECT_NE(html.out.find("<p>Dear Dr. &lt;Naomi&gt; &amp; Co,</p>"), std::string::npos) << html.out;
  // An event's field the preview cannot know: shown and listed.
  Result invite = Tutti("preview speaker-program-invitation --journeys " + Journeys() + " --profile " + profile.string() +
                        " --with '{\"program\": \"sp-1\"}'");
  ASSERT_EQ(invite.status, 0) << invite.out;
  EXPECT_NE(invite.out.find("Subject: You are invited: sp-1"), std::string::npos) << invite.out;
  EXPECT_NE(invite.out.find("no value for: {speaker} {topic} {venue} {starts}"), std::string::npos) << invite.out;
  EXPECT_NE(invite.out.find("«venue»"), std::string::npos) << invite.out;
}

TEST(Preview, AProfileNamesOnlyTheFieldsThatMatter) {
  // The others take their zero values, as in a journey test.
  fs::path ada = Write("ada.json", R"({"id": "ada", "name": "Dr. Ada Park"})");
  Result r = Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --profile " + ada.string());
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\nDear Dr. Ada Park,\n"), std::string::npos) << r.out;
  // A field of the wrong type is still refused.
  fs::path wrong = Write("wrong.json", R"({"id": "ada", "decile": "high"})");
  EXPECT_EQ(Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --profile " + wrong.string()).status, 1);
}

TEST(Preview, UnknownTemplatesAndCustomersFail) {
  EXPECT_EQ(Tutti("preview glidim-nope --journeys " + Journeys()).status, 1);
  EXPECT_EQ(Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --customer nobody --profiles " + Profiles()).status, 1);
  // A profile file is bounded before it is read whole: a larger one is refused.
  fs::path big = Write("big_profile.json", std::string((1u << 20) + 10, ' '));
  EXPECT_EQ(Tutti("preview glidim-formulary-intro --journeys " + Journeys() + " --profile " + big.string()).status, 1);
  EXPECT_EQ(Tutti("preview").status, 2);
  EXPECT_EQ(Tutti("preview a b").status, 2);
  EXPECT_EQ(Tutti("preview glidim-formulary-intro --format pdf").status, 2);
}

}  // namespace

namespace {

// `tutti test`: journey tests written in Tutti.
constexpr const char* kTested = R"(
profile hcp { id: string key, name: string, decile: int, consent: set<string> }
event signup keyed by hcp { hcp: string, source: string }
channel email { kind message to hcp }
template "welcome" for email { body "Welcome, {hcp.name}" }
journey welcome for hcp {
  on signup as s
  if hcp.decile >= 5 {
    send email "welcome"
  }
  wait 1d
  send email "welcome"
}
)";

TEST(TestCommand, PassingAndFailingTestsAreReportedWithCoverage) {
  fs::path file = Write("tested.tutti", std::string(kTested) + R"(
test "a high decile gets two welcomes a day apart" {
  profile hcp { id: "h1", decile: 7 }
  event signup { hcp: "h1" }
  expect send email "welcome" to "h1"
  expect nothing
  wait 1d
  expect send email "welcome" to "h1"
}
test "a low decile gets one" {
  profile hcp { id: "h2", decile: 2 }
  event signup { hcp: "h2" }
  expect send email "welcome" to "h2"
}
)");
  Result r = Tutti("test " + file.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("  ok    a high decile gets two welcomes a day apart"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  FAIL  a low decile gets one"), std::string::npos) << r.out;
  // Located at the expectation, with what happened instead.
  EXPECT_NE(r.out.find("tested.tutti:26:3: expected send email \"welcome\" to \"h2\" by 2026-01-05T09:00:00Z; "
                       "instead, not yet expected:\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("coverage: 4 of 4 steps (100.0%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 passed, 1 failed\n"), std::string::npos) << r.out;
  Result junit = Tutti("test --format junit " + file.string());
  EXPECT_NE(junit.out.find("<testsuites name=\"tutti test\" tests=\"2\" failures=\"1\">"), std::string::npos) << junit.out;
  EXPECT_NE(junit.out.find("<failure message=\"expected send email &quot;welcome&quot;"), std::string::npos) << junit.out;
}

TEST(TestCommand, MinCoverageFailsARunThatReachesTooLittle) {
  fs::path file = Write("low.tutti", std::string(kTested) + R"(
test "a low decile signs up" {
  profile hcp { id: "h2", decile: 2 }
  event signup { hcp: "h2" }
  expect nothing
}
)");
  Result r = Tutti("test " + file.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("coverage: 2 of 4 steps (50.0%)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("welcome 2/4  not reached: send@9, send@12"), std::string::npos) << r.out;
  Result strict = Tutti("test --min-coverage 80 " + file.string());
  EXPECT_EQ(strict.status, 1) << strict.out;
  EXPECT_NE(strict.out.find("coverage 50.0% is below --min-coverage 80%"), std::string::npos) << strict.out;
  EXPECT_EQ(Tutti("test --min-coverage 120 " + file.string()).status, 2);
}

TEST(TestCommand, ATestThatDoesNotCheckRunsNothing) {
  fs::path file = Write("bad_test.tutti", std::string(kTested) + R"(
test "no key" {
  profile hcp { decile: 2, nmae: "x" }
}
)");
  Result r = Tutti("test " + file.string());
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "");
  std::string cmd = std::string(TUTTI_BINARY) + " test " + file.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string err;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) err.append(buf, n);
  pclose(p);
  EXPECT_NE(err.find("profile hcp needs its key 'id' here"), std::string::npos) << err;
  EXPECT_NE(err.find("has no field 'nmae' (did you mean 'name'?)"), std::string::npos) << err;
}

}  // namespace
