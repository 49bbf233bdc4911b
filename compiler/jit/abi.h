#pragma once
// The contract between generated code and C++: the run-time helpers that
// native code calls, by name, for everything it does not do itself. Values
// stay opaque to native code; it holds `Value*` and passes them here.
//
// Rules every helper keeps:
//   - `extern "C"` and noexcept: no C++ exception ever crosses a JIT frame
//     (a failure inside a built-in is already an error value);
//   - an output `Value* out` is an initialised slot and is assigned, so a
//     slot can be reused in a loop without leaking;
//   - inputs are borrowed and outlive the call.
//
// The names are what the JIT's symbol table maps (HelperSymbols), so code
// cached on disk links against a later process's helpers by name, never by
// address.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/eval/functions.h"
#include "compiler/eval/value.h"
#include "compiler/jit/dispatch.h"

namespace tutti::compiler::jit {

using eval::Value;

/// A call of a built-in as native code sees it: the candidates the
/// registry offers for the name and style, resolved once at compile time.
struct CallSite {
  std::string name;
  const std::vector<eval::Functions::Candidate>* candidates = nullptr;
};

/// What `tutti_jit_truth` says of a value.
enum Truth : int32_t { kFalse = 0, kTrue = 1, kErrorValue = 2, kNotBool = 3 };

/// Every helper as (symbol name, address), for the JIT's symbol table.
const std::vector<std::pair<std::string_view, void*>>& HelperSymbols();

}  // namespace tutti::compiler::jit

extern "C" {
using tutti::compiler::eval::Value;
using tutti::compiler::jit::CallSite;

/// Placement-constructs `n` null values at `slots` / destroys them.
void tutti_jit_init(Value* slots, int64_t n) noexcept;
void tutti_jit_destroy(Value* slots, int64_t n) noexcept;
/// *out = *v.
void tutti_jit_assign(Value* out, const Value* v) noexcept;
/// *out = bool.
void tutti_jit_set_bool(Value* out, int32_t b) noexcept;
/// Trigger dispatch: the bucket of a string field's value in a
/// BucketTable, or -1; and a trigger that fired or failed.
int32_t tutti_jit_bucket(const Value* v, const tutti::compiler::jit::BucketTable* table) noexcept;
void tutti_jit_hit(tutti::compiler::jit::TriggerHits* hits, int32_t journey, int32_t code,
                   const Value* v) noexcept;
/// A Truth code.
int32_t tutti_jit_truth(const Value* v) noexcept;

/// `target.field`: a pointer to the field inside a record (borrowed, no
/// copy) or `tmp` holding the selected value or the error.
const Value* tutti_jit_select(Value* tmp, const Value* target, const std::string* field) noexcept;
/// `target.field` where `target` is expected to be a record of `shape`
/// with the field at `slot`: a direct read when it is, else as
/// tutti_jit_select.
const Value* tutti_jit_field(Value* tmp, const Value* target, const tutti::compiler::eval::RecordShape* shape,
                             int64_t slot, const std::string* field) noexcept;
void tutti_jit_has(Value* out, const Value* target, const std::string* field) noexcept;
/// A strict operator: `op` is an ast::Op.
void tutti_jit_binary(Value* out, int32_t op, const Value* a, const Value* b) noexcept;
/// `==`, `!=`, `<`, `<=`, `>`, `>=`, `in` as a Truth code; the result is
/// written to `out` only when it is not a bool.
int32_t tutti_jit_compare(Value* out, int32_t op, const Value* a, const Value* b) noexcept;
void tutti_jit_unary(Value* out, int32_t op, const Value* a) noexcept;
void tutti_jit_index(Value* out, const Value* a, const Value* b) noexcept;
/// List and map literals (`kv` alternates keys and values).
void tutti_jit_list(Value* out, const Value* const* items, int64_t n) noexcept;
void tutti_jit_map(Value* out, const Value* const* kv, int64_t pairs) noexcept;
/// A built-in call; `args` has the receiver first for receiver-style calls.
void tutti_jit_call(Value* out, const CallSite* site, const Value* const* args, int64_t n) noexcept;
/// `&&` / `||` when neither side decided and not both are bools.
void tutti_jit_logic_fail(Value* out, int32_t op, const Value* a, const Value* b) noexcept;
/// `c ? x : y` when `c` is not a bool and not an error.
void tutti_jit_cond_fail(Value* out, const Value* c) noexcept;
/// "no matching overload for 'NAME' applied to (KIND)".
void tutti_jit_no_overload(Value* out, const std::string* name, const Value* v) noexcept;

/// A macro's range: the list itself, or a map's keys, into `items`;
/// returns the count, or -1 with the error in `out`.
int64_t tutti_jit_range(Value* out, Value* items, const Value* range, const std::string* macro) noexcept;
/// Item `i` of a list value (borrowed).
const Value* tutti_jit_item(const Value* list, int64_t i) noexcept;
/// all/exists: keeps the first non-bool result as the error to report.
void tutti_jit_first_error(Value* err, const Value* r, const std::string* macro) noexcept;
/// Whether `v` is an error (for the slot tutti_jit_first_error fills).
int32_t tutti_jit_is_error(const Value* v) noexcept;
/// filter/map: a list being built in a slot (a list value, uniquely owned).
void tutti_jit_acc_start(Value* acc) noexcept;
void tutti_jit_acc_push(Value* acc, const Value* v) noexcept;
}

