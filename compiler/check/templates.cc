#include "compiler/check/templates.h"


namespace tutti::compiler {

std::optional<int64_t> ParseApprovalDate(const std::string& text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  int y = std::stoi(text.substr(0, 4)), m = std::stoi(text.substr(5, 2)), d = std::stoi(text.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > kDays[m - 1] + (m == 2 && leap)) return std::nullopt;
  // Days from civil (H. Hinnant's algorithm).
  y -= m <= 2;
  int64_t era = y / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

ApprovalRules::ApprovalRules(const Program& program) {
  for (const auto& f : program.files) {
    if (!f->ast) continue;
    for (const ast::ChannelDecl& c : f->ast->channels)
      message_channel_[c.name.text] = c.kind && c.kind->text == "message";
    for (const ast::PolicyDecl& p : f->ast->policies)
      for (const ast::PolicyClause& c : p.clauses) {
        if (c.kind != ast::PolicyClauseKind::kRequireApproval) continue;
        Clause clause{{p.name.text, {f->source.get(), c.range}}, !c.channels || c.channels->any, {}};
        if (c.channels)
          for (const ast::Name& n : c.channels->channels) clause.channels.push_back(n.text);
        clauses_.push_back(std::move(clause));
      }
  }
}

const ApprovalRule* ApprovalRules::For(const std::string& channel) const {
  auto kind = message_channel_.find(channel);
  bool message = kind != message_channel_.end() && kind->second;
  for (const Clause& c : clauses_) {
    if (c.any && message) return &c.rule;
    for (const std::string& n : c.channels)
      if (n == channel) return &c.rule;
  }
  return nullptr;
}

}  // namespace tutti::compiler
