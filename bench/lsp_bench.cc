// How quickly `tutti lsp` answers an editor on a 1,000-line file: a change
// (the whole document re-checked, diagnostics published) and completion
// after 'o.' and at the start of a line. Targets (issue 16): diagnostics
// within 50 ms of a change, completion within 20 ms. The server is driven
// in-process through Server::Handle (no pipes), so the figures are the
// server's own time.
//
//   ./build/bench/lsp_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "lsp/server.h"

namespace {

using Json = nlohmann::json;
using tutti::lsp::Server;

const char* kUri = "file:///bench/journeys.tutti";

// A file of about 1,000 lines: the stdlib imported and 40 journeys of 25
// lines each, every one with a trigger, waits, branches and sends.
std::string Document(int variant) {
  std::string text = "import \"std/events\"\nimport \"std/channels\"\nimport \"std/policy\"\n\n";
  for (int i = 0; i < 40; ++i) {
    std::string n = std::to_string(i);
    text += "journey nurture_" + n + " {\n"
            "  title \"Nurture " + n + "\"\n"
            "  priority " + std::to_string(10 + i) + "\n"
            "  on email_opened as o where o.template == \"launch-" + n + "\"\n"
            "  exit when rx_written as rx where rx.brand == \"GLIDIM\"\n"
            "  let deep = hcp.decile >= " + std::to_string(i % 10) + "\n"
            "  if deep && \"email\" in hcp.consent {\n"
            "    send email \"glidim-intro-" + n + "\" with { template: o.template }\n"
            "  } else {\n"
            "    task hcp.rep \"Visit {hcp.name} about GLIDIM\" due 5d\n"
            "  }\n"
            "  wait 3d\n"
            "  wait up to 14d for email_opened as again where again.template == \"glidim-intro-" + n + "\"\n"
            "    then {\n"
            "      send email \"glidim-dosing-" + n + "\"\n"
            "    }\n"
            "    timeout {\n"
            "      notify hcp.rep \"{hcp.name} did not open the intro\"\n"
            "    }\n"
            "  choose {\n"
            "    when hcp.specialty == \"endocrinology\" -> send email \"glidim-endo-" + n + "\"\n"
            "    otherwise -> send email \"glidim-general-" + n + "\"\n"
            "  }\n"
            "  wait " + std::to_string(1 + (i + variant) % 7) + "d\n"
            "}\n\n";
  }
  return text;
}

std::string Message(const std::string& method, const Json& params, int id = 0) {
  Json m = {{"jsonrpc", "2.0"}, {"method", method}, {"params", params}};
  if (id) m["id"] = id;
  return m.dump();
}

std::unique_ptr<Server> OpenServer(const std::string& text) {
  auto server = std::make_unique<Server>(TUTTI_STDLIB_DIR);
  server->Handle(Message("initialize", Json::object(), 1));
  server->Handle(Message("textDocument/didOpen",
                         {{"textDocument", {{"uri", kUri}, {"languageId", "tutti"}, {"version", 1}, {"text", text}}}}));
  return server;
}

void BM_DiagnosticsAfterChange(benchmark::State& state) {
  std::string a = Document(0), b = Document(1);
  auto server = OpenServer(a);
  int version = 1;
  size_t lines = 0;
  for (char c : a) lines += c == '\n';
  size_t diagnostics = 0;
  for (auto _ : state) {
    ++version;
    auto out = server->Handle(Message("textDocument/didChange",
                                      {{"textDocument", {{"uri", kUri}, {"version", version}}},
                                       {"contentChanges", {{{"text", version % 2 ? a : b}}}}}));
    diagnostics = Json::parse(out.back())["params"]["diagnostics"].size();
  }
  state.counters["lines"] = static_cast<double>(lines);
  state.counters["diagnostics"] = static_cast<double>(diagnostics);  // 0: the file checks clean
}
BENCHMARK(BM_DiagnosticsAfterChange)->Unit(benchmark::kMillisecond);

void BM_CompletionAfterDot(benchmark::State& state) {
  std::string text = Document(0);
  size_t at = text.find("  let deep");
  text.insert(at, "  let x = o.\n");
  auto server = OpenServer(Document(0));  // the last whole check ...
  server->Handle(Message("textDocument/didChange",  // ... then a half-typed line
                         {{"textDocument", {{"uri", kUri}, {"version", 2}}}, {"contentChanges", {{{"text", text}}}}}));
  int line = 0;
  for (size_t i = 0; i < at; ++i) line += text[i] == '\n';
  std::string request = Message("textDocument/completion",
                                {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", line}, {"character", 12}}}}, 7);
  for (auto _ : state) benchmark::DoNotOptimize(server->Handle(request));
}
BENCHMARK(BM_CompletionAfterDot)->Unit(benchmark::kMillisecond);

void BM_CompletionAtLineStart(benchmark::State& state) {
  auto server = OpenServer(Document(0));
  std::string request = Message("textDocument/completion",
                                {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", 500}, {"character", 2}}}}, 7);
  for (auto _ : state) benchmark::DoNotOptimize(server->Handle(request));
}
BENCHMARK(BM_CompletionAtLineStart)->Unit(benchmark::kMillisecond);

void BM_HoverOnAField(benchmark::State& state) {
  std::string text = Document(0);
  auto server = OpenServer(text);
  std::string request = Message("textDocument/hover",
                                {{"textDocument", {{"uri", kUri}}}, {"position", {{"line", 507}, {"character", 32}}}}, 7);
  for (auto _ : state) benchmark::DoNotOptimize(server->Handle(request));
}
BENCHMARK(BM_HoverOnAField)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
