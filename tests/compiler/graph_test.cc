// The journey diagrams: what is drawn (nodes, edges, labels), the escaping
// for each format, and that Graphviz renders the DOT.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "compiler/graph/graph.h"
#include "compiler/parse/parse.h"

namespace tutti::compiler {
namespace {

namespace fs = std::filesystem;

// Parses without checking: the diagram needs only the AST.
class GraphTest : public ::testing::Test {
 protected:
  const ast::File& Parse(const std::string& text) {
    sources_.push_back(std::make_unique<Source>("test.tutti", text));
    DiagnosticSink sink;
    files_.push_back(ParseFile(*sources_.back(), sink));
    EXPECT_NE(files_.back(), nullptr) << RenderText(sink.Sorted());
    if (!files_.back()) files_.back() = std::make_unique<ast::File>();
    return *files_.back();
  }

  std::string Dot(const std::string& text, const std::string& journey = "") {
    return RenderGraph(Parse(text), journey, GraphFormat::kDot);
  }
  std::string Mermaid(const std::string& text, const std::string& journey = "") {
    return RenderGraph(Parse(text), journey, GraphFormat::kMermaid);
  }

 private:
  std::vector<std::unique_ptr<Source>> sources_;
  std::vector<std::unique_ptr<ast::File>> files_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The journey of DESIGN.md, with one of every step and clause.
const char* const kRichJourneys = R"tutti(
journey glidim_formulary_win {
  title "GLIDIM \"formulary\" win"
  priority 80
  on formulary_win as win where win.brand == "GLIDIM"
  audience hcp where hcp.account == win.account
                 and hcp.specialty in ["endocrinology", "internal medicine"]
  exit when rx_written as rx where rx.hcp == hcp.id and rx.brand == "GLIDIM"
  goal when meeting_booked

  choose best by engagement(hcp, option) {
    email     -> start glidim_email_nurture
    rep_visit -> task hcp.rep "GLIDIM is on {win.plan}: plan a visit with {hcp.name}" due 5d
    remote    -> send remote_detail "glidim-formulary" to hcp
  }
}

journey glidim_email_nurture {
  let tries = 0
  send email "glidim-formulary-intro" to hcp with { plan: "<b>|x|</b>" }
  wait up to 7d for email_opened as e where e.template == "glidim-formulary-intro"
    then { set tries = tries + 1 }
    timeout { task hcp.rep "{hcp.name} has not opened the GLIDIM intro" due 3d; end }
  wait 2d
  wait until 09:30 local
  wait until hcp.next_visit
  if hcp.specialty == "endocrinology" {
    send email "endo"
  } else if tries > 1 {
    notify msl where msl.brand == "GLIDIM" best by msl.load "Question {q}: \\ {x}" due 1d
  } else {
    emit case_opened { hcp: hcp.id }
  }
  choose {
    when hcp.preferred_channel == "email" -> send email "a"
    when hcp.preferred_channel == "phone" -> end
    otherwise -> wait 1d
  }
  split {
    50% a -> send email "glidim-dosing-guide" to hcp
    50% b -> send email "glidim-savings-card" to hcp
  }
}
)tutti";

TEST_F(GraphTest, SmallJourneyAsDot) {
  std::string dot = Dot(R"(
journey welcome {
  on signed_up as s where s.country == "DE"
  send email "welcome"
  wait 1d
}
)");
  EXPECT_EQ(dot, R"(digraph journeys {
  graph [fontname="Helvetica", fontsize=12];
  node [fontname="Helvetica", fontsize=10];
  edge [fontname="Helvetica", fontsize=9];
  subgraph "cluster_welcome" {
    label="journey welcome";
    n1 [shape=box, style="rounded,bold", label="on signed_up as s\nwhere s.country == \"DE\""];
    n2 [shape=box, label="send email\n\"welcome\""];
    n3 [shape=box, style=dashed, label="wait 1d"];
    n4 [shape=doublecircle, label="end"];
    n1 -> n2;
    n2 -> n3;
    n3 -> n4;
  }
}
)");
}

TEST_F(GraphTest, SmallJourneyAsMermaid) {
  std::string mermaid = Mermaid(R"(
journey welcome {
  on signed_up as s where s.country == "DE"
  if s.vip { send email "vip" }
  wait up to 2d for email_opened timeout { end }
}
)");
  EXPECT_EQ(mermaid, R"(flowchart TD
  subgraph cluster_welcome ["journey welcome"]
    n1["on signed_up as s<br>where s.country == #quot;DE#quot;"]
    n2{"if"}
    n3["send email<br>#quot;vip#quot;"]
    n4["wait up to 2d for email_opened"]
    n5["end"]
    n1 --> n2
    n2 -->|"s.vip"| n3
    n3 --> n4
    n2 -->|"else"| n4
    n4 -.->|"timeout after 2d"| n5
    n4 -->|"email_opened"| n5
  end
)");
}

TEST_F(GraphTest, DrawsEveryStepOfARichJourney) {
  std::string dot = Dot(kRichJourneys);
  // Trigger, audience, the decision with its score, options on the edges.
  EXPECT_TRUE(Contains(dot, R"(label="on formulary_win as win\nwhere win.brand == \"GLIDIM\"")"));
  EXPECT_TRUE(Contains(dot, "label=\"audience hcp\\nwhere hcp.account == win.account &&"));
  EXPECT_TRUE(Contains(dot, R"d([shape=diamond, label="choose best by\nengagement(hcp, option)"])d"));
  EXPECT_TRUE(Contains(dot, R"([label="rep_visit"])"));
  EXPECT_TRUE(Contains(dot, R"(label="task hcp.rep\n\"GLIDIM is on \{win.plan\}: plan a visit\nwith \{hcp.name\}\"\ndue 5d")"));
  EXPECT_TRUE(Contains(dot, R"(label="send remote_detail\n\"glidim-formulary\"\nto hcp")"));
  EXPECT_TRUE(Contains(dot, R"(label="start glidim_email_nurture")"));
  // Criteria lead to the exit node; the title is in the caption.
  EXPECT_TRUE(Contains(dot, R"([shape=note, label="goal when meeting_booked"])"));
  EXPECT_TRUE(Contains(dot, R"([shape=doublecircle, label="exit"])"));
  EXPECT_TRUE(Contains(dot, R"(label="journey glidim_formulary_win\nGLIDIM \"formulary\" win";)"));
  // The second journey: every kind of wait, branch and assignment.
  EXPECT_TRUE(Contains(dot, R"(label="entered by start")"));
  EXPECT_TRUE(Contains(dot, R"(label="let tries = 0")"));
  EXPECT_TRUE(Contains(dot, R"(label="set tries = tries + 1")"));
  EXPECT_TRUE(Contains(dot, R"(label="wait 2d")"));
  EXPECT_TRUE(Contains(dot, R"(label="wait until 09:30 local")"));
  EXPECT_TRUE(Contains(dot, R"(label="wait until hcp.next_visit")"));
  EXPECT_TRUE(Contains(dot, R"([label="timeout after 7d", style=dashed])"));
  EXPECT_TRUE(Contains(dot, R"([label="email_opened"])"));
  EXPECT_TRUE(Contains(dot, R"([label="else if tries \> 1"])"));
  EXPECT_TRUE(Contains(dot, R"(label="notify msl where msl.brand == \"GLIDIM\"\nbest by msl.load\n\"Question \{q\}: \\ \{x\}\"\ndue 1d")"));
  EXPECT_TRUE(Contains(dot, R"(label="emit case_opened")"));
  EXPECT_TRUE(Contains(dot, R"([label="when hcp.preferred_channel == \"email\""])"));
  EXPECT_TRUE(Contains(dot, R"([label="otherwise"])"));
  EXPECT_TRUE(Contains(dot, R"([label="50% a"])"));
}

// Node ids and edges of one journey, from the DOT text.
struct DotGraph {
  std::map<std::string, std::string> labels;           // id -> label
  std::vector<std::pair<std::string, std::string>> edges;  // from, to
  std::string Id(const std::string& label) const {
    for (const auto& [id, l] : labels)
      if (l == label) return id;
    return "";
  }
  std::set<std::string> Targets(const std::string& from) const {
    std::set<std::string> out;
    for (const auto& [f, t] : edges)
      if (f == from) out.insert(t);
    return out;
  }
};

DotGraph ReadDot(const std::string& dot) {
  DotGraph g;
  std::regex node(R"re(^    (n\d+) \[.*label="((?:[^"\\]|\\.)*)"\];$)re");
  std::regex edge(R"re(^    (n\d+) -> (n\d+)( \[.*\])?;$)re");
  for (const std::string& line : Lines(dot)) {
    std::smatch m;
    if (std::regex_match(line, m, node)) g.labels[m[1]] = m[2];
    else if (std::regex_match(line, m, edge)) g.edges.push_back({m[1], m[2]});
  }
  return g;
}

TEST_F(GraphTest, BranchesThatFallThroughJoinTheNextStep) {
  DotGraph g = ReadDot(Dot(R"(
journey j {
  on e
  if a { send email "x" } else if b { end }
  send email "y"
  wait up to 7d for opened then { send email "z" }
}
)"));
  std::string decision = g.Id("if"), x = g.Id(R"(send email\n\"x\")"),
              y = g.Id(R"d(send email\n\"y\")d"), z = g.Id(R"d(send email\n\"z\")d"),
              wait = g.Id("wait up to 7d for opened"), end = g.Id("end");
  ASSERT_FALSE(decision.empty() || x.empty() || y.empty() || z.empty() || wait.empty() ||
               end.empty());
  // `a` goes to x, `b` ends, no else goes straight on to y.
  EXPECT_EQ(g.Targets(decision), (std::set<std::string>{x, y, end}));
  EXPECT_EQ(g.Targets(x), std::set<std::string>{y});
  // Arrival runs `then`; the timeout (no block) and `then` both reach the end.
  EXPECT_EQ(g.Targets(wait), (std::set<std::string>{z, end}));
  EXPECT_EQ(g.Targets(z), std::set<std::string>{end});
}

TEST_F(GraphTest, ExitCriteriaLeadToTheExitNodeOnly) {
  DotGraph g = ReadDot(Dot(R"(
journey j {
  on e
  exit when unsubscribed
  goal when purchased as p where p.amount > 100
  send email "x"
}
)"));
  std::string exit = g.Id("exit"), unsubscribed = g.Id("exit when unsubscribed"),
              purchased = g.Id(R"(goal when purchased as p\nwhere p.amount \> 100)");
  ASSERT_FALSE(exit.empty() || unsubscribed.empty() || purchased.empty());
  EXPECT_EQ(g.Targets(unsubscribed), std::set<std::string>{exit});
  EXPECT_EQ(g.Targets(purchased), std::set<std::string>{exit});
  for (const auto& [from, to] : g.edges) {
    if (to == exit) {
      EXPECT_TRUE(from == unsubscribed || from == purchased);
    }
  }
  EXPECT_TRUE(g.Targets(exit).empty());
}

TEST_F(GraphTest, OneDigraphWithAClusterPerJourneyAndUniqueIds) {
  std::string dot = Dot(kRichJourneys);
  EXPECT_EQ(dot.rfind("digraph journeys {\n", 0), 0u);
  size_t digraphs = 0;
  for (size_t at = 0; (at = dot.find("digraph", at)) != std::string::npos; ++at) ++digraphs;
  EXPECT_EQ(digraphs, 1u);
  EXPECT_TRUE(Contains(dot, "subgraph \"cluster_glidim_formulary_win\" {"));
  EXPECT_TRUE(Contains(dot, "subgraph \"cluster_glidim_email_nurture\" {"));

  std::set<std::string> ids;
  std::regex node(R"(^    (n\d+) \[)");
  for (const std::string& line : Lines(dot)) {
    std::smatch m;
    if (std::regex_search(line, m, node)) {
      EXPECT_TRUE(ids.insert(m[1]).second) << m[1];
    }
  }
  EXPECT_EQ(ids.size(), 30u);
}

TEST_F(GraphTest, DrawsOnlyTheNamedJourney) {
  std::string dot = Dot(kRichJourneys, "glidim_email_nurture");
  EXPECT_FALSE(Contains(dot, "cluster_glidim_formulary_win"));
  EXPECT_TRUE(Contains(dot, "cluster_glidim_email_nurture"));
  EXPECT_TRUE(Contains(dot, "    n1 ["));  // numbering starts afresh

  std::string none = Mermaid(kRichJourneys, "no_such_journey");
  EXPECT_EQ(none, "flowchart TD\n");
}

TEST_F(GraphTest, RenderJourneyGraphDrawsOneJourney) {
  const ast::File& file = Parse(kRichJourneys);
  std::string one = RenderJourneyGraph(file.journeys.at(1), GraphFormat::kMermaid);
  EXPECT_EQ(one, RenderGraph(file, "glidim_email_nurture", GraphFormat::kMermaid));
}

TEST_F(GraphTest, OutputIsDeterministic) {
  EXPECT_EQ(Dot(kRichJourneys), Dot(kRichJourneys));
  EXPECT_EQ(Mermaid(kRichJourneys), Mermaid(kRichJourneys));
}

TEST_F(GraphTest, LongLabelsWrap) {
  DotGraph g = ReadDot(Dot(R"(
journey j {
  send email "one two three four five six seven eight nine ten eleven twelve"
}
)"));
  EXPECT_NE(g.Id(R"(send email\n\"one two three four five six seven eight\nnine ten eleven twelve\")"), "");
}

// Text that breaks naive output: quotes, backslashes, braces, angle
// brackets, pipes, entity-like text, Mermaid keywords and directives.
const char* const kHostileJourney = R"tutti(
journey hostile {
  title "a \"title\" with <b>bold</b> & {braces} | pipes # hash"
  on ev where ev.text == "x\"y\\z\n<br>{}|#quot;%%{init: {}}%%" and ev.n % 2 == 1
  send email "`markdown` and end and subgraph \\l \\N"
  task rep "set direction LR; style n1 fill:#f00;" due 1d
  if a.b > 1 && c < 2 { end }
  split { 100% x -> send email "50% done" }
}
)tutti";

TEST_F(GraphTest, DotEscapesLabels) {
  std::string dot = Dot(kHostileJourney);
  EXPECT_TRUE(Contains(dot, R"(label="journey hostile\na \"title\" with \<b\>bold\</b\> & \{braces\} \|\npipes # hash";)"));
  EXPECT_TRUE(Contains(dot, R"(where ev.text ==\n\"x\\\"y\\\\z\\n\<br\>\{\}\|#quot;%%\{init: \{\}\}%%\"\n&& ev.n % 2 == 1")"));
  EXPECT_TRUE(Contains(dot, R"(\"`markdown` and end and subgraph \\l \\N\")"));
  // Every line is a statement; no label spills onto another line.
  for (const std::string& line : Lines(dot)) {
    EXPECT_TRUE(line.empty() || line.back() == '{' || line.back() == ';' || line.back() == '}')
        << line;
  }
}

// Checks the Mermaid text line by line against the basic flowchart syntax
// the writer promises, and every label against the characters that would
// break it.
void ExpectValidMermaid(const std::string& mermaid) {
  std::vector<std::string> lines = Lines(mermaid);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "flowchart TD");
  const std::string label = R"re("([^"]*)")re";
  std::regex subgraph("^  subgraph cluster_\\w+ \\[" + label + "\\]$");
  std::regex box("^    n\\d+\\[" + label + "\\]$");
  std::regex decision("^    n\\d+\\{" + label + "\\}$");
  std::regex edge("^    n\\d+ (-->|-\\.->)(\\|" + label + "\\|)? n\\d+$");
  std::regex entity("#(\\w+);");
  int depth = 0;
  std::set<std::string> nodes;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    std::smatch m;
    std::string text;
    if (std::regex_match(line, m, subgraph)) {
      ++depth;
      text = m[1];
    } else if (line == "  end") {
      --depth;
      continue;
    } else if (std::regex_match(line, m, box) || std::regex_match(line, m, decision)) {
      std::string id = line.substr(4, line.find_first_of("[{") - 4);
      EXPECT_TRUE(nodes.insert(id).second) << "duplicate id " << id;
      text = m[1];
    } else if (std::regex_match(line, m, edge)) {
      text = m[3];
    } else {
      ADD_FAILURE() << "not basic flowchart syntax: " << line;
      continue;
    }
    EXPECT_EQ(depth, 1) << line;
    // With entities and line breaks removed, no special character remains.
    std::string plain = std::regex_replace(text, entity, "");
    size_t br;
    while ((br = plain.find("<br>")) != std::string::npos) plain.erase(br, 4);
    EXPECT_EQ(plain.find_first_of("\"#<>{}|`%&\n"), std::string::npos) << line;
    EXPECT_FALSE(Contains(plain, "direction")) << line;
    if (Contains(plain, "style") || Contains(plain, "classDef")) {
      EXPECT_FALSE(Contains(plain, ":")) << line;
    }
  }
  EXPECT_EQ(depth, 0);
}

TEST_F(GraphTest, MermaidEscapesLabels) {
  std::string mermaid = Mermaid(kHostileJourney);
  ExpectValidMermaid(mermaid);
  EXPECT_TRUE(Contains(
      mermaid, R"(subgraph cluster_hostile ["journey hostile<br>a #quot;title#quot; with #lt;b#gt;bold#lt;/b#gt; #38; #123;braces#125; #124;<br>pipes #35; hash"])"));
  EXPECT_TRUE(Contains(mermaid, R"(#quot;x\#quot;y\\z\n#lt;br#gt;#123;#125;#124;#35;quot;#37;#37;#123;init: #123;#125;#125;#37;#37;#quot;<br>#38;#38; ev.n #37; 2 == 1")"));
  EXPECT_TRUE(Contains(mermaid, R"(#quot;#96;markdown#96; and end and subgraph \l \N#quot;)"));
  EXPECT_TRUE(Contains(mermaid, R"(#quot;set #100;irection LR; style n1 fill#58;#35;f00;#quot;)"));
  EXPECT_TRUE(Contains(mermaid, R"(-->|"100#37; x"|)"));
}

TEST_F(GraphTest, RichJourneysAreValidMermaid) { ExpectValidMermaid(Mermaid(kRichJourneys)); }

// Hand-built journeys can hold what the parser would refuse: names that
// are not identifiers, invalid UTF-8, control characters.
TEST_F(GraphTest, ClusterIdsAndLabelsStayValidForAnyText) {
  ast::File file;
  file.journeys.resize(3);
  file.journeys[0].name.text = "a-b";
  file.journeys[0].title = "bad \xff byte,\ttab\nnewline \xC3\xA9";
  file.journeys[1].name.text = "a_b";
  file.journeys[2].name.text = "a b";
  std::string dot = RenderGraph(file, "", GraphFormat::kDot);
  EXPECT_TRUE(Contains(dot, "subgraph \"cluster_a_b\" {"));
  EXPECT_TRUE(Contains(dot, "subgraph \"cluster_a_b_2\" {"));
  EXPECT_TRUE(Contains(dot, "subgraph \"cluster_a_b_3\" {"));
  EXPECT_TRUE(Contains(dot, "label=\"journey a-b\\nbad \xEF\xBF\xBD byte, tab newline \xC3\xA9\";"));
  // A journey with no trigger and no steps: its entry leads to its end.
  DotGraph g = ReadDot(dot);
  EXPECT_EQ(g.labels.size(), 6u);
  EXPECT_EQ(g.Targets("n1"), std::set<std::string>{"n2"});
  EXPECT_EQ(g.labels["n1"], "entered by start");
  EXPECT_EQ(g.labels["n2"], "end");
  ExpectValidMermaid(RenderGraph(file, "", GraphFormat::kMermaid));
}

TEST_F(GraphTest, GraphvizRendersTheDot) {
  if (std::system("command -v dot > /dev/null 2>&1") != 0) GTEST_SKIP() << "dot is not on PATH";
  fs::path dir = fs::path(::testing::TempDir()) / "tutti_graph_test";
  fs::create_directories(dir);
  for (const char* text : {kRichJourneys, kHostileJourney}) {
    fs::path dot = dir / "journeys.dot", svg = dir / "journeys.svg", err = dir / "dot.err";
    std::ofstream(dot) << Dot(text);
    std::string command = "dot -Tsvg '" + dot.string() + "' -o '" + svg.string() + "' 2> '" +
                          err.string() + "'";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    EXPECT_GT(fs::file_size(svg), 1000u);
    EXPECT_EQ(fs::file_size(err), 0u) << "dot reported problems; see " << err;
  }
}

}  // namespace
}  // namespace tutti::compiler
