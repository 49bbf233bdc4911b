#pragma once
// The lowering pass: turns a checked Program into the journey IR
// (journey_ir.h): every journey as a numbered state machine with its
// customer, trigger, audience index, exits and slots; channels and contact
// policies as plain data.
//
// Must be called after Check, on a program that checked without errors;
// anything the checker rejects is a bug here and asserts.

#include <map>

#include "compiler/check/program.h"
#include "compiler/ir/journey_ir.h"
#include "compiler/types/type.h"

namespace tutti::compiler::ir {

/// `types`: the type of every checked expression (CheckResult::types).
Program Lower(const compiler::Program& program, const std::map<const ast::Expr*, Type>& types);

}  // namespace tutti::compiler::ir
