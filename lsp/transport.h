#pragma once
// JSON-RPC framing as the Language Server Protocol sends it over stdio:
//   Content-Length: N\r\n\r\n<N bytes of JSON>
// Everything read is bounded before it is trusted: a header line, the
// number of headers and the body length.

#include <istream>
#include <ostream>
#include <string>

namespace tutti::lsp {

constexpr size_t kMaxHeaderLine = 1024;
constexpr size_t kMaxHeaders = 16;
constexpr size_t kMaxBody = 64u << 20;  // a document is at most 8 MiB, as JSON well below this

struct Frame {
  enum Kind { kMessage, kEnd, kBad } kind = kEnd;
  std::string body;   // kMessage
  std::string error;  // kBad: why, without quoting the input
};

/// Reads the next frame. kEnd at end of input; kBad when the header cannot
/// be trusted, after which the stream cannot be resynchronised (the caller
/// stops).
Frame ReadFrame(std::istream& in);

/// Writes `body` as one frame and flushes.
void WriteFrame(std::ostream& out, const std::string& body);

}  // namespace tutti::lsp
