#include "runtime/daemon/stream_protocol.h"

#include <algorithm>

#include "runtime/daemon/http_api.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

StreamIngest::Step StreamIngest::Take(std::string_view data, size_t* taken) {
  *taken = 0;
  Step step;
  size_t end = data.rfind('\n');
  // A line not ended yet may not grow past the limit; nor may one ended.
  size_t open = end == std::string_view::npos ? data.size() : data.size() - end - 1;
  if (open > max_line_bytes_) {
    step.kind = Step::Kind::kFail;
    step.fail = "{\"error\": \"a line is over the limit of " + std::to_string(max_line_bytes_) + " bytes\"}\n";
    return step;
  }
  if (end == std::string_view::npos) return step;
  std::string_view complete = data.substr(0, end + 1);
  if (line_ == 0 && !checked_) {
    // A web page can make a browser POST to this port: the request line
    // and headers would be refused, and the body's lines taken. A
    // connection that starts like HTTP is refused whole.
    checked_ = true;
    std::string_view first = complete.substr(0, complete.find('\n'));
    if (!first.empty() && first.back() == '\r') first.remove_suffix(1);
    size_t space = first.find(' ');
    bool http = space != std::string_view::npos && space > 0 &&
                first.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == space &&
                first.size() >= 9 && first.substr(first.size() - 9, 6) == " HTTP/";
    if (http) {
      step.kind = Step::Kind::kFail;
      step.fail = "{\"error\": \"this port takes NDJSON lines, not HTTP (the API is on the HTTP port)\"}\n";
      return step;
    }
  }
  if (!authorised_) {
    size_t nl = complete.find('\n');
    auto first = ParseJsonInput(complete.substr(0, nl), {4096, 2});
    bool ok = first.ok() && first->is_object() && first->size() == 1 && first->contains("token") &&
              (*first)["token"].is_string() && SameSecret((*first)["token"].get<std::string>(), token_);
    if (!ok) {
      step.kind = Step::Kind::kFail;
      step.fail = "{\"error\": \"the first line must be {\\\"token\\\": \\\"INGEST TOKEN\\\"}\"}\n";
      return step;
    }
    authorised_ = true;
    ++line_;
    *taken += nl + 1;
    complete.remove_prefix(nl + 1);
  }
  for (size_t start = 0; start < complete.size();) {
    size_t nl = complete.find('\n', start);
    if (nl - start > max_line_bytes_) {
      step.kind = Step::Kind::kFail;
      step.fail = "{\"error\": \"a line is over the limit of " + std::to_string(max_line_bytes_) + " bytes\"}\n";
      return step;
    }
    start = nl + 1;
  }
  *taken += complete.size();
  step.lines = static_cast<size_t>(std::count(complete.begin(), complete.end(), '\n'));
  if (step.lines == 0) return step;
  step.kind = Step::Kind::kBatch;
  step.batch = std::string(complete);
  return step;
}

std::string StreamIngest::Ack(const IngestResult& result, size_t lines) {
  Json errors = Json::array();
  if (!result.error.empty()) errors.push_back({{"error", result.error}});
  for (const auto& [line, error] : result.lines)
    if (!error.empty()) errors.push_back({{"line", line_ + line}, {"error", error}});
  Json ack{{"lines", {line_ + 1, line_ + lines}}, {"accepted", result.accepted}, {"refused", result.refused},
           {"errors", errors}};
  line_ += lines;
  return ack.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace tutti::runtime
