// `tutti lsp` as an editor drives it: the real binary, JSON-RPC over its
// stdin and stdout, one process per test.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using Json = nlohmann::json;

const std::string kStdlib = std::string(TUTTI_SOURCE_DIR) + "/stdlib";

class LspClient {
 public:
  LspClient() {
    int to_child[2], from_child[2];
    EXPECT_EQ(pipe(to_child), 0);
    EXPECT_EQ(pipe(from_child), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(to_child[0], 0);
      dup2(from_child[1], 1);
      close(to_child[1]);
      close(from_child[0]);
      execl(TUTTI_BINARY, TUTTI_BINARY, "lsp", "--stdlib", kStdlib.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
  }
  ~LspClient() {
    if (in_ >= 0) close(in_);
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  void SendRaw(const std::string& bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      ssize_t n = write(in_, bytes.data() + done, bytes.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<size_t>(n);
    }
  }
  void Send(const Json& message) {
    std::string body = message.dump();
    SendRaw("Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }
  void Notify(const std::string& method, const Json& params) {
    Send({{"jsonrpc", "2.0"}, {"method", method}, {"params", params}});
  }
  // Sends a request and returns its response, skipping notifications
  // (kept in `notifications`).
  Json Request(const std::string& method, const Json& params) {
    int id = ++next_id_;
    Send({{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}});
    while (true) {
      Json m = Read();
      if (m.is_null()) return m;
      if (m.contains("id") && m["id"] == id) return m;
      notifications.push_back(m);
    }
  }
  // The next publishDiagnostics for `uri`.
  Json Diagnostics(const std::string& uri) {
    for (size_t i = 0; i < notifications.size(); ++i)
      if (notifications[i].value("method", "") == "textDocument/publishDiagnostics" &&
          notifications[i]["params"]["uri"] == uri) {
        Json d = notifications[i]["params"];
        notifications.erase(notifications.begin() + static_cast<long>(i));
        return d;
      }
    while (true) {
      Json m = Read();
      if (m.is_null()) return m;
      if (m.value("method", "") == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri) return m["params"];
      notifications.push_back(m);
    }
  }
  // One message, or null after 20 s or at end of output.
  Json Read() {
    std::string header;
    while (header.size() < 4 || header.compare(header.size() - 4, 4, "\r\n\r\n") != 0) {
      char c;
      if (!ReadBytes(&c, 1)) return nullptr;
      header += c;
    }
    size_t length = std::stoul(header.substr(header.find(':') + 1));
    std::string body(length, '\0');
    if (!ReadBytes(body.data(), length)) return nullptr;
    return Json::parse(body);
  }
  int Wait() {
    close(in_);
    in_ = -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::vector<Json> notifications;

 private:
  bool ReadBytes(char* data, size_t n) {
    size_t done = 0;
    while (done < n) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 20000) <= 0) return false;
      ssize_t got = read(out_, data + done, n - done);
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  int next_id_ = 0;
  bool waited_ = false;
};

const char* kUri = "file:///tmp/tutti-lsp-test/main.tutti";

const char* kJourney =
    "import \"std/events\"\n"
    "import \"std/channels\"\n"
    "import \"std/policy\"\n"
    "\n"
    "journey welcome {\n"
    "  on email_opened as o\n"
    "  if o.template == \"launch\" {\n"
    "    send email \"thanks\"\n"
    "  }\n"
    "}\n"
    "\n"
    "template \"thanks\" for email {\n"
    "  approved \"MLR-SVC-2026-001\" until \"2030-12-31\"\n"
    "  body \"Thank you for reading.\"\n"
    "}\n";

Json Pos(int line, int character) { return {{"line", line}, {"character", character}}; }
Json Doc() { return {{"uri", kUri}}; }

void Open(LspClient& lsp, const std::string& text, const std::string& uri = kUri) {
  lsp.Notify("textDocument/didOpen", {{"textDocument", {{"uri", uri}, {"languageId", "tutti"}, {"version", 1}, {"text", text}}}});
}

TEST(Lsp, InitializeAdvertisesWhatTheServerDoes) {
  LspClient lsp;
  Json r = lsp.Request("initialize", {{"capabilities", Json::object()}});
  const Json& caps = r["result"]["capabilities"];
  EXPECT_EQ(caps["textDocumentSync"]["change"], 1);
  for (const char* c : {"hoverProvider", "definitionProvider", "completionProvider", "documentSymbolProvider",
                        "documentFormattingProvider", "codeActionProvider"})
    EXPECT_TRUE(caps.contains(c)) << c;
  EXPECT_TRUE(lsp.Request("shutdown", nullptr)["result"].is_null());
  lsp.Notify("exit", nullptr);
  EXPECT_EQ(lsp.Wait(), 0);
}

TEST(Lsp, DiagnosticsAsYouTypeCarryCodesAndClearWhenFixed) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string bad = kJourney;
  bad.replace(bad.find("o.template"), 10, "o.templat");
  Open(lsp, bad);
  Json d = lsp.Diagnostics(kUri);
  ASSERT_EQ(d["diagnostics"].size(), 1u) << d.dump();
  const Json& diag = d["diagnostics"][0];
  EXPECT_EQ(diag["code"], "T0303");
  EXPECT_EQ(diag["severity"], 1);
  EXPECT_EQ(diag["range"]["start"], Pos(6, 7));
  EXPECT_EQ(diag["range"]["end"], Pos(6, 14));
  EXPECT_NE(diag["message"].get<std::string>().find("did you mean 'template'"), std::string::npos);
  EXPECT_EQ(diag["relatedInformation"][0]["location"]["uri"], "file://" + kStdlib + "/events.tutti");

  lsp.Notify("textDocument/didChange", {{"textDocument", {{"uri", kUri}, {"version", 2}}}, {"contentChanges", {{{"text", kJourney}}}}});
  d = lsp.Diagnostics(kUri);
  EXPECT_EQ(d["version"], 2);
  EXPECT_TRUE(d["diagnostics"].empty()) << d.dump();
}

TEST(Lsp, QuickFixesComeFromTheChecker) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string bad = kJourney;
  bad.replace(bad.find("o.template =="), 13, "o.template =");
  Open(lsp, bad);
  lsp.Diagnostics(kUri);
  Json r = lsp.Request("textDocument/codeAction", {{"textDocument", Doc()},
                                                    {"range", {{"start", Pos(6, 0)}, {"end", Pos(6, 30)}}},
                                                    {"context", {{"diagnostics", Json::array()}}}});
  ASSERT_EQ(r["result"].size(), 1u) << r.dump();
  const Json& action = r["result"][0];
  EXPECT_EQ(action["kind"], "quickfix");
  const Json& edit = action["edit"]["changes"][kUri][0];
  EXPECT_EQ(edit["newText"], "==");
  EXPECT_EQ(edit["range"]["start"], Pos(6, 16));
}

TEST(Lsp, HoverShowsTypesDocsAndSignatures) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  Open(lsp, std::string(kJourney) + "journey later for hcp {\n  let n = size(hcp.name)\n}\n");
  lsp.Diagnostics(kUri);
  Json field = lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(6, 8)}});
  std::string text = field["result"]["contents"]["value"];
  EXPECT_NE(text.find("template: string"), std::string::npos) << text;
  EXPECT_NE(text.find("field of event email_opened"), std::string::npos) << text;
  Json builtin = lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(16, 11)}});
  EXPECT_NE(builtin["result"]["contents"]["value"].get<std::string>().find("size("), std::string::npos) << builtin.dump();
  Json event = lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(5, 7)}});
  EXPECT_NE(event["result"]["contents"]["value"].get<std::string>().find("event email_opened keyed by hcp"),
            std::string::npos) << event.dump();
}

TEST(Lsp, GoToDefinitionOfEventsFieldsChannelsAndImports) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  Open(lsp, kJourney);
  lsp.Diagnostics(kUri);
  std::string events = "file://" + kStdlib + "/events.tutti";
  Json event = lsp.Request("textDocument/definition", {{"textDocument", Doc()}, {"position", Pos(5, 8)}});
  EXPECT_EQ(event["result"]["uri"], events) << event.dump();
  Json field = lsp.Request("textDocument/definition", {{"textDocument", Doc()}, {"position", Pos(6, 8)}});
  EXPECT_EQ(field["result"]["uri"], events) << field.dump();
  EXPECT_GT(field["result"]["range"]["start"]["line"], event["result"]["range"]["start"]["line"]);
  Json channel = lsp.Request("textDocument/definition", {{"textDocument", Doc()}, {"position", Pos(7, 10)}});
  EXPECT_EQ(channel["result"]["uri"], "file://" + kStdlib + "/channels.tutti") << channel.dump();
  Json import = lsp.Request("textDocument/definition", {{"textDocument", Doc()}, {"position", Pos(1, 10)}});
  EXPECT_EQ(import["result"]["uri"], "file://" + kStdlib + "/channels.tutti") << import.dump();
}

TEST(Lsp, CompletionKnowsFieldsAfterADotAndNamesElsewhere) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  Open(lsp, kJourney);
  lsp.Diagnostics(kUri);
  // The editor has typed "o." on a new line; completion reads the newest text.
  std::string typing = kJourney;
  typing.insert(typing.find("  if o."), "  let x = o.\n");
  lsp.Notify("textDocument/didChange", {{"textDocument", {{"uri", kUri}, {"version", 2}}}, {"contentChanges", {{{"text", typing}}}}});
  Json r = lsp.Request("textDocument/completion", {{"textDocument", Doc()}, {"position", Pos(6, 12)}});
  std::set<std::string> labels;
  for (const Json& item : r["result"]["items"]) labels.insert(item["label"]);
  EXPECT_TRUE(labels.count("template") && labels.count("hcp") && labels.count("at")) << r.dump();
  EXPECT_FALSE(labels.count("journey"));
  Json top = lsp.Request("textDocument/completion", {{"textDocument", Doc()}, {"position", Pos(8, 4)}});
  labels.clear();
  for (const Json& item : top["result"]["items"]) labels.insert(item["label"]);
  for (const char* want : {"send", "wait", "email", "email_opened", "welcome", "engagement", "o"})
    EXPECT_TRUE(labels.count(want)) << want;
  // Every keyword of the grammar (a lexer rule `NAME : 'word' ;`).
  std::ifstream grammar(std::string(TUTTI_SOURCE_DIR) + "/grammar/Tutti.g4");
  std::string line;
  size_t keywords = 0;
  while (std::getline(grammar, line)) {
    for (size_t at = line.find(" : '"); at != std::string::npos; at = line.find(" : '", at + 1)) {
      size_t end = line.find("' ;", at + 4);
      if (end == std::string::npos) continue;
      std::string word = line.substr(at + 4, end - at - 4);
      if (word.empty() || word.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) continue;
      ++keywords;
      EXPECT_TRUE(labels.count(word)) << "the keyword '" << word << "' is not completed";
    }
  }
  EXPECT_GT(keywords, 80u) << "grammar/Tutti.g4 was not read";
}

TEST(Lsp, DocumentSymbolsAndFormatting) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string messy = std::string(kJourney) + "event ping keyed by hcp {hcp:string}\n";
  messy.replace(messy.find("    send email"), 4, "      ");
  Open(lsp, messy);
  lsp.Diagnostics(kUri);
  Json symbols = lsp.Request("textDocument/documentSymbol", {{"textDocument", Doc()}});
  ASSERT_EQ(symbols["result"].size(), 3u) << symbols.dump();
  EXPECT_EQ(symbols["result"][0]["name"], "welcome");
  EXPECT_EQ(symbols["result"][1]["name"], "thanks");
  EXPECT_EQ(symbols["result"][1]["detail"], "for email");
  EXPECT_EQ(symbols["result"][2]["name"], "ping");
  EXPECT_EQ(symbols["result"][2]["children"][0]["name"], "hcp");
  Json edits = lsp.Request("textDocument/formatting", {{"textDocument", Doc()}, {"options", {{"tabSize", 2}, {"insertSpaces", true}}}});
  ASSERT_EQ(edits["result"].size(), 1u) << edits.dump();
  EXPECT_EQ(edits["result"][0]["newText"], std::string(kJourney) + "event ping keyed by hcp { hcp: string }\n");
}

TEST(Lsp, TemplatesAnswerDefinitionHoverAndCompletionAtASend) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  Open(lsp, kJourney);
  lsp.Diagnostics(kUri);
  // The cursor on the id of `send email "thanks"` (line 7).
  Json where = lsp.Request("textDocument/definition", {{"textDocument", Doc()}, {"position", Pos(7, 17)}});
  EXPECT_EQ(where["result"]["uri"], kUri) << where.dump();
  EXPECT_EQ(where["result"]["range"]["start"], Pos(11, 9)) << where.dump();
  Json hover = lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(7, 17)}});
  std::string text = hover["result"]["contents"]["value"];
  EXPECT_NE(text.find("approved MLR-SVC-2026-001 until 2030-12-31"), std::string::npos) << text;
  EXPECT_NE(text.find("Thank you for reading."), std::string::npos) << text;
  // Typing a new send: the templates of that channel are offered.
  std::string typing = kJourney;
  typing.insert(typing.find("  }\n}"), "    send email \"\n");
  lsp.Notify("textDocument/didChange", {{"textDocument", {{"uri", kUri}, {"version", 2}}}, {"contentChanges", {{{"text", typing}}}}});
  Json r = lsp.Request("textDocument/completion", {{"textDocument", Doc()}, {"position", Pos(8, 16)}});
  ASSERT_EQ(r["result"]["items"].size(), 1u) << r.dump();
  EXPECT_EQ(r["result"]["items"][0]["label"], "thanks");
  EXPECT_EQ(r["result"]["items"][0]["detail"], "approved MLR-SVC-2026-001");
}

TEST(Lsp, ImportsSeeTheEditorsOpenDocuments) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string lib = "file:///tmp/tutti-lsp-test/lib.tutti";
  Open(lsp, "event ping keyed by hcp { hcp: string }\nprofile hcp { id: string key }\n", lib);
  lsp.Diagnostics(lib);
  Open(lsp, "import \"lib\"\njourney j {\n  on ping\n  end\n}\n");
  Json d = lsp.Diagnostics(kUri);
  EXPECT_TRUE(d["diagnostics"].empty()) << d.dump();
}

TEST(Lsp, ImportersAreCheckedAgainWhenWhatTheyImportOpensChangesOrCloses) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string lib = "file:///tmp/tutti-lsp-test-missing/lib.tutti";
  std::string main = "file:///tmp/tutti-lsp-test-missing/main.tutti";
  Open(lsp, "import \"lib\"\njourney j {\n  on ping\n  end\n}\n", main);
  EXPECT_FALSE(lsp.Diagnostics(main)["diagnostics"].empty());  // lib is not on disk
  Open(lsp, "profile hcp { id: string key }\nevent ping keyed by hcp { hcp: string }\n", lib);
  lsp.Diagnostics(lib);
  EXPECT_TRUE(lsp.Diagnostics(main)["diagnostics"].empty());
  lsp.Notify("textDocument/didChange", {{"textDocument", {{"uri", lib}, {"version", 2}}},
                                        {"contentChanges", {{{"text", "profile hcp { id: string key }\n"}}}}});
  lsp.Diagnostics(lib);
  Json d = lsp.Diagnostics(main);
  ASSERT_EQ(d["diagnostics"].size(), 1u) << d.dump();
  EXPECT_EQ(d["diagnostics"][0]["code"], "T0302");
}

TEST(Lsp, CompletionReadsTheBindingInScope) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  std::string text = std::string(kJourney) + "journey other {\n  on rx_written as o\n  end\n}\n";
  Open(lsp, text);
  lsp.Diagnostics(kUri);
  Json r = lsp.Request("textDocument/completion", {{"textDocument", Doc()}, {"position", Pos(6, 7)}});
  std::set<std::string> labels;
  for (const Json& item : r["result"]["items"]) labels.insert(item["label"]);
  EXPECT_TRUE(labels.count("template")) << r.dump();
  EXPECT_FALSE(labels.count("prescriber")) << "rx_written's 'o' is another journey's";
}

TEST(Lsp, FormattingALoneCrFileDoesNotStopTheServer) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  Open(lsp, "import \"std/events\"\r// c\rjourney j for hcp {\r  wait 1d\r}\r");
  lsp.Diagnostics(kUri);
  Json edits = lsp.Request("textDocument/formatting", {{"textDocument", Doc()}, {"options", Json::object()}});
  ASSERT_TRUE(edits.contains("result")) << edits.dump();
  ASSERT_EQ(edits["result"].size(), 1u) << edits.dump();
  EXPECT_EQ(edits["result"][0]["newText"], "import \"std/events\"\n// c\njourney j for hcp {\n  wait 1d\n}\n");
  EXPECT_TRUE(lsp.Request("shutdown", nullptr)["result"].is_null());
}

TEST(Lsp, BadMessagesGetErrorsAndTheServerGoesOn) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  lsp.SendRaw("Content-Length: 9\r\n\r\nnot json!");
  Json parse_error = lsp.Read();
  EXPECT_EQ(parse_error["error"]["code"], -32700);
  EXPECT_EQ(lsp.Request("no/such/method", Json::object())["error"]["code"], -32601);
  lsp.Send({{"jsonrpc", "2.0"}, {"id", 1.5}, {"method", "shutdown"}});
  EXPECT_EQ(lsp.Read()["error"]["code"], -32600) << "an id that is neither string nor integer";
  std::string body = Json({{"jsonrpc", "2.0"}, {"id", 99}, {"method", "no/such/method"}}).dump();
  lsp.SendRaw("Content-Length: " + std::to_string(body.size()) + " \r\n\r\n" + body);
  EXPECT_EQ(lsp.Read()["id"], 99) << "a trailing space after the length is tolerated";
  EXPECT_EQ(lsp.Request("textDocument/hover", {{"textDocument", 7}})["error"]["code"], -32602);
  EXPECT_EQ(lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(-1, 2)}})["error"]["code"], -32602);
  // Positions past the end of an open document are clamped, not trusted.
  Open(lsp, kJourney);
  lsp.Diagnostics(kUri);
  EXPECT_TRUE(lsp.Request("textDocument/hover", {{"textDocument", Doc()}, {"position", Pos(9999, 9999)}}).contains("result"));
  EXPECT_TRUE(lsp.Request("shutdown", nullptr)["result"].is_null());
}

TEST(Lsp, AnUnreadableFrameEndsTheSessionCleanly) {
  LspClient lsp;
  lsp.SendRaw("Content-Length: 99999999999999999999\r\n\r\n");
  Json error = lsp.Read();
  EXPECT_EQ(error["error"]["code"], -32700);
  EXPECT_EQ(lsp.Wait(), 1);
}

TEST(Lsp, ExitWithoutShutdownIsAnError) {
  LspClient lsp;
  lsp.Request("initialize", Json::object());
  lsp.Notify("exit", nullptr);
  EXPECT_EQ(lsp.Wait(), 1);
}

}  // namespace
