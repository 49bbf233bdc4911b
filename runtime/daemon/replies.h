#pragma once
// What the parts of Service (service.cc, delivery.cc, answers.cc) share
// for reading requests and writing answers: JSON replies, problems, lines.

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "runtime/daemon/service.h"

namespace tutti::runtime {

using Json = nlohmann::ordered_json;

inline Reply JsonReply(int status, const Json& j) {
  return {status, j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n", "application/json"};
}

inline Reply Problem(int status, const std::string& message) { return JsonReply(status, Json{{"error", message}}); }

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
