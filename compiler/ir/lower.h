#pragma once
// The lowering pass: turns a checked Program into the journey IR
// (journey_ir.h): every journey as a numbered state machine with its
// customer, trigger, audience index, exits and slots; channels and contact
// policies as plain data.
//
// Must be called after Check, on a program that checked without errors;
// anything the checker rejects is a bug here and asserts.

#include "compiler/check/program.h"
#include "compiler/ir/journey_ir.h"

namespace tutti::compiler::ir {

Program Lower(const compiler::Program& program);

}  // namespace tutti::compiler::ir
