#pragma once
// A Source owns the text of one .tutti file. Positions everywhere else are
// byte offsets into it; they become line:column only when shown.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tutti::compiler {

/// A half-open byte range [begin, end) in one Source.
struct SourceRange {
  uint32_t begin = 0;
  uint32_t end = 0;
};

/// A 1-based line and column; the column counts bytes.
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
};

class Source {
 public:
  /// `path` is how the file is named to the user (as given on the command
  /// line or resolved from an import); `text` is the file's bytes.
  Source(std::string path, std::string text);

  const std::string& path() const { return path_; }
  std::string_view text() const { return text_; }

  /// The line and column of a byte offset (clamped to the text's end).
  LineColumn Locate(uint32_t offset) const;
  /// The UTF-16 code units between the start of `offset`'s line and
  /// `offset` (clamped to the text's end): the "character" of an LSP
  /// position. A byte inside a sequence counts as its code point.
  uint32_t Utf16Column(uint32_t offset) const;
  /// The text of a 1-based line, without its line terminator.
  std::string_view Line(uint32_t line) const;
  uint32_t LineCount() const { return static_cast<uint32_t>(line_starts_.size()); }

 private:
  std::string path_;
  std::string text_;
  std::vector<uint32_t> line_starts_;
};

}  // namespace tutti::compiler
