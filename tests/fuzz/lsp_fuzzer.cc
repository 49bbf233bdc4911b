// Fuzzes the language server's edge: any bytes on its stdin are read as
// LSP frames and handled as messages, as `tutti lsp` would. Nothing may
// crash, hang or grow without bound; every reply must be valid JSON.

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "lsp/server.h"
#include "lsp/transport.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tutti::lsp::Server* server = [] {
    auto* s = new tutti::lsp::Server(std::string(TUTTI_SOURCE_DIR) + "/stdlib");
    s->Handle(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{}})");
    return s;
  }();
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  for (int frames = 0; frames < 64; ++frames) {
    tutti::lsp::Frame frame = tutti::lsp::ReadFrame(in);
    if (frame.kind != tutti::lsp::Frame::kMessage) break;
    for (const std::string& reply : server->Handle(frame.body))
      if (nlohmann::json::parse(reply, nullptr, false).is_discarded()) std::abort();
  }
  // Documents opened by one input are closed, so state does not pile up.
  server->Handle(R"({"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"file:///f.tutti"}}})");
  return 0;
}
