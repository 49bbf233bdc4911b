#include "runtime/engine/email_address.h"

#include <algorithm>

namespace tutti::runtime {

std::string EmailAddressOf(const StateStore& store, const SchemaTable& schemas, const compiler::ir::Program& ir,
                           const Decision& action) {
  auto channel = ir.channels.find(action.channel);
  if (channel == ir.channels.end()) return "";
  std::vector<std::string> profiles = schemas.ProfileNames();
  auto p = std::find(profiles.begin(), profiles.end(), channel->second.recipient);
  if (p == profiles.end()) return "";
  auto c = store.FindCustomer(static_cast<uint32_t>(p - profiles.begin()), action.recipient);
  if (!c) return "";
  const compiler::eval::Value& record = store.customer(*c).record;
  const compiler::eval::Value* email =
      record.is(compiler::eval::ValueKind::kRecord) ? record.AsRecord().Find("email") : nullptr;
  if (email == nullptr || !email->is(compiler::eval::ValueKind::kString)) return "";
  return UsableEmailAddress(email->AsString()) ? email->AsString() : "";
}

bool UsableEmailAddress(std::string_view address) {
  // One address, nothing that could break out of the SMTP command.
  if (address.size() > 254 || address.find('@') == std::string_view::npos) return false;
  for (unsigned char c : address)
    if (c <= ' ' || c == '<' || c == '>' || c == 0x7f) return false;
  return true;
}

}  // namespace tutti::runtime
