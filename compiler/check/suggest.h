#pragma once
// "Did you mean ...?" suggestions for misspelt names.

#include <string>
#include <string_view>
#include <vector>

#include "compiler/source/diagnostic.h"

namespace tutti::compiler::internal {

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a plausible typo; otherwise empty.
std::string ClosestName(std::string_view name, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "".
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

/// Adds to `d` the fix that replaces `range` by the candidate closest to
/// `name` (as a string literal when `quoted`), when one is close enough:
/// what DidYouMean suggests, for an editor to apply.
Diagnostic& SuggestFix(Diagnostic& d, SourceRange range, std::string_view name,
                       const std::vector<std::string>& candidates, bool quoted = false);

}  // namespace tutti::compiler::internal
