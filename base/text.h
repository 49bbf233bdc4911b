#pragma once
// Bytes from outside (a request, a record, a relay's answer) shown in a
// message: always valid UTF-8, with no control characters, and bounded, so
// that they can be put in a JSON reply, a log line or a terminal without
// breaking it (an invalid byte aborts nlohmann's dump(); an escape
// sequence rewrites an operator's terminal).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tutti {

/// `bytes` as printable UTF-8: valid sequences are kept, control
/// characters and bytes that are not UTF-8 become \xNN (\n, \r, \t as
/// themselves escaped), and past `max_bytes` of output the rest is cut at a
/// character boundary and marked with "...".
std::string Printable(std::string_view bytes, size_t max_bytes = 200);

/// Whether `bytes` is valid UTF-8 (no overlong forms, no surrogates, no
/// code point past U+10FFFF).
bool ValidUtf8(std::string_view bytes);

/// The length of the valid UTF-8 sequence at the start of `bytes`, or 0
/// when it does not start with one.
size_t Utf8SequenceLength(std::string_view bytes);

/// `bytes` as lowercase hex, two digits a byte (cursors carry names and
/// places this way: nothing in them needs escaping in a URL).
std::string HexOf(std::string_view bytes);
/// The bytes `hex` spells (either case), at most `max_bytes` of them;
/// nullopt when it is not hex of whole bytes or spells more.
std::optional<std::string> FromHex(std::string_view hex, size_t max_bytes);

}  // namespace tutti
