#include "runtime/engine/email_address.h"

#include <algorithm>

#include "runtime/engine/engine.h"

namespace tutti::runtime {

std::string EmailAddressOf(const Engine& engine, const compiler::ir::Program& ir, const Decision& action) {
  auto channel = ir.channels.find(action.channel);
  if (channel == ir.channels.end()) return "";
  auto p = engine.ProfileId(channel->second.recipient);
  if (!p) return "";
  const StateStore& store = engine.store();
  auto c = store.FindCustomer(*p, action.recipient);
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
