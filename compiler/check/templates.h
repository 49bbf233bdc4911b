#pragma once
// What the checker and the lowering pass both need to know of templates:
// how an approval's last day is written, and which policy rule (if any)
// requires approved content on a channel.

#include <cstdint>
#include <map>
#include <vector>
#include <optional>
#include <string>

#include "compiler/check/program.h"

namespace tutti::compiler {

/// "YYYY-MM-DD" -> days since 1970-01-01; nullopt unless a real date of
/// the years 2000 to 2999.
std::optional<int64_t> ParseApprovalDate(const std::string& text);

/// A `require approval` clause of some policy of the program.
struct ApprovalRule {
  std::string policy;
  Location at;  // the clause
};

/// The `require approval` clauses of every policy of a program (policies
/// hold program-wide, whoever imports them).
class ApprovalRules {
 public:
  explicit ApprovalRules(const Program& program);
  /// The first clause that covers `channel`: one without `for` (or with
  /// `any`) covers every channel of kind message; a list covers the
  /// channels it names. Null if none.
  const ApprovalRule* For(const std::string& channel) const;

 private:
  struct Clause {
    ApprovalRule rule;
    bool any = false;
    std::vector<std::string> channels;
  };
  std::vector<Clause> clauses_;
  std::map<std::string, bool, std::less<>> message_channel_;  // channel -> kind message
};

}  // namespace tutti::compiler
