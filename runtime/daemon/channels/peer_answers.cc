#include "runtime/daemon/channels/peer_answers.h"

#include <cctype>
#include <cstdint>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

#include "base/text.h"

namespace tutti::runtime {

namespace http = boost::beast::http;

void LimitAnswerParser(AnswerParser& parser) {
  parser.header_limit(static_cast<uint32_t>(kMaxAnswerHeaderBytes));
  // The body is never read, so whatever length it announces is no matter
  // (Beast's default limit would refuse a head announcing over 8 MB).
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

DeliveryOutcome WebhookOutcome(unsigned status) {
  std::string code = "http " + std::to_string(status);
  bool ok = status >= 200 && status < 300;
  return {ok, ok ? "delivered: answered " + std::to_string(status) : "answered " + std::to_string(status), code};
}

DeliveryOutcome ReadWebhookAnswer(std::string_view bytes) {
  AnswerParser parser;
  LimitAnswerParser(parser);
  boost::beast::error_code ec;
  size_t used = 0;
  while (!parser.is_header_done() && used < bytes.size()) {
    size_t n = parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec == http::error::need_more) {
      ec = {};
      if (n == 0) break;
    }
    if (ec) return {false, "the receiver's answer is malformed: " + ec.message(), "bad answer"};
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return {false, "the receiver's answer ended early", "bad answer"};
  return WebhookOutcome(parser.get().result_int());
}

void SmtpReplyReader::Reset() {
  code_ = 0;
  lines_.clear();
  bytes_ = 0;
  error_.clear();
}

SmtpReplyReader::State SmtpReplyReader::Feed(std::string& input) {
  for (;;) {
    size_t nl = input.find("\r\n");
    if (nl == std::string::npos) {
      // A line of the limit may wait for its "\n" with its "\r" read.
      if (input.size() > kMaxLineBytes + (!input.empty() && input.back() == '\r' ? 1 : 0)) {
        error_ = "the relay sent a line longer than " + std::to_string(kMaxLineBytes) + " bytes";
        return State::kBad;
      }
      return State::kMore;
    }
    if (nl > kMaxLineBytes) {
      error_ = "the relay sent a line longer than " + std::to_string(kMaxLineBytes) + " bytes";
      return State::kBad;
    }
    std::string line = input.substr(0, nl);
    input.erase(0, nl + 2);
    bytes_ += line.size();
    // "250-text" or "250 text" or "250": three digits, then a separator.
    bool formed = line.size() >= 3 && std::isdigit(static_cast<unsigned char>(line[0])) &&
                  std::isdigit(static_cast<unsigned char>(line[1])) &&
                  std::isdigit(static_cast<unsigned char>(line[2])) &&
                  (line.size() == 3 || line[3] == ' ' || line[3] == '-');
    if (!formed) {
      error_ = "the relay's reply is not of the form CODE TEXT";
      return State::kBad;
    }
    int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (!lines_.empty() && code != code_) {
      error_ = "the relay's reply changes its code between lines";
      return State::kBad;
    }
    code_ = code;
    lines_.push_back(line.size() > 4 ? line.substr(4) : "");
    if (lines_.size() > kMaxLines || bytes_ > kMaxReplyBytes) {
      error_ = "the relay's reply is too long";
      return State::kBad;
    }
    if (line.size() == 3 || line[3] == ' ') return State::kDone;
  }
}

std::string SmtpReplyReader::Printed() const {
  std::string text = std::to_string(code_);
  for (const std::string& line : lines_) text += " " + line;
  return Printable(text, 300);
}

}  // namespace tutti::runtime
