#pragma once
// Stable diagnostic codes (listed in codes.def). Editors and CI key on a
// code rather than on message text, and `tutti explain CODE` prints what it
// means, why it matters and how to fix it.

#include <optional>
#include <string_view>
#include <vector>

namespace tutti::compiler {

enum class Code {
#define TUTTI_CODE(id, text, summary) id,
#include "compiler/source/codes.def"
#undef TUTTI_CODE
};

/// "T0301".
std::string_view CodeText(Code code);
/// The one-line summary from codes.def.
std::string_view CodeSummary(Code code);
/// The code spelled `text` ("T0301", case-insensitive), if there is one.
std::optional<Code> FindCode(std::string_view text);
/// Every code, in catalogue order.
const std::vector<Code>& AllCodes();

}  // namespace tutti::compiler
