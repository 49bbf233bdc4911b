#include "lsp/transport.h"

#include <cctype>

namespace tutti::lsp {
namespace {

// Reads one header line without its CRLF; false at end of input or when it
// is longer than kMaxHeaderLine.
bool ReadLine(std::istream& in, std::string* line, bool* too_long) {
  line->clear();
  for (int c; (c = in.get()) != EOF;) {
    if (c == '\n') {
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    if (line->size() >= kMaxHeaderLine) {
      *too_long = true;
      return false;
    }
    line->push_back(static_cast<char>(c));
  }
  return false;
}

bool HeaderNameIs(const std::string& line, const char* name) {
  size_t n = std::char_traits<char>::length(name);
  if (line.size() < n + 1 || line[n] != ':') return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != std::tolower(static_cast<unsigned char>(name[i])))
      return false;
  return true;
}

}  // namespace

Frame ReadFrame(std::istream& in) {
  Frame frame;
  std::string line;
  bool too_long = false, have_length = false;
  size_t length = 0, headers = 0;
  while (true) {
    if (!ReadLine(in, &line, &too_long)) {
      if (too_long) return {Frame::kBad, {}, "a header line is too long"};
      if (headers == 0 && line.empty()) return frame;  // clean end of input
      return {Frame::kBad, {}, "the input ends inside a header"};
    }
    if (line.empty()) {
      if (headers == 0) continue;  // tolerate blank lines between messages
      break;
    }
    if (++headers > kMaxHeaders) return {Frame::kBad, {}, "too many header lines"};
    if (HeaderNameIs(line, "content-length")) {
      size_t i = 15;
      while (i < line.size() && line[i] == ' ') ++i;
      size_t end = line.size();
      while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
      line.resize(end);
      if (i == line.size()) return {Frame::kBad, {}, "Content-Length has no value"};
      length = 0;
      for (; i < line.size(); ++i) {
        if (!std::isdigit(static_cast<unsigned char>(line[i])))
          return {Frame::kBad, {}, "Content-Length is not a number"};
        length = length * 10 + static_cast<size_t>(line[i] - '0');
        if (length > kMaxBody) return {Frame::kBad, {}, "the message is larger than 64 MiB"};
      }
      have_length = true;
    }
  }
  if (!have_length) return {Frame::kBad, {}, "a message without Content-Length"};
  frame.body.resize(length);
  in.read(frame.body.data(), static_cast<std::streamsize>(length));
  if (static_cast<size_t>(in.gcount()) != length) return {Frame::kBad, {}, "the input ends inside a message"};
  frame.kind = Frame::kMessage;
  return frame;
}

void WriteFrame(std::ostream& out, const std::string& body) {
  out << "Content-Length: " << body.size() << "\r\n\r\n" << body;
  out.flush();
}

}  // namespace tutti::lsp
