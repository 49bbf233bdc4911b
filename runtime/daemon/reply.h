#pragma once
// What an answer of the HTTP API is (status, body, headers), and how the
// daemon's parts write them: JSON replies, and problems as RFC 9457 has
// them (application/problem+json):
//
//   {"type": "about:blank", "title": "Conflict", "status": 409,
//    "detail": "the records changed: ...", "error": "the records changed: ..."}
//
// ("error" repeats the detail, for clients of earlier versions).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tutti::runtime {

using Json = nlohmann::ordered_json;

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  /// More headers: Allow on a 405, Retry-After on a 503.
  std::vector<std::pair<std::string, std::string>> headers;
  /// Close the connection after this answer (the request's framing could
  /// not be trusted).
  bool close = false;
};

/// `j` as the body (invalid UTF-8 cannot reach it, but would be replaced).
inline Reply JsonReply(int status, const Json& j) {
  return {status, j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", "application/json", {}, false};
}

/// The reason phrase of an HTTP status ("Not Found").
const char* StatusTitle(int status);

/// An RFC 9457 problem with `detail`, and `extra` members merged in.
Reply Problem(int status, const std::string& detail, const Json& extra = Json::object());
/// A 503 problem that says when to try again (Retry-After, in seconds).
Reply TryAgain(const std::string& detail, int after_seconds, const Json& extra = Json::object());

/// Calls `fn(line_number, line)` for each line of `body` (numbered from 1;
/// the last may lack its newline).
template <typename Fn>
inline void ForEachLine(std::string_view body, Fn fn) {
  size_t number = 0, start = 0;
  while (start <= body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    fn(++number, body.substr(start, end - start));
    start = end + 1;
  }
}

}  // namespace tutti::runtime
