#include "runtime/daemon/channels/mime.h"

#include <openssl/evp.h>

namespace tutti::runtime {

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

namespace {

/// Base64 in lines of 76 characters, each ended by CRLF.
std::string Base64Lines(std::string_view bytes) {
  std::string b64 = Base64(bytes), out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

bool PrintableAscii(std::string_view s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

/// Text with line ends as CRLF (a body written with LF only, as files are).
std::string Crlf(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

/// An address safe inside <...>: nothing that could end the header.
std::string Address(std::string_view a) {
  std::string out;
  for (char c : a)
    if (c > 0x20 && c < 0x7f && c != '<' && c != '>') out += c;
  return out;
}

std::string Part(const char* type, std::string_view text) {
  return std::string("Content-Type: ") + type + "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         Base64Lines(Crlf(text));
}

}  // namespace

std::string EncodeHeaderText(std::string_view text) {
  if (PrintableAscii(text)) return std::string(text);
  // Each encoded-word is "=?UTF-8?B?" + base64 + "?=" <= 75 characters:
  // at most 45 bytes of text each (60 base64 characters), cut between
  // UTF-8 sequences; words are separated by CRLF SP (folding).
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t end = std::min(text.size(), i + 45);
    while (end < text.size() && end > i && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    std::string chunk;
    for (size_t k = i; k < end; ++k) chunk += (text[k] == '\r' || text[k] == '\n') ? ' ' : text[k];
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(chunk) + "?=";
    i = end;
  }
  return out;
}

std::string ComposeMail(const MailMessage& m) {
  std::string key = Address(m.idempotency_key);
  std::string unsubscribe = m.unsubscribe.empty() ? "mailto:" + Address(m.from) + "?subject=unsubscribe" : Address(m.unsubscribe);
  std::string out = "From: <" + Address(m.from) + ">\r\nTo: <" + Address(m.to) + ">\r\nSubject: " +
                    EncodeHeaderText(m.subject) + "\r\nMessage-ID: <" + key + "@tutti>\r\nIdempotency-Key: " + key +
                    "\r\nList-Unsubscribe: <" + unsubscribe + ">\r\n";
  if (unsubscribe.rfind("https:", 0) == 0) out += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  out += "MIME-Version: 1.0\r\n";
  if (m.html.empty()) return out + Part("text/plain", m.text);
  // Base64 never holds "=_", so the boundary cannot occur in a part.
  std::string boundary = "=_tutti_" + key;
  out += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + Part("text/plain", m.text);
  out += "--" + boundary + "\r\n" + Part("text/html", m.html);
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace tutti::runtime
