#pragma once
// The layout of Value, std::string and Record on this build, which the
// code generator's inline fast paths rely on.

#include <cstddef>

#include "compiler/eval/value.h"

namespace tutti::compiler::jit {

/// Where native code may read a Value's parts directly instead of calling
/// a helper. Measured once by probing real values (layout.cc); when any
/// probe fails, `ok` is false and generated code calls helpers for
/// everything, which is always correct.
struct ValueLayout {
  bool ok = false;
  size_t kind_offset = 0;       // the byte holding ValueKind
  size_t payload_offset = 0;    // int64, double, bool; a shared pointer's object pointer
  size_t string_data = 0;       // within the payload of a string: its char pointer ...
  size_t string_size = 0;       // ... and its length
  size_t record_shape = 0;      // within a Record: the shape pointer ...
  size_t record_values = 0;     // ... and the vector's begin and end pointers
  size_t record_values_end = 0;
  size_t value_size = sizeof(eval::Value);
};
const ValueLayout& Layout();

}  // namespace tutti::compiler::jit
