#include "compiler/jit/codegen.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "base/check.h"
#include "compiler/eval/evaluator.h"
#include "compiler/jit/layout.h"

namespace tutti::compiler::jit {

size_t ConstantPool::AddValue(Value v) {
  values_.push_back(std::move(v));
  entries_.push_back(&values_.back());
  return entries_.size() - 1;
}

size_t ConstantPool::AddString(std::string s) {
  strings_.push_back(std::move(s));
  entries_.push_back(&strings_.back());
  return entries_.size() - 1;
}

size_t ConstantPool::AddPointer(const void* p) {
  entries_.push_back(p);
  return entries_.size() - 1;
}

size_t ConstantPool::AddCallSite(CallSite site) {
  sites_.push_back(std::move(site));
  entries_.push_back(&sites_.back());
  return entries_.size() - 1;
}

using ast::Expr;
using ast::ExprKind;
using ast::Op;

class Emitter {
 public:
  /// A Truth code and, when it is kErrorValue or kNotBool, the value.
  struct Truthy {
    llvm::Value* code;
    llvm::Value* slot;  // valid only when code >= kErrorValue
  };

  Emitter(llvm::Module& module, const eval::Functions& functions, ConstantPool& pool)
      : m_(module), ctx_(module.getContext()), b_(ctx_), functions_(functions), pool_(pool) {
    ptr_ = llvm::PointerType::get(ctx_, 0);
    i32_ = llvm::Type::getInt32Ty(ctx_);
    i64_ = llvm::Type::getInt64Ty(ctx_);
  }

  /// One function for all of `specs`: case 2k computes spec k's value into
  /// `out` (and returns 0), case 2k+1 tests it as a condition. Few large
  /// functions compile much faster than many small ones; the cases share
  /// one slot area, as only one runs per call.
  void Group(const std::string& name, const std::vector<const ExprSpec*>& specs) {
    auto* type = llvm::FunctionType::get(i32_, {i32_, ptr_, ptr_, ptr_}, false);
    fn_ = llvm::Function::Create(type, llvm::Function::ExternalLinkage, name, m_);
    fn_->addFnAttr(llvm::Attribute::NoInline);  // dispatch functions call it; keep them small
    llvm::Value* which = fn_->getArg(0);
    vars_ = fn_->getArg(1);
    pool_arg_ = fn_->getArg(2);
    llvm::Value* out = fn_->getArg(3);
    auto* entry = llvm::BasicBlock::Create(ctx_, "entry", fn_);
    auto* none = llvm::BasicBlock::Create(ctx_, "none", fn_);
    b_.SetInsertPoint(entry);
    llvm::AllocaInst* slots = b_.CreateAlloca(b_.getInt8Ty(), b_.getInt64(1), "slots");
    slots->setAlignment(llvm::Align(16));
    slots_ = slots;
    auto* sw = b_.CreateSwitch(which, none, static_cast<unsigned>(2 * specs.size()));
    b_.SetInsertPoint(none);
    b_.CreateRet(b_.getInt32(0));
    uint64_t most_slots = 0;
    for (size_t k = 0; k < specs.size(); ++k) {
      spec_ = specs[k];
      for (bool test : {false, true}) {
        if (!test && spec_->condition) continue;
        auto* start = Block(test ? "test" : "value");
        auto* body = Block("body");
        sw->addCase(b_.getInt32(static_cast<int32_t>(2 * k + (test ? 1 : 0))), start);
        slot_count_ = 0;
        b_.SetInsertPoint(body);
        llvm::Value* code = b_.getInt32(0);
        if (!test) {
          Call("tutti_jit_assign", {out, Emit(*spec_->expr)});
        } else {
          Truthy t = EmitTruth(*spec_->expr);
          auto* keep = Block("test.keep");
          auto* done = Block("test.done");
          b_.CreateCondBr(b_.CreateICmpUGE(t.code, b_.getInt32(kErrorValue)), keep, done);
          b_.SetInsertPoint(keep);
          Call("tutti_jit_assign", {out, t.slot});
          b_.CreateBr(done);
          b_.SetInsertPoint(done);
          code = t.code;
        }
        Call("tutti_jit_destroy", {slots_, b_.getInt64(slot_count_)});
        b_.CreateRet(code);
        // Now that this case's slots are counted: construct them first.
        b_.SetInsertPoint(start);
        Call("tutti_jit_init", {slots_, b_.getInt64(slot_count_)});
        b_.CreateBr(body);
        most_slots = std::max(most_slots, slot_count_);
      }
    }
    slots->setOperand(0, b_.getInt64(std::max<uint64_t>(1, most_slots * sizeof(Value))));
  }

  /// Tests `spec.expr` at the end of block `at` of `fn`, taking every node
  /// of `known` as true, with `slots` as its value slots (from the first);
  /// `at` becomes the block where the test ends with kTrue or kFalse, and
  /// any surprise jumps to `bail` instead (see InlineConditions). Returns
  /// the slots used.
  uint64_t Inline(llvm::Function* fn, llvm::Value* vars, llvm::Value* pool, llvm::Value* slots, const ExprSpec& spec,
                  const std::set<const Expr*>& known, llvm::BasicBlock* bail, llvm::BasicBlock*& at,
                  llvm::Value*& code) {
    fn_ = fn;
    vars_ = vars;
    pool_arg_ = pool;
    slots_ = slots;
    spec_ = &spec;
    known_ = &known;
    bail_ = bail;
    slot_count_ = 0;
    b_.SetInsertPoint(at);
    code = Settled(EmitTruth(*spec.expr)).code;
    at = b_.GetInsertBlock();
    known_ = nullptr;
    bail_ = nullptr;
    spec_ = nullptr;
    return slot_count_;
  }

 private:
  // ---- helpers for building IR -------------------------------------------

  /// Calls helper `name` (declared on first use: pointer and integer
  /// arguments as given, returning `ret`, void by default).
  llvm::Value* Call(const char* name, std::vector<llvm::Value*> args, llvm::Type* ret = nullptr) {
    std::vector<llvm::Type*> types;
    for (llvm::Value* a : args) types.push_back(a->getType());
    auto callee = m_.getOrInsertFunction(
        name, llvm::FunctionType::get(ret ? ret : llvm::Type::getVoidTy(ctx_), types, false));
    return b_.CreateCall(callee, args);
  }
  llvm::Value* NewSlot() {
    return b_.CreateInBoundsGEP(b_.getInt8Ty(), slots_, b_.getInt64(slot_count_++ * sizeof(Value)));
  }
  llvm::Value* PoolEntry(size_t index) {
    llvm::Value* at = b_.CreateInBoundsGEP(ptr_, pool_arg_, b_.getInt64(index));
    return b_.CreateLoad(ptr_, at);
  }
  llvm::Value* Constant(Value v) { return PoolEntry(pool_.AddValue(std::move(v))); }
  llvm::Value* String(const std::string& s) { return PoolEntry(pool_.AddString(s)); }
  llvm::BasicBlock* Block(const char* name) { return llvm::BasicBlock::Create(ctx_, name, fn_); }
  /// An array of pointers on the stack holding `values`.
  llvm::Value* PointerArray(const std::vector<llvm::Value*>& values) {
    llvm::IRBuilder<> entry(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    llvm::Value* array = entry.CreateAlloca(ptr_, b_.getInt64(std::max<size_t>(1, values.size())));
    for (size_t i = 0; i < values.size(); ++i)
      b_.CreateStore(values[i], b_.CreateInBoundsGEP(ptr_, array, b_.getInt64(i)));
    return array;
  }
  llvm::Value* Truth(llvm::Value* v) { return Call("tutti_jit_truth", {v}, i32_); }

  /// Where the results of several paths meet.
  struct Join {
    llvm::BasicBlock* block;
    std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> incoming;
  };
  void Jump(Join& join, llvm::Value* result) {
    join.incoming.emplace_back(result, b_.GetInsertBlock());
    b_.CreateBr(join.block);
  }
  llvm::Value* Finish(Join& join) {
    b_.SetInsertPoint(join.block);
    auto* phi = b_.CreatePHI(ptr_, join.incoming.size());
    for (auto [v, from] : join.incoming) phi->addIncoming(v, from);
    return phi;
  }

  // ---- names ---------------------------------------------------------------

  /// The value a name resolves to, or null when nothing binds it.
  llvm::Value* Bound(const std::string& name) {
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it)
      if (it->first == name) return it->second;
    return Variable(name);
  }
  std::optional<size_t> VariableIndex(const std::string& name) const {
    auto it = std::find(spec_->env.begin(), spec_->env.end(), name);
    if (it == spec_->env.end()) return std::nullopt;
    return static_cast<size_t>(it - spec_->env.begin());
  }
  llvm::Value* Variable(const std::string& name) {
    auto i = VariableIndex(name);
    if (!i) return nullptr;
    llvm::Value* at = b_.CreateInBoundsGEP(ptr_, vars_, b_.getInt64(*i));
    return b_.CreateLoad(ptr_, at);
  }
  bool InMacroScope(const std::string& name) const {
    for (const auto& [n, v] : scope_)
      if (n == name) return true;
    return false;
  }
  /// The expected shape of the record `e` names, if `e` is a variable of
  /// the environment with one.
  const eval::RecordShape* ShapeOf(const Expr& e) const {
    if (e.kind != ExprKind::kIdent || InMacroScope(e.name.text)) return nullptr;
    auto i = VariableIndex(e.name.text);
    if (!i || *i >= spec_->shapes.size()) return nullptr;
    return spec_->shapes[*i];
  }

  // ---- expressions ---------------------------------------------------------

  llvm::Value* Emit(const Expr& e) {
    switch (e.kind) {
      case ExprKind::kLiteral: return Constant(eval::LiteralValue(e.literal));
      case ExprKind::kIdent: {
        if (llvm::Value* v = Bound(e.name.text)) return v;
        if (auto t = eval::TypeDenotation(e.name.text)) return Constant(*t);
        return Constant(Value::Error("undeclared reference to '" + e.name.text + "'"));
      }
      case ExprKind::kSelect: {
        if (auto name = eval::QualifiedName(e); name && name->find('.') != std::string::npos) {
          if (llvm::Value* v = Variable(*name)) return v;
          if (auto t = eval::TypeDenotation(*name)) return Constant(*t);
        }
        llvm::Value* target = Emit(*e.target);
        llvm::Value* tmp = NewSlot();
        if (const eval::RecordShape* shape = ShapeOf(*e.target)) {
          if (auto slot = shape->Slot(e.name.text)) return FieldRead(tmp, target, shape, *slot, e.name.text);
        }
        return Call("tutti_jit_select", {tmp, target, String(e.name.text)}, ptr_);
      }
      case ExprKind::kHas: {
        const Expr& sel = *e.args[0];
        llvm::Value* target = Emit(*sel.target);
        llvm::Value* out = NewSlot();
        Call("tutti_jit_has", {out, target, String(sel.name.text)});
        return out;
      }
      case ExprKind::kCall: return EmitCall(e);
      case ExprKind::kMacro: return EmitMacro(e);
      case ExprKind::kIndex: {
        llvm::Value* a = Emit(*e.target);
        llvm::Value* i = Emit(*e.args[0]);
        llvm::Value* out = NewSlot();
        Call("tutti_jit_index", {out, a, i});
        return out;
      }
      case ExprKind::kList:
      case ExprKind::kMap: {
        std::vector<llvm::Value*> items;
        for (const auto& a : e.args) items.push_back(Emit(*a));
        llvm::Value* out = NewSlot();
        bool list = e.kind == ExprKind::kList;
        Call(list ? "tutti_jit_list" : "tutti_jit_map",
             {out, PointerArray(items), b_.getInt64(list ? items.size() : items.size() / 2)});
        return out;
      }
      case ExprKind::kUnary: {
        if (e.op == Op::kNot) return AsValue(EmitTruth(e));
        llvm::Value* a = Emit(*e.target);
        llvm::Value* out = NewSlot();
        Call("tutti_jit_unary", {out, b_.getInt32(static_cast<int>(e.op)), a});
        return out;
      }
      case ExprKind::kBinary:
        if (IsTest(e.op)) return AsValue(EmitTruth(e));
        {
          llvm::Value* a = Emit(*e.args[0]);
          llvm::Value* b = Emit(*e.args[1]);
          llvm::Value* out = NewSlot();
          Call("tutti_jit_binary", {out, b_.getInt32(static_cast<int>(e.op)), a, b});
          return out;
        }
      case ExprKind::kConditional: return EmitConditional(e);
    }
    TUTTI_UNREACHABLE("unknown expression kind");
    return Constant(Value::Error("unknown expression kind"));
  }

  llvm::Value* EmitCall(const Expr& e) {
    std::vector<llvm::Value*> args;
    bool receiver = e.target != nullptr;
    if (receiver) args.push_back(Emit(*e.target));
    for (const auto& a : e.args) args.push_back(Emit(*a));
    size_t site = pool_.AddCallSite(CallSite{e.name.text, functions_.Find(e.name.text, receiver)});
    llvm::Value* out = NewSlot();
    Call("tutti_jit_call", {out, PoolEntry(site), PointerArray(args), b_.getInt64(args.size())});
    return out;
  }

  // ---- fast paths ------------------------------------------------------
  //
  // When the layout probe succeeded (ValueLayout), the commonest reads and
  // comparisons happen inline; any surprise (another kind, another shape)
  // takes the helper, which gives the general answer.

  llvm::Value* At(llvm::Value* base, size_t offset) {
    return b_.CreateInBoundsGEP(b_.getInt8Ty(), base, b_.getInt64(offset));
  }
  llvm::Value* Kind(llvm::Value* v) { return b_.CreateLoad(b_.getInt8Ty(), At(v, layout_.kind_offset)); }
  llvm::Value* IsKind(llvm::Value* v, eval::ValueKind k) {
    return b_.CreateICmpEQ(Kind(v), b_.getInt8(static_cast<uint8_t>(k)));
  }

  /// `target.field` where target should be a record of `shape`.
  llvm::Value* FieldRead(llvm::Value* tmp, llvm::Value* target, const eval::RecordShape* shape, size_t slot,
                         const std::string& field) {
    llvm::Value* expected = PoolEntry(pool_.AddPointer(shape));
    auto slow_path = [&] {
      return Call("tutti_jit_field", {tmp, target, expected, b_.getInt64(slot), String(field)}, ptr_);
    };
    if (!layout_.ok) return slow_path();
    auto* check = Block("field.check");
    auto* slow = Block("field.slow");
    auto* done = Block("field.done");
    b_.CreateCondBr(IsKind(target, eval::ValueKind::kRecord), check, slow);
    b_.SetInsertPoint(check);
    llvm::Value* record = b_.CreateLoad(ptr_, At(target, layout_.payload_offset));
    llvm::Value* same = b_.CreateICmpEQ(b_.CreateLoad(ptr_, At(record, layout_.record_shape)), expected);
    llvm::Value* begin = b_.CreateLoad(ptr_, At(record, layout_.record_values));
    llvm::Value* end = b_.CreateLoad(ptr_, At(record, layout_.record_values_end));
    llvm::Value* field_ptr = At(begin, slot * layout_.value_size);
    b_.CreateCondBr(b_.CreateAnd(same, b_.CreateICmpULT(field_ptr, end)), done, slow);
    b_.SetInsertPoint(slow);
    if (bail_ != nullptr) {  // an inline test leaves surprises to the general code
      b_.CreateBr(bail_);
      b_.SetInsertPoint(done);
      return field_ptr;
    }
    llvm::Value* general = slow_path();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    auto* phi = b_.CreatePHI(ptr_, 2);
    phi->addIncoming(field_ptr, check);
    phi->addIncoming(general, slow);
    return phi;
  }

  /// Whether `v` (a string value) equals `text`.
  llvm::Value* StringEquals(llvm::Value* v, const std::string& text) {
    llvm::Value* payload = At(v, layout_.payload_offset);
    llvm::Value* size = b_.CreateLoad(i64_, At(payload, layout_.string_size));
    if (text.empty()) return b_.CreateICmpEQ(size, b_.getInt64(0));
    auto* compare = Block("str.compare");
    auto* done = Block("str.done");
    llvm::BasicBlock* from = b_.GetInsertBlock();
    b_.CreateCondBr(b_.CreateICmpEQ(size, b_.getInt64(text.size())), compare, done);
    b_.SetInsertPoint(compare);
    llvm::Value* data = b_.CreateLoad(ptr_, At(payload, layout_.string_data));
    llvm::Value* literal = b_.CreateLoad(ptr_, At(String(text), layout_.string_data));
    llvm::Value* diff = Call("memcmp", {data, literal, b_.getInt64(text.size())}, i32_);
    llvm::Value* same = b_.CreateICmpEQ(diff, b_.getInt32(0));
    llvm::BasicBlock* compared = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    auto* phi = b_.CreatePHI(b_.getInt1Ty(), 2);
    phi->addIncoming(b_.getFalse(), from);
    phi->addIncoming(same, compared);
    return phi;
  }

  /// `x OP literal` or `literal OP x` for an int, double or string literal
  /// (and `x in [string literals]`): inline when x has the literal's kind,
  /// the helper otherwise. Nothing when the shape does not fit.
  std::optional<Truthy> CompareWithLiteral(const Expr& e) {
    if (!layout_.ok) return std::nullopt;
    auto literal_of = [](const Expr& x) { return x.kind == ExprKind::kLiteral ? &x.literal : nullptr; };
    const ast::Literal* lit = literal_of(*e.args[1]);
    bool swapped = false;
    if (e.op != Op::kIn && lit == nullptr) {
      lit = literal_of(*e.args[0]);
      swapped = true;
    }
    std::vector<std::string> members;  // kIn: the string literals of the list
    eval::ValueKind kind;
    if (e.op == Op::kIn) {
      const Expr& list = *e.args[1];
      if (list.kind != ExprKind::kList || list.args.empty()) return std::nullopt;
      for (const auto& m : list.args) {
        if (m->kind != ExprKind::kLiteral || !std::holds_alternative<std::string>(m->literal)) return std::nullopt;
        members.push_back(std::get<std::string>(m->literal));
      }
      kind = eval::ValueKind::kString;
    } else if (lit == nullptr) {
      return std::nullopt;
    } else if (std::holds_alternative<int64_t>(*lit)) {
      kind = eval::ValueKind::kInt;
    } else if (std::holds_alternative<double>(*lit)) {
      kind = eval::ValueKind::kDouble;
    } else if (std::holds_alternative<std::string>(*lit) && (e.op == Op::kEq || e.op == Op::kNe)) {
      kind = eval::ValueKind::kString;
    } else {
      return std::nullopt;
    }
    // The literal side is built only if the slow path needs it (a list
    // literal allocates).
    bool x_first = e.op == Op::kIn || !swapped;
    llvm::Value* x = Emit(*e.args[x_first ? 0 : 1]);
    llvm::Value* slot = NewSlot();
    auto* fast = Block("cmp.fast");
    auto* slow = Block("cmp.slow");
    auto* done = Block("cmp.done");
    b_.CreateCondBr(IsKind(x, kind), fast, slow);
    b_.SetInsertPoint(fast);
    llvm::Value* holds = nullptr;
    if (e.op == Op::kIn) {
      holds = b_.getFalse();
      for (const std::string& m : members) holds = b_.CreateOr(holds, StringEquals(x, m));
    } else if (kind == eval::ValueKind::kString) {
      holds = StringEquals(x, std::get<std::string>(*lit));
      if (e.op == Op::kNe) holds = b_.CreateNot(holds);
    } else {
      // As written: `x OP lit`, or `lit OP x` with the operands swapped back.
      llvm::Value* payload = At(x, layout_.payload_offset);
      bool is_int = kind == eval::ValueKind::kInt;
      llvm::Value* xv = b_.CreateLoad(is_int ? static_cast<llvm::Type*>(i64_) : b_.getDoubleTy(), payload);
      llvm::Value* lv = is_int ? static_cast<llvm::Value*>(b_.getInt64(std::get<int64_t>(*lit)))
                               : llvm::ConstantFP::get(b_.getDoubleTy(), std::get<double>(*lit));
      llvm::Value* left = swapped ? lv : xv;
      llvm::Value* right = swapped ? xv : lv;
      using P = llvm::CmpInst::Predicate;
      // Doubles: ordered predicates, so NaN compares false (and != true).
      P p;
      switch (e.op) {
        case Op::kEq: p = is_int ? P::ICMP_EQ : P::FCMP_OEQ; break;
        case Op::kNe: p = is_int ? P::ICMP_NE : P::FCMP_UNE; break;
        case Op::kLt: p = is_int ? P::ICMP_SLT : P::FCMP_OLT; break;
        case Op::kLe: p = is_int ? P::ICMP_SLE : P::FCMP_OLE; break;
        case Op::kGt: p = is_int ? P::ICMP_SGT : P::FCMP_OGT; break;
        default: p = is_int ? P::ICMP_SGE : P::FCMP_OGE; break;
      }
      holds = is_int ? b_.CreateICmp(p, left, right) : b_.CreateFCmp(p, left, right);
    }
    llvm::Value* fast_code = b_.CreateZExt(holds, i32_);
    llvm::BasicBlock* fast_end = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(slow);
    if (bail_ != nullptr) {
      b_.CreateBr(bail_);
      b_.SetInsertPoint(done);
      return Truthy{fast_code, slot};
    }
    llvm::Value* other = Emit(*e.args[x_first ? 1 : 0]);
    llvm::Value* a = x_first ? x : other;
    llvm::Value* b = x_first ? other : x;
    llvm::Value* slow_code = Call("tutti_jit_compare", {slot, b_.getInt32(static_cast<int>(e.op)), a, b}, i32_);
    llvm::BasicBlock* slow_end = b_.GetInsertBlock();
    b_.CreateBr(done);
    b_.SetInsertPoint(done);
    auto* code = b_.CreatePHI(i32_, 2);
    code->addIncoming(fast_code, fast_end);
    code->addIncoming(slow_code, slow_end);
    return Truthy{code, slot};
  }

  // ---- conditions -----------------------------------------------------------
  //
  // In a condition only the Truth code matters unless the result is not a
  // bool; so conditions pass codes in registers and touch a value slot only
  // for an error or a value of another kind.

  static bool IsTest(Op op) {
    switch (op) {
      case Op::kAnd: case Op::kOr: case Op::kEq: case Op::kNe: case Op::kLt:
      case Op::kLe: case Op::kGt: case Op::kGe: case Op::kIn: return true;
      default: return false;
    }
  }

  /// The value a Truthy stands for.
  llvm::Value* AsValue(const Truthy& t) {
    llvm::Value* no = b_.CreateSelect(b_.CreateICmpEQ(t.code, b_.getInt32(kFalse)), Constant(Value(false)), t.slot);
    return b_.CreateSelect(b_.CreateICmpEQ(t.code, b_.getInt32(kTrue)), Constant(Value(true)), no);
  }

  Truthy EmitTruth(const Expr& e) {
    llvm::Value* null = llvm::ConstantPointerNull::get(ptr_);
    if (known_ != nullptr && known_->count(&e)) return {b_.getInt32(kTrue), null};
    if (e.kind == ExprKind::kLiteral && std::holds_alternative<bool>(e.literal))
      return {b_.getInt32(std::get<bool>(e.literal) ? kTrue : kFalse), null};
    if (e.kind == ExprKind::kBinary && (e.op == Op::kAnd || e.op == Op::kOr)) return EmitLogic(e);
    if (e.kind == ExprKind::kBinary && IsTest(e.op)) {
      if (auto fast = CompareWithLiteral(e)) return *fast;
      llvm::Value* a = Emit(*e.args[0]);
      llvm::Value* b = Emit(*e.args[1]);
      llvm::Value* slot = NewSlot();
      return {Call("tutti_jit_compare", {slot, b_.getInt32(static_cast<int>(e.op)), a, b}, i32_), slot};
    }
    if (e.kind == ExprKind::kUnary && e.op == Op::kNot) {
      if (bail_ != nullptr) {
        Truthy t = Settled(EmitTruth(*e.target));
        return {b_.CreateXor(t.code, b_.getInt32(1)), null};
      }
      Truthy t = EmitTruth(*e.target);
      // false <-> true; an error stays; another kind is "no matching overload".
      auto* odd = Block("not.odd");
      auto* end = Block("not.end");
      llvm::BasicBlock* from = b_.GetInsertBlock();
      llvm::Value* flipped = b_.CreateSelect(b_.CreateICmpULE(t.code, b_.getInt32(kTrue)),
                                             b_.CreateXor(t.code, b_.getInt32(1)), t.code);
      b_.CreateCondBr(b_.CreateICmpEQ(t.code, b_.getInt32(kNotBool)), odd, end);
      b_.SetInsertPoint(odd);
      llvm::Value* out = NewSlot();
      Call("tutti_jit_unary", {out, b_.getInt32(static_cast<int>(Op::kNot)), t.slot});
      b_.CreateBr(end);
      b_.SetInsertPoint(end);
      auto* code = b_.CreatePHI(i32_, 2);
      code->addIncoming(flipped, from);
      code->addIncoming(b_.getInt32(kErrorValue), odd);
      auto* slot = b_.CreatePHI(ptr_, 2);
      slot->addIncoming(t.slot, from);
      slot->addIncoming(out, odd);
      return {code, slot};
    }
    llvm::Value* v = Emit(e);
    return {Truth(v), v};
  }

  /// In an inline test, `t` if it is a bool; anything else jumps to the
  /// bail block. Elsewhere, `t`.
  Truthy Settled(Truthy t) {
    if (bail_ == nullptr) return t;
    if (auto* c = llvm::dyn_cast<llvm::ConstantInt>(t.code); c && c->getZExtValue() <= kTrue) return t;
    auto* go_on = Block("settled");
    b_.CreateCondBr(b_.CreateICmpUGE(t.code, b_.getInt32(kErrorValue)), bail_, go_on);
    b_.SetInsertPoint(go_on);
    return t;
  }

  /// `a && b`, `a || b`: the deciding side wins over an error on the other.
  Truthy EmitLogic(const Expr& e) {
    bool decisive = e.op == Op::kOr;
    if (bail_ != nullptr) {
      // Both sides bools (anything else bails): the left side decides, or
      // the right side is the answer.
      Truthy a = Settled(EmitTruth(*e.args[0]));
      llvm::BasicBlock* a_end = b_.GetInsertBlock();
      auto* right = Block("logic.right");
      auto* end = Block("logic.end");
      b_.CreateCondBr(b_.CreateICmpEQ(a.code, b_.getInt32(decisive ? kTrue : kFalse)), end, right);
      b_.SetInsertPoint(right);
      Truthy bt = Settled(EmitTruth(*e.args[1]));
      llvm::BasicBlock* b_end = b_.GetInsertBlock();
      b_.CreateBr(end);
      b_.SetInsertPoint(end);
      auto* code = b_.CreatePHI(i32_, 2);
      code->addIncoming(a.code, a_end);
      code->addIncoming(bt.code, b_end);
      return {code, llvm::ConstantPointerNull::get(ptr_)};
    }
    llvm::Value* decides = b_.getInt32(decisive ? kTrue : kFalse);
    llvm::Value* null = llvm::ConstantPointerNull::get(ptr_);
    auto* end = Block("logic.end");
    std::vector<std::tuple<llvm::Value*, llvm::Value*, llvm::BasicBlock*>> incoming;  // code, slot, from
    auto jump = [&](llvm::Value* code, llvm::Value* slot) {
      incoming.emplace_back(code, slot, b_.GetInsertBlock());
      b_.CreateBr(end);
    };

    Truthy a = EmitTruth(*e.args[0]);
    auto* right = Block("logic.right");
    auto* a_decided = Block("logic.left_decides");
    b_.CreateCondBr(b_.CreateICmpEQ(a.code, decides), a_decided, right);
    b_.SetInsertPoint(a_decided);
    jump(decides, null);

    b_.SetInsertPoint(right);
    Truthy bt = EmitTruth(*e.args[1]);
    auto* b_decided = Block("logic.right_decides");
    auto* undecided = Block("logic.undecided");
    b_.CreateCondBr(b_.CreateICmpEQ(bt.code, decides), b_decided, undecided);
    b_.SetInsertPoint(b_decided);
    jump(decides, null);

    b_.SetInsertPoint(undecided);
    llvm::Value* both_bool = b_.CreateAnd(b_.CreateICmpULE(a.code, b_.getInt32(kTrue)),
                                          b_.CreateICmpULE(bt.code, b_.getInt32(kTrue)));
    auto* plain = Block("logic.plain");
    auto* fail = Block("logic.fail");
    b_.CreateCondBr(both_bool, plain, fail);
    b_.SetInsertPoint(plain);
    jump(b_.getInt32(decisive ? kFalse : kTrue), null);
    b_.SetInsertPoint(fail);
    llvm::Value* out = NewSlot();
    Call("tutti_jit_logic_fail", {out, b_.getInt32(static_cast<int>(e.op)), AsValue(a), AsValue(bt)});
    jump(Truth(out), out);

    b_.SetInsertPoint(end);
    auto* code = b_.CreatePHI(i32_, incoming.size());
    auto* slot = b_.CreatePHI(ptr_, incoming.size());
    for (auto [c, sl, from] : incoming) {
      code->addIncoming(c, from);
      slot->addIncoming(sl, from);
    }
    return {code, slot};
  }

  llvm::Value* EmitConditional(const Expr& e) {
    Join join{Block("cond.end"), {}};
    llvm::Value* c = Emit(*e.args[0]);
    llvm::Value* t = Truth(c);
    auto* yes = Block("cond.true");
    auto* no = Block("cond.false");
    auto* err = Block("cond.error");
    auto* other = Block("cond.not_bool");
    auto* sw = b_.CreateSwitch(t, other, 3);
    sw->addCase(b_.getInt32(kTrue), yes);
    sw->addCase(b_.getInt32(kFalse), no);
    sw->addCase(b_.getInt32(kErrorValue), err);
    b_.SetInsertPoint(yes);
    Jump(join, Emit(*e.args[1]));
    b_.SetInsertPoint(no);
    Jump(join, Emit(*e.args[2]));
    b_.SetInsertPoint(err);
    Jump(join, c);
    b_.SetInsertPoint(other);
    llvm::Value* out = NewSlot();
    Call("tutti_jit_cond_fail", {out, c});
    Jump(join, out);
    return Finish(join);
  }

  /// target.all(x, p), exists, exists_one, map(x, t), map(x, p, t), filter(x, p):
  /// a loop over the list (or the map's keys), with the interpreter's rules
  /// for errors and non-bool results.
  llvm::Value* EmitMacro(const Expr& e) {
    const std::string& name = e.name.text;
    llvm::Value* macro = String(name);
    Join join{Block("macro.end"), {}};
    llvm::Value* range = Emit(*e.target);
    llvm::Value* out = NewSlot();
    llvm::Value* items = NewSlot();
    llvm::Value* n = Call("tutti_jit_range", {out, items, range, macro}, i64_);
    auto* bad_range = Block("macro.bad_range");
    auto* start = Block("macro.start");
    b_.CreateCondBr(b_.CreateICmpSLT(n, b_.getInt64(0)), bad_range, start);
    b_.SetInsertPoint(bad_range);
    Jump(join, out);

    b_.SetInsertPoint(start);
    llvm::IRBuilder<> entry(&fn_->getEntryBlock(), fn_->getEntryBlock().begin());
    llvm::Value* index = entry.CreateAlloca(i64_);
    llvm::Value* count = entry.CreateAlloca(i64_);
    b_.CreateStore(b_.getInt64(0), index);
    b_.CreateStore(b_.getInt64(0), count);
    bool all_or_exists = name == "all" || name == "exists";
    bool decisive = name == "exists";
    llvm::Value* err = nullptr;
    llvm::Value* acc = nullptr;
    if (all_or_exists) {
      err = NewSlot();
      Call("tutti_jit_assign", {err, Constant(Value())});
    } else if (name == "filter" || name == "map") {
      acc = NewSlot();
      Call("tutti_jit_acc_start", {acc});
    }
    auto* head = Block("macro.head");
    auto* body = Block("macro.body");
    auto* next = Block("macro.next");
    auto* done = Block("macro.done");
    b_.CreateBr(head);
    b_.SetInsertPoint(head);
    llvm::Value* i = b_.CreateLoad(i64_, index);
    b_.CreateCondBr(b_.CreateICmpSLT(i, n), body, done);

    b_.SetInsertPoint(body);
    llvm::Value* item = Call("tutti_jit_item", {items, i}, ptr_);
    scope_.emplace_back(e.var.text, item);
    // Branches on a Truth code of `r`: `on[k]` is where code k goes (null:
    // to `next`).
    auto dispatch = [&](llvm::Value* r, llvm::BasicBlock* on_false, llvm::BasicBlock* on_true,
                        llvm::BasicBlock* on_error, llvm::BasicBlock* on_other) {
      auto* sw = b_.CreateSwitch(Truth(r), on_other ? on_other : next, 3);
      sw->addCase(b_.getInt32(kFalse), on_false ? on_false : next);
      sw->addCase(b_.getInt32(kTrue), on_true ? on_true : next);
      sw->addCase(b_.getInt32(kErrorValue), on_error ? on_error : next);
    };
    // The result `r` itself, leaving the loop.
    auto leave_with = [&](llvm::BasicBlock* at, llvm::Value* r) {
      b_.SetInsertPoint(at);
      Jump(join, r);
    };
    // "no matching overload" for `r`, leaving the loop.
    auto leave_no_overload = [&](llvm::BasicBlock* at, llvm::Value* r) {
      b_.SetInsertPoint(at);
      Call("tutti_jit_no_overload", {out, macro, r});
      Jump(join, out);
    };
    const Expr& first = *e.args[0];
    if (all_or_exists) {
      llvm::Value* r = Emit(first);
      auto* decided = Block("macro.decided");
      auto* odd = Block("macro.odd");
      dispatch(r, decisive ? nullptr : decided, decisive ? decided : nullptr, odd, odd);
      leave_with(decided, r);
      b_.SetInsertPoint(odd);
      Call("tutti_jit_first_error", {err, r, macro});
      b_.CreateBr(next);
    } else if (name == "exists_one") {
      llvm::Value* r = Emit(first);
      auto* yes = Block("macro.yes");
      auto* error = Block("macro.error");
      auto* other = Block("macro.other");
      dispatch(r, nullptr, yes, error, other);
      b_.SetInsertPoint(yes);
      b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64_, count), b_.getInt64(1)), count);
      b_.CreateBr(next);
      leave_with(error, r);
      leave_no_overload(other, r);
    } else if (name == "filter") {
      llvm::Value* r = Emit(first);
      auto* keep = Block("macro.keep");
      auto* error = Block("macro.error");
      auto* other = Block("macro.other");
      dispatch(r, nullptr, keep, error, other);
      b_.SetInsertPoint(keep);
      Call("tutti_jit_acc_push", {acc, item});
      b_.CreateBr(next);
      leave_with(error, r);
      leave_no_overload(other, r);
    } else {  // map
      if (e.args.size() == 2) {
        llvm::Value* k = Emit(first);
        auto* keep = Block("macro.keep");
        auto* error = Block("macro.error");
        auto* other = Block("macro.other");
        dispatch(k, nullptr, keep, error, other);
        leave_with(error, k);
        leave_no_overload(other, k);
        b_.SetInsertPoint(keep);
      }
      llvm::Value* r = Emit(*e.args.back());
      auto* push = Block("macro.push");
      auto* error = Block("macro.error");
      b_.CreateCondBr(b_.CreateICmpNE(Call("tutti_jit_is_error", {r}, i32_), b_.getInt32(0)), error, push);
      leave_with(error, r);
      b_.SetInsertPoint(push);
      Call("tutti_jit_acc_push", {acc, r});
      b_.CreateBr(next);
    }
    scope_.pop_back();

    b_.SetInsertPoint(next);
    b_.CreateStore(b_.CreateAdd(i, b_.getInt64(1)), index);
    b_.CreateBr(head);

    b_.SetInsertPoint(done);
    if (all_or_exists) {
      auto* failed = Block("macro.failed");
      auto* plain = Block("macro.plain");
      b_.CreateCondBr(b_.CreateICmpNE(Call("tutti_jit_is_error", {err}, i32_), b_.getInt32(0)), failed, plain);
      leave_with(failed, err);
      b_.SetInsertPoint(plain);
      Jump(join, Constant(Value(!decisive)));
    } else if (name == "exists_one") {
      Call("tutti_jit_set_bool",
           {out, b_.CreateZExt(b_.CreateICmpEQ(b_.CreateLoad(i64_, count), b_.getInt64(1)), i32_)});
      Jump(join, out);
    } else {
      Jump(join, acc);
    }
    return Finish(join);
  }

  llvm::Module& m_;
  llvm::LLVMContext& ctx_;
  llvm::IRBuilder<> b_;
  const eval::Functions& functions_;
  ConstantPool& pool_;
  const ValueLayout& layout_ = Layout();
  llvm::PointerType* ptr_;
  llvm::IntegerType* i32_;
  llvm::IntegerType* i64_;

  const ExprSpec* spec_ = nullptr;
  llvm::Function* fn_ = nullptr;
  llvm::Value* vars_ = nullptr;
  llvm::Value* pool_arg_ = nullptr;
  llvm::Value* slots_ = nullptr;
  uint64_t slot_count_ = 0;
  /// Inline tests: the parts known to be true where the test is placed.
  const std::set<const Expr*>* known_ = nullptr;
  /// Inline tests: where an error, a value that is not a bool, or any
  /// other case the fast paths do not cover jumps to.
  llvm::BasicBlock* bail_ = nullptr;
  /// Macro iteration variables in scope, innermost last.
  std::vector<std::pair<std::string, llvm::Value*>> scope_;
};

namespace {

void CollectFreeNames(const Expr& e, std::vector<std::string>& bound, std::set<std::string>& out) {
  if (e.kind == ExprKind::kIdent) {
    if (std::find(bound.begin(), bound.end(), e.name.text) == bound.end()) out.insert(e.name.text);
    return;
  }
  if (e.target) CollectFreeNames(*e.target, bound, out);
  if (e.kind == ExprKind::kMacro) bound.push_back(e.var.text);
  for (const auto& a : e.args) CollectFreeNames(*a, bound, out);
  if (e.kind == ExprKind::kMacro) bound.pop_back();
}

}  // namespace

void EmitGroup(llvm::Module& module, const std::string& fn_name, const std::vector<const ExprSpec*>& specs,
               const eval::Functions& functions, ConstantPool& pool) {
  Emitter(module, functions, pool).Group(fn_name, specs);
}

InlineConditions::InlineConditions(llvm::Function& fn, llvm::Value* vars, llvm::Value* pool,
                                   const eval::Functions& functions, ConstantPool& constants, llvm::Value* slots)
    : fn_(fn), vars_(vars), pool_(pool), slots_(slots),
      emitter_(std::make_unique<Emitter>(*fn.getParent(), functions, constants)) {
  if (slots_ != nullptr) return;
  llvm::IRBuilder<> entry(&fn.getEntryBlock(), fn.getEntryBlock().begin());
  own_ = entry.CreateAlloca(entry.getInt8Ty(), entry.getInt64(1), "inline.slots");
  own_->setAlignment(llvm::Align(16));
  slots_ = own_;
}

void InlineConditions::Reserve(uint64_t n) {
  if (own_ == nullptr) return;
  own_->setOperand(0, llvm::ConstantInt::get(llvm::Type::getInt64Ty(fn_.getContext()),
                                             std::max<uint64_t>(1, std::max(n, slots_used_) * sizeof(Value))));
}

InlineConditions::~InlineConditions() = default;

llvm::Value* InlineConditions::Emit(llvm::BasicBlock*& at, const ExprSpec& spec,
                                    const std::set<const ast::Expr*>& known, llvm::BasicBlock* bail) {
  llvm::Value* code = nullptr;
  slots_used_ = std::max(slots_used_, emitter_->Inline(&fn_, vars_, pool_, slots_, spec, known, bail, at, code));
  Reserve(slots_used_);
  return code;
}

std::vector<std::string> FreeNames(const ast::Expr& expr) {
  std::vector<std::string> bound;
  std::set<std::string> out;
  CollectFreeNames(expr, bound, out);
  return {out.begin(), out.end()};
}

}  // namespace tutti::compiler::jit
