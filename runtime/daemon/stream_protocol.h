#pragma once
// The streaming ingest protocol, without the network: a producer keeps one
// TCP connection open and writes NDJSON events; whenever complete lines
// have arrived, the daemon takes them as one batch (durable before the
// answer, as POST /v1/events) and writes back one line:
//   {"lines": [FIRST, LAST], "accepted": N, "refused": M, "errors": [...]}
// with line numbers counted from the start of the connection. With an
// ingest token configured, the first line must be {"token": "TOKEN"}.
//
// A line longer than the limit, a first line that is not the token, or a
// connection that starts like an HTTP request (a web page can make a
// browser send one here) ends the connection with {"error": ...}. Acknowledgements are printable
// JSON whatever the producer sent (its bytes reach them only through
// decode errors, which are printable).

#include <cstddef>
#include <string>
#include <string_view>

#include "runtime/daemon/service.h"

namespace tutti::runtime {

class StreamIngest {
 public:
  /// `token`: the ingest token the first line must carry (empty: none).
  StreamIngest(std::string token, size_t max_line_bytes)
      : token_(std::move(token)), max_line_bytes_(max_line_bytes), authorised_(token_.empty()) {}

  struct Step {
    enum class Kind { kMore, kBatch, kFail } kind = Kind::kMore;
    std::string batch;  // kBatch: complete lines, each ending in '\n'
    size_t lines = 0;   // kBatch: how many
    std::string fail;   // kFail: the line to send before closing
  };
  /// Takes what arrived and is not taken yet (`data`), and says how many
  /// bytes of it it took (`*taken`): the complete lines as a batch (the
  /// token line, first, is taken and checked), or that more is needed, or
  /// the end of the connection.
  Step Take(std::string_view data, size_t* taken);
  /// The acknowledgement of the batch of `lines` lines last taken.
  std::string Ack(const IngestResult& result, size_t lines);

 private:
  std::string token_;
  size_t max_line_bytes_;
  bool authorised_;
  bool checked_ = false;  // the first line was looked at (not HTTP)
  size_t line_ = 0;  // lines acknowledged so far on this connection (the token's included)
};

}  // namespace tutti::runtime
