#include "lsp/server.h"

#include <filesystem>
#include <functional>

#include "compiler/format/format.h"
#include "lsp/transport.h"
#include "stdlib/stdlib.h"

namespace tutti::lsp {
namespace {

using Json = nlohmann::json;
using compiler::Source;

// JSON-RPC error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

struct RequestError {
  int code;
  std::string message;
};

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

const Json& Need(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) throw RequestError{kInvalidParams, std::string("missing '") + key + "'"};
  return j.at(key);
}

std::string NeedString(const Json& j, const char* key) {
  const Json& v = Need(j, key);
  if (!v.is_string()) throw RequestError{kInvalidParams, std::string("'") + key + "' must be a string"};
  return v.get<std::string>();
}

uint32_t NeedIndex(const Json& j, const char* key) {
  const Json& v = Need(j, key);
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0))
    throw RequestError{kInvalidParams, std::string("'") + key + "' must be a non-negative integer"};
  return static_cast<uint32_t>(std::min<uint64_t>(v.get<uint64_t>(), UINT32_MAX));
}

Position NeedPosition(const Json& params) {
  const Json& p = Need(params, "position");
  return {NeedIndex(p, "line"), NeedIndex(p, "character")};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// file:///a%20b/c.tutti -> /a b/c.tutti; other schemes keep their URI.
std::string PathOf(const std::string& uri) {
  if (uri.rfind("file://", 0) != 0) return uri;
  std::string path;
  for (size_t i = 7; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size() && HexValue(uri[i + 1]) >= 0 && HexValue(uri[i + 2]) >= 0) {
      path += static_cast<char>(HexValue(uri[i + 1]) * 16 + HexValue(uri[i + 2]));
      i += 2;
    } else {
      path += uri[i];
    }
  }
  return path;
}

std::string UriOf(const std::string& shown) {
  if (shown.empty() || shown.rfind("untitled:", 0) == 0) return shown;
  std::error_code ec;
  std::string path = std::filesystem::absolute(shown, ec).lexically_normal().string();
  if (ec || path.empty() || path[0] != '/') return shown;
  static const char* kHex = "0123456789ABCDEF";
  std::string uri = "file://";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') uri += static_cast<char>(c);
    else uri += std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  return uri;
}

Json PositionJson(const Source& s, uint32_t offset) {
  Position p = PositionAt(s, offset);
  return {{"line", p.line}, {"character", p.character}};
}

Json RangeJson(const Source& s, compiler::SourceRange r) {
  return {{"start", PositionJson(s, r.begin)}, {"end", PositionJson(s, std::max(r.begin, r.end))}};
}

Json DiagnosticJson(const compiler::Diagnostic& d) {
  const Source& s = *d.location.source;
  Json j = {{"range", RangeJson(s, d.location.range)},
            {"severity", d.severity == compiler::Severity::kError ? 1 : 2},
            {"code", std::string(compiler::CodeText(d.code))},
            {"source", "tutti"},
            {"message", d.message}};
  Json related = Json::array();
  for (const compiler::Note& n : d.notes)
    if (n.location.source)
      related.push_back({{"location", {{"uri", UriOf(n.location.source->path())}, {"range", RangeJson(*n.location.source, n.location.range)}}},
                         {"message", n.message}});
  if (!related.empty()) j["relatedInformation"] = related;
  return j;
}

bool Overlaps(compiler::SourceRange a, compiler::SourceRange b) { return a.begin <= b.end && b.begin <= a.end; }

}  // namespace

Server::Server(std::string stdlib_dir) : stdlib_dir_(std::move(stdlib_dir)) {
  stdlib::RegisterStandardLibrary(builtins_);
}

std::vector<std::string> Server::Handle(const std::string& body) {
  std::vector<std::string> out;
  Json message = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded()) {
    out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", nullptr}, {"error", {{"code", kParseError}, {"message", "not JSON"}}}}));
    return out;
  }
  Json id = message.is_object() && message.contains("id") ? message["id"] : Json();
  bool request = message.is_object() && message.contains("id") && (id.is_string() || id.is_number_integer());
  if (message.is_object() && message.contains("id") && !request) {  // an id must be a string or an integer
    out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", nullptr},
                        {"error", {{"code", kInvalidRequest}, {"message", "an id must be a string or an integer"}}}}));
    return out;
  }
  if (!message.is_object() || !message.contains("method") || !message["method"].is_string()) {
    if (request || !message.is_object() || !message.contains("result"))  // a reply to us needs no answer
      out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", request ? id : Json()},
                          {"error", {{"code", kInvalidRequest}, {"message", "a message needs a 'method'"}}}}));
    return out;
  }
  std::string method = message["method"].get<std::string>();
  Json params = message.contains("params") ? message["params"] : Json::object();
  try {
    Json result = Dispatch(method, params, out);
    if (request) out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}));
  } catch (const RequestError& e) {
    if (request) out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", e.code}, {"message", e.message}}}}));
  } catch (const Json::exception&) {
    if (request)
      out.push_back(Dump({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", kInvalidParams}, {"message", "malformed params"}}}}));
  }
  return out;
}

Json Server::Dispatch(const std::string& method, const Json& params, std::vector<std::string>& out) {
  if (method == "initialize") {
    return {{"capabilities",
             {{"textDocumentSync", {{"openClose", true}, {"change", 1}}},
              {"hoverProvider", true},
              {"definitionProvider", true},
              {"completionProvider", {{"triggerCharacters", {"."}}}},
              {"documentSymbolProvider", true},
              {"documentFormattingProvider", true},
              {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}}}},
            {"serverInfo", {{"name", "tutti"}}}};
  }
  if (method == "shutdown") {
    shutdown_ = true;
    return nullptr;
  }
  if (method == "exit") {
    exited_ = true;
    return nullptr;
  }
  if (method == "textDocument/didOpen") {
    const Json& item = Need(params, "textDocument");
    std::string uri = NeedString(item, "uri");
    std::string text = NeedString(item, "text");  // all read before anything is kept
    int64_t version = item.contains("version") && item["version"].is_number_integer() ? item["version"].get<int64_t>() : 0;
    Document& doc = documents_[uri];
    doc.path = PathOf(uri);
    doc.text = std::move(text);
    doc.version = version;
    Analyze(uri, doc, out);
    AnalyzeImporters(uri, doc.path, out);
    return nullptr;
  }
  if (method == "textDocument/didChange") {
    std::string uri = NeedString(Need(params, "textDocument"), "uri");
    auto it = documents_.find(uri);
    if (it == documents_.end()) return nullptr;
    const Json& changes = Need(params, "contentChanges");
    if (!changes.is_array() || changes.empty()) return nullptr;
    it->second.text = NeedString(changes.back(), "text");  // full sync: the last change is the document
    const Json& item = Need(params, "textDocument");
    it->second.version = item.contains("version") && item["version"].is_number_integer() ? item["version"].get<int64_t>()
                                                                                          : it->second.version + 1;
    Analyze(uri, it->second, out);
    AnalyzeImporters(uri, it->second.path, out);
    return nullptr;
  }
  if (method == "textDocument/didClose") {
    std::string uri = NeedString(Need(params, "textDocument"), "uri");
    auto it = documents_.find(uri);
    if (it == documents_.end()) return nullptr;
    std::string path = it->second.path;
    documents_.erase(it);
    out.push_back(Dump({{"jsonrpc", "2.0"}, {"method", "textDocument/publishDiagnostics"},
                        {"params", {{"uri", uri}, {"diagnostics", Json::array()}}}}));
    AnalyzeImporters(uri, path, out);  // they read it from disk now
    return nullptr;
  }
  if (method == "textDocument/hover") return Hover(params);
  if (method == "textDocument/definition") return Definition(params);
  if (method == "textDocument/completion") return Completion(params);
  if (method == "textDocument/documentSymbol") return Symbols(params);
  if (method == "textDocument/codeAction") return CodeActions(params);
  if (method == "textDocument/formatting") return Formatting(params);
  if (method == "initialized" || method.rfind("$/", 0) == 0 || method == "textDocument/didSave" ||
      method.rfind("workspace/", 0) == 0)
    return nullptr;
  throw RequestError{kMethodNotFound, "unsupported method"};
}

void Server::Analyze(const std::string& uri, Document& doc, std::vector<std::string>& out) {
  std::map<std::string, std::string> open;
  for (const auto& [other_uri, other] : documents_)
    if (other_uri != uri) open[other.path] = other.text;
  if (doc.analysis && !doc.analysis->partial()) doc.complete = std::move(doc.analysis);
  doc.analysis = Analysis::Run(doc.path, doc.text, open, stdlib_dir_, builtins_);
  if (!doc.analysis->partial()) doc.complete.reset();
  Json list = Json::array();
  for (const compiler::Diagnostic& d : doc.analysis->diagnostics()) list.push_back(DiagnosticJson(d));
  out.push_back(Dump({{"jsonrpc", "2.0"}, {"method", "textDocument/publishDiagnostics"},
                      {"params", {{"uri", uri}, {"version", doc.version}, {"diagnostics", list}}}}));
}

void Server::AnalyzeImporters(const std::string& uri, const std::string& path, std::vector<std::string>& out) {
  for (auto& [other_uri, other] : documents_) {
    if (other_uri == uri || !other.analysis) continue;
    bool missing_import = false;  // it may name this file, now there
    for (const compiler::Diagnostic& d : other.analysis->diagnostics())
      missing_import |= d.code == compiler::Code::kImportNotFound;
    if (missing_import || other.analysis->Reads(path)) Analyze(other_uri, other, out);
  }
}

Server::Document* Server::Find(const Json& params) {
  auto it = documents_.find(NeedString(Need(params, "textDocument"), "uri"));
  if (it == documents_.end() || !it->second.analysis) return nullptr;
  return &it->second;
}

Json Server::Hover(const Json& params) {
  Position at = NeedPosition(params);
  Document* doc = Find(params);
  if (!doc) return nullptr;
  const Source& s = doc->analysis->source();
  auto text = doc->analysis->Hover(OffsetAt(s, at));
  if (!text) return nullptr;
  return {{"contents", {{"kind", "markdown"}, {"value", *text}}}};
}

Json Server::Definition(const Json& params) {
  Position at = NeedPosition(params);
  Document* doc = Find(params);
  if (!doc) return nullptr;
  const Source& s = doc->analysis->source();
  auto place = doc->analysis->Definition(OffsetAt(s, at));
  if (!place || !place->source) return nullptr;
  return {{"uri", place->source == &s ? NeedString(Need(params, "textDocument"), "uri") : UriOf(place->source->path())},
          {"range", RangeJson(*place->source, place->range)}};
}

Json Server::Completion(const Json& params) {
  Position at = NeedPosition(params);
  Document* doc = Find(params);
  if (!doc) return Json::array();
  // While a line is half typed the file may not parse: names come from the
  // last check that read the whole document.
  const Analysis& known = doc->complete ? *doc->complete : *doc->analysis;
  // The text may be newer than the analysis; positions are in the text.
  Source now(doc->path, doc->text);
  Json items = Json::array();
  static const int kKinds[] = {14, 5, 3, 23, 22, 8, 9, 6, 21, 1};
  for (const lsp::Completion& c : known.Complete(doc->text, OffsetAt(now, at))) {
    Json item = {{"label", c.label}, {"kind", kKinds[c.kind]}};
    if (!c.detail.empty()) item["detail"] = c.detail;
    if (!c.documentation.empty()) item["documentation"] = c.documentation;
    items.push_back(item);
  }
  return {{"isIncomplete", false}, {"items", items}};
}

Json Server::Symbols(const Json& params) {
  Document* doc = Find(params);
  if (!doc) return Json::array();
  const Source& s = doc->analysis->source();
  static const int kKinds[] = {24, 23, 8, 11, 19, 12, 20, 15};
  std::function<Json(const Symbol&)> to_json = [&](const Symbol& sym) {
    Json j = {{"name", sym.name}, {"kind", kKinds[sym.kind]}, {"range", RangeJson(s, sym.range)},
              {"selectionRange", RangeJson(s, sym.selection)}};
    if (!sym.detail.empty()) j["detail"] = sym.detail;
    Json children = Json::array();
    for (const Symbol& c : sym.children) children.push_back(to_json(c));
    if (!children.empty()) j["children"] = children;
    return j;
  };
  Json list = Json::array();
  for (const Symbol& sym : doc->analysis->Symbols()) list.push_back(to_json(sym));
  return list;
}

Json Server::CodeActions(const Json& params) {
  Document* doc = Find(params);
  if (!doc) return Json::array();
  const Source& s = doc->analysis->source();
  const Json& range = Need(params, "range");
  auto offset = [&](const char* key) {
    const Json& p = Need(range, key);
    return OffsetAt(s, {NeedIndex(p, "line"), NeedIndex(p, "character")});
  };
  compiler::SourceRange wanted{offset("start"), offset("end")};
  std::string uri = NeedString(Need(params, "textDocument"), "uri");
  Json actions = Json::array();
  for (const compiler::Diagnostic& d : doc->analysis->diagnostics()) {
    if (d.fixes.empty() || !Overlaps(d.location.range, wanted)) continue;
    for (const compiler::Fix& f : d.fixes)
      actions.push_back({{"title", f.title},
                         {"kind", "quickfix"},
                         {"diagnostics", {DiagnosticJson(d)}},
                         {"isPreferred", d.fixes.size() == 1},
                         {"edit", {{"changes", {{uri, {{{"range", RangeJson(s, f.range)}, {"newText", f.text}}}}}}}}});
  }
  return actions;
}

Json Server::Formatting(const Json& params) {
  Document* doc = Find(params);
  if (!doc) return Json::array();
  Source now(doc->path, doc->text);
  compiler::DiagnosticSink sink;
  auto formatted = compiler::Format(now, sink);
  if (!formatted || *formatted == doc->text) return Json::array();  // syntax errors: leave it as it is
  return Json::array({{{"range", RangeJson(now, {0, static_cast<uint32_t>(doc->text.size())})}, {"newText", *formatted}}});
}

int RunStdio(std::istream& in, std::ostream& out, const std::string& stdlib_dir) {
  Server server(stdlib_dir);
  while (!server.exited()) {
    Frame frame = ReadFrame(in);
    if (frame.kind == Frame::kEnd) return 1;  // the client went away without 'exit'
    if (frame.kind == Frame::kBad) {
      WriteFrame(out, Dump({{"jsonrpc", "2.0"}, {"id", nullptr},
                            {"error", {{"code", kParseError}, {"message", "unreadable frame: " + frame.error}}}}));
      return 1;
    }
    for (const std::string& reply : server.Handle(frame.body)) WriteFrame(out, reply);
  }
  return server.exit_code();
}

}  // namespace tutti::lsp
