#pragma once
// Where an e-mail action goes: the `email` field of its recipient's
// profile, as the engine's state holds it when asked.

#include <string>
#include <string_view>

#include "compiler/ir/journey_ir.h"
#include "runtime/engine/decision.h"

namespace tutti::runtime {

class Engine;

/// The address of `action`'s recipient in `engine`'s state (which holds
/// every profile): "" when its channel names no profile, the recipient is not
/// known, or the address is not one address that is safe in an SMTP
/// command (at most 254 bytes, an '@', no blank, control character or
/// angle bracket).
std::string EmailAddressOf(const Engine& engine, const compiler::ir::Program& ir, const Decision& action);

/// Whether `address` is one address that is safe in an SMTP command, as
/// above (an address read from outside, such as an action record, is
/// checked again with it).
bool UsableEmailAddress(std::string_view address);

}  // namespace tutti::runtime
