#pragma once
// What receivers and relays send back, read with limits: bytes from
// outside, like a request. A webhook receiver's answer is read no further
// than its status line and headers (its body, however long it says it is,
// is never read); an SMTP relay's replies are read a line at a time, each
// line and each reply bounded. What a peer said reaches a delivery
// outcome's detail printable and bounded (base/text.h), and its log line
// not at all: only the code.
//
// Plain C++ over Beast's HTTP parser (no Asio), so that the fuzzers drive
// exactly what the daemon runs.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "runtime/daemon/service.h"

namespace tutti::runtime {

/// The parser of a webhook receiver's answer: the status line and headers
/// only, at most kMaxAnswerHeaderBytes of them.
using AnswerParser = boost::beast::http::response_parser<boost::beast::http::empty_body>;
constexpr size_t kMaxAnswerHeaderBytes = 16 * 1024;
void LimitAnswerParser(AnswerParser& parser);

/// The outcome of a webhook attempt whose answer's head was read: a 2xx
/// delivers it.
DeliveryOutcome WebhookOutcome(unsigned status);

/// Reads a receiver's answer from `bytes` as the daemon does (the fuzzer's
/// entry): the outcome, or a failure when the head is malformed, too large
/// or incomplete.
DeliveryOutcome ReadWebhookAnswer(std::string_view bytes);

/// An SMTP relay's replies, one at a time: a reply is one or more lines
/// "CODE-text" ending with a line "CODE text" (RFC 5321, 4.2).
class SmtpReplyReader {
 public:
  static constexpr size_t kMaxLineBytes = 4096;   // a line (RFC 5321 allows 512)
  static constexpr size_t kMaxLines = 256;        // lines of one reply (EHLO's capabilities)
  static constexpr size_t kMaxReplyBytes = 64 * 1024;

  enum class State { kMore, kDone, kBad };
  /// Takes the complete lines at the start of `input` (removing them):
  /// kDone once a whole reply was read (then code() and lines()), kMore
  /// when it needs more bytes, kBad when the relay broke a limit or the
  /// form (then error()).
  State Feed(std::string& input);
  /// Forgets the last reply, before the next command's.
  void Reset();

  int code() const { return code_; }
  /// The text of each line, after the code and its separator.
  const std::vector<std::string>& lines() const { return lines_; }
  /// The whole reply as the relay put it, printable and bounded (for a
  /// delivery's detail, never for a log).
  std::string Printed() const;
  const std::string& error() const { return error_; }

 private:
  int code_ = 0;
  std::vector<std::string> lines_;
  size_t bytes_ = 0;
  std::string error_;
};

}  // namespace tutti::runtime
