#include "compiler/jit/abi.h"

#include <strings.h>

#include <cstring>
#include <new>

#include "compiler/eval/operators.h"

namespace tutti::compiler::jit {

const std::vector<std::pair<std::string_view, void*>>& HelperSymbols() {
#define TUTTI_HELPER(name) {#name, reinterpret_cast<void*>(&name)}
  static const std::vector<std::pair<std::string_view, void*>> kSymbols = {
      TUTTI_HELPER(tutti_jit_init),        TUTTI_HELPER(tutti_jit_destroy),
      TUTTI_HELPER(tutti_jit_assign),      TUTTI_HELPER(tutti_jit_set_bool),
      TUTTI_HELPER(tutti_jit_truth),       TUTTI_HELPER(tutti_jit_select),
      TUTTI_HELPER(tutti_jit_has),         TUTTI_HELPER(tutti_jit_binary),
      TUTTI_HELPER(tutti_jit_unary),       TUTTI_HELPER(tutti_jit_index),
      TUTTI_HELPER(tutti_jit_list),        TUTTI_HELPER(tutti_jit_map),
      TUTTI_HELPER(tutti_jit_call),        TUTTI_HELPER(tutti_jit_logic_fail),
      TUTTI_HELPER(tutti_jit_cond_fail),   TUTTI_HELPER(tutti_jit_no_overload),
      TUTTI_HELPER(tutti_jit_range),       TUTTI_HELPER(tutti_jit_item),
      TUTTI_HELPER(tutti_jit_first_error), TUTTI_HELPER(tutti_jit_is_error),
      TUTTI_HELPER(tutti_jit_acc_start),   TUTTI_HELPER(tutti_jit_acc_push),
      TUTTI_HELPER(tutti_jit_field),       TUTTI_HELPER(tutti_jit_compare),
      TUTTI_HELPER(tutti_jit_bucket),      TUTTI_HELPER(tutti_jit_hit),
      // What LLVM may emit calls to on its own (memcmp(...) == 0 becomes
      // bcmp, copies become memcpy).
      {"memcmp", reinterpret_cast<void*>(&std::memcmp)},
      {"bcmp", reinterpret_cast<void*>(&bcmp)},
      {"memcpy", reinterpret_cast<void*>(&std::memcpy)},
      {"memmove", reinterpret_cast<void*>(&std::memmove)},
      {"memset", reinterpret_cast<void*>(&std::memset)},
  };
#undef TUTTI_HELPER
  return kSymbols;
}

}  // namespace tutti::compiler::jit

namespace eval = tutti::compiler::eval;
namespace ast = tutti::compiler::ast;
using eval::ValueKind;

extern "C" {

void tutti_jit_init(Value* slots, int64_t n) noexcept {
  for (int64_t i = 0; i < n; ++i) new (slots + i) Value();
}

void tutti_jit_destroy(Value* slots, int64_t n) noexcept {
  // Most temporaries hold a bool or a number: nothing to free, and no
  // visit of the variant's alternatives to find that out.
  for (int64_t i = 0; i < n; ++i)
    if (slots[i].kind() > ValueKind::kDouble) slots[i].~Value();
}

void tutti_jit_assign(Value* out, const Value* v) noexcept { *out = *v; }

void tutti_jit_set_bool(Value* out, int32_t b) noexcept { *out = Value(b != 0); }

int32_t tutti_jit_bucket(const Value* v, const tutti::compiler::jit::BucketTable* table) noexcept {
  if (!v->is(ValueKind::kString)) return -1;
  return table->Find(v->AsString());
}

void tutti_jit_hit(tutti::compiler::jit::TriggerHits* hits, int32_t journey, int32_t code, const Value* v) noexcept {
  hits->Add(static_cast<uint32_t>(journey), code, v);
}

int32_t tutti_jit_truth(const Value* v) noexcept {
  switch (v->kind()) {
    case ValueKind::kBool: return v->AsBool() ? tutti::compiler::jit::kTrue : tutti::compiler::jit::kFalse;
    case ValueKind::kError: return tutti::compiler::jit::kErrorValue;
    default: return tutti::compiler::jit::kNotBool;
  }
}

const Value* tutti_jit_select(Value* tmp, const Value* target, const std::string* field) noexcept {
  if (target->is(ValueKind::kRecord)) {
    if (const Value* v = target->AsRecord().Find(*field)) return v;
  }
  *tmp = eval::SelectField(*target, *field);
  return tmp;
}

const Value* tutti_jit_field(Value* tmp, const Value* target, const tutti::compiler::eval::RecordShape* shape,
                             int64_t slot, const std::string* field) noexcept {
  if (target->is(ValueKind::kRecord)) {
    const eval::Record& r = target->AsRecord();
    if (r.shape == shape && static_cast<size_t>(slot) < r.values.size()) return &r.values[static_cast<size_t>(slot)];
  }
  return tutti_jit_select(tmp, target, field);
}

void tutti_jit_has(Value* out, const Value* target, const std::string* field) noexcept {
  *out = eval::HasField(*target, *field);
}

void tutti_jit_binary(Value* out, int32_t op, const Value* a, const Value* b) noexcept {
  *out = eval::ApplyBinary(static_cast<ast::Op>(op), *a, *b);
}

int32_t tutti_jit_compare(Value* out, int32_t op, const Value* a, const Value* b) noexcept {
  Value r = eval::ApplyBinary(static_cast<ast::Op>(op), *a, *b);
  int32_t code = tutti_jit_truth(&r);
  if (code >= tutti::compiler::jit::kErrorValue) *out = std::move(r);
  return code;
}

void tutti_jit_unary(Value* out, int32_t op, const Value* a) noexcept {
  *out = static_cast<ast::Op>(op) == ast::Op::kNot ? eval::Not(*a) : eval::Negate(*a);
}

void tutti_jit_index(Value* out, const Value* a, const Value* b) noexcept { *out = eval::Index(*a, *b); }

void tutti_jit_list(Value* out, const Value* const* items, int64_t n) noexcept {
  eval::List list;
  list.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (items[i]->IsError()) {
      *out = *items[i];
      return;
    }
    list.push_back(*items[i]);
  }
  *out = Value(std::move(list));
}

void tutti_jit_map(Value* out, const Value* const* kv, int64_t pairs) noexcept {
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(static_cast<size_t>(pairs));
  for (int64_t i = 0; i < pairs; ++i) {
    const Value* k = kv[2 * i];
    const Value* v = kv[2 * i + 1];
    if (k->IsError()) return void(*out = *k);
    if (v->IsError()) return void(*out = *v);
    entries.emplace_back(*k, *v);
  }
  *out = eval::MakeMap(std::move(entries));
}

void tutti_jit_call(Value* out, const CallSite* site, const Value* const* args, int64_t n) noexcept {
  // Built-ins take their arguments contiguous; at most a handful.
  std::vector<Value> values;
  values.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) values.push_back(*args[i]);
  *out = eval::Functions::Call(site->candidates, site->name, values);
}

void tutti_jit_logic_fail(Value* out, int32_t op, const Value* a, const Value* b) noexcept {
  if (a->IsError()) return void(*out = *a);
  if (b->IsError()) return void(*out = *b);
  *out = eval::NoOverload(ast::OpSpelling(static_cast<ast::Op>(op)), *a, *b);
}

void tutti_jit_cond_fail(Value* out, const Value* c) noexcept { *out = eval::NoOverload("?:", *c); }

void tutti_jit_no_overload(Value* out, const std::string* name, const Value* v) noexcept {
  *out = eval::NoOverload(*name, *v);
}

int64_t tutti_jit_range(Value* out, Value* items, const Value* range, const std::string* macro) noexcept {
  if (range->IsError()) {
    *out = *range;
    return -1;
  }
  if (range->is(ValueKind::kList)) {
    *items = *range;
    return static_cast<int64_t>(range->AsList().size());
  }
  if (range->is(ValueKind::kMap)) {
    eval::List keys;
    for (const auto& [k, v] : range->AsMap().entries()) keys.push_back(k);
    *items = Value(std::move(keys));
    return static_cast<int64_t>(items->AsList().size());
  }
  *out = eval::NoOverload(*macro, *range);
  return -1;
}

const Value* tutti_jit_item(const Value* list, int64_t i) noexcept { return &list->AsList()[static_cast<size_t>(i)]; }

void tutti_jit_first_error(Value* err, const Value* r, const std::string* macro) noexcept {
  if (err->IsError()) return;
  *err = r->IsError() ? *r : eval::NoOverload(*macro, *r);
}

int32_t tutti_jit_is_error(const Value* v) noexcept { return v->IsError() ? 1 : 0; }

void tutti_jit_acc_start(Value* acc) noexcept {
  // A non-const list, so pushing through the shared pointer is sound while
  // the slot is its only owner.
  *acc = Value(std::shared_ptr<const eval::List>(std::make_shared<eval::List>()));
}

void tutti_jit_acc_push(Value* acc, const Value* v) noexcept {
  const_cast<eval::List&>(acc->AsList()).push_back(*v);
}

}  // extern "C"
