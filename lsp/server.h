#pragma once
// The language server: LSP requests and notifications in, responses and
// diagnostics out. Stateless about the transport: Handle takes one JSON-RPC
// message and returns what to send, so tests and benchmarks drive it
// directly and RunStdio (transport.h framing) serves `tutti lsp`.
//
// Documents are synced whole (textDocumentSync = Full) and checked on every
// change; the answers to hover, definition, completion, symbols and code
// actions come from the latest check. Bad messages get JSON-RPC errors and
// the server goes on; document text is never logged.

#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lsp/analysis.h"

namespace tutti::lsp {

class Server {
 public:
  explicit Server(std::string stdlib_dir);

  /// Handles one message (a JSON-RPC body); returns the messages to send.
  std::vector<std::string> Handle(const std::string& body);

  /// Set by the `exit` notification: 0 after `shutdown`, 1 without.
  bool exited() const { return exited_; }
  int exit_code() const { return shutdown_ ? 0 : 1; }

 private:
  struct Document {
    std::string path;
    std::string text;
    int64_t version = 0;
    std::unique_ptr<Analysis> analysis;
    std::unique_ptr<Analysis> complete;  // the last whole one, while `analysis` is partial
  };

  using Json = nlohmann::json;

  /// A request's result (or throws RequestError); null for notifications.
  Json Dispatch(const std::string& method, const Json& params, std::vector<std::string>& out);
  void Analyze(const std::string& uri, Document& doc, std::vector<std::string>& out);
  /// Checks again the open documents that import the file at `path`.
  void AnalyzeImporters(const std::string& uri, const std::string& path, std::vector<std::string>& out);
  Document* Find(const Json& params);

  Json Hover(const Json& params);
  Json Definition(const Json& params);
  Json Completion(const Json& params);
  Json Symbols(const Json& params);
  Json CodeActions(const Json& params);
  Json Formatting(const Json& params);

  compiler::BuiltinRegistry builtins_;
  std::string stdlib_dir_;
  std::map<std::string, Document> documents_;  // by URI
  bool shutdown_ = false, exited_ = false;
};

/// Serves `in`/`out` until `exit` or the end of input; returns the exit code.
int RunStdio(std::istream& in, std::ostream& out, const std::string& stdlib_dir);

}  // namespace tutti::lsp
