#include "compiler/source/codes.h"

#include <cctype>

namespace tutti::compiler {
namespace {

struct Entry {
  Code code;
  std::string_view text;
  std::string_view summary;
};

constexpr Entry kEntries[] = {
#define TUTTI_CODE(id, text, summary) {Code::id, text, summary},
#include "compiler/source/codes.def"
#undef TUTTI_CODE
};

const Entry& EntryOf(Code code) { return kEntries[static_cast<size_t>(code)]; }

}  // namespace

std::string_view CodeText(Code code) { return EntryOf(code).text; }

std::string_view CodeSummary(Code code) { return EntryOf(code).summary; }

std::optional<Code> FindCode(std::string_view text) {
  for (const Entry& e : kEntries) {
    if (e.text.size() != text.size()) continue;
    bool same = true;
    for (size_t i = 0; i < text.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>(text[i])) == e.text[i];
    if (same) return e.code;
  }
  return std::nullopt;
}

const std::vector<Code>& AllCodes() {
  static const std::vector<Code> all = [] {
    std::vector<Code> out;
    for (const Entry& e : kEntries) out.push_back(e.code);
    return out;
  }();
  return all;
}

}  // namespace tutti::compiler
