#pragma once
// An e-mail as the relay receives it (RFC 5322 with MIME, RFC 2045-2047):
// headers with non-ASCII text encoded as UTF-8 encoded-words, and a body
// that is the text alone or, with HTML, multipart/alternative (text first,
// so that clients that cannot show HTML show the text). Parts are UTF-8 in
// base64, lines of 76. The Message-ID is the action's idempotency key, so a
// retried delivery is recognisably the same message; List-Unsubscribe (and
// its one-click form, RFC 8058) lets the recipient opt out from the client.

#include <string>
#include <string_view>

namespace tutti::runtime {

struct MailMessage {
  std::string from, to;
  std::string subject, text, html;  // html empty: a text-only message
  std::string idempotency_key;
  /// The opt-out address: an https URL or a mailto: address. Empty: a
  /// mailto: the sender with the subject "unsubscribe".
  std::string unsubscribe;
};

/// `bytes` in base64 (RFC 4648), on one line.
std::string Base64(std::string_view bytes);

/// The message with CRLF line ends, ready for DATA (before dot-stuffing).
std::string ComposeMail(const MailMessage& m);

/// `text` as a header value: as it is when printable ASCII, else as
/// RFC 2047 encoded-words ("=?UTF-8?B?...?="), each at most 75 characters
/// and never splitting a UTF-8 sequence. Control characters (CR, LF) are
/// never passed through.
std::string EncodeHeaderText(std::string_view text);

}  // namespace tutti::runtime
